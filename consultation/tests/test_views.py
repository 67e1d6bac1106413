import pytest
from django.test import Client


@pytest.mark.django_db
def test_landing_renders_for_anonymous(anon_client: Client) -> None:
    response = anon_client.get("/")
    assert response.status_code == 200
    assert b"Convene a parliament" in response.content


def test_healthz_answers_ok(anon_client: Client) -> None:
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
