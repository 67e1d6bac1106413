import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_landing_renders_for_anonymous_with_the_sign_up_path(anon_client: Client) -> None:
    response = anon_client.get("/")
    assert response.status_code == 200
    assert "landing.html" in [template.name for template in response.templates]
    assert f'href="{reverse("account_signup")}"' in response.content.decode()


@pytest.mark.django_db
def test_landing_refuses_writes(anon_client: Client) -> None:
    assert anon_client.post("/").status_code == 405
