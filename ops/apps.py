from django.apps import AppConfig
from django.conf import settings


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        if settings.PROMETHEUS_ENABLED:
            from prometheus_client import REGISTRY

            from ops.prometheus import OpsCollector

            REGISTRY.register(OpsCollector())
