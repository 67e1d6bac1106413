"""`django.contrib.admin` with the project's site as `admin.site` (INSTALLED_APPS names it).

Apart from consultation/admin_site.py, which imports models: INSTALLED_APPS imports this
module before the app registry is ready."""

from django.contrib.admin.apps import AdminConfig


class ConsultationAdminConfig(AdminConfig):
    default_site = "consultation.admin_site.ConsultationAdminSite"
