"""The project's admin site: Django's, plus the Ops page and a tidier index.

- `/admin/ops/` is the Ops page (consultation/ops_dashboard.py), linked from the index; it
  takes the URL of the `ops` app's index, whose models it links to.
- dj-stripe's ~40 models leave the index: one "Stripe (dj-stripe)" entry, at the end, leads
  to their own app page (/admin/djstripe/), which is unchanged.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.translation import gettext_lazy as _

from consultation import ops_dashboard

STRIPE_APP = "djstripe"


class ConsultationAdminSite(admin.AdminSite):
    site_header = _("Consultation administration")
    site_title = _("Consultation admin")

    def get_urls(self) -> list[URLPattern | URLResolver]:
        def ops_page(request: HttpRequest) -> HttpResponse:
            return ops_dashboard.ops_page(request, site_context=self.each_context(request))

        ours: list[URLPattern | URLResolver] = [
            path("ops/", self._staff_view(ops_page), name="ops"),
            path(
                "ops/circuit/",
                self._staff_view(ops_dashboard.circuit_action),
                name="ops-circuit",
            ),
        ]
        return ours + super().get_urls()

    def _staff_view(self, view: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
        """The admin's wrapper (login page for visitors, CSRF, no caching), but 403 rather
        than the login page for someone signed in who is not staff."""
        wrapped = self.admin_view(view)

        def gate(request: HttpRequest) -> HttpResponse:
            if request.user.is_authenticated and not request.user.is_staff:
                raise PermissionDenied
            response: HttpResponse = wrapped(request)
            return response

        return gate

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        stripe = [app for app in apps if app["app_label"] == STRIPE_APP]
        shown = [app for app in apps if app["app_label"] != STRIPE_APP]
        dashboard = _entry(
            label="ops_dashboard",
            name=_("Operations dashboard"),
            url=reverse("admin:ops", current_app=self.name),
            row=_("Provider health, queue, failures"),
        )
        listing = [dashboard, *shown]
        if stripe:
            listing.append(
                _entry(
                    label=STRIPE_APP,
                    name=_("Stripe (dj-stripe)"),
                    url=stripe[0]["app_url"],
                    row=_("%(count)d Stripe models") % {"count": len(stripe[0]["models"])},
                )
            )
        return listing


def _entry(*, label: str, name: Any, url: str, row: Any) -> dict[str, Any]:
    """One index entry with one row: a link, no add or change buttons."""
    return {
        "name": name,
        "app_label": label,
        "app_url": url,
        "has_module_perms": True,
        "models": [
            {
                "name": row,
                "object_name": label,
                "perms": {"add": False, "change": False, "delete": False, "view": True},
                "admin_url": url,
                "add_url": None,
                "view_only": True,
            }
        ],
    }
