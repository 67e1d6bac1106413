"""What a question goes through before any model sees it: Unicode normalised, invisible
characters stripped, personal data replaced by placeholders, and a prompt-injection check.

The pure work is in `safety`; this module applies the settings, and counts and logs what it
found (by kind and score, never the text) so staff see it in admin.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog
from django.conf import settings

from consultation.exceptions import InjectionSuspected as _InjectionSuspected
from ops.metrics import metric_add_many, metric_increment
from safety.injection import InjectionVerdict, detect
from safety.options import options_from_settings
from safety.pii import PlaceholderMap, scrub

logger = structlog.get_logger(__name__)

PII_METRIC = "safety.pii_redacted"
INJECTION_METRIC = "safety.injection_suspected"


class InjectionSuspected(_InjectionSuspected):
    """The refusal, with the detector's verdict for the record (never shown to the user)."""

    verdict: InjectionVerdict


@dataclass(frozen=True)
class Screened:
    """The question and instructions as the models will see them, and what was found."""

    question: str
    instructions: tuple[str, ...]
    mapping: PlaceholderMap
    redactions: dict[str, int]
    verdict: InjectionVerdict
    # Context documents, (name, text), scrubbed with the same map.
    documents: tuple[tuple[str, str], ...] = ()


def question_screen(
    *,
    question: str,
    instructions: Sequence[str] = (),
    pii_map: Mapping[str, Mapping[str, str]] | None = None,
    documents: Sequence[tuple[str, str]] = (),
) -> Screened:
    """Scrub the question, the seats' instructions and any context documents (name and text)
    with one placeholder map (`pii_map`'s, when a thread continues), and check the question
    for an injection attempt. In block mode a suspected one is refused (counted and logged
    first); in log mode the caller marks the debate for staff."""
    options = options_from_settings(settings)
    verdict = detect(question, options=options.injection)
    if verdict.suspected and options.injection.mode == "block":
        refused = InjectionSuspected()
        refused.verdict = verdict
        raise refused
    mapping = PlaceholderMap.from_dict(pii_map)
    redactions: dict[str, int] = {}
    texts = []
    for text in (question, *instructions, *(part for doc in documents for part in doc)):
        result = scrub(text, options=options.pii, mapping=mapping)
        texts.append(result.text)
        for kind, count in result.counts.items():
            redactions[kind.value.lower()] = redactions.get(kind.value.lower(), 0) + count
    ends = 1 + len(instructions)
    scrubbed_documents = texts[ends:]
    return Screened(
        question=texts[0],
        instructions=tuple(texts[1:ends]),
        documents=tuple(
            (scrubbed_documents[i], scrubbed_documents[i + 1])
            for i in range(0, len(scrubbed_documents), 2)
        ),
        mapping=mapping,
        redactions=redactions,
        verdict=verdict,
    )


def redactions_record(redactions: Mapping[str, int], **context: object) -> None:
    """Count and log replaced personal data by kind (the values themselves never)."""
    if not redactions:
        return
    metric_add_many(name=PII_METRIC, counts=redactions)
    logger.info("safety.pii_redacted", counts=dict(redactions), **context)


def injection_record(verdict: InjectionVerdict, *, blocked: bool, **context: object) -> None:
    metric_increment(name=INJECTION_METRIC, label="blocked" if blocked else "logged")
    logger.warning(
        "safety.injection_suspected",
        score=round(verdict.score, 3),
        signals=list(verdict.signals),
        blocked=blocked,
        **context,
    )
