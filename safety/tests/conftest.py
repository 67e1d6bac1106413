"""Corpus loading and the measured figures, printed at the end of the test run."""

import json
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "corpus"

# Filled by the corpus tests, printed by pytest_terminal_summary (shown with -q too).
FIGURES: dict[str, str] = {}


def load_corpus(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def figures() -> dict[str, str]:
    return FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("safety corpus figures")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
