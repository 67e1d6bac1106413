"""consultation.cache: every Redis cache backend of the process (Django makes one per thread
and context, so one per request under ASGI) shares one connection pool and one client per
server (no Redis needed: a pool connects only when a command runs), and its incr (with Redis:
`make test-services`)."""

import threading
from typing import Any

import pytest

from consultation.cache import RedisCache

URL = "redis://127.0.0.1:6379/9"


def _client(cache: RedisCache) -> object:
    return cache._cache.get_client(write=True)


def test_backends_of_one_server_share_their_pool_and_client() -> None:
    first = RedisCache(URL, {})
    second = RedisCache(URL, {"KEY_PREFIX": "renders"})  # the "renders" alias: same server
    assert _client(first) is _client(second)
    pools = [cache._cache.get_client(write=True).connection_pool for cache in (first, second)]
    assert pools[0] is pools[1]


def test_a_backend_built_in_another_thread_shares_them_too() -> None:
    here = _client(RedisCache(URL, {}))
    there: list[object] = []
    thread = threading.Thread(target=lambda: there.append(_client(RedisCache(URL, {}))))
    thread.start()
    thread.join()
    assert there == [here]


def test_another_server_or_options_get_their_own() -> None:
    base = _client(RedisCache(URL, {}))
    assert _client(RedisCache("redis://127.0.0.1:6379/10", {})) is not base
    assert _client(RedisCache(URL, {"OPTIONS": {"socket_timeout": 3}})) is not base


@pytest.mark.services
def test_incr_is_one_round_trip_and_never_creates_a_key() -> None:
    cache = RedisCache(URL, {})
    cache.clear()
    with pytest.raises(ValueError, match="not found"):
        cache.incr("missing")
    assert cache.get("missing") is None  # not created without a timeout
    cache.add("counter", 1, timeout=60)
    commands: list[tuple[object, ...]] = []
    client: Any = _client(cache)
    real = client.execute_command

    def counted(*args: object, **options: object) -> object:
        commands.append(args)
        return real(*args, **options)

    client.execute_command = counted
    try:
        assert cache.incr("counter") == 2
        assert cache.incr("counter", 5) == 7
    finally:
        del client.execute_command
    assert [command[0] for command in commands] == ["EVALSHA", "EVALSHA"]
    assert cache.get("counter") == 7
    assert 0 < client.ttl(cache.make_and_validate_key("counter")) <= 60
    cache.clear()
