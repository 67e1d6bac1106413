"""Background work of the privacy app. Tasks take ids, never model instances; the services
enqueue them by dotted path once their transaction commits."""

from django.tasks import task

from privacy.services import data_export_build, data_export_expire


@task()
def build_data_export(export_id: str) -> str | None:
    """Build one "download my data" file and e-mail its link."""
    export = data_export_build(export_id=export_id)
    return str(export.status) if export is not None else None


@task()
def delete_data_export(export_id: str) -> bool:
    """Delete an export's file once it expired (enqueued for its expiry time)."""
    return data_export_expire(export_id=export_id)
