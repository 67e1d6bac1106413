"""The key format, after GitHub's tokens: `csk_live_` + lookup id + secret + checksum.

    csk_live_ 7Hq2LrT9aZ0x Xb3...(32)... 1kP9qZ
    prefix    lookup id(12) secret (32)   CRC32 of everything before, base62 (6)

- the prefix says what it is (and which deployment minted it: `csk_test_` in development), so
  secret scanners and people recognise a leaked key;
- the lookup id finds the row (it is public: the management page shows it);
- the secret (190 bits from `secrets`) is what makes the key a credential;
- the checksum lets a mistyped or made-up key be refused without touching the database.

Only the lookup id and an HMAC-SHA256 of the whole key (keyed with APIKEY_PEPPER) are stored;
checking one is a hash and a constant-time compare, microseconds, never a password hasher.
Pure functions: no ORM, no settings.
"""

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
LIVE_PREFIX = "csk_live_"
TEST_PREFIX = "csk_test_"
LOOKUP_LENGTH = 12
SECRET_LENGTH = 32
CHECKSUM_LENGTH = 6
KEY_LENGTH = len(LIVE_PREFIX) + LOOKUP_LENGTH + SECRET_LENGTH + CHECKSUM_LENGTH
_ALLOWED = frozenset(ALPHABET)


@dataclass(frozen=True)
class ParsedKey:
    key: str
    prefix: str
    lookup_id: str


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def prefix_for(*, live: bool) -> str:
    return LIVE_PREFIX if live else TEST_PREFIX


def key_generate(*, live: bool) -> ParsedKey:
    """A new key (its full text exists only in the returned value)."""
    prefix = prefix_for(live=live)
    lookup_id = _random(LOOKUP_LENGTH)
    body = prefix + lookup_id + _random(SECRET_LENGTH)
    return ParsedKey(key=body + checksum(body), prefix=prefix, lookup_id=lookup_id)


def key_parse(raw: str, *, live: bool) -> ParsedKey | None:
    """The key if `raw` is well formed for this deployment and its checksum holds, else None."""
    prefix = prefix_for(live=live)
    if len(raw) != KEY_LENGTH or not raw.startswith(prefix):
        return None
    rest = raw[len(prefix) :]
    if not _ALLOWED.issuperset(rest):
        return None
    body, check = raw[:-CHECKSUM_LENGTH], raw[-CHECKSUM_LENGTH:]
    if not hmac.compare_digest(checksum(body), check):
        return None
    return ParsedKey(key=raw, prefix=prefix, lookup_id=rest[:LOOKUP_LENGTH])


def key_digest(key: str, *, pepper: str) -> str:
    """What is stored: HMAC-SHA256 of the full key under the server's pepper, hex."""
    return hmac.new(pepper.encode(), key.encode("ascii"), hashlib.sha256).hexdigest()


def digest_matches(key: str, stored: str, *, pepper: str) -> bool:
    return hmac.compare_digest(key_digest(key, pepper=pepper), stored)
