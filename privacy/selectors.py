"""Reads of the privacy app. Someone else's export is NotFound."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from consultation.exceptions import NotFound
from privacy.models import DataExport


def data_export_latest(*, user: User) -> DataExport | None:
    return DataExport.objects.filter(user=user).order_by("-created_at").first()


def data_export_get_for_user(*, user: User, export_id: UUID | str) -> DataExport:
    try:
        return DataExport.objects.get(pk=export_id, user=user)
    except (DataExport.DoesNotExist, ValueError, ValidationError) as exc:
        raise NotFound(_("This copy of your data does not exist.")) from exc
