import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from ops.logging import REDACTED, build_logging_config, redact_secrets


def redact(**event: Any) -> dict[str, Any]:
    return dict(redact_secrets(None, "info", dict(event)))


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "api_key",
        "apikey",
        "authorization",
        "Authorization",
        "token",
        "secret",
        "secret_key",
        "cookie",
        "webhook_secret",
        "client_secret",
        "access_token",
        "refresh_token",
        "new_password",
        "openai_api_key",
        "stripe_secret_key",
        "X-API-Key",
        "Set-Cookie",
    ],
)
def test_redact_secrets_redacts_secret_keys(key: str) -> None:
    assert redact(**{key: "s3cr3t-value"})[key] == REDACTED


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("event", "debate_created"),
        ("request_id", "0123456789abcdef"),
        ("user_id", 42),
        ("prompt_tokens", 512),
        ("tokens", 1024),
        ("token_count", 7),
        ("provider", "openai"),
        ("secretary", "Ada"),
        ("key_prefix", "ck_live_ab12"),
    ],
)
def test_redact_secrets_leaves_other_keys(key: str, value: object) -> None:
    assert redact(**{key: value})[key] == value


def test_redact_secrets_redacts_nested_mappings() -> None:
    event = redact(
        headers={"Authorization": "Bearer ck_live_x", "Accept": "application/json"},
        payload={"user": {"password": "hunter2", "email": "a@example.com"}},
    )
    assert event["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
    assert event["payload"] == {"user": {"password": REDACTED, "email": "a@example.com"}}


@pytest.fixture
def json_log() -> Iterator[tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO]]:
    """A structlog logger and a stdlib logger writing production JSON lines to a buffer."""
    options = build_logging_config(log_format="json", level="INFO")["formatters"]["structlog"]
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=options["processors"], foreign_pre_chain=options["foreign_pre_chain"]
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    stdlib_logger = logging.getLogger("ops.tests.json_log")
    stdlib_logger.addHandler(handler)
    stdlib_logger.setLevel(logging.INFO)
    stdlib_logger.propagate = False
    structlog.contextvars.clear_contextvars()
    try:
        yield structlog.stdlib.get_logger("ops.tests.json_log"), stdlib_logger, stream
    finally:
        structlog.contextvars.clear_contextvars()
        stdlib_logger.removeHandler(handler)
        stdlib_logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_renderer_writes_one_json_object_per_line_with_bound_context(
    json_log: tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO],
) -> None:
    logger, _, stream = json_log
    structlog.contextvars.bind_contextvars(request_id="req-1234abcd", debate_id="d-1")
    logger.info("debate_started", provider="openai", api_key="sk-live-secret")
    [line] = lines(stream)
    assert line["event"] == "debate_started"
    assert line["request_id"] == "req-1234abcd"
    assert line["debate_id"] == "d-1"
    assert line["provider"] == "openai"
    assert line["api_key"] == REDACTED
    assert line["level"] == "info"
    assert line["logger"] == "ops.tests.json_log"
    assert line["timestamp"].endswith("Z")
    assert "sk-live-secret" not in stream.getvalue()


def test_json_renderer_renders_stdlib_records_the_same_way(
    json_log: tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO],
) -> None:
    _, stdlib_logger, stream = json_log
    structlog.contextvars.bind_contextvars(request_id="req-5678efgh")
    stdlib_logger.warning("library said %s", "hello")
    [line] = lines(stream)
    assert line["event"] == "library said hello"
    assert line["request_id"] == "req-5678efgh"
    assert line["level"] == "warning"


def test_json_renderer_includes_the_traceback(
    json_log: tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO],
) -> None:
    logger, _, stream = json_log
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("step_failed")
    [line] = lines(stream)
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: bad value" in line["exception"]


def test_json_renderer_drops_records_below_the_level(
    json_log: tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO],
) -> None:
    logger, _, stream = json_log
    logger.debug("chatty")
    assert stream.getvalue() == ""


def test_build_logging_config_picks_the_renderer() -> None:
    json_config = build_logging_config(log_format="json", level="INFO")
    console_config = build_logging_config(log_format="console", level="DEBUG")
    assert isinstance(
        json_config["formatters"]["structlog"]["processors"][-1],
        structlog.processors.JSONRenderer,
    )
    assert isinstance(
        console_config["formatters"]["structlog"]["processors"][-1],
        structlog.dev.ConsoleRenderer,
    )
    assert console_config["root"]["level"] == "DEBUG"


def test_json_renderer_scrubs_pii_from_every_line(
    json_log: tuple[structlog.stdlib.BoundLogger, logging.Logger, io.StringIO],
) -> None:
    logger, stdlib_logger, stream = json_log
    logger.info("signup", email="ali@example.com", detail={"phone": "0532 123 45 67"})
    stdlib_logger.warning("mail to %s bounced", "ayse@example.com.tr")
    first, second = lines(stream)
    assert first["email"] == "[EMAIL_1]"
    assert first["detail"] == {"phone": "[PHONE_1]"}
    assert second["event"] == "mail to [EMAIL_1] bounced"
    assert "example.com" not in stream.getvalue()
