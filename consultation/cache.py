"""Django's Redis cache backend, with one client (its connection pools, its redis-py clients)
per process.

Django keeps a cache backend per thread and async context, and each backend built a client of
its own: under ASGI every request runs in a thread of its own, so every request read redis-py's
version from the installed package's metadata (for the client's name), opened new TCP
connections to Redis (two for an API request: the default cache and the "renders" one) and
built a redis-py client for every call. Here the client lives in the process, one per server
list and options, shared by every backend instance and thread (a redis-py pool is
thread-safe, and starts afresh in a forked child).

`incr` is one round trip, and atomic: Django's asks whether the key exists, then increments it
(two round trips for every rate-limited request: docs/PERFORMANCE.md, "API keys and rate
limits"), and a key that expired between the two came back from INCR without a timeout, a
rate-limit counter that would never reset.
"""

import threading
from functools import cached_property
from typing import Any, ClassVar

from django.core.cache.backends import redis as django_redis

# INCRBY only where the key exists (a missing one stays missing, and Django raises ValueError).
_INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class _Client(django_redis.RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis: dict[int, Any] = {}
        self._redis_lock = threading.Lock()
        self._incr_scripts: dict[int, Any] = {}

    def incr(self, key: Any, delta: int) -> int:
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            # Sent by its digest (EVALSHA), loaded again by redis-py if the server forgot it.
            script = self._incr_scripts[id(client)] = client.register_script(_INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return int(value)

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # its private attributes are not in the stubs
        index: int = django_client._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with self._redis_lock:
                client = self._redis.get(index)
                if client is None:
                    client = self._redis[index] = super().get_client(key, write=write)
        return client


class RedisCache(django_redis.RedisCache):
    _clients: ClassVar[dict[str, _Client]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()

    @cached_property
    def _cache(self) -> _Client:
        backend: Any = self
        servers: list[str] = backend._servers
        options: dict[str, Any] = backend._options
        key = repr((servers, sorted(options.items())))
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = self._clients[key] = _Client(servers, **options)
        return client
