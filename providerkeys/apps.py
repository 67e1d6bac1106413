from django.apps import AppConfig


class ProviderKeysConfig(AppConfig):
    name = "providerkeys"
    verbose_name = "Team provider keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from providerkeys import checks  # noqa: F401  (registers the settings check)
