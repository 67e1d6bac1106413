"""Corpus loading and the measured figures, printed at the end of the test run."""

import json
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).parent / "corpus"

# Filled by the corpus tests; each figure also rides on the test's report
# (`user_properties`), so the root conftest prints it even when xdist ran the test elsewhere.
FIGURES: dict[str, str] = {}


class _Figures(dict[str, str]):
    def __init__(self, node: Any) -> None:
        super().__init__()
        self._node = node

    def __setitem__(self, name: str, value: str) -> None:
        super().__setitem__(name, value)
        FIGURES[name] = value
        self._node.user_properties.append(("safety_figure", f"{name}: {value}"))


def load_corpus(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, str]:
    return _Figures(request.node)
