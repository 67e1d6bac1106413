"""The OpenAPI schema describes key auth, each operation's scope and the error shape."""

from typing import Any

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema() -> dict[str, Any]:
    client = Client()
    loaded: dict[str, Any] = yaml.safe_load(client.get("/api/v1/schema/").content)
    return loaded


def test_key_auth_is_a_bearer_scheme(schema: dict[str, Any]) -> None:
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "X-API-Key" in scheme["description"]


def test_every_operation_names_its_scope_and_errors(schema: dict[str, Any]) -> None:
    scopes = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "x-required-scope" in operation, (method, path)
            for status in ("400", "401", "403", "404", "429"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"]["$ref"] == "#/components/schemas/Error"
            scopes[(method, path)] = operation["x-required-scope"]
    assert scopes[("post", "/api/v1/debates/")] == "debates:write"
    assert scopes[("get", "/api/v1/debates/{debate_id}/stream/")] == "debates:read"
    assert scopes[("get", "/api/v1/me/")] == "any"
    assert scopes[("post", "/api/v1/keys/")] is None  # sessions only
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "detail"}
