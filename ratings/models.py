"""Pairwise outcomes and the model ratings fitted from them.

Outcomes are recorded by id, the way ops records by name: a debate is a `debate_id` and seats
are their panel positions, so the ratings outlive the texts of a debate (retention, deletion)
and this app never depends on the debates app's tables beyond the model catalog it rates.
Which boards an outcome counts on is stored with it (`team`, `is_public`).

Two sources of outcomes, never mixed: the judges' (`PairwiseOutcome`, written at finalization)
and the readers' (`HumanOutcome`, derived from each `HumanVote`). Every board, rating and
snapshot says which source it was fitted from (`source`); both are fitted by the same code.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from debates.models import Category, SeatRole


class PairOutcome(models.TextChoices):
    A = "a", _("First model won")
    B = "b", _("Second model won")
    TIE = "tie", _("Tie")


class Board(models.TextChoices):
    PUBLIC = "public", _("Public")
    TEAM = "team", _("Team")


class RatingSource(models.TextChoices):
    JUDGES = "judges", _("Judges")
    HUMANS = "humans", _("Readers")


class VoteChoice(models.TextChoices):
    SEAT = "seat", _("A seat was best")
    TIE = "tie", _("Tie")
    ALL_BAD = "all_bad", _("All bad")


class PairwiseOutcome(models.Model):
    """One judge's verdict between two seats of a finished debate (seat_a comes first on the
    panel): the raw material of the model ratings. Written once per debate, at finalization."""

    debate_id = models.UUIDField(db_index=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    is_public = models.BooleanField(
        default=False, help_text=_("Counted on the public board (the debate is public).")
    )
    judge_model = models.ForeignKey("debates.LLMModel", on_delete=models.PROTECT, related_name="+")
    seat_a = models.PositiveSmallIntegerField(help_text=_("Panel position of the first seat."))
    seat_b = models.PositiveSmallIntegerField(help_text=_("Panel position of the second seat."))
    model_a = models.ForeignKey("debates.LLMModel", on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey("debates.LLMModel", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=4, choices=PairOutcome.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    role_a = models.CharField(max_length=20, choices=SeatRole.choices)
    role_b = models.CharField(max_length=20, choices=SeatRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debate_id", "judge_model", "seat_a", "seat_b"]
        indexes = [models.Index(fields=["team", "category"]), models.Index(fields=["is_public"])]
        constraints = [
            models.UniqueConstraint(
                fields=["debate_id", "judge_model", "seat_a", "seat_b"],
                name="ratings_pairwise_outcome_once",
            ),
            models.CheckConstraint(
                condition=models.Q(seat_a__lt=models.F("seat_b")),
                name="ratings_pairwise_outcome_seat_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_a_id} vs {self.model_b_id}: {self.outcome}"


def _board_matches_team() -> models.Q:
    return models.Q(board=Board.PUBLIC, team__isnull=True) | models.Q(
        board=Board.TEAM, team__isnull=False
    )


class RatingBoard(models.Model):
    """A leaderboard's bookkeeping: the public board, or one team's private board. Its row is
    locked while the board is refitted, so two refits never interleave their writes."""

    key = models.CharField(max_length=60, unique=True)
    board = models.CharField(max_length=10, choices=Board.choices)
    source = models.CharField(
        max_length=10, choices=RatingSource.choices, default=RatingSource.JUDGES
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    refitted_at = models.DateTimeField(null=True, blank=True)
    outcomes = models.PositiveIntegerField(default=0)
    debates = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_board_matches_team(), name="ratings_ratingboard_team"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class ModelRating(models.Model):
    """A model's Bradley-Terry rating in one scope: a board (public, or a team's), and all
    categories ("") or one, all roles ("") or one."""

    board = models.CharField(max_length=10, choices=Board.choices)
    source = models.CharField(
        max_length=10, choices=RatingSource.choices, default=RatingSource.JUDGES
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    role = models.CharField(max_length=20, choices=SeatRole.choices, blank=True)
    llm_model = models.ForeignKey(
        "debates.LLMModel", on_delete=models.CASCADE, related_name="ratings"
    )
    rating = models.FloatField()
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    rank = models.PositiveIntegerField()
    matches = models.PositiveIntegerField()
    wins = models.PositiveIntegerField()
    losses = models.PositiveIntegerField()
    ties = models.PositiveIntegerField()
    win_rate = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "-rating"]
        indexes = [models.Index(fields=["board", "team", "category", "role", "rank"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "board", "category", "role", "llm_model"],
                condition=models.Q(team__isnull=True),
                name="ratings_modelrating_public_scope",
            ),
            models.UniqueConstraint(
                fields=["source", "team", "category", "role", "llm_model"],
                condition=models.Q(team__isnull=False),
                name="ratings_modelrating_team_scope",
            ),
            models.CheckConstraint(
                condition=_board_matches_team(), name="ratings_modelrating_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.llm_model_id} {self.board} {self.category}/{self.role}: {self.rating:.0f}"


class RatingSnapshot(models.Model):
    """A model's rating after a refit that changed it: the points of its history chart."""

    board = models.CharField(max_length=10, choices=Board.choices)
    source = models.CharField(
        max_length=10, choices=RatingSource.choices, default=RatingSource.JUDGES
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    role = models.CharField(max_length=20, choices=SeatRole.choices, blank=True)
    llm_model = models.ForeignKey(
        "debates.LLMModel", on_delete=models.CASCADE, related_name="rating_snapshots"
    )
    rating = models.FloatField()
    ci_low = models.FloatField()
    ci_high = models.FloatField()
    rank = models.PositiveIntegerField()
    matches = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["llm_model", "board", "team", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=_board_matches_team(), name="ratings_ratingsnapshot_team"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.llm_model_id} {self.board} {self.created_at:%Y-%m-%d}: {self.rating:.0f}"


class HumanVote(models.Model):
    """One reader's vote on a finished debate: the best seat, a tie or "all bad". One per
    person and debate, changeable. Recorded by debate id, like the outcomes, so it outlives
    the debate's text. Only a blind vote (cast before the seats' models were shown to the
    voter) feeds the readers' board."""

    debate_id = models.UUIDField(db_index=True)
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    is_public = models.BooleanField(default=False)
    category = models.CharField(max_length=20, choices=Category.choices)
    choice = models.CharField(max_length=10, choices=VoteChoice.choices)
    seat = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Panel position of the best seat (choice = seat).")
    )
    blind = models.BooleanField(
        default=False, help_text=_("Cast before the seats' models were shown to the voter.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["debate_id", "voter"], name="ratings_vote_once"),
            models.CheckConstraint(
                condition=models.Q(choice="seat", seat__isnull=False)
                | (~models.Q(choice="seat") & models.Q(seat__isnull=True)),
                name="ratings_vote_seat_with_choice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter_id} on {self.debate_id}: {self.choice} {self.seat}"


class HumanOutcome(models.Model):
    """A pairwise outcome derived from one blind vote (see ratings.maths.vote_outcomes): the
    same fields the judges' outcomes have, so both boards are fitted by the same code."""

    vote = models.ForeignKey(HumanVote, on_delete=models.CASCADE, related_name="outcomes")
    debate_id = models.UUIDField(db_index=True)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    is_public = models.BooleanField(default=False)
    seat_a = models.PositiveSmallIntegerField()
    seat_b = models.PositiveSmallIntegerField()
    model_a = models.ForeignKey("debates.LLMModel", on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey("debates.LLMModel", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=4, choices=PairOutcome.choices)
    category = models.CharField(max_length=20, choices=Category.choices)
    role_a = models.CharField(max_length=20, choices=SeatRole.choices)
    role_b = models.CharField(max_length=20, choices=SeatRole.choices)

    class Meta:
        ordering = ["debate_id", "seat_a", "seat_b"]
        indexes = [models.Index(fields=["team", "category"]), models.Index(fields=["is_public"])]
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "seat_a", "seat_b"], name="ratings_human_outcome_once"
            ),
            models.CheckConstraint(
                condition=models.Q(seat_a__lt=models.F("seat_b")),
                name="ratings_human_outcome_seat_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_a_id} vs {self.model_b_id}: {self.outcome} (vote)"


class VoteReveal(models.Model):
    """A reader was shown the seats' models of a debate before voting ("skip and reveal", or
    a page that names them): a vote they cast afterwards is not blind."""

    debate_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debate_id", "user"], name="ratings_reveal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.debate_id}"
