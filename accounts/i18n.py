from typing import Literal, cast

from django.conf import settings
from django.http import HttpResponseBase

SameSite = Literal["Lax", "Strict", "None", False] | None


def remember_language(response: HttpResponseBase, language: str) -> None:
    """Set the language cookie that LocaleMiddleware reads, with the configured attributes."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
        samesite=cast(SameSite, settings.LANGUAGE_COOKIE_SAMESITE),
    )
