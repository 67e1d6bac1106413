"""docs/OPS.md's event catalogue is the one in ops/events.py: same events, same fields."""

import re
from pathlib import Path

from django.conf import settings

from ops.events import CONTEXT_FIELDS, EVENTS

OPS_MD = Path(settings.BASE_DIR) / "docs" / "OPS.md"
ROW = re.compile(r"^\| `(?P<name>[a-z_]+\.[a-z_.]+)` \| (?P<level>\w+) \| (?P<fields>[^|]*) \|")


def catalogue_rows() -> dict[str, tuple[str, tuple[str, ...]]]:
    text = OPS_MD.read_text(encoding="utf-8")
    section = text.split("### Event catalogue", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            fields = tuple(re.findall(r"`([a-z_]+)`", match["fields"]))
            assert match["name"] not in rows, f"{match['name']} is listed twice"
            rows[match["name"]] = (match["level"], fields)
    return rows


def test_ops_md_lists_every_catalogue_event_with_its_fields() -> None:
    rows = catalogue_rows()
    assert set(rows) == set(EVENTS), (
        f"missing from docs/OPS.md: {sorted(set(EVENTS) - set(rows))}; "
        f"not in ops/events.py: {sorted(set(rows) - set(EVENTS))}"
    )
    for name, spec in EVENTS.items():
        assert rows[name] == (spec.level, spec.fields), name


def test_ops_md_names_every_context_field() -> None:
    text = OPS_MD.read_text(encoding="utf-8")
    for field in CONTEXT_FIELDS:
        assert f"`{field}`" in text, field


def test_ops_md_has_the_runbooks() -> None:
    text = OPS_MD.read_text(encoding="utf-8")
    for title in (
        "A provider is down",
        "A circuit stays open",
        "Webhook failures",
        "Queue backlog",
        "Database connections exhausted",
        "Retention",
    ):
        assert f"**{title}" in text, title
