"""Consultation settings: the only place that reads the environment.

Every variable has a safe development default so `make run` works with no `.env`; values that
production must choose (SECRET_KEY, ALLOWED_HOSTS, EMAIL_URL, ...) have no default unless DEBUG
is on. `.env.example` lists every variable; `consultation/checks.py` rejects unsafe or
conflicting combinations at `manage.py check`.
"""

import base64
import hashlib
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ops.logging import build_logging_config, configure_structlog
from safety.options import PiiOptions

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's `.env` (`make run` writes one) fills in variables the environment leaves unset.
# No `.env` is normal (production sets the environment), so a missing default file is skipped
# quietly; ENV_FILE names another file, which must exist; ENV_FILE="" reads no file (the test
# suite does, so a local .env never leaks in).
_DEFAULT_ENV_FILE = BASE_DIR / ".env"
ENV_FILE: str = env.str("ENV_FILE", default=str(_DEFAULT_ENV_FILE))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)
elif ENV_FILE and Path(ENV_FILE) != _DEFAULT_ENV_FILE:
    raise ImproperlyConfigured(f"ENV_FILE names {ENV_FILE}, which is not a file")

DEBUG: bool = env.bool("DEBUG", default=False)


def _dev_default(value: Any) -> Any:
    """A default that only exists in development: production must set the variable."""
    return value if DEBUG else environ.Env.NOTSET


def _env_list(name: str, default: Any = environ.Env.NOTSET) -> list[str]:
    """A comma-separated list; "a, b" means ["a", "b"] (django-environ keeps the spaces)."""
    return [item.strip() for item in env.list(name, default=default) if item.strip()]


# --- Core -----------------------------------------------------------------------------------

SECRET_KEY: str = env.str(
    "SECRET_KEY", default=_dev_default("dev-only-insecure-key-do-not-use-in-production-0123456789")
)
ALLOWED_HOSTS: list[str] = _env_list(
    "ALLOWED_HOSTS", default=_dev_default(["127.0.0.1", "localhost", "[::1]"])
)
# The port `make run` serves on (development). SITE_URL follows it there, so links in emails
# (team invitations, password resets) point at the server actually running.
PORT: int = env.int("PORT", default=8000)
SITE_URL: str = env.str("SITE_URL", default=_dev_default(f"http://127.0.0.1:{PORT}")).rstrip("/")
CSRF_TRUSTED_ORIGINS: list[str] = _env_list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "daphne",
    "consultation.admin_config.ConsultationAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "djstripe",
    "django_tasks_db",
    "consultation",
    "ops",
    "accounts",
    "billing",
    "apikeys",
    "ratings",
    "debates",
    "providerkeys",
    "evals",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "consultation.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "consultation.middleware.PrivateCacheMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "consultation.middleware.AppErrorMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "accounts.middleware.ActiveTeamMiddleware",
    # After the user and the team are known: requests per minute, and the RateLimit headers.
    "apikeys.middleware.RateLimitMiddleware",
]

ROOT_URLCONF = "consultation.urls"
ASGI_APPLICATION = "consultation.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.workspace",
                "billing.context_processors.billing_alert",
            ],
        },
    },
]

# --- Data: SQLite in WAL mode by default, PostgreSQL via DATABASE_URL -------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share one file: WAL lets readers run beside the writer, IMMEDIATE makes
    # writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Django's backend, with the connections a request closes kept for the next one: under
    # ASGI each request opened its own, and SQLite reads the whole schema on a connection's
    # first statement (consultation/sqlite3/base.py).
    DATABASES["default"]["ENGINE"] = "consultation.sqlite3"
else:
    # PostgreSQL: a connection pool per process (psycopg_pool through Django's OPTIONS), so a
    # process never holds more than DATABASE_POOL_MAX_SIZE connections, whatever its threads.
    # Persistent connections (CONN_MAX_AGE) are per thread, and under ASGI every request runs
    # in a thread of its own: 50 clients against one Daphne exhausted PostgreSQL's 100.
    # The sizing formula is in docs/DEPLOY.md. DATABASE_POOL_MAX_SIZE=0 turns the pool off
    # (then DATABASE_CONN_MAX_AGE applies, e.g. behind PgBouncer in transaction mode: 0).
    DATABASE_POOL_MAX_SIZE: int = env.int("DATABASE_POOL_MAX_SIZE", default=10)
    if DATABASE_POOL_MAX_SIZE > 0:
        # Django refuses persistent connections with a pool: the pool keeps them instead.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
            "max_size": DATABASE_POOL_MAX_SIZE,
            # Seconds a request waits for a free connection before failing.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        }
    else:
        DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer and tasks: per process by default, Redis when REDIS_URL is set -----

REDIS_URL: str = env.str("REDIS_URL", default="")

# "renders": what the API renders once and serves many times (debates.detail_cache).
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "consultation.cache.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "renders": {
            "BACKEND": "consultation.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "renders",
        },
    }
    # redis-py's asyncio pool raises past `max_connections` (100 by default) instead of
    # waiting: 200 sockets opening or closing at once (each joins or leaves its key's and its
    # user's group) failed with "Too many connections" and closed with 1011.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "max_connections": 1000}]},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # Apart from the default, so a full render cache culls renders, never the rate-limit
        # counters or the cached keys.
        "renders": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "renders",
            "OPTIONS": {"MAX_ENTRIES": 500},
        },
    }
    # A socket's channel holds up to `capacity` wake-ups; past it the layer drops them (the
    # socket then fills the gap from the log, but late). 100, the default, was reached by
    # busy sockets with 200 viewers of one debate (docs/PERFORMANCE.md, "Live fan-out").
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000},
        }
    }

# Background tasks: the database backend (`manage.py worker` reads its table) by default; with
# REDIS_URL the RQ backend, whose queue lives in Redis (`manage.py worker` then runs an RQ
# worker: docs/DEPLOY.md, "Processes"). Debates are resumed the same way on both: a worker's
# recovery loop re-enqueues a debate whose runner stopped beating, never an RQ retry.
TASK_QUEUES = ["default"]
if REDIS_URL:
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    # Seconds RQ lets one task run before killing it: a debate runs for minutes, so the limit
    # only catches a runaway (RQ's own default, 180 s, would cut long debates).
    RQ_JOB_TIMEOUT_SECONDS: int = env.int("RQ_JOB_TIMEOUT_SECONDS", default=3600)
    RQ_QUEUES = {
        name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT_SECONDS} for name in TASK_QUEUES
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}

# --- Auth ------------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION: str = env.str("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True

GOOGLE_CLIENT_ID: str = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET: str = env.str("GOOGLE_CLIENT_SECRET", default="")
GOOGLE_LOGIN_ENABLED = bool(GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "google": {
        "SCOPE": ["openid", "email", "profile"],
        "AUTH_PARAMS": {"prompt": "select_account"},
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]
            if GOOGLE_LOGIN_ENABLED
            else []
        ),
    }
}

SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_SECURE: bool = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE: bool = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Content-Security-Policy (Django's own): scripts only from this site (the bundle) or carrying
# the request's nonce (`{{ csp_nonce }}`), no third-party fetches at all (avatars are initials),
# no framing. Style attributes stay allowed (the leaderboard's interval bars are positioned by
# them); style sheets and <style> elements only from this site. Enforced in production,
# report-only in development so a new inline script shows up in the console, not as a
# broken page.
_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    # 'self' covers the live debate's WebSocket (ws:/wss: to this host) in CSP Level 3.
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CSP: dict[str, Any] = {} if DEBUG else _CSP
SECURE_CSP_REPORT_ONLY: dict[str, Any] = _CSP if DEBUG else {}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Liveness and readiness answer probes over plain HTTP inside the platform.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SILENCED_SYSTEM_CHECKS = [
    # security.W021 asks for SECURE_HSTS_PRELOAD. Sending `preload` lets anyone submit the
    # domain (and, with includeSubDomains, every subdomain) to the browsers' preload list,
    # which takes months to undo: an operator opts in with SECURE_HSTS_PRELOAD=1, a default
    # must not consent for them.
    "security.W021",
]

# --- Email -----------------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default=_dev_default("consolemail://"))
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
}
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {name: value for name, value in _smtp_options.items() if value},
    }
}
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Consultation <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- i18n ------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "consultation_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (data exports): private, served only through views that
# check who asks, never under a public URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # An API key (Authorization: Bearer / X-API-Key) first: a request carrying one is
    # authenticated by it alone, cookies ignored; otherwise the session, with its CSRF check.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apikeys.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Requests per minute per key, per user and per anonymous IP, from the plan (billing).
    "DEFAULT_THROTTLE_CLASSES": ["apikeys.throttling.PlanRateThrottle"],
    # KeyScopes: a key needs the scope the view names for the method (consultation/api/).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "consultation.api.permissions.KeyScopes",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["consultation.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "consultation.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "consultation.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "consultation.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Consultation API",
    "DESCRIPTION": "Convene a parliament of LLMs, follow the debate, read the verdict.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/: Swagger UI from the drf-spectacular-sidecar package (our static files), never
    # a CDN; its set-up script is a file of its own (the split view), so no inline script.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# How long the API keeps a finished debate's rendered detail (the "renders" cache; a running
# one's at most 60 s); 0 turns the cache off. Entries are keyed by everything the detail shows,
# so a change is never served stale: the time only bounds the memory a debate nobody reads any
# more keeps.
API_DETAIL_CACHE_SECONDS: int = env.int("API_DETAIL_CACHE_SECONDS", default=3600)

# --- API keys and rate limits ------------------------------------------------------------------

# The server-side secret mixed into every key's stored HMAC: a copy of the table alone cannot
# be checked against guesses. Required in production; in development derived from SECRET_KEY.
# Changing it invalidates every key.
APIKEY_PEPPER: str = env.str("APIKEY_PEPPER", default=_dev_default(f"apikey-pepper:{SECRET_KEY}"))
# Keys say which deployment minted them: csk_live_ in production, csk_test_ in development. A
# key of the other kind is refused before the database.
APIKEY_LIVE: bool = env.bool("APIKEY_LIVE", default=not DEBUG)
# Off: no request is rate limited (e.g. behind a gateway that limits already).
RATELIMIT_ENABLE: bool = env.bool("RATELIMIT_ENABLE", default=True)
# django-ratelimit's counters live in the default cache: per process without REDIS_URL,
# shared (exact across processes) with it.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "rl:"

# --- Providers -------------------------------------------------------------------------------

OPENAI_API_KEY: str = env.str("OPENAI_API_KEY", default="")
ANTHROPIC_API_KEY: str = env.str("ANTHROPIC_API_KEY", default="")
GEMINI_API_KEY: str = env.str("GEMINI_API_KEY", default="")
OPENROUTER_API_KEY: str = env.str("OPENROUTER_API_KEY", default="")
OPENAI_COMPAT_BASE_URL: str = env.str("OPENAI_COMPAT_BASE_URL", default="")
OPENAI_COMPAT_API_KEY: str = env.str("OPENAI_COMPAT_API_KEY", default="")
PROVIDER_CREDENTIALS: dict[str, str] = {
    "demo": "offline",
    "openai": OPENAI_API_KEY,
    "anthropic": ANTHROPIC_API_KEY,
    "gemini": GEMINI_API_KEY,
    "openrouter": OPENROUTER_API_KEY,
    "openai_compat": OPENAI_COMPAT_BASE_URL,
}
# Empty means "every provider that has credentials"; naming one without them fails `check`.
LLM_PROVIDERS: list[str] = _env_list("LLM_PROVIDERS", default=[]) or [
    name for name, credential in PROVIDER_CREDENTIALS.items() if credential
]

# --- Teams' own provider keys (providerkeys/) -------------------------------------------------

# Fernet keys (32 url-safe base64 bytes each, `Fernet.generate_key()`), comma-separated: the
# first encrypts, every one decrypts, so a key is rotated by putting a new one first and running
# `manage.py provider_keys_rotate`. Empty outside DEBUG: teams cannot store keys until it is
# set. In development derived from SECRET_KEY. A malformed key fails `manage.py check`.
PROVIDER_KEYS_ENCRYPTION_KEYS: list[str] = _env_list(
    "PROVIDER_KEYS_ENCRYPTION_KEYS",
    default=[
        base64.urlsafe_b64encode(
            hashlib.sha256(f"provider-keys:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
    if DEBUG
    else [],
)
# The providers a team may bring its own key for.
PROVIDER_KEYS_PROVIDERS: list[str] = _env_list(
    "PROVIDER_KEYS_PROVIDERS",
    default=["openai", "anthropic", "gemini", "openrouter", "openai_compat"],
)
# A team's OpenAI-compatible base URL may name a private, loopback or link-local address (and
# plain http) only when this is on: otherwise the worker could be pointed at internal services.
PROVIDER_KEYS_ALLOW_PRIVATE_URLS: bool = env.bool("PROVIDER_KEYS_ALLOW_PRIVATE_URLS", default=DEBUG)

# --- Debate engine -------------------------------------------------------------------------

LLM_TIMEOUT_SECONDS: float = env.float("LLM_TIMEOUT_SECONDS", default=60.0)
# A streaming call fails (and is retried) when its first token takes longer than this, or when
# it then goes quiet this long: a hung model is found in seconds, not after LLM_TIMEOUT_SECONDS
# per attempt. Reasoning models that think long before answering may need more. 0: off.
LLM_FIRST_TOKEN_TIMEOUT_SECONDS: float = env.float("LLM_FIRST_TOKEN_TIMEOUT_SECONDS", default=20.0)
LLM_STREAM_IDLE_TIMEOUT_SECONDS: float = env.float("LLM_STREAM_IDLE_TIMEOUT_SECONDS", default=10.0)
LLM_RETRY_ATTEMPTS: int = env.int("LLM_RETRY_ATTEMPTS", default=3)
LLM_RETRY_BASE_DELAY_SECONDS: float = env.float("LLM_RETRY_BASE_DELAY_SECONDS", default=1.0)
LLM_RETRY_MAX_DELAY_SECONDS: float = env.float("LLM_RETRY_MAX_DELAY_SECONDS", default=20.0)
LLM_MAX_OUTPUT_TOKENS: int = env.int("LLM_MAX_OUTPUT_TOKENS", default=1200)
DEMO_TOKENS_PER_SECOND: float = env.float("DEMO_TOKENS_PER_SECOND", default=40.0)
DEBATE_MAX_SEAT_FAIL_RATIO: float = env.float("DEBATE_MAX_SEAT_FAIL_RATIO", default=0.4)
DEBATE_MIN_REQUIRED_SEATS: int = env.int("DEBATE_MIN_REQUIRED_SEATS", default=2)
DEBATE_FAIL_FAST: bool = env.bool("DEBATE_FAIL_FAST", default=True)
DEBATE_DEFAULT_JUDGES: list[str] = _env_list("DEBATE_DEFAULT_JUDGES", default=[])
DEBATE_HEARTBEAT_SECONDS: float = env.float("DEBATE_HEARTBEAT_SECONDS", default=5.0)
DEBATE_STALE_SECONDS: float = env.float("DEBATE_STALE_SECONDS", default=30.0)
# How many debates one worker process runs at once, on one event loop (`manage.py worker
# --concurrency`). With PostgreSQL each borrows a pooled connection while it writes: a
# worker's DATABASE_POOL_MAX_SIZE of this plus 2 never makes one wait (docs/DEPLOY.md).
WORKER_CONCURRENCY: int = env.int("WORKER_CONCURRENCY", default=8)
DEBATE_DELTA_INTERVAL_SECONDS: float = env.float("DEBATE_DELTA_INTERVAL_SECONDS", default=0.15)
# Evaluations (evals/): the most self-consistency samples a question gets, and how long a run
# waits for a debate that is queued behind the team's other debates.
EVAL_MAX_SAMPLES: int = env.int("EVAL_MAX_SAMPLES", default=9)
EVAL_DEBATE_WAIT_SECONDS: float = env.float("EVAL_DEBATE_WAIT_SECONDS", default=600.0)
PROVIDER_HEALTH_WINDOW_SECONDS: int = env.int("PROVIDER_HEALTH_WINDOW_SECONDS", default=300)
PROVIDER_HEALTH_ERROR_THRESHOLD: float = env.float("PROVIDER_HEALTH_ERROR_THRESHOLD", default=0.5)
PROVIDER_HEALTH_MIN_CALLS: int = env.int("PROVIDER_HEALTH_MIN_CALLS", default=10)
PROVIDER_HEALTH_COOLDOWN_SECONDS: int = env.int("PROVIDER_HEALTH_COOLDOWN_SECONDS", default=60)
PROVIDER_HEALTH_CLOSED_CACHE_SECONDS: float = env.float(
    "PROVIDER_HEALTH_CLOSED_CACHE_SECONDS", default=1.0
)
PROVIDER_HEALTH_PROBE_TIMEOUT_SECONDS: int = env.int(
    "PROVIDER_HEALTH_PROBE_TIMEOUT_SECONDS", default=120
)

# --- Billing (Stripe through dj-stripe) ------------------------------------------------------

STRIPE_LIVE_MODE: bool = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_SECRET_KEY: str = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY: str = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET: str = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_VERIFY: bool = env.bool("STRIPE_WEBHOOK_VERIFY", default=True)
# Plan slug -> Stripe price id, e.g. "pro=price_123,team=price_456"; wins over a plan's own
# `stripe_price_id` (set in admin).
STRIPE_PRICE_IDS: dict[str, str] = {
    slug.strip(): price.strip()
    for slug, price in env.dict("STRIPE_PRICE_IDS", default={}).items()
    if slug.strip() and str(price).strip()
}
# After a failed payment the team keeps its plan this many days (Stripe retries meanwhile).
BILLING_GRACE_DAYS: int = env.int("BILLING_GRACE_DAYS", default=7)
if STRIPE_LIVE_MODE:
    STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY
else:
    STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY
DJSTRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# dj-stripe's schema from one migration that replaces its own (minutes on SQLite); why it is
# safe and how to follow a dj-stripe upgrade: billing/djstripe_migrations/__init__.py.
MIGRATION_MODULES = {"djstripe": "billing.djstripe_migrations"}
# accounts asks the product whether a team may grow (the plan's members): a dotted path, so
# accounts, which sits below billing, never imports it. Not an environment setting.
TEAM_SIZE_CHECK = "billing.limits.team_members_check"

# --- Teams ----------------------------------------------------------------------------------

# Invitation e-mails a team may send in any hour (each goes to an address someone typed).
INVITATIONS_PER_TEAM_PER_HOUR: int = env.int("INVITATIONS_PER_TEAM_PER_HOUR", default=20)

# --- Retention -------------------------------------------------------------------------------

RETAIN_DEBATES_DAYS: int = env.int("RETAIN_DEBATES_DAYS", default=365)
RETAIN_AUDIT_DAYS: int = env.int("RETAIN_AUDIT_DAYS", default=730)
# Counters, provider calls and their per-minute health figures (ops).
RETAIN_METRICS_DAYS: int = env.int("RETAIN_METRICS_DAYS", default=30)
# Stripe's webhook deliveries as received (raw bodies: customers' names and e-mail addresses).
RETAIN_WEBHOOKS_DAYS: int = env.int("RETAIN_WEBHOOKS_DAYS", default=30)
# How often `manage.py worker` enqueues the purge (docs/OPS.md, "Retention").
RETENTION_PURGE_SECONDS: int = env.int("RETENTION_PURGE_SECONDS", default=3600)

# --- Safety: PII scrubbing and prompt-injection detection (docs/SAFETY.md) ------------------

# E-mail addresses and phone numbers are always scrubbed; these regions' national phone
# formats are recognised (numbers written with + or 00 are, whatever the regions).
SAFETY_PII_REGIONS: list[str] = [
    region.upper() for region in _env_list("SAFETY_PII_REGIONS", default=["TR", "US", "GB", "DE"])
]
SAFETY_PII_NAMES: bool = env.bool("SAFETY_PII_NAMES", default=False)
SAFETY_PII_ADDRESSES: bool = env.bool("SAFETY_PII_ADDRESSES", default=False)
SAFETY_PII_CARDS: bool = env.bool("SAFETY_PII_CARDS", default=False)
SAFETY_PII_IBANS: bool = env.bool("SAFETY_PII_IBANS", default=False)
# log: a suspected injection is recorded and counted; block: it is refused.
SAFETY_INJECTION_MODE: str = env.str("SAFETY_INJECTION_MODE", default="log").lower()
SAFETY_INJECTION_THRESHOLD: float = env.float("SAFETY_INJECTION_THRESHOLD", default=0.5)
_LOG_PII = PiiOptions(
    regions=tuple(SAFETY_PII_REGIONS),
    names=SAFETY_PII_NAMES,
    addresses=SAFETY_PII_ADDRESSES,
    cards=SAFETY_PII_CARDS,
    ibans=SAFETY_PII_IBANS,
)

# --- Logging ---------------------------------------------------------------------------------

LOG_FORMAT: str = env.str("LOG_FORMAT", default="console" if DEBUG else "json")
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = build_logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL, pii=_LOG_PII)
configure_structlog(pii=_LOG_PII)
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# RequestIdMiddleware runs first and leaves only a sanitised X-Request-ID on the request, so
# django-structlog may bind it: log lines, the response header and error bodies share one id.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True

# --- Prometheus (optional): /metrics with the same counters as the Ops page ------------------

# Served by prometheus-client itself (consultation.views.metrics): django-prometheus 2.5 pins
# Django < 6.1, so it cannot be installed beside Django 6.1.
PROMETHEUS_ENABLED: bool = env.bool("PROMETHEUS_ENABLED", default=False)

# --- Demo account (development only: `make run` creates it once) -----------------------------

DEMO_ACCOUNT_EMAIL: str = env.str("DEMO_ACCOUNT_EMAIL", default="demo@consultation.local")
DEMO_ACCOUNT_PASSWORD: str = env.str("DEMO_ACCOUNT_PASSWORD", default="demo-parliament")
