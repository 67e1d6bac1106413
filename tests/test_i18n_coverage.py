"""Every sentence of the code and the templates has a Turkish translation (issue 8).

tests/test_i18n.py checks the catalogue's own entries; this one checks that the catalogue
holds every string the code asks for: `makemessages` runs over a scratch copy of the sources
(never over the tree: it would rewrite the catalogue) and merges the catalogue in, so a string
missing from it comes out untranslated, and one whose English changed comes out fuzzy.
The browser half (the live view's strings, rendered by the script) is in
tests/e2e/test_ux_e2e.py.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.test_i18n import HOW_TO_FIX, parse_po

ROOT = Path(settings.BASE_DIR)
SOURCES = ("accounts", "apikeys", "billing", "consultation", "debates", "evals", "ops",
           "privacy", "ratings", "safety", "templates", "providerkeys")  # fmt: skip
SKIP = shutil.ignore_patterns("tests", "__pycache__", "migrations", "*.pyc", "*.mo")


@pytest.fixture(scope="module")
def merged_catalogue(tmp_path_factory: pytest.TempPathFactory) -> str:
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail(
            "gettext is not installed: `make messages` installs it (apt-get install gettext)."
        )
    copy = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, copy / name, ignore=SKIP)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    (copy / "locale" / "tr" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(
        ROOT / "locale" / "tr" / "LC_MESSAGES" / "django.po",
        copy / "locale" / "tr" / "LC_MESSAGES" / "django.po",
    )
    # A clean environment (settings read nothing else): the venv's and the system's programs.
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(copy),
        "LANG": "C.UTF-8",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "consultation.settings",
    }
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "tr", "--no-obsolete",
         "--no-location", "-v", "0"],
        cwd=copy, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return (copy / "locale" / "tr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")


def test_every_string_of_the_code_has_a_turkish_translation(merged_catalogue: str) -> None:
    problems = [
        f"  {entry.msgid!r} is " + ("fuzzy (its English changed)" if "fuzzy" in entry.flags
                                    else "missing from the catalogue")
        for entry in parse_po(merged_catalogue)
        if entry.msgid and ("fuzzy" in entry.flags or not all(entry.msgstrs.values()))
    ]  # fmt: skip
    if problems:
        pytest.fail(
            f"{len(problems)} strings of the code have no Turkish translation:\n"
            + "\n".join(problems)
            + "\nAdd them to locale/tr/LC_MESSAGES/django.po. "
            + HOW_TO_FIX,
            pytrace=False,
        )
