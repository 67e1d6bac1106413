"""django-allauth hooks: every new account gets its workspace; the saved language applies."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation

from accounts.i18n import remember_language
from accounts.models import Profile, User
from accounts.services import user_complete_signup


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def save_user(self, request: HttpRequest, user: User, form: Any, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_complete_signup(
                user=user, language=translation.get_language(), display_name=user.get_full_name()
            )
        return user

    def post_login(self, request: HttpRequest, user: User, **kwargs: Any) -> HttpResponse:
        """The saved language applies from the login on: allauth's "signed in" message is
        written in it, and the cookie keeps it. `override`, not `activate`: the thread's
        language is the request's again afterwards, never left behind for the next work."""
        locale = Profile.objects.filter(user=user).values_list("locale", flat=True).first()
        if not locale:
            response: HttpResponse = super().post_login(request, user, **kwargs)
            return response
        with translation.override(locale):
            response = super().post_login(request, user, **kwargs)
        remember_language(response, locale)
        return response


class SocialAccountAdapter(DefaultSocialAccountAdapter):  # type: ignore[misc]
    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        """With Google sign-in off (no GOOGLE_CLIENT_ID), its URLs are a 404, not a 500."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> User:
        user: User = super().save_user(request, sociallogin, form)
        # With a sign-up form, allauth has already run AccountAdapter.save_user above.
        if form is None:
            user_complete_signup(
                user=user,
                language=translation.get_language(),
                display_name=user.get_full_name(),
                provider=sociallogin.account.provider,
            )
        return user
