# ruff: noqa: RUF001, RUF002  (look-alike letters are what this module is about)
"""Prompt-injection detection, text normalisation and fencing of untrusted text.

`detect` scores a text against English and Turkish patterns after normalising it (NFKC,
invisible characters removed, look-alike letters mapped to Latin, case and Turkish letters
folded), so "İGNORE previous ınstructions" and "ignоre" with a Cyrillic "о" read the same. Each
signal has a weight; the score is 1 - prod(1 - weight). A phrase quoted inside a text that is
plainly *about* prompt injection ("what does 'ignore previous instructions' do?") counts for
less. Heuristics, not a guarantee: see docs/SAFETY.md for what it misses.

`fence` wraps untrusted text in per-debate random markers (`random_boundary`), so a prompt can
tell the model where quoted material starts and stops and the text cannot close the fence.
"""

import base64
import binascii
import functools
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from safety.options import InjectionOptions

__all__ = [
    "InjectionOptions",
    "InjectionVerdict",
    "detect",
    "fence",
    "normalize_question",
    "random_boundary",
]


@dataclass(frozen=True, slots=True)
class InjectionVerdict:
    score: float
    suspected: bool
    signals: tuple[str, ...]


# --- Normalisation --------------------------------------------------------------------------

ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f\u2061\u2062\u2063")
# Joiners that a script or an emoji sequence needs between two visible characters.
JOINERS = frozenset("\u200c\u200d")
TAG_CHARS = range(0xE0000, 0xE0080)

# Cyrillic and Greek letters that look like Latin ones.
HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "в": "b", "с": "c", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k",
        "м": "m", "н": "h", "о": "o", "р": "p", "ѕ": "s", "т": "t", "у": "y", "х": "x",
        "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u", "ԛ": "q", "ԝ": "w",
        "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
        "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y",
        "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
        "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y",
        "Χ": "X",
    }
)  # fmt: skip
LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


def _is_invisible(char: str) -> bool:
    return char in ZERO_WIDTH or unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    """Remove format (Cf) characters, keeping ZWJ/ZWNJ only between two visible characters."""
    kept: list[str] = []
    for index, char in enumerate(text):
        if not _is_invisible(char):
            kept.append(char)
            continue
        if char in JOINERS and 0 < index < len(text) - 1:
            before, after = text[index - 1], text[index + 1]
            if not any(c.isspace() or _is_invisible(c) for c in (before, after)):
                kept.append(char)
    return "".join(kept)


def normalize_question(text: str) -> str:
    """NFKC, invisible characters removed, spaces collapsed: what a length check should see.

    Line breaks survive (at most one blank line in a row); other control characters go.
    """
    text = unicodedata.normalize("NFKC", text)
    text = strip_invisible(text)
    text = "".join(
        char for char in text if char in "\n\t" or unicodedata.category(char) not in ("Cc",)
    )
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _fold(text: str) -> str:
    """Lower-case ASCII-ish text for matching: Turkish letters and accents folded."""
    text = text.replace("İ", "i").replace("I", "i").replace("ı", "i")
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    # Turkish suffixes after an apostrophe belong to the word: "DAN'sın" reads "dansin".
    text = re.sub(r"(?<=\w)['’](?=\w)", "", text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --- Patterns -------------------------------------------------------------------------------

# Written against folded text: lower case, no Turkish letters (ı->i, ş->s, ğ->g, ç->c, ö->o,
# ü->u), single spaces.
# Turkish imperatives ("unut", "unutun"), not infinitives ("görmezden gelmek").
_TR_IGNORE = (
    r"(?:yok say|unut|gormezden gel|dikkate alma|bosver|bos ver|iptal et|gecersiz say|uyma"
    r"|birak|sil)(?:in|iniz|yin|yiniz|un|unuz|abilirsin)?\b"
)
_TR_SHOW = (
    r"(?:goster|yaz|soyle|paylas|ver|acikla|yazdir|tekrarla|ifsa et|dok)"
    r"(?:in|iniz|sene|ir misin|ar misin|abilir misin|ebilir misin|er misin)?\b"
)
PATTERNS: dict[str, tuple[float, tuple[str, ...]]] = {
    "override": (
        0.65,
        (
            r"\b(?:ignore|disregard|forget|skip|override|bypass|drop|discard|neglect)\b"
            r" (?:all |any |every |the |your |my |of )*(?:(?:previous|prior|above|earlier"
            r"|preceding|foregoing|former|original|initial|system|safety|existing|old|given"
            r"|developer)\w* )+(?:\w+ )?(?:instructions?|prompts?|rules|directions|directives"
            r"|guidelines|guidance|context|messages?|commands?|orders|constraints|restrictions"
            r"|policies|programming|settings)\b",
            r"\b(?:ignore|disregard|forget) (?:all |everything )?(?:of )?(?:the |what (?:was|is) )?"
            r"(?:above|before|said before|you were told|written above|i said before)"
            r"(?=[.,;:!]| and| then| instead|$)",
            r"\b(?:ignore|disregard|forget) (?:the |your |all )?(?:\w+ )?(?:instructions|rules"
            r"|guidelines|directions) (?:above|before|given|you were given)\b",
            r"\b(?:ignore|disregard|forget) (?:all|every|any) (?:your |the )?(?:instructions?"
            r"|rules|guidelines|restrictions)\b",
            r"\bdo not follow (?:the |your |any )?(?:previous |above |system )?(?:instructions"
            r"|rules)\b",
            r"\bnew instructions?:",
            r"\b(?:onceki|yukaridaki|daha onceki|ilk|tum|butun|sistem|mevcut|verilen|eski|"
            r"orijinal|asil)\w* (?:\w+ ){0,2}(?:talimat|komut|kural|yonerge|direktif|emir|"
            r"istem|prompt)\w* (?:\w+ ){0,2}" + _TR_IGNORE,
            r"\b(?:talimat|komut|kural|yonerge)\w* " + _TR_IGNORE,
            r"\b(?:her seyi|hepsini|yukaridakileri|oncekileri) " + _TR_IGNORE,
            r"\byeni talimat\w*:",
        ),
    ),
    "role_hijack": (
        0.55,
        (
            r"\byou are (?:now|no longer|from now on) (?:a |an |the |my )?(?:dan|evil|"
            r"unrestricted|unfiltered|uncensored|jailbroken|free|different|developer|admin|"
            r"root|system|god|new|rogue|unaligned|hacker|stan|dude|aim)\b",
            r"\byou are now in (?:\w+ )?(?:developer|god|jailbreak|dan|admin|debug|sudo|"
            r"unrestricted|maintenance) mode\b",
            r"\b(?:act|behave|respond|answer) as (?:if you were |though you were )?(?:the |a |an )?"
            r"(?:system|administrator|admin|root|developer|dan|unrestricted|unfiltered|"
            r"jailbroken|uncensored|evil)\b",
            r"\bpretend (?:that )?(?:you are|you're|to be) (?:a |an |the )?(?:\w+ )?(?:ai|model|"
            r"assistant|system|chatbot)? ?(?:with(?:out)? (?:no )?(?:rules|restrictions|filters|"
            r"limits|guidelines))",
            r"\bpretend (?:that )?(?:you are|you're|to be) (?:the )?(?:system|dan|admin|"
            r"developer|unrestricted|unfiltered|jailbroken|evil)\b",
            r"\b(?:jailbreak|dan) mode (?:enabled|on|activated)\b",
            r"\benable (?:jailbreak|dan) mode\b",
            r"\bdo anything now\b",
            r"\bfrom now on,? you (?:will|are|must|shall) (?:only |always )?(?:answer|respond|"
            r"act|be|obey|ignore|reply|follow)\b",
            r"\byou (?:have|has) no (?:rules|restrictions|filters|guidelines|limits)\b",
            r"\b(?:artik|simdi) sen (?:\w+ ){0,3}(?:yapay zeka|asistan|model|dan|sistem|yonetici|"
            r"gelistirici|kisitlamasiz|filtresiz|sansursuz|ozgur|kotu|serbest|kuralsiz)\w*"
            r"(?:sin|sun)\b",
            r"\bbundan (?:boyle|sonra) (?:sen )?(?:\w+ ){0,3}(?:olacaksin|davranacaksin|"
            r"cevap vereceksin|uyacaksin|yanitlayacaksin)\b",
            r"\b(?:sistem|yonetici|gelistirici|admin|kisitlamasiz|filtresiz|sansursuz) "
            r"(?:gibi|olarak|modunda) (?:davran|cevap ver|yanit ver|hareket et|konus)",
            r"\b(?:gelistirici|yonetici|jailbreak|dan|tanri) modu(?:nu)? (?:ac|aktif|etkin)",
            r"\b(?:kurallarin|kisitlamalarin|filtrelerin|sinirlarin) (?:yok|kalmadi)",
            r"\brolunu (?:unut|birak|degistir)",
        ),
    ),
    "exfiltration": (
        0.6,
        (
            r"\b(?:reveal|print|show|repeat|output|display|tell|leak|dump|give|share|disclose|"
            r"paste|recite|write out|spell out|copy) (?:me |us )?(?:back )?(?:(?:all|the text|the"
            r" content|the contents|a copy|the words|everything) )?(?:of )?(?:in )?"
            r"(?:your|the) (?:\w+ )?(?:system|initial|original|hidden|secret|internal|full|"
            r"exact|developer|pre-?prompt|first)\w* (?:prompt|instructions?|message|rules|"
            r"guidelines|configuration|context)\b",
            r"\b(?:reveal|print|show|repeat|output|display|leak|dump|disclose) (?:me )?your "
            r"(?:prompt|instructions)\b",
            r"\bwhat (?:is|are|was|were) your (?:system |initial |original |hidden |secret )"
            r"(?:prompt|instructions?|message|rules)\b",
            r"\brepeat (?:everything|all|the text|the words) (?:above|before|preceding)\b",
            r"\b(?:words|text|everything) (?:above|before) (?:this|the first) (?:line|message)\b",
            # The accusative ("komutunu", "talimatlarini") makes it "show me *your* prompt".
            r"\b(?:sistem|gizli|ilk|orijinal|asil|baslangic|ic) (?:komut|talimat|istem|prompt|"
            r"mesaj|kural|yonerge)\w*n[iu] (?:\w+ ){0,2}" + _TR_SHOW,
            r"\b(?:sana verilen|sana yazilan) (?:talimat|komut|kural|istem|prompt)\w* "
            r"(?:\w+ ){0,2}" + _TR_SHOW,
        ),
    ),
    "fake_delimiter": (
        0.5,
        (
            r"</?(?:system|assistant|instructions?|sys|admin|developer)>",
            r"<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|>",
            r"\[/?inst\]",
            r"<</?sys>>",
            r"(?:^|\n)#{2,} ?(?:system|instructions?|assistant|admin|developer|sistem|talimat)"
            r"(?: prompt| message)?:?",
            r"(?:^|\n) ?(?:system|sistem) ?(?:prompt|message|mesaji)? ?: ",
            r"\b(?:begin|end) (?:of )?(?:system|hidden) (?:prompt|instructions?|message)\b",
            r"```system\b",
        ),
    ),
}
COMPILED = {
    name: (weight, tuple(re.compile(pattern) for pattern in patterns))
    for name, (weight, patterns) in PATTERNS.items()
}
DELIMITER_SIGNAL = "fake_delimiter"
WEIGHTS = {
    "zero_width": 0.3,
    "tag_characters": 0.6,
    "homoglyph_mix": 0.3,
    "encoded_payload": 0.65,
    "base64_blob": 0.1,
    "leetspeak": 0.3,
}
QUOTED_WEIGHT = 0.2

# A text that is about injection, security or prompts, not addressed to the model.
META_RE = re.compile(
    r"\b(?:prompt injection|injection|jailbreak\w*|attack\w*|saldiri\w*|example|ornek\w*|"
    r"detect\w*|tespit|defend|protect|koru\w*|filter\w*|what does|what is|ne demek|"
    r"nasil (?:korun|engel|tespit)|how (?:do|can|should|would) (?:i|we|you)|why do|neden|"
    r"phrase|ifade\w*|string|sentence|cumle\w*|means?|anlam\w*|paper|makale\w*|research|"
    r"arastirma\w*|security|guvenlik\w*|classifier|test\w*|typed|wrote|joke|saka|yazdi|dedi)\b"
)
QUOTES = "\"'“”‘’«»„`"
# Markup that a question about chat templates names on purpose.
DELIMITER_META_RE = re.compile(
    r"\b(?:token\w*|template\w*|markup|chat format|format|what does|ne demek|ne anlama)\b"
)
BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
WORD_RE = re.compile(r"\w+")


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script
    return "OTHER"


def _has_homoglyph_mix(text: str) -> bool:
    for word in WORD_RE.findall(text):
        scripts = {_script(char) for char in word} - {None}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            return True
    return False


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether [start, end) sits inside a pair of quotes on the same line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    before = text[line_start:start]
    after = text[end : line_end if line_end != -1 else len(text)]
    return any(before.count(quote) % 2 == 1 or quote in before for quote in QUOTES) and any(
        quote in after for quote in QUOTES
    )


def _match_patterns(folded: str, meta: bool) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, (weight, patterns) in COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(folded):
                quoted = meta and _quoted(folded, match.start(), match.end())
                if name == DELIMITER_SIGNAL and DELIMITER_META_RE.search(folded):
                    quoted = True
                key, value = (f"quoted_{name}", QUOTED_WEIGHT) if quoted else (name, weight)
                found[key] = max(found.get(key, 0.0), value)
                if not quoted:
                    break
            if name in found:
                break
    return found


def _decoded_blobs(text: str) -> Iterable[str]:
    for match in BASE64_RE.finditer(text):
        blob = match.group()
        try:
            decoded = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True)
            yield decoded.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue


def detect(text: str, *, options: InjectionOptions | None = None) -> InjectionVerdict:
    """Score `text` for prompt injection: 0 is clean, 1 is certain; signals say why."""
    options = options or InjectionOptions()
    signals: dict[str, float] = {}
    nfkc = unicodedata.normalize("NFKC", text)

    hidden = "".join(chr(ord(char) - 0xE0000) for char in nfkc if ord(char) in TAG_CHARS)
    if hidden:
        signals["tag_characters"] = WEIGHTS["tag_characters"]
    visible = strip_invisible(nfkc)
    if len(nfkc) - len(visible) > len(hidden):
        signals["zero_width"] = WEIGHTS["zero_width"]
    if _has_homoglyph_mix(visible):
        signals["homoglyph_mix"] = WEIGHTS["homoglyph_mix"]

    folded = _fold(visible.translate(HOMOGLYPHS))
    meta = bool(META_RE.search(folded))
    signals.update(_match_patterns(folded, meta))
    if hidden:
        for name, weight in _match_patterns(_fold(hidden), meta=False).items():
            signals[name] = max(signals.get(name, 0.0), weight)
    if not any(name in signals for name in PATTERNS):
        leet = _match_patterns(_fold(visible.translate(HOMOGLYPHS).translate(LEET)), meta)
        if any(name in leet for name in PATTERNS):
            signals["leetspeak"] = WEIGHTS["leetspeak"]
            signals.update(leet)

    for decoded in _decoded_blobs(visible):
        inner = _match_patterns(_fold(decoded), meta=False)
        if any(name in inner for name in PATTERNS):
            signals["encoded_payload"] = WEIGHTS["encoded_payload"]
        elif decoded.isprintable() and len(decoded) >= 12:
            signals.setdefault("base64_blob", WEIGHTS["base64_blob"])

    remaining = 1.0
    for weight in signals.values():
        remaining *= 1.0 - weight
    score = round(1.0 - remaining, 4)
    return InjectionVerdict(
        score=score, suspected=score >= options.threshold, signals=tuple(sorted(signals))
    )


# --- Fencing --------------------------------------------------------------------------------

BOUNDARY_PREFIX = "UNTRUSTED-"
BOUNDARY_HEX_DIGITS = 32
NEUTRALISED = "[fence marker removed]"
# Characters that render as nothing, which a text may slip between a marker's letters.
_INVISIBLE_CLASS = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
_INVISIBLE_RE = re.compile(_INVISIBLE_CLASS)


def _spaced(literal: str) -> str:
    """A pattern for `literal` with invisible characters allowed between its characters."""
    return (_INVISIBLE_CLASS + "*").join(re.escape(char) for char in literal)


# Every marker random_boundary() can make, in one pattern compiled once: a pattern for each
# debate's own marker took ~5 ms to compile, on the way to the debate's first model call.
# A match is the debate's marker when it equals it once the invisibles are dropped.
_STANDARD_BOUNDARY_RE = re.compile(f"{re.escape(BOUNDARY_PREFIX)}[0-9a-f]{{{BOUNDARY_HEX_DIGITS}}}")
_ANY_STANDARD_BOUNDARY_RE = re.compile(
    _spaced(BOUNDARY_PREFIX)
    + f"{_INVISIBLE_CLASS}*(?:[0-9a-f]{_INVISIBLE_CLASS}*){{{BOUNDARY_HEX_DIGITS - 1}}}[0-9a-f]",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=64)
def _boundary_re(boundary: str) -> re.Pattern[str]:
    return re.compile(_spaced(boundary), re.IGNORECASE)


def _neutralise(text: str, boundary: str) -> str:
    if not _STANDARD_BOUNDARY_RE.fullmatch(boundary):
        return _boundary_re(boundary).sub(NEUTRALISED, text)
    wanted = boundary.casefold()

    def replace(match: re.Match[str]) -> str:
        found = match.group()
        return NEUTRALISED if _INVISIBLE_RE.sub("", found).casefold() == wanted else found

    return _ANY_STANDARD_BOUNDARY_RE.sub(replace, text)


def random_boundary() -> str:
    """A fresh, unguessable fence marker: make one per debate and keep it server-side."""
    return BOUNDARY_PREFIX + secrets.token_hex(BOUNDARY_HEX_DIGITS // 2)


def fence(text: str, boundary: str, label: str) -> str:
    """Wrap untrusted `text` between BEGIN/END lines carrying `boundary`.

    Any occurrence of the boundary inside `text` (any case, invisible characters between its
    letters included) is replaced, so the text cannot close the fence and speak as the prompt.
    """
    if not boundary or len(boundary) < 8:
        raise ValueError("boundary must be a random marker from random_boundary()")
    safe_label = re.sub(r"[^A-Z0-9_ -]", "", label.upper()).strip() or "TEXT"
    inner = _neutralise(text, boundary)
    return f"<<<{boundary} BEGIN {safe_label}>>>\n{inner}\n<<<{boundary} END {safe_label}>>>"
