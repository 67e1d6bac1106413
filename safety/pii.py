"""PII scrubbing: find personal data in text and replace it with stable placeholders.

`scrub` replaces e-mail addresses and phone numbers always, and, behind flags of `PiiOptions`,
payment card numbers, IBANs, person names and postal addresses. Each value gets a placeholder
such as `[EMAIL_1]`; a `PlaceholderMap` remembers them, so passing the same map for every text
of a debate gives the same address the same placeholder in every prompt, turn and log line.
`restore` puts the originals back for the owner's own view.

The detectors, in priority order (an earlier one wins an overlap): e-mail (a regular
expression), IBAN (ISO 13616 length per country + mod-97), card (13-19 digits, known issuer
prefix, Luhn), phone (phonenumbers' matcher per region, VALID leniency, then filters for
dates, versions, decimals and reference numbers), address and name (documented heuristics, see
docs/SAFETY.md). Pure Python: nothing here imports Django or our apps.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

from safety.options import PiiOptions

__all__ = [
    "PiiKind",
    "PiiOptions",
    "PlaceholderMap",
    "ScrubResult",
    "Span",
    "pii_log_processor",
    "restore",
    "scrub",
    "unknown_regions",
]


class PiiKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    CARD = "CARD"
    IBAN = "IBAN"
    NAME = "NAME"
    ADDRESS = "ADDRESS"


PLACEHOLDER_RE = re.compile(r"\[(EMAIL|PHONE|CARD|IBAN|NAME|ADDRESS)_(\d+)\]")


@dataclass(frozen=True, slots=True)
class Span:
    """One replaced value: `start`/`end` index the original text."""

    start: int
    end: int
    kind: PiiKind
    placeholder: str


@dataclass(frozen=True, slots=True)
class ScrubResult:
    text: str
    counts: Mapping[PiiKind, int]
    spans: tuple[Span, ...]
    mapping: "PlaceholderMap"

    @property
    def found(self) -> bool:
        return bool(self.spans)


class PlaceholderMap:
    """Normalised value -> placeholder, and placeholder -> the original as first seen.

    Keys are `KIND:normalised` (e-mail lower-cased, phone in E.164, card and IBAN digits only,
    names and addresses case-folded), so `ALI@example.com` and `ali@example.com` share one
    placeholder. It holds the originals, so store it with the same care as the text itself.
    """

    def __init__(self) -> None:
        self._placeholders: dict[str, str] = {}
        self._originals: dict[str, str] = {}
        self._next: dict[PiiKind, int] = {}

    def __len__(self) -> int:
        return len(self._placeholders)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlaceholderMap):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def placeholder_for(self, kind: PiiKind, key: str, original: str) -> str:
        full_key = f"{kind.value}:{key}"
        placeholder = self._placeholders.get(full_key)
        if placeholder is None:
            number = self._next.get(kind, 1)
            self._next[kind] = number + 1
            placeholder = f"[{kind.value}_{number}]"
            self._placeholders[full_key] = placeholder
            self._originals[placeholder] = original
        return placeholder

    def original(self, placeholder: str) -> str | None:
        return self._originals.get(placeholder)

    def to_dict(self) -> dict[str, dict[str, str]]:
        """A plain, JSON-ready dict (stored per debate)."""
        return {"placeholders": dict(self._placeholders), "originals": dict(self._originals)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, str]] | None) -> "PlaceholderMap":
        mapping = cls()
        if not data:
            return mapping
        mapping._placeholders = {str(k): str(v) for k, v in data.get("placeholders", {}).items()}
        mapping._originals = {str(k): str(v) for k, v in data.get("originals", {}).items()}
        for placeholder in mapping._placeholders.values():
            match = PLACEHOLDER_RE.fullmatch(placeholder)
            if match:
                kind = PiiKind(match.group(1))
                mapping._next[kind] = max(mapping._next.get(kind, 1), int(match.group(2)) + 1)
        return mapping


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    kind: PiiKind
    key: str


# --- E-mail ---------------------------------------------------------------------------------

EMAIL_RE = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-])"
)


def _emails(text: str) -> Iterator[_Candidate]:
    for match in EMAIL_RE.finditer(text):
        yield _Candidate(match.start(), match.end(), PiiKind.EMAIL, match.group().lower())


# --- IBAN -----------------------------------------------------------------------------------

# ISO 13616 lengths of the IBAN registry (a country not listed is accepted at 15-34 characters).
IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27,
    "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[ -]?[A-Z0-9])")


def iban_is_valid(compact: str) -> bool:
    """ISO 13616: the country's length, then mod-97 of the rearranged digits equals 1."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _ibans(text: str) -> Iterator[_Candidate]:
    for match in IBAN_START_RE.finditer(text):
        country = match.group()[:2]
        lengths = (IBAN_LENGTHS[country],) if country in IBAN_LENGTHS else range(34, 14, -1)
        for length in lengths:
            end = _consume_alnum(text, match.start(), length)
            if end is None:
                continue
            compact = re.sub(r"[ -]", "", text[match.start() : end]).upper()
            if iban_is_valid(compact):
                yield _Candidate(match.start(), end, PiiKind.IBAN, compact)
                break


def _consume_alnum(text: str, start: int, count: int) -> int | None:
    """The end index after `count` letters/digits from `start`, allowing single spaces or
    dashes between them; None when the text runs out or the value goes on past `count`."""
    seen = 0
    index = start
    while index < len(text) and seen < count:
        char = text[index]
        if char.isascii() and char.isalnum():
            seen += 1
        elif char in " -" and seen and index + 1 < len(text) and text[index + 1].isalnum():
            pass
        else:
            return None
        index += 1
    if seen < count or (index < len(text) and text[index].isalnum()):
        return None
    return index


# --- Payment cards --------------------------------------------------------------------------

# Not glued to a word either side: digits inside a token (an address, an id) are not a card,
# and matching them would make a later pass see a different token.
CARD_RE = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?!\w|[.,]\d)")
# Issuer prefixes: Visa, Mastercard, Amex, Diners, Discover, JCB, UnionPay, Maestro, Troy.
CARD_PREFIX_RE = re.compile(
    r"4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62|5[06-9]|6[37]|9792"
)


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _cards(text: str) -> Iterator[_Candidate]:
    for match in CARD_RE.finditer(text):
        raw = match.group()
        digits = re.sub(r"\D", "", raw)
        separators = set(re.findall(r"[ -]", raw))
        if len(separators) > 1 or not 13 <= len(digits) <= 19:
            continue
        if CARD_PREFIX_RE.match(digits) and luhn_is_valid(digits):
            yield _Candidate(match.start(), match.end(), PiiKind.CARD, digits)


# --- Phones ---------------------------------------------------------------------------------

# Numbers that look like phones but are something else: dates, times, versions, decimals.
DATE_LIKE_RE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}|\d{4}-\d{2}-\d{2}.*|\d{1,2}:\d{2}.*")
# A reference word just before the digits makes them an identifier, not a phone.
REFERENCE_BEFORE_RE = re.compile(
    r"(?:order|invoice|ref(?:erence)?|tracking|isbn|issn|serial|ticket|case|booking|account"
    r"|customer|id|no|nr|number|sku|part|model|version|v|sipariş|fatura|takip|kargo|seri"
    r"|müşteri|numara(?:sı)?|kod(?:u)?|bilet|rezervasyon|dosya)\s*(?:no\.?|nr\.?|number|numarası|numarasi|#)?"
    r"\s*[:#.]?\s*$",
    re.IGNORECASE,
)
# ...unless a phone word says otherwise ("phone number: 0532...").
PHONE_WORD_BEFORE_RE = re.compile(
    r"(?:phone|tel|telephone|mobile|cell|fax|call|whatsapp|telefon|cep|gsm|ara|arayın"
    r"|numaram|numaramdan|iletişim|contact)\b[^\n]{0,24}$",
    re.IGNORECASE,
)
PHONE_CONTEXT_CHARS = 32
# Seven digits with at most four other characters between each two: the least a phone found
# below can be (at least 7 digits; phonenumbers allows at most 4 punctuation characters between
# a number's digits). Prose without it skips the matcher, which costs ~1 ms per answer.
MAY_HOLD_PHONE_RE = re.compile(r"\d(?:\D{0,4}\d){6}")


def _phones(text: str, regions: tuple[str, ...]) -> Iterator[_Candidate]:
    if MAY_HOLD_PHONE_RE.search(text):
        yield from _matched_phones(text, regions)


def _matched_phones(text: str, regions: tuple[str, ...]) -> Iterator[_Candidate]:
    for region in regions:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            number = match.number
            if not phonenumbers.is_valid_number(number):
                continue
            raw = match.raw_string
            start, end = match.start, match.end
            digits = sum(char.isdigit() for char in raw)
            if digits < 7 or DATE_LIKE_RE.fullmatch(raw):
                continue
            if "." in raw and not raw.startswith("+") and digits < 10:
                continue
            before, after = text[max(0, start - PHONE_CONTEXT_CHARS) : start], text[end : end + 2]
            if before[-1:].isalnum() or re.match(r"[.,]\d|\d", after):
                continue
            if re.search(r"\d[.,]$", before) or before.endswith(("$", "€", "£", "₺", "#")):
                continue
            if REFERENCE_BEFORE_RE.search(before) and not PHONE_WORD_BEFORE_RE.search(before):
                continue
            key = phonenumbers.format_number(number, PhoneNumberFormat.E164)
            yield _Candidate(start, end, PiiKind.PHONE, key)


def unknown_regions(regions: Iterable[str]) -> list[str]:
    """The regions phonenumbers has no metadata for (a settings check reports them)."""
    return [region for region in regions if region not in phonenumbers.SUPPORTED_REGIONS]


# --- Addresses (heuristic, off by default) ---------------------------------------------------

_UP = "A-ZÇĞİÖŞÜÂÎÛ"
_LOW = "a-zçğıöşüâîû"
_WORD = rf"[{_UP}0-9][{_UP}{_LOW}0-9.-]*"
_TR_UNIT = (
    r"(?:Mahallesi|Mah\.|Mh\.|Caddesi|Cad\.|Cd\.|Sokağı|Sokak|Sok\.|Sk\.|Bulvarı|Blv\.|Bulv\."
    r"|Meydanı|Yolu|Küme\s+Evleri|Sitesi|Apartmanı|Apt\.)"
)
_TR_PART = rf"(?:{_WORD}\s+){{1,3}}{_TR_UNIT}"
_TR_NUMBER = r"(?:No\s*[:.]?\s*\d+[A-Za-z]?(?:\s*/\s*\d+[A-Za-z]?)?)"
_TR_FLAT = r"(?:(?:Daire|D\.|D|Kat|K\.)\s*[:.]?\s*\d+)"
_SEP = r"(?:\s*,\s*|\s+)"
TR_ADDRESS_RE = re.compile(
    rf"(?<![\w]){_TR_PART}(?:{_SEP}{_TR_PART})*(?:{_SEP}{_TR_NUMBER})?(?:{_SEP}{_TR_FLAT})*"
)
_EN_UNIT = (
    r"(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Lane|Ln\.|Drive|Dr\.|Court|Ct\."
    r"|Place|Pl\.|Terrace|Way|Square|Sq\.|Crescent|Close|Gardens|Highway|Hwy\.|Parkway)"
)
EN_ADDRESS_RE = re.compile(
    rf"(?<![\w.])\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][a-zA-Z'\u2019-]*\s+){{1,4}}{_EN_UNIT}"
    rf"(?:,?\s+(?:Apt\.?|Apartment|Suite|Unit|Flat)\s*#?\s*\w+)?"
    r"(?:,\s*[A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)?(?:,\s*[A-Z]{2})?\s+\d{5}(?:-\d{4})?)?"
    r"|(?<![\w.])(?:P\.?\s?O\.?\s+Box|Posta\s+Kutusu)\s+\d+"
)


def _addresses(text: str) -> Iterator[_Candidate]:
    for pattern in (TR_ADDRESS_RE, EN_ADDRESS_RE):
        for match in pattern.finditer(text):
            raw = match.group().rstrip(" ,")
            yield _Candidate(match.start(), match.start() + len(raw), PiiKind.ADDRESS, _fold(raw))


# --- Names (heuristic, off by default) -------------------------------------------------------

_NAME_WORD = rf"[{_UP}][{_LOW}]+(?:-[{_UP}][{_LOW}]+)?"
HONORIFIC_NAME_RE = re.compile(
    r"(?<![\w.])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Bay|Bayan|Sayın|Doç|Av|Uzm)\.?"
    r"(?:\s+(?:Dr|Prof|Doç)\.)*\s+"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)
TR_SUFFIX_NAME_RE = re.compile(
    rf"(?<![\w.])(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD})?)\s+(?:Bey|Hanım)\b"
)
# A small list of common first names (English and Turkish): one followed by a capitalised word
# reads as "First Last". Short on purpose: a long list finds more names and more false ones.
FIRST_NAMES = frozenset(
    [
        "James",
        "John",
        "Robert",
        "Michael",
        "William",
        "David",
        "Richard",
        "Joseph",
        "Thomas",
        "Charles",
        "Christopher",
        "Daniel",
        "Matthew",
        "Anthony",
        "Mark",
        "Steven",
        "Paul",
        "Andrew",
        "Joshua",
        "Kevin",
        "Brian",
        "George",
        "Edward",
        "Peter",
        "Oliver",
        "Harry",
        "Jack",
        "Emma",
        "Olivia",
        "Sophia",
        "Isabella",
        "Mary",
        "Patricia",
        "Jennifer",
        "Linda",
        "Elizabeth",
        "Barbara",
        "Susan",
        "Jessica",
        "Sarah",
        "Karen",
        "Nancy",
        "Lisa",
        "Laura",
        "Emily",
        "Hannah",
        "Rachel",
        "Anna",
        "Alice",
        "Grace",
        "Charlotte",
        "Amelia",
        "Ahmet",
        "Mehmet",
        "Mustafa",
        "Ali",
        "Hüseyin",
        "Hasan",
        "İbrahim",
        "İsmail",
        "Osman",
        "Yusuf",
        "Murat",
        "Ömer",
        "Emre",
        "Burak",
        "Can",
        "Cem",
        "Kemal",
        "Serkan",
        "Volkan",
        "Onur",
        "Oğuz",
        "Hakan",
        "Barış",
        "Tolga",
        "Kaan",
        "Eren",
        "Arda",
        "Deniz",
        "Selim",
        "Orhan",
        "Ayşe",
        "Fatma",
        "Emine",
        "Hatice",
        "Zeynep",
        "Elif",
        "Meryem",
        "Şerife",
        "Zehra",
        "Sultan",
        "Hanife",
        "Merve",
        "Esra",
        "Büşra",
        "Özlem",
        "Gül",
        "Derya",
        "Ebru",
        "Seda",
        "Selin",
        "Ece",
        "Aylin",
        "Defne",
        "Ceren",
        "Pınar",
        "Sibel",
        "Tuğba",
        "Gizem",
        "Nur",
        "İrem",
        "Dilek",
        "Hülya",
    ]
)
# A lookahead, so "Dün Emre Şahin" still tries "Emre Şahin" after "Dün Emre".
FIRST_LAST_RE = re.compile(
    rf"(?<![\w.])(?=(?P<first>{_NAME_WORD})\s+(?P<last>{_NAME_WORD})(?![\w]))"
)
# Capitalised words after a first name that are not surnames.
NOT_SURNAMES = frozenset(
    [
        "The",
        "And",
        "Or",
        "But",
        "Is",
        "Was",
        "Are",
        "Street",
        "Road",
        "Avenue",
        "Caddesi",
        "Sokak",
        "Mahallesi",
        "University",
        "Üniversitesi",
        "Bey",
        "Hanım",
        "Mr",
        "Mrs",
        "Dr",
        "Prof",
        "Said",
        "Says",
        "Told",
        "Asked",
    ]
)


def _names(text: str) -> Iterator[_Candidate]:
    for pattern in (HONORIFIC_NAME_RE, TR_SUFFIX_NAME_RE):
        for match in pattern.finditer(text):
            yield _Candidate(
                match.start("name"), match.end("name"), PiiKind.NAME, _fold(match["name"])
            )
    for match in FIRST_LAST_RE.finditer(text):
        if match["first"] in FIRST_NAMES and match["last"] not in NOT_SURNAMES:
            last = re.split(r"['\u2019]", match["last"])[0]
            start, end = match.start("first"), match.start("last") + len(last)
            yield _Candidate(start, end, PiiKind.NAME, _fold(text[start:end]))


def _fold(value: str) -> str:
    return " ".join(value.replace("İ", "i").replace("I", "ı").casefold().split())


# --- scrub / restore ------------------------------------------------------------------------

_DETECTORS: tuple[tuple[str | None, Callable[[str, PiiOptions], Iterator[_Candidate]]], ...] = (
    (None, lambda text, _: _emails(text)),
    ("ibans", lambda text, _: _ibans(text)),
    ("cards", lambda text, _: _cards(text)),
    (None, lambda text, options: _phones(text, options.regions)),
    ("addresses", lambda text, _: _addresses(text)),
    ("names", lambda text, _: _names(text)),
)


def find(text: str, *, options: PiiOptions | None = None) -> list[tuple[int, int, PiiKind, str]]:
    """Non-overlapping (start, end, kind, normalised value) found in `text`, in text order.

    Existing placeholders are never matched again, which keeps `scrub` idempotent.
    """
    options = options or PiiOptions()
    taken: list[tuple[int, int]] = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    found: list[_Candidate] = []
    # Each detector sees what the earlier ones found masked as "[...]", the way a second pass
    # sees their placeholders: so the neighbours of a value read the same in both passes.
    # And the detectors run again over the masked text for as long as a round finds anything:
    # a value can show only once its neighbour is masked (a phone number whose digits ran on
    # into an address's house number), which a second pass over the result would find.
    masked = text
    finding = True
    while finding:
        finding = False
        for flag, detector in _DETECTORS:
            if flag is not None and not getattr(options, flag):
                continue
            candidates = sorted(detector(masked, options), key=lambda c: (c.start, c.start - c.end))
            for candidate in candidates:
                if candidate.end <= candidate.start:
                    continue
                if any(candidate.start < end and start < candidate.end for start, end in taken):
                    continue
                taken.append((candidate.start, candidate.end))
                found.append(candidate)
                finding = True
                width = candidate.end - candidate.start
                mask = "[" + "\x00" * max(width - 2, 0) + "]" if width > 1 else "\x00"
                masked = masked[: candidate.start] + mask + masked[candidate.end :]
    found.sort(key=lambda c: c.start)
    return [(c.start, c.end, c.kind, c.key) for c in found]


def scrub(
    text: str, *, options: PiiOptions | None = None, mapping: PlaceholderMap | None = None
) -> ScrubResult:
    """Replace the PII in `text` with placeholders, updating `mapping` (a new one if None)."""
    mapping = mapping if mapping is not None else PlaceholderMap()
    pieces: list[str] = []
    spans: list[Span] = []
    counts: dict[PiiKind, int] = {}
    position = 0
    for start, end, kind, key in find(text, options=options):
        placeholder = mapping.placeholder_for(kind, key, text[start:end])
        pieces.append(text[position:start])
        pieces.append(placeholder)
        spans.append(Span(start=start, end=end, kind=kind, placeholder=placeholder))
        counts[kind] = counts.get(kind, 0) + 1
        position = end
    pieces.append(text[position:])
    return ScrubResult(text="".join(pieces), counts=counts, spans=tuple(spans), mapping=mapping)


def restore(text: str, mapping: PlaceholderMap) -> str:
    """Put the originals back in place of the placeholders `mapping` knows; others stay."""

    def original(match: re.Match[str]) -> str:
        value = mapping.original(match.group())
        return match.group() if value is None else value

    return PLACEHOLDER_RE.sub(original, text)


# --- structlog ------------------------------------------------------------------------------

# Keys that carry our own identifiers and timestamps, never user text: not worth a scan.
LOG_SKIP_KEYS = frozenset(
    {"timestamp", "level", "logger", "request_id", "user_id", "team_id", "debate_id", "seq"}
)
_MAY_HOLD_PII_RE = re.compile(r"[@\d]")


def pii_log_processor(
    options: PiiOptions | None = None, *, skip_keys: frozenset[str] = LOG_SKIP_KEYS
) -> Callable[[Any, str, MutableMapping[str, Any]], MutableMapping[str, Any]]:
    """A structlog processor that scrubs every string value of an event, nested ones included.

    Each line gets a fresh map (placeholders are not stable across lines); strings with no "@"
    and no digit are skipped without running the detectors.
    """
    options = options or PiiOptions()

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            if not _MAY_HOLD_PII_RE.search(value):
                return value
            return scrub(value, options=options).text
        if isinstance(value, Mapping):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(clean(item) for item in value)
        return value

    def processor(
        _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event_dict.items()):
            if key not in skip_keys:
                event_dict[key] = clean(value)
        return event_dict

    return processor
