"""Evaluate a panel on a dataset in the terminal:
`manage.py eval DATASET.jsonl --panel PRESET_OR_SPEC [--team ID] [--out report.json]`.

Runs here, in this process (the command is the worker), under the team's plan like any
evaluation; the evaluation is stored and its report opens in the web app afterwards. DATASET
is a file path, or the name of a shipped dataset (e.g. consultation-30).
"""

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Team, User
from accounts.selectors import active_team_for_user
from accounts.services import user_create
from consultation.exceptions import AppError, ValidationFailed
from evals.datasets import (
    LAYOUTS,
    DatasetError,
    load_dataset,
    shipped_dataset_text,
    shipped_datasets,
)
from evals.models import Evaluation
from evals.report import report_markdown
from evals.runner import evaluation_run
from evals.services import evaluation_create, panel_from_spec

CLI_EMAIL = "cli@consultation.local"


class Command(BaseCommand):
    help = "Run a panel, its members alone and the best member's self-consistency on a dataset."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dataset", help="a .jsonl file, or a shipped dataset's name")
        parser.add_argument(
            "--panel", required=True, help="a preset slug, or catalog keys: a,b,c (key@role)"
        )
        parser.add_argument("--rounds", type=int, default=None, help="rebuttal rounds")
        parser.add_argument("--team", help="the team's id (default: the CLI account's own)")
        parser.add_argument("--layout", choices=[*LAYOUTS, "mmlu_csv"], default="auto")
        parser.add_argument("--judge", help="catalog key of the free-text judge")
        parser.add_argument("--samples", type=int, help="most self-consistency samples")
        parser.add_argument("--limit", type=int, help="only the first N questions")
        parser.add_argument("--out", help="write the report here (.json, or .md for Markdown)")
        parser.add_argument("--fast", action="store_true", help="demo text without the pacing")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["fast"]:
            settings.DEMO_TOKENS_PER_SECOND = 0
        questions = self._questions(options)
        user, team = self._workspace(options["team"])
        try:
            seats, rounds, preset = panel_from_spec(options["panel"], rounds=options["rounds"])
            evaluation = evaluation_create(
                user=user,
                team=team,
                name=Path(options["dataset"]).stem,
                questions=questions,
                seats=seats,
                rounds=rounds,
                preset=preset,
                judge=options["judge"],
                max_samples=options["samples"],
                run_in_worker=False,
            )
        except ValidationFailed as exc:
            problems = "; ".join(m for ms in exc.extra["fields"].values() for m in ms)
            raise CommandError(f"{exc.detail} {problems}") from exc
        except AppError as exc:
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                f"Evaluation {evaluation.pk}: {len(questions)} questions, "
                f"{len(seats)} seats, {rounds} rounds"
            )
        )
        if evaluation.uses_demo:
            self.stdout.write(
                self.style.WARNING("Demo models: the figures show the mechanics only.")
            )
        status = evaluation_run(evaluation_id=evaluation.pk)
        evaluation = Evaluation.objects.get(pk=evaluation.pk)
        self._summary(evaluation)
        if options["out"]:
            out = Path(options["out"])
            text = (
                report_markdown(evaluation.report)
                if out.suffix == ".md"
                else json.dumps(evaluation.report, indent=2, ensure_ascii=False)
            )
            out.write_text(text, encoding="utf-8")
            self.stdout.write(f"Report written to {out}")
        if status != "completed":
            raise CommandError(
                f"The evaluation ended {status}: {evaluation.failure_code} "
                f"{evaluation.failure_detail}".strip()
            )

    def _questions(self, options: dict[str, Any]) -> list[Any]:
        source = options["dataset"]
        try:
            path = Path(source)
            if path.exists():
                text = path.read_text(encoding="utf-8")
            elif source in shipped_datasets():
                text = shipped_dataset_text(source)
            else:
                raise CommandError(
                    f"No such file, and no shipped dataset called {source!r} "
                    f"(shipped: {', '.join(shipped_datasets())})."
                )
            questions = load_dataset(text, layout=options["layout"])
        except DatasetError as exc:
            raise CommandError(str(exc)) from exc
        return questions[: options["limit"]] if options["limit"] else questions

    def _workspace(self, team_id: str | None) -> tuple[User, Team]:
        if team_id:
            team = Team.objects.filter(pk=team_id).first()
            if team is None:
                raise CommandError(f"No team {team_id}.")
            owner = team.memberships.filter(role="owner").select_related("user").first()
            user = owner.user if owner else team.created_by
            if user is None:
                raise CommandError("That team has no owner to run the evaluation as.")
            return user, team
        user = User.objects.filter(email=CLI_EMAIL).first() or user_create(
            email=CLI_EMAIL, password=None, display_name="Command line"
        )
        active = active_team_for_user(user=user)
        assert active is not None
        return user, active

    def _summary(self, evaluation: Evaluation) -> None:
        report = evaluation.report
        for arm in report.get("arms", []):
            best = " (best member)" if arm.get("best") else ""
            self.stdout.write(
                f"  {arm['label']}{best}: {arm['accuracy']:.1%} "
                f"[{arm['ci_low']:.1%}, {arm['ci_high']:.1%}] of {arm['n']}, "
                f"${arm['cost_usd']:.4f}, {arm['tokens_per_question']:.0f} tokens/question"
            )
        for c in report.get("comparisons", []):
            self.stdout.write(
                f"  {c['a']} vs {c['b']}: McNemar exact p={c['mcnemar']['exact_p']:.3f}, "
                f"difference {c['paired_bootstrap']['difference']:+.3f}"
            )
