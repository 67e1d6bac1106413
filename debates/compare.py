"""Which claims changed between two final answers: a plain sentence-level diff. Pure.

The chair's structured answer has a consensus and a recommendation (Markdown prose) and a list
of disagreements. Each is cut into claims: one per sentence of the prose, one per
disagreement. Two claims are the same when they read the same once case, punctuation, Markdown
marks and spacing are set aside; nothing fuzzier. So a claim reworded counts as one removed and
one added: the diff never guesses that two different sentences mean the same thing.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_MARKS = re.compile(r"^\s*(?:[-*•>#]+|\d+[.)])\s+")
_NOT_WORD = re.compile(r"[^\w\s]")


def normalise(claim: str) -> str:
    """The claim as compared: NFKC, case folded, Markdown and punctuation out, one space."""
    text = unicodedata.normalize("NFKC", claim).casefold()
    text = _NOT_WORD.sub(" ", _MARKS.sub("", text))
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """The sentences of a piece of Markdown prose, without list marks; empty ones dropped."""
    pieces = (_MARKS.sub("", piece).strip() for piece in _SENTENCE_END.split(text or ""))
    return [piece for piece in pieces if normalise(piece)]


def answer_claims(synthesis: Mapping[str, object] | None) -> list[str]:
    """The consensus and recommendation of a chair's answer, sentence by sentence."""
    if not synthesis:
        return []
    return sentences(str(synthesis.get("consensus") or "")) + sentences(
        str(synthesis.get("recommendation") or "")
    )


def disagreement_claims(synthesis: Mapping[str, object] | None) -> list[str]:
    raw = (synthesis or {}).get("disagreements")
    items: Iterable[object] = raw if isinstance(raw, list) else ()
    return [str(item).strip() for item in items if normalise(str(item))]


@dataclass(frozen=True)
class ClaimDiff:
    """Claims in both (as the left side words them), only left, only right; in their order."""

    both: tuple[str, ...]
    only_left: tuple[str, ...]
    only_right: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.only_left or self.only_right)


def _unique(claims: Sequence[str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for claim in claims:
        key = normalise(claim)
        if key and key not in seen:
            seen.add(key)
            out.append((key, claim))
    return out


def claim_diff(left: Sequence[str], right: Sequence[str]) -> ClaimDiff:
    """Set difference over normalised claims, each side's order kept; a claim repeated on one
    side counts once."""
    left_claims, right_claims = _unique(left), _unique(right)
    right_keys = {key for key, _claim in right_claims}
    left_keys = {key for key, _claim in left_claims}
    return ClaimDiff(
        both=tuple(claim for key, claim in left_claims if key in right_keys),
        only_left=tuple(claim for key, claim in left_claims if key not in right_keys),
        only_right=tuple(claim for key, claim in right_claims if key not in left_keys),
    )
