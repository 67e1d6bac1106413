"""No over-admission: creations racing for a team's last debates of the month, on PostgreSQL.

Real threads, each with its own database connection, start together on a barrier; the lock on
the team's billing account lets exactly the plan's number through. SQLite serializes writers
anyway (IMMEDIATE transactions), so the race only means something on PostgreSQL.
"""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from accounts.models import User
from billing.models import Plan, QuotaReservation
from consultation.exceptions import QuotaExceeded
from debates.models import Debate
from debates.services.creation import SeatInput, debate_create
from debates.tests.factories import personal_team

LIMIT, EXTRA = 5, 4


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_racing_creations_admit_exactly_the_plans_debates(owner: User) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks under real concurrency (make test-services)")
    Plan.objects.filter(slug="free").update(debates_per_month=LIMIT)
    team = personal_team(owner)
    barrier = threading.Barrier(LIMIT + EXTRA)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def create(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            debate_create(
                user=owner,
                team=team,
                question=f"Racing question number {number} for the quota?",
                seats=[
                    SeatInput("demo:demo-sage", "proponent"),
                    SeatInput("demo:demo-skeptic", "skeptic"),
                ],
                rounds=1,
                run_in_worker=False,
            )
            outcome = "created"
        except QuotaExceeded:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=create, args=(n,)) for n in range(LIMIT + EXTRA)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == {"created": LIMIT, "refused": EXTRA}
    assert Debate.objects.filter(team=team).count() == LIMIT
    assert QuotaReservation.objects.filter(team=team).count() == LIMIT
