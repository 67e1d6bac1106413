import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema


@pytest.fixture
def generator_stats() -> Iterator[None]:
    """drf-spectacular reports schema problems to stderr, not as Python warnings: count them."""
    GENERATOR_STATS.reset()
    yield
    GENERATOR_STATS.reset()


@pytest.mark.django_db
@pytest.mark.usefixtures("generator_stats")
def test_api_schema_is_served_as_valid_openapi_without_warnings(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/schema/")
    assert response.status_code == 200
    schema: dict[str, Any] = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Consultation API"
    validate_schema(schema)  # type: ignore[no-untyped-call]
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)


@pytest.mark.django_db
def test_api_schema_is_served_as_json_on_request(anon_client: Client) -> None:
    response = anon_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert "openapi" in json.loads(response.content)


@pytest.mark.django_db
def test_api_schema_describes_only_api_paths(anon_client: Client) -> None:
    schema = yaml.safe_load(anon_client.get("/api/v1/schema/").content)
    assert schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert "/api/v1/schema/" not in schema["paths"]
