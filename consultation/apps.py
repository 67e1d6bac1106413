from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "consultation"
    verbose_name = "Consultation"

    def ready(self) -> None:
        from consultation import checks  # noqa: F401  (registers the settings checks)
