"""Copy the ratings that lived in the debates app into this app's tables, keeping every row.

Outcomes change shape on the way: a debate becomes its id plus the two facts that decide its
boards (team, public), and seats become their panel positions. Ratings, snapshots and board
bookkeeping are copied as they are. debates 0005 then drops the old tables.
"""

from django.db import migrations

RATED_STATUSES = ("completed", "completed_budget")


def copy_forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    old_outcome = apps.get_model("debates", "PairwiseOutcome")
    new_outcome = apps.get_model("ratings", "PairwiseOutcome")
    new_outcome.objects.bulk_create(
        new_outcome(
            debate_id=row.debate_id,
            team_id=row.debate.team_id,
            is_public=row.debate.is_public,
            judge_model_id=row.judge_model_id,
            seat_a=row.seat_a.position,
            seat_b=row.seat_b.position,
            model_a_id=row.model_a_id,
            model_b_id=row.model_b_id,
            outcome=row.outcome,
            category=row.category,
            role_a=row.role_a,
            role_b=row.role_b,
            created_at=row.created_at,
        )
        for row in old_outcome.objects.filter(debate__status__in=RATED_STATUSES).select_related(
            "debate", "seat_a", "seat_b"
        )
    )
    fields = {
        "RatingBoard": ["key", "board", "team_id", "refitted_at", "outcomes", "debates"],
        "ModelRating": [
            "board", "team_id", "category", "role", "llm_model_id", "rating", "ci_low",
            "ci_high", "rank", "matches", "wins", "losses", "ties", "win_rate", "updated_at",
        ],
        "RatingSnapshot": [
            "board", "team_id", "category", "role", "llm_model_id", "rating", "ci_low",
            "ci_high", "rank", "matches", "created_at",
        ],
    }
    for name, names in fields.items():
        old, new = apps.get_model("debates", name), apps.get_model("ratings", name)
        rows = list(old.objects.order_by("pk"))
        copies = new.objects.bulk_create(
            new(**{field: getattr(row, field) for field in names}) for row in rows
        )
        # auto_now(_add) stamped the copies with today: give them back their own times.
        stamp = next((f for f in ("created_at", "updated_at") if f in names), None)
        for row, copy in zip(rows, copies, strict=True):
            if stamp:
                new.objects.filter(pk=copy.pk).update(**{stamp: getattr(row, stamp)})


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
        ("debates", "0004_ratings"),
    ]

    operations = [migrations.RunPython(copy_forward, migrations.RunPython.noop)]
