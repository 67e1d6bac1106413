"""Apply the retention periods now: anonymise expired debates, delete old audit entries and
metrics (debates.services.retention). `manage.py worker` also runs it every
RETENTION_PURGE_SECONDS."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from debates.services.retention import retention_purge


class Command(BaseCommand):
    help = "Anonymise debates and delete audit entries and metrics past their retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention_purge(dry_run=options["dry_run"])
        prefix = "Would remove" if report.dry_run else "Removed"
        summary = report.as_dict()
        self.stdout.write(
            f"{prefix}: {summary.pop('debates_anonymised')} debates anonymised, "
            + ", ".join(
                f"{name.removesuffix('_deleted')} {count}"
                for name, count in summary.items()
                if name != "dry_run"
            )
            + "."
        )
