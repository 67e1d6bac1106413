"""The shape of a demo phrase book: one per language, filled in `phrases_<lang>.py`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RolePhrases:
    """Interchangeable paragraph templates for one seat role (see phrases_en for placeholders)."""

    title: str
    opening: tuple[str, ...]
    body: tuple[str, ...]
    rebuttal: tuple[str, ...]
    closing: tuple[str, ...]
    claims: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Phrasebook:
    roles: dict[str, RolePhrases]
    marker: str
    opening_heading: str
    rebuttal_heading: str
    fallback_terms: tuple[str, str, str]
    judge_rationales: tuple[str, ...]
    consensus: str
    disagreements: tuple[str, ...]
    recommendation: str
    synthesis_headings: tuple[str, str, str]
    judge_heading: str
