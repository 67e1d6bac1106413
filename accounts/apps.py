from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and teams"

    def ready(self) -> None:
        # Logout tells the user's open sockets (accounts/realtime.py).
        from accounts import realtime  # noqa: F401
