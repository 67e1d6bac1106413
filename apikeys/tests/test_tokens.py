import zlib

from apikeys.tokens import (
    KEY_LENGTH,
    LIVE_PREFIX,
    TEST_PREFIX,
    digest_matches,
    key_digest,
    key_generate,
    key_parse,
)


def test_key_has_prefix_lookup_id_and_valid_checksum() -> None:
    minted = key_generate(live=True)
    assert minted.key.startswith(LIVE_PREFIX + minted.lookup_id)
    assert len(minted.key) == KEY_LENGTH
    assert key_parse(minted.key, live=True) == minted


def test_keys_are_unique() -> None:
    assert len({key_generate(live=True).key for _ in range(200)}) == 200


def test_a_mistyped_key_fails_its_checksum() -> None:
    key = key_generate(live=True).key
    flipped = key[:20] + ("a" if key[20] != "a" else "b") + key[21:]
    assert key_parse(flipped, live=True) is None


def test_malformed_keys_are_refused_before_any_lookup() -> None:
    key = key_generate(live=True).key
    assert key_parse(key[:-1], live=True) is None
    assert key_parse(key + "x", live=True) is None
    assert key_parse(key.replace(LIVE_PREFIX, "ghp_xxxx_"), live=True) is None
    assert key_parse(key[:-7] + "-" + key[-6:], live=True) is None
    assert key_parse("", live=True) is None


def test_a_test_key_is_refused_by_a_live_deployment() -> None:
    test_key = key_generate(live=False).key
    assert test_key.startswith(TEST_PREFIX)
    assert key_parse(test_key, live=True) is None
    assert key_parse(test_key, live=False) is not None


def test_checksum_is_crc32_of_the_body() -> None:
    key = key_generate(live=True).key
    number = 0
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    for char in key[-6:]:
        number = number * 62 + alphabet.index(char)
    assert number == zlib.crc32(key[:-6].encode())


def test_digest_depends_on_the_pepper() -> None:
    key = key_generate(live=True).key
    stored = key_digest(key, pepper="one")
    assert digest_matches(key, stored, pepper="one")
    assert not digest_matches(key, stored, pepper="two")
    assert key not in stored
