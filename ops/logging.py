"""structlog set-up, imported by settings: JSON in production, readable in development.

Both stdlib `logging` records (Django, libraries) and structlog events go through one
ProcessorFormatter, so every line carries the bound context (request_id, user_id, team_id,
debate_id, provider, model, circuit_state) and is redacted the same way: secret-looking keys
by name, then PII in every string value (safety.pii, docs/SAFETY.md).
"""

from collections.abc import Mapping
from typing import Any

import structlog
from structlog.types import EventDict, WrappedLogger

from safety.pii import PiiOptions, pii_log_processor

# Keys whose values must never reach a log line, wherever they appear in an event. Names are
# compared lower-cased with "-" read as "_", so header spellings (X-API-Key) match too.
SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "api_key",
        "apikey",
        "token",
        "authorization",
        "cookie",
        "set_cookie",
        "secret_key",
    }
)
SECRET_SUFFIXES = ("_secret", "_password", "_api_key", "_token", "_secret_key", "_cookie")
REDACTED = "[redacted]"


def is_secret_key(name: str) -> bool:
    normalised = name.lower().replace("-", "_")
    return normalised in SECRET_KEYS or normalised.endswith(SECRET_SUFFIXES)


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and is_secret_key(key) else _redact(item)
            for key, item in value.items()
        }
    return value


def redact_secrets(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Replace values of secret-looking keys, nested mappings (headers=...) included.

    A secret is never logged, even by mistake. Values are not inspected: keys are the contract.
    """
    for name, value in list(event_dict.items()):
        event_dict[name] = REDACTED if is_secret_key(name) else _redact(value)
    return event_dict


def _shared_processors(pii: PiiOptions | None) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
        # E-mail addresses and phone numbers (and what the SAFETY_PII_* flags add) never reach
        # a log line either; placeholders are per line, not per debate.
        pii_log_processor(pii),
    ]


def _renderer(log_format: str) -> Any:
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


def build_logging_config(
    *, log_format: str, level: str, pii: PiiOptions | None = None
) -> dict[str, Any]:
    """The LOGGING dict: one handler on stderr rendering through structlog."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    _renderer(log_format),
                ],
                "foreign_pre_chain": _shared_processors(pii),
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # django-structlog logs every request already; Django's own line would repeat it.
            "django.request": {"level": "ERROR"},
            "django.server": {"level": "WARNING"},
            "django.channels.server": {"level": "WARNING"},
            "daphne": {"level": "WARNING"},
            "django_structlog": {"level": level},
            "httpx": {"level": "WARNING"},
        },
    }


def configure_structlog(*, pii: PiiOptions | None = None) -> None:
    structlog.configure(
        processors=[
            # First: an event below the level is dropped before the PII scrub reads it (two
            # lines a request, whose scrub cost more than the rest of an API request).
            structlog.stdlib.filter_by_level,
            *_shared_processors(pii),
            structlog.processors.StackInfoRenderer(),
            # Render the traceback while the exception is current: `logger.exception()` carries
            # only exc_info=True, which a handler formatting later could no longer resolve.
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
