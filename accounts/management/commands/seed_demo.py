"""Create the development demo account once, and say how to log in (DEBUG only)."""

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import user_create


class Command(BaseCommand):
    help = "Create the demo account used by `make run` (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo creates a known password: it only runs with DEBUG on.")
        email, password = settings.DEMO_ACCOUNT_EMAIL, settings.DEMO_ACCOUNT_PASSWORD
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = user_create(email=email, password=password, display_name="Demo")
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        self.stdout.write(
            self.style.SUCCESS(f"Demo account: log in as {email} with password {password}")
        )
