"""Django's Redis cache backend, with one connection pool (and one client) per process.

Django keeps a cache backend per thread and async context, and each backend built its own
connection pool: under ASGI every request runs in a thread of its own, so every request
opened new TCP connections to Redis (two for an API request: the default cache and the
"renders" one) and built a new client for every call. Here the pools and clients live in the
process, one per server URL and options, shared by every backend instance and thread (a
redis-py pool is thread-safe, and starts afresh in a forked child).
"""

import threading
from typing import Any, ClassVar

from django.core.cache.backends import redis as django_redis


class _Client(django_redis.RedisCacheClient):
    _shared: ClassVar[dict[tuple[str, str, int], tuple[Any, Any]]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._options_key = repr(sorted(options.items()))

    def _pool_and_client(self, write: bool) -> tuple[Any, Any]:
        django_client: Any = self  # its private attributes are not in the stubs
        index = django_client._get_connection_pool_index(write)
        server = django_client._servers[index]
        key = (server, self._options_key, index)
        shared = self._shared.get(key)
        if shared is None:
            with self._shared_lock:
                shared = self._shared.get(key)
                if shared is None:
                    pool = django_client._pool_class.from_url(server, **django_client._pool_options)
                    client = django_client._client(connection_pool=pool)
                    shared = self._shared[key] = (pool, client)
        return shared

    def _get_connection_pool(self, write: bool) -> Any:
        return self._pool_and_client(write)[0]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        return self._pool_and_client(write)[1]


class RedisCache(django_redis.RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _Client
