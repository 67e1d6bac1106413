"""Write frontend/live/events.gen.ts from debates/events.py (or, with --check, fail when it
differs), so the front-end store reads the same event types as the server writes."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from debates.events import typescript_definitions

TARGET = Path("frontend") / "live" / "events.gen.ts"


class Command(BaseCommand):
    help = "Generate the TypeScript event types from debates/events.py."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is stale.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(settings.BASE_DIR) / TARGET
        wanted = typescript_definitions()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != wanted:
                raise CommandError(f"{TARGET} is stale: run `python manage.py event_types`.")
            return
        path.write_text(wanted, encoding="utf-8")
        self.stdout.write(f"Wrote {TARGET}.")
