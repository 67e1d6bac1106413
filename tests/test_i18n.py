"""The Turkish interface: a complete catalog, and the language choice that follows the user.

The catalog is read with the standard library only (a .po file is simple enough), so the check
needs nothing beyond the runtime set and runs before `compilemessages` has ever been called.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Profile, User
from conftest import PASSWORD

CATALOG = Path(settings.BASE_DIR) / "locale" / "tr" / "LC_MESSAGES" / "django.po"
HOW_TO_FIX = (
    "How to fix: `DEBUG=1 .venv/bin/python manage.py makemessages -l tr -l en --ignore=.venv "
    "--ignore=node_modules --ignore=static --ignore=staticfiles`, then translate every entry "
    "listed here in locale/tr/LC_MESSAGES/django.po (remove the `#, fuzzy` line once a fuzzy "
    "translation is checked; keep every %(name)s placeholder and {{ }} exactly), then "
    "`make messages`."
)
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{?\s*\w+\s*\}?\}")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgid: str = ""
    msgid_plural: str = ""
    msgstrs: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"line {self.line}: msgid {self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """The live entries of a .po file (obsolete `#~` entries are left out), header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        starts_entry = line.startswith(("#", "msgctxt", "msgid ")) and (
            current is None or current.msgstrs
        )
        if starts_entry:
            current = Entry(line=number)
            entries.append(current)
        if current is None:
            continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgid":
                current.msgid += value
            elif key == "msgid_plural":
                current.msgid_plural += value
            elif key.startswith("msgstr"):
                current.msgstrs[key] += value
        else:
            key, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if key == "msgid":
                current.msgid = value
            elif key == "msgid_plural":
                current.msgid_plural = value
            elif key.startswith("msgstr"):
                current.msgstrs[key] = value
    return entries


def _messages() -> list[Entry]:
    return [entry for entry in parse_po(CATALOG.read_text(encoding="utf-8")) if entry.msgid]


def test_po_parser_reads_multiline_plural_and_fuzzy_entries() -> None:
    text = (
        'msgid ""\nmsgstr ""\n"Language: tr\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Hello "\n"%(name)s"\nmsgstr "Merhaba"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "bir"\nmsgstr[1] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr ""\n'
    )
    header, fuzzy, plural = parse_po(text)
    assert header.msgid == ""
    assert fuzzy.msgid == "Hello %(name)s"
    assert fuzzy.flags == {"fuzzy", "python-format"}
    assert plural.msgid_plural == "many"
    assert plural.msgstrs == {"msgstr[0]": "bir", "msgstr[1]": ""}


def test_turkish_catalog_is_complete() -> None:
    entries = _messages()
    assert len(entries) > 100, f"{CATALOG} looks empty or unreadable"
    problems = [
        f"  {entry.label} is " + ("fuzzy" if "fuzzy" in entry.flags else "untranslated")
        for entry in entries
        if "fuzzy" in entry.flags or not all(entry.msgstrs.values())
    ]
    if problems:
        pytest.fail(
            f"{len(problems)} entries of {CATALOG.relative_to(settings.BASE_DIR)} need a Turkish "
            "translation:\n" + "\n".join(problems) + "\n" + HOW_TO_FIX,
            pytrace=False,
        )


def test_turkish_catalog_keeps_every_placeholder() -> None:
    problems = []
    for entry in _messages():
        if "fuzzy" in entry.flags:
            continue  # reported by the completeness test; its guess is to be replaced anyway
        wanted = sorted(_PLACEHOLDER.findall(entry.msgid + entry.msgid_plural))
        for name, translation in entry.msgstrs.items():
            found = sorted(_PLACEHOLDER.findall(translation))
            if translation and set(found) != set(wanted):
                problems.append(f"  {entry.label} {name} has {found}, expected {wanted}")
    if problems:
        pytest.fail(
            "Placeholders differ from the English:\n" + "\n".join(problems) + "\n" + HOW_TO_FIX,
            pytrace=False,
        )


# --- The language follows the user -------------------------------------------------------------


@pytest.mark.django_db
def test_language_cookie_renders_the_landing_page_in_turkish(anon_client: Client) -> None:
    anon_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    response = anon_client.get(reverse("landing"))
    html = response.content.decode()
    assert '<html lang="tr">' in html
    assert "Zor bir soru mu? Bir parlamento toplayın." in html
    assert "Kaydol" in html
    assert "Hard question?" not in html


@pytest.mark.django_db
def test_without_a_choice_the_interface_is_english(anon_client: Client) -> None:
    html = anon_client.get(reverse("landing")).content.decode()
    assert '<html lang="en">' in html
    assert "Hard question? Convene a parliament." in html


@pytest.mark.django_db
def test_switching_to_turkish_sets_cookie_and_profile_and_survives_a_new_login(
    owner: User, owner_client: Client, anon_client: Client
) -> None:
    response = owner_client.post(
        reverse("language-switch"), {"language": "tr", "next": reverse("dashboard")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "tr"
    assert Profile.objects.get(user=owner).locale == "tr"
    assert ">Panel</a>" in owner_client.get(reverse("dashboard")).content.decode()

    # Another browser, no cookie: the saved choice comes back with the login (adapter).
    response = anon_client.post(
        reverse("account_login"), {"login": owner.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "tr"
    html = anon_client.get(reverse("dashboard")).content.decode()
    assert '<html lang="tr">' in html
    assert "Çalışma alanınız" in html


@pytest.mark.django_db
def test_switching_to_an_unsupported_language_is_refused_and_changes_nothing(
    owner: User, owner_client: Client
) -> None:
    response = owner_client.post(
        reverse("language-switch"), {"language": "xx", "next": reverse("dashboard")}, follow=True
    )
    assert settings.LANGUAGE_COOKIE_NAME not in owner_client.cookies
    assert Profile.objects.get(user=owner).locale == "en"
    errors = [m for m in response.context["messages"] if m.level_tag == "error"]
    assert errors, "an unsupported language must be reported, not ignored"
    assert '<html lang="en">' in response.content.decode()
