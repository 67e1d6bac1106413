"""Sign-up, log-in, log-out and password reset through django-allauth's real forms."""

import copy
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import vcr
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from accounts.models import AuditEntry, MemberRole, Membership, Profile, Team, User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-42"
GOOGLE_CLIENT_ID = "consultation-test.apps.googleusercontent.com"
CASSETTE = django_settings.BASE_DIR / "tests" / "cassettes" / "google_login.yaml"


def _signup(client: Client, email: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(
        reverse("account_signup"), {"email": email, "password1": password, "password2": password}
    )


def _logged_in_user_id(client: Client) -> str | None:
    value = client.session.get(SESSION_KEY)
    return str(value) if value is not None else None


def test_signup_creates_user_with_workspace_and_logs_in(anon_client: Client) -> None:
    response = anon_client.post(
        reverse("account_signup"),
        {"email": "New.Person@Example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert user.check_password(NEW_PASSWORD)
    assert _logged_in_user_id(anon_client) == str(user.pk)
    profile = Profile.objects.get(user=user)
    assert profile.handle == "newperson"
    personal = Team.objects.get(created_by=user, is_personal=True)
    assert Membership.objects.get(team=personal, user=user).role == MemberRole.OWNER
    assert profile.active_team == personal
    assert AuditEntry.objects.filter(action="user.signed_up", actor=user).exists()
    # The dashboard works right away, in the personal team.
    dashboard = anon_client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.context["active_team"] == personal


def test_signup_handles_are_unique(anon_client: Client, owner: User) -> None:
    _signup(anon_client, "owner@other.example")

    user = User.objects.get(email="owner@other.example")
    assert user.profile.handle != owner.profile.handle
    assert user.profile.handle.startswith("owner-")


def test_signup_remembers_the_interface_language(anon_client: Client) -> None:
    anon_client.cookies["consultation_language"] = "tr"

    _signup(anon_client, "turkce@example.com")

    assert Profile.objects.get(user__email="turkce@example.com").locale == "tr"


def test_signup_sends_a_working_confirmation_link(anon_client: Client) -> None:
    _signup(anon_client, "confirm@example.com")

    assert len(mail.outbox) == 1
    match = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", str(mail.outbox[0].body))
    assert match is not None
    page = anon_client.get(match.group(1))
    assert page.status_code == 200
    anon_client.post(match.group(1))

    assert EmailAddress.objects.get(email="confirm@example.com").verified is True


@pytest.mark.parametrize("email", ["owner@example.com", "OWNER@Example.COM", " Owner@example.com "])
def test_signup_refuses_duplicate_email_of_any_case(
    anon_client: Client, owner: User, email: str
) -> None:
    response = _signup(anon_client, email)

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert "already registered" in response.content.decode()
    assert User.objects.filter(email__iexact="owner@example.com").count() == 1
    assert _logged_in_user_id(anon_client) is None


def test_signup_refuses_duplicate_of_a_signed_up_email(anon_client: Client) -> None:
    _signup(Client(), "first@example.com")

    response = _signup(anon_client, "FIRST@example.com")

    assert "email" in response.context["form"].errors
    assert User.objects.count() == 1


def test_signup_refuses_mismatched_passwords(anon_client: Client) -> None:
    response = anon_client.post(
        reverse("account_signup"),
        {"email": "x@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"},
    )

    assert response.status_code == 200
    assert not User.objects.exists()


def test_login_with_email_and_password(anon_client: Client, owner: User) -> None:
    response = anon_client.post(
        reverse("account_login"), {"login": "Owner@Example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert _logged_in_user_id(anon_client) == str(owner.pk)


def test_login_applies_the_saved_language(anon_client: Client, owner: User) -> None:
    Profile.objects.filter(user=owner).update(locale="tr")

    response = anon_client.post(
        reverse("account_login"), {"login": owner.email, "password": PASSWORD}
    )

    assert response.cookies["consultation_language"].value == "tr"
    # The saved language applied to the login only: the thread is not left in Turkish for
    # whatever it runs next (a worker task, another request's code outside middleware).
    assert translation.get_language() == "en"


def test_login_with_wrong_password_is_refused(anon_client: Client, owner: User) -> None:
    response = anon_client.post(
        reverse("account_login"), {"login": owner.email, "password": "wrong-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    assert _logged_in_user_id(anon_client) is None


def test_logout_by_post(owner_client: Client) -> None:
    response = owner_client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert _logged_in_user_id(owner_client) is None
    assert owner_client.get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_a_working_link(anon_client: Client, owner: User) -> None:
    response = anon_client.post(reverse("account_reset_password"), {"email": "OWNER@example.com"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    match = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body)
    )
    assert match is not None
    link = match.group(1)

    # allauth moves the key from the URL into the session, then shows the form.
    form_page = anon_client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "password1" in form_page.context["form"].fields
    done = anon_client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    login = Client().post(
        reverse("account_login"), {"login": owner.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302


def test_password_reset_for_unknown_email_sends_nothing_to_strangers(
    anon_client: Client,
) -> None:
    response = anon_client.post(reverse("account_reset_password"), {"email": "who@example.com"})

    # No account enumeration: the same answer as for a known address.
    assert response.status_code == 302
    assert all("reset/key" not in message.body for message in mail.outbox)


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
    ],
)
def test_allauth_entrance_pages_render_in_our_layout(anon_client: Client, name: str) -> None:
    response = anon_client.get(reverse(name))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="topbar"' in content
    assert "auth-card" in content
    assert "<title>" in content


@pytest.mark.parametrize(
    "name",
    ["account_email", "account_change_password", "socialaccount_connections", "account_logout"],
)
def test_allauth_account_pages_render_in_our_layout(owner_client: Client, name: str) -> None:
    EmailAddress.objects.create(
        user=User.objects.get(email="owner@example.com"),
        email="owner@example.com",
        verified=True,
        primary=True,
    )

    response = owner_client.get(reverse(name))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="topbar"' in content
    assert "auth-card" in content
    # Signed in: our menu, not allauth's.
    assert reverse("profile-edit") in content


# --- Google login, against recorded responses --------------------------------------------------


def _oauth_code(r1: Any, r2: Any) -> None:
    """Requests match when they carry the same authorization code (PKCE varies the rest)."""

    def code(request: Any) -> list[str]:
        body = request.body or b""
        text = body.decode() if isinstance(body, bytes) else str(body)
        return parse_qs(text).get("code", [])

    assert code(r1) == code(r2)


@pytest.fixture
def google(settings: Settings) -> vcr.VCR:
    """Google login configured with a test client, and a VCR that only replays the cassette."""
    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["google"]["APPS"] = [
        {"client_id": GOOGLE_CLIENT_ID, "secret": "recorded-client-secret", "key": ""}
    ]
    settings.SOCIALACCOUNT_PROVIDERS = providers
    recorder = vcr.VCR(record_mode="none", match_on=["method", "uri", "oauth_code"])
    recorder.register_matcher("oauth_code", _oauth_code)
    return recorder


def _google_login(client: Client, recorder: vcr.VCR, *, code: str) -> Any:
    """Start at our login URL, read `state` from Google's authorize URL, come back with a code."""
    start = client.post(reverse("google_login"))
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == "https://accounts.google.com"
    params = parse_qs(authorize.query)
    assert params["client_id"] == [GOOGLE_CLIENT_ID]
    assert params["redirect_uri"] == ["http://testserver/accounts/google/login/callback/"]
    assert params["code_challenge_method"] == ["S256"]
    with recorder.use_cassette(str(CASSETTE)) as cassette:
        response = client.get(
            reverse("google_callback"), {"code": code, "state": params["state"][0]}
        )
        assert cassette.play_count == 1
    return response


def test_google_login_creates_account_with_workspace(google: vcr.VCR, anon_client: Client) -> None:
    response = _google_login(anon_client, google, code="4/0-recorded-first-login")

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(email="grace.hopper@gmail.com")
    assert not user.has_usable_password()
    assert _logged_in_user_id(anon_client) == str(user.pk)
    personal = Team.objects.get(created_by=user, is_personal=True)
    assert Membership.objects.get(team=personal, user=user).role == MemberRole.OWNER
    assert Profile.objects.get(user=user).display_name == "Grace Hopper"
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == ("google", "104821937465120398765")
    assert EmailAddress.objects.get(user=user).verified is True
    entry = AuditEntry.objects.get(action="user.signed_up", actor=user)
    assert entry.data == {"provider": "google"}
    assert anon_client.get(reverse("dashboard")).context["active_team"] == personal


def test_google_login_again_reuses_the_account(google: vcr.VCR) -> None:
    first = Client()
    _google_login(first, google, code="4/0-recorded-first-login")

    again = Client()
    response = _google_login(again, google, code="4/0-recorded-second-login")

    assert response.status_code == 302
    user = User.objects.get()
    assert _logged_in_user_id(again) == str(user.pk)
    assert SocialAccount.objects.count() == 1
    assert Team.objects.filter(created_by=user).count() == 1
    assert AuditEntry.objects.filter(action="user.signed_up").count() == 1


def test_google_login_with_a_known_verified_email_logs_into_that_account(
    google: vcr.VCR, anon_client: Client, owner: User
) -> None:
    EmailAddress.objects.create(user=owner, email=owner.email, verified=True, primary=True)

    response = _google_login(anon_client, google, code="4/0-recorded-owner-login")

    assert response.status_code == 302
    assert _logged_in_user_id(anon_client) == str(owner.pk)
    assert User.objects.filter(email__iexact=owner.email).count() == 1
    assert SocialAccount.objects.get(provider="google").user == owner
    assert Team.objects.filter(created_by=owner, is_personal=True).count() == 1


def test_google_login_refused_code_creates_nothing(google: vcr.VCR, anon_client: Client) -> None:
    response = _google_login(anon_client, google, code="4/0-recorded-used-code")

    # allauth's authentication error page, in our layout.
    assert response.status_code == 401
    assert "auth-card" in response.content.decode()
    assert not User.objects.exists()
    assert _logged_in_user_id(anon_client) is None


def test_google_login_with_a_forged_state_is_refused(google: vcr.VCR, anon_client: Client) -> None:
    anon_client.post(reverse("google_login"))

    with google.use_cassette(str(CASSETTE)) as cassette:
        response = anon_client.get(
            reverse("google_callback"), {"code": "4/0-recorded-first-login", "state": "forged"}
        )
        assert cassette.play_count == 0

    assert response.status_code == 401
    assert not User.objects.exists()


def test_login_page_offers_google_only_when_configured(anon_client: Client) -> None:
    assert reverse("google_login") not in anon_client.get(reverse("account_login")).content.decode()


def test_login_page_offers_google_when_configured(google: vcr.VCR, anon_client: Client) -> None:
    assert reverse("google_login") in anon_client.get(reverse("account_login")).content.decode()


def test_google_urls_are_a_404_while_google_sign_in_is_off(anon_client: Client) -> None:
    # No GOOGLE_CLIENT_ID in the test settings: allauth found no app and answered 500.
    client = Client(raise_request_exception=False)
    assert client.post("/accounts/google/login/token/", {"credential": "x"}).status_code == 404
    assert client.get("/accounts/google/login/").status_code == 404
