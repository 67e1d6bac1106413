"""Test configuration: production settings plus the few differences a fast, isolated suite needs.

Differences live here and nowhere else (no test branches in production code). Individual tests
change settings only through pytest-django's `settings` fixture or `override_settings`.
"""

import os

# A developer's .env (DEBUG=1, real provider keys) must never change what the suite runs.
os.environ["ENV_FILE"] = ""
# The environment a test run starts from: production mode (DEBUG off) with test credentials.
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("APIKEY_PEPPER", "test-only-apikey-pepper-not-for-production")
# A fixed Fernet key (teams' own provider keys are encrypted with it) and a local fake provider
# server on 127.0.0.1 that team keys may point at.
os.environ.setdefault(
    "PROVIDER_KEYS_ENCRYPTION_KEYS", "dGVzdC1vbmx5LXByb3ZpZGVyLWtleXMtMDEyMzQ1Njc="
)
os.environ.setdefault("PROVIDER_KEYS_ALLOW_PRIVATE_URLS", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The demo provider streams without pacing unless a test process asks for a pace.
os.environ.setdefault("DEMO_TOKENS_PER_SECOND", "0")

from consultation.settings import *  # noqa: F403
from consultation.settings import DATABASES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
# Every test sees breaker state straight from its own database (ops tests turn it on).
PROVIDER_HEALTH_CLOSED_CACHE_SECONDS = 0.0

if DATABASES["default"]["ENGINE"] == "consultation.sqlite3":
    # An in-memory test database; WAL and busy timeouts only matter across processes. Its
    # tables are created from the models (MIGRATE off: ~0.6 s instead of ~11 s of migrations
    # per test process), and conftest.py seeds what data migrations seed. The migrations
    # themselves still run in `make test-services` (PostgreSQL), the `process` tests and e2e,
    # and `make migrations-check` fails on any model change without its migration.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:", "MIGRATE": False}

if REDIS_URL:
    # Each test run gets its own key prefix so parallel runs never see each other's keys.
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}"  # noqa: F405
    CACHES["renders"]["KEY_PREFIX"] = f"test-renders-{os.getpid()}"  # noqa: F405
