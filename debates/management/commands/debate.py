"""Run one debate to completion in the terminal: `manage.py debate "question"`.

Uses the demo models unless told otherwise, prints every turn as it completes, the
judgments, and the chair's answer. The debate is stored like any other (owned by the CLI
account's personal team) and can be opened in the web app afterwards.
"""

import asyncio
import textwrap
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.selectors import active_team_for_user
from accounts.services import user_create
from consultation.exceptions import ValidationFailed
from debates.models import Debate, DebateEvent
from debates.presets import DEFAULT_PRESET, PRESETS
from debates.services.creation import SeatInput, debate_create, seats_from_preset
from debates.services.running import debate_run

CLI_EMAIL = "cli@consultation.local"
WIDTH = 96


class Command(BaseCommand):
    help = "Run a debate in the terminal and print it as it happens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("question")
        parser.add_argument("--preset", choices=sorted(PRESETS), help="a named panel")
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            metavar="KEY",
            help="a seat's catalog key (repeat: one per seat), e.g. demo:demo-sage",
        )
        parser.add_argument("--rounds", type=int, default=2, help="rebuttal rounds (1-5)")
        parser.add_argument("--judge", action="append", default=[], metavar="KEY")
        parser.add_argument("--fast", action="store_true", help="demo text without the pacing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["fast"]:
            settings.DEMO_TOKENS_PER_SECOND = 0
        user = User.objects.filter(email=CLI_EMAIL).first() or user_create(
            email=CLI_EMAIL, password=None, display_name="Command line"
        )
        team = active_team_for_user(user=user)
        assert team is not None
        roles = ["proponent", "skeptic", "pragmatist", "researcher", "devils_advocate"]
        try:
            if options["model"]:
                seats = [
                    SeatInput(model=key, role=roles[i % len(roles)])
                    for i, key in enumerate(options["model"])
                ]
            else:
                seats = seats_from_preset(options["preset"] or DEFAULT_PRESET)
            # Run it here rather than in a worker: this command is the worker.
            debate = debate_create(
                user=user,
                team=team,
                question=options["question"],
                seats=seats,
                rounds=options["rounds"],
                judges=options["judge"],
                run_in_worker=False,
            )
        except ValidationFailed as exc:
            problems = "; ".join(m for ms in exc.extra["fields"].values() for m in ms)
            raise CommandError(f"{exc.detail} {problems}") from exc
        self.stdout.write(self.style.MIGRATE_HEADING(f"Debate {debate.pk}"))
        if debate.uses_demo:
            self.stdout.write(
                self.style.WARNING("Demo models: the text below is generated offline.")
            )
        status = asyncio.run(self._run(debate))
        self.stdout.write(self.style.MIGRATE_HEADING(f"Finished: {status}"))

    async def _run(self, debate: Debate) -> str | None:
        task = asyncio.create_task(debate_run(debate.pk))
        printed = 0
        while True:
            done = task.done()
            printed = await self._print_new(debate, printed)
            if done:
                return task.result()
            await asyncio.sleep(0.2)

    async def _print_new(self, debate: Debate, after: int) -> int:
        async for event in DebateEvent.objects.filter(debate=debate, seq__gt=after).order_by("seq"):
            self._print(event)
            after = event.seq
        return after

    def _print(self, event: DebateEvent) -> None:
        p, out = event.payload, self.stdout
        if event.type == "stage.started":
            title = p["stage"] if p["round"] in (None, 0) else f"{p['stage']} round {p['round']}"
            out.write(self.style.MIGRATE_HEADING(f"\n== {title.upper()} =="))
        elif event.type == "turn.completed":
            out.write(self.style.SUCCESS(f"\n{p['label']} (stance: {p['stance']})"))
            out.write(textwrap.indent(textwrap.fill(p["content"], WIDTH - 2), "  "))
        elif event.type == "turn.failed":
            out.write(self.style.ERROR(f"\n{p['label']} failed: {p['error_code']} {p['detail']}"))
        elif event.type == "judgment.completed":
            if p["status"] == "completed":
                out.write(
                    f"  {p['judge']} scores {p['label']}: {p['total']:.1f}/10 - {p['rationale']}"
                )
            else:
                out.write(self.style.WARNING(f"  {p['judge']} failed to judge {p['label']}"))
        elif event.type == "stage.completed" and p.get("stage") == "synthesis":
            synthesis = p["synthesis"]
            out.write(self.style.MIGRATE_HEADING("\n== THE CHAIR'S ANSWER =="))
            if synthesis.get("consensus"):
                out.write(self.style.SUCCESS("Consensus:"))
                out.write(textwrap.fill(synthesis["consensus"], WIDTH))
            for point in synthesis.get("disagreements", []):
                out.write(f"  - disagreement: {point}")
            out.write(self.style.SUCCESS("Recommendation:"))
            out.write(textwrap.fill(synthesis["recommendation"], WIDTH))
            if synthesis.get("confidence") is not None:
                out.write(f"Confidence: {synthesis['confidence']:.0%}")
        elif event.type in ("debate.completed", "debate.failed", "debate.cancelled"):
            for row in p.get("scoreboard", []):
                if row.get("rank"):
                    out.write(f"  #{row['rank']} {row['label']} {row['model_name']}: {row['mean']}")
            if p.get("reason"):
                out.write(self.style.WARNING(f"Reason: {p['reason']} {p.get('detail', '')}"))
            usage = p["usage"]
            out.write(
                f"Tokens: {usage['input_tokens']} in, {usage['output_tokens']} out; "
                f"cost ${usage['cost_usd']}"
            )
