"""The API's debate detail is built from plain rows (`debate_detail_data`): it must be the
documented serializer's output exactly, for every kind of debate, in the same few queries."""

import json
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.db.models import Prefetch
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from debates.api import DebateDetailOutput, debate_detail_data
from debates.models import Debate, DebateDocument, Judgment, Seat, Turn
from debates.orchestration.engine import DebatePipeline
from debates.providers.base import CompletionRequest, ProviderAuthError
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pro_by_default")]

make_debate = partial(
    factories.make_debate,
    models=["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist"],
    judges=("demo:demo-scout", "demo:demo-sage"),
    chair="demo:demo-scout",
)


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.DEBATE_MIN_REQUIRED_SEATS = 2
    settings.DEBATE_MAX_SEAT_FAIL_RATIO = 0.4


def _by_serializer(debate_id: Any) -> Any:
    debate = (
        Debate.objects.select_related("team", "created_by", "chair_model")
        .prefetch_related(
            Prefetch("seats", queryset=Seat.objects.select_related("llm_model")),
            "judge_models",
            Prefetch("turns", queryset=Turn.objects.select_related("seat")),
            Prefetch("judgments", queryset=Judgment.objects.select_related("judge_model", "seat")),
        )
        .get(pk=debate_id)
    )
    return json.loads(json.dumps(DebateDetailOutput(debate).data, default=str))


def _by_rows(debate_id: Any) -> Any:
    debate = Debate.objects.select_related("chair_model").get(pk=debate_id)
    return json.loads(json.dumps(debate_detail_data(debate), default=str))


def _run(debate: Debate, provider: ScriptedProvider) -> None:
    pipeline = DebatePipeline(providers=lambda _name: provider, heartbeat_s=3600)
    async_to_sync(debate_run)(debate.pk, pipeline=pipeline)


def test_a_queued_debate_reads_the_same_both_ways(owner: User) -> None:
    debate = make_debate(owner)
    assert _by_rows(debate.pk) == _by_serializer(debate.pk)


def test_a_finished_debate_with_documents_reads_the_same_both_ways(owner: User) -> None:
    debate = make_debate(owner, rounds=2)
    DebateDocument.objects.create(
        debate=debate, position=0, kind="document", name="brief.txt",
        content_type="text/plain", size_bytes=12, tokens=3, text="Hello there.",
    )  # fmt: skip
    _run(debate, ScriptedProvider())
    debate.refresh_from_db()
    assert debate.status == "completed"
    rows = _by_rows(debate.pk)
    assert rows == _by_serializer(debate.pk)
    assert list(rows) == list(DebateDetailOutput().fields)  # the documented order
    assert len(rows["turns"]) == 9
    assert rows["judgments"]
    assert rows["documents"]


def test_a_debate_with_a_failed_seat_reads_the_same_both_ways(owner: User) -> None:
    debate = make_debate(owner, models=["demo:demo-sage", "demo:demo-skeptic", "demo:demo-scout"])

    def refuse_the_skeptic(request: CompletionRequest) -> None:
        if request.model == "demo-skeptic":
            raise ProviderAuthError("demo", "demo-skeptic", "bad key")

    async def before(request: CompletionRequest) -> None:
        refuse_the_skeptic(request)

    _run(debate, ScriptedProvider(before=before))
    rows = _by_rows(debate.pk)
    assert rows == _by_serializer(debate.pk)
    assert any(seat["status"] == "failed" for seat in rows["seats"])


def test_the_detail_endpoint_reads_a_finished_debate_in_seven_queries(
    owner: User, owner_client: Client, settings: Any
) -> None:
    settings.API_DETAIL_CACHE_SECONDS = 0  # uncached: debates/tests/test_detail_cache.py
    debate = make_debate(owner, rounds=2)
    _run(debate, ScriptedProvider())
    owner_client.get(f"/api/v1/debates/{debate.pk}/")  # session and caches warm
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(f"/api/v1/debates/{debate.pk}/")
    assert response.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if "debates_" in q["sql"]]
    # The debate, its chair, judges, seats, turns, judgments and documents.
    assert len(reads) == 7, reads
