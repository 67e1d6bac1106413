"""The API's render cache of a debate's detail (debates.detail_cache): what it serves is what
the uncached path renders, every change to what the detail shows is served at once, whether
the debate runs or is finished, and access is checked before it."""

import json
from decimal import Decimal
from fnmatch import fnmatch
from functools import partial
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.admin.sites import site as admin_site
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import team_switch
from apikeys.tests.factories import make_key
from consultation.cache import RedisCache
from debates.api import DebateDetailOutput
from debates.detail_cache import UNFINISHED_SECONDS, _Recent
from debates.models import Debate, DebateStatus, Judgment, LLMModel, Turn
from debates.orchestration import writes
from debates.orchestration.engine import DebatePipeline
from debates.orchestration.progress import turn_complete
from debates.prompts import ParsedTurn
from debates.services.creation import debate_cancel
from debates.services.retention import debate_anonymise, debates_anonymise_for_user
from debates.services.running import debate_run
from debates.services.sharing import debate_set_listed, debate_set_public, debate_share
from debates.services.tidy import debate_delete, debate_rename
from debates.tests import factories
from debates.tests.factories import personal_team
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


def _finished(owner: User, **options: Any) -> Debate:
    debate = make_debate(owner, **options)
    pipeline = DebatePipeline(providers=lambda _name: ScriptedProvider(), heartbeat_s=3600)
    async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
    debate.refresh_from_db()
    assert debate.status == DebateStatus.COMPLETED
    return debate


def _key_client(owner: User, team: Team | None = None) -> Client:
    key = make_key(actor=owner, team=team or personal_team(owner), scopes=["debates:read"]).key
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def reader(owner: User) -> Client:
    return _key_client(owner)


def _url(debate: Debate) -> str:
    return f"/api/v1/debates/{debate.pk}/"


def _uncached(client: Client, debate: Debate, settings: Any) -> bytes:
    settings.API_DETAIL_CACHE_SECONDS = 0
    try:
        response = client.get(_url(debate))
    finally:
        settings.API_DETAIL_CACHE_SECONDS = 3600
    assert response.status_code == 200
    assert "ETag" not in response
    return response.content


def _entries(debate: Debate) -> int:
    """How many renders of `debate` the cache holds (local memory, or Redis in the services
    run)."""
    cache = caches["renders"]
    pattern = cache.make_key(f"debate-detail:{debate.pk}:*")
    if isinstance(cache, RedisCache):
        return len(cache._cache.get_client().keys(pattern))
    return sum(fnmatch(key, pattern) for key in cache._cache)  # type: ignore[attr-defined]


def test_a_cached_detail_is_the_uncached_one_byte_for_byte(
    owner: User, reader: Client, settings: Any
) -> None:
    debate = _finished(owner, rounds=2)
    first = reader.get(_url(debate))
    assert first.status_code == 200
    assert _entries(debate) == 1
    second = reader.get(_url(debate))
    assert second.content == first.content == _uncached(reader, debate, settings)
    # The same headers as DRF's own response (RateLimit, request id, Vary, security headers),
    # and the ETag.
    settings.API_DETAIL_CACHE_SECONDS = 0
    plain = reader.get(_url(debate))
    assert set(second.headers) == set(plain.headers) | {"ETag"}
    assert second["Vary"] == plain["Vary"]
    assert second["Content-Type"] == first["Content-Type"] == "application/json"
    assert second["ETag"] == first["ETag"]
    body = json.loads(second.content)
    assert list(body) == list(DebateDetailOutput().fields)
    assert len(body["turns"]) == 9


@pytest.mark.parametrize("status", [DebateStatus.FAILED, DebateStatus.CANCELLED])
def test_failed_and_cancelled_debates_are_cached_the_same_way(
    owner: User, reader: Client, settings: Any, status: str
) -> None:
    debate = make_debate(owner, status=status)
    first = reader.get(_url(debate))
    assert _entries(debate) == 1
    assert reader.get(_url(debate)).content == first.content == _uncached(reader, debate, settings)
    assert json.loads(first.content)["status"] == status


def test_a_cached_hit_reads_the_debate_row_alone(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    reader.get(_url(debate))  # the key, the plan's rate and the render cached
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(_url(debate))
    assert response.status_code == 200
    # The debate with the catalog's last change: the access check's one query.
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_an_uncached_read_takes_the_seven_detail_queries(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    reader.get(_url(_finished(owner)))  # the key and the plan's rate cached, not this render
    with CaptureQueriesContext(connection) as queries:
        reader.get(_url(debate))
    reads = [q["sql"] for q in queries.captured_queries if "debates_" in q["sql"]]
    # The debate, its chair, judges, seats, turns, judgments and documents.
    assert len(reads) == 7, reads


def test_a_running_debate_is_cached_and_each_write_of_its_run_is_served_at_once(
    owner: User, reader: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each of the pipeline's writes (on its database thread, as it commits) the cached
    detail is what the uncached path renders then: no write changes what the detail shows
    without moving its key (were there one, the read after it would be served the entry of the
    read before it)."""
    settings.RATELIMIT_ENABLE = False  # two reads per write: more than a plan's minute allows
    debate = make_debate(owner, rounds=2)
    etags: list[str] = []
    stale: list[str] = []  # the writes after which the cache served something else

    def check(after: str) -> None:
        cached = reader.get(_url(debate))
        assert cached.status_code == 200
        if cached.content != _uncached(reader, debate, settings):
            stale.append(after)
        etags.append(cached["ETag"])

    def checked(fn: Any) -> Any:
        def write(**kwargs: Any) -> Any:
            value = fn(**kwargs)
            check(after=fn.__name__)
            return value

        return write

    real_apply = writes._apply

    def apply(batch: list[tuple[Any, Any, dict[str, Any]]]) -> Any:
        return real_apply([(kind, checked(fn), kwargs) for kind, fn, kwargs in batch])

    monkeypatch.setattr(writes, "_apply", apply)
    pipeline = DebatePipeline(providers=lambda _name: ScriptedProvider(), heartbeat_s=3600)
    async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
    check(after="debate_finalize")
    debate.refresh_from_db()
    assert debate.status == DebateStatus.COMPLETED
    assert stale == []
    # Every stage's start, text, turn and judgment was a write of its own, each a new render.
    assert len(set(etags)) >= 9 + 6, etags
    assert json.loads(reader.get(_url(debate)).content)["status"] == DebateStatus.COMPLETED


def test_a_running_debate_is_cached_until_its_next_event(owner: User, reader: Client) -> None:
    debate = make_debate(owner, status=DebateStatus.RUNNING)
    before = reader.get(_url(debate))
    assert before.status_code == 200
    assert _entries(debate) == 1
    assert reader.get(_url(debate), headers={"If-None-Match": before["ETag"]}).status_code == 304
    seat = debate.seats.get(position=0)
    turn_complete(
        debate_id=debate.pk,
        seat_id=seat.pk,
        label="A",
        round_number=0,
        output=ParsedTurn(
            content="Yes.", stance="for", confidence=0.9, key_claims=(), structured=True
        ),
        model_id=seat.llm_model_id,
        input_tokens=10,
        output_tokens=5,
        cost=Decimal("0.001"),
        latency_ms=20,
    )
    after = reader.get(_url(debate))
    assert after["ETag"] != before["ETag"]
    assert [turn["content"] for turn in json.loads(after.content)["turns"]] == ["Yes."]
    assert _entries(debate) == 2


def test_a_running_debates_render_is_kept_a_minute_at_most(
    owner: User, reader: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept: list[int] = []
    real_set = caches["renders"].set

    def set_(key: str, value: Any, timeout: int) -> None:
        kept.append(timeout)
        real_set(key, value, timeout=timeout)

    monkeypatch.setattr(caches["renders"], "set", set_)
    reader.get(_url(make_debate(owner, status=DebateStatus.RUNNING)))
    reader.get(_url(make_debate(owner, status=DebateStatus.QUEUED)))
    reader.get(_url(_finished(owner)))
    assert kept == [UNFINISHED_SECONDS, UNFINISHED_SECONDS, 3600]


def _member_in(member: User, team: Team) -> Client:
    team_switch(user=member, team=team)
    client = Client()
    client.force_login(member)
    return client


def test_a_cached_detail_stays_hidden_from_others(
    owner: User, member: User, team: Team, outsider: User, reader: Client
) -> None:
    debate = _finished(owner, team=team)
    assert _key_client(owner, team).get(_url(debate)).status_code == 200
    assert _entries(debate) == 1
    # Another team (the owner's personal one), a member before it is shared, an outsider:
    # 404 each, the cached render never reached.
    assert reader.get(_url(debate)).status_code == 404
    assert _member_in(member, team).get(_url(debate)).status_code == 404
    assert _key_client(outsider).get(_url(debate)).status_code == 404
    etag = _key_client(owner, team).get(_url(debate))["ETag"]
    assert _key_client(outsider).get(_url(debate), headers={"If-None-Match": etag}).status_code == (
        404
    )


def test_unsharing_hides_a_cached_detail_from_the_team(
    owner: User, member: User, team: Team
) -> None:
    debate = _finished(owner, team=team)
    member_reader = _member_in(member, team)
    assert _key_client(owner, team).get(_url(debate)).status_code == 200
    assert member_reader.get(_url(debate)).status_code == 404
    debate_share(actor=owner, debate=debate, shared=True)
    shared = member_reader.get(_url(debate))
    assert shared.status_code == 200
    assert shared.content == _key_client(owner, team).get(_url(debate)).content
    debate_share(actor=owner, debate=debate, shared=False)
    assert member_reader.get(_url(debate)).status_code == 404


def test_an_unchanged_detail_answers_304_to_its_etag(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    first = reader.get(_url(debate))
    etag = first["ETag"]
    again = reader.get(_url(debate), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # The contracts of every API response hold for a 304 too.
    assert again["X-Request-ID"]
    assert "RateLimit" in again or "RateLimit-Limit" in again
    assert "private" in again["Cache-Control"]
    assert reader.get(_url(debate), headers={"If-None-Match": '"other"'}).status_code == 200


def _detail(client: Client, debate: Debate) -> dict[str, Any]:
    response = client.get(_url(debate))
    assert response.status_code == 200
    body: dict[str, Any] = json.loads(response.content)
    return body


def _changes_served_at_once(
    client: Client, debate: Debate, settings: Any, change: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The detail before and after `change()`, each from the cache; the one after equals an
    uncached render, and the old ETag no longer matches."""
    before = client.get(_url(debate))
    assert client.get(_url(debate)).content == before.content  # cached
    change()
    after = client.get(_url(debate))
    assert after.status_code == 200
    assert after.content == _uncached(client, debate, settings)
    assert after["ETag"] != before["ETag"]
    stale = client.get(_url(debate), headers={"If-None-Match": before["ETag"]})
    assert stale.status_code == 200
    return json.loads(before.content), json.loads(after.content)


def test_opening_and_closing_the_public_link_shows_at_once(
    owner: User, reader: Client, settings: Any
) -> None:
    debate = _finished(owner)
    before, after = _changes_served_at_once(
        reader, debate, settings, lambda: debate_set_public(actor=owner, debate=debate, public=True)
    )
    assert (before["is_public"], after["is_public"]) == (False, True)
    _, listed = _changes_served_at_once(
        reader, debate, settings, lambda: debate_set_listed(actor=owner, debate=debate, listed=True)
    )
    assert listed["listed_in_hall_of_fame"] is True
    _, closed = _changes_served_at_once(
        reader,
        debate,
        settings,
        lambda: debate_set_public(actor=owner, debate=debate, public=False),
    )
    assert (closed["is_public"], closed["listed_in_hall_of_fame"]) == (False, False)


def test_retention_wipes_a_cached_detail_at_once(
    owner: User, reader: Client, settings: Any
) -> None:
    debate = _finished(owner)
    before, after = _changes_served_at_once(
        reader, debate, settings, lambda: debate_anonymise(debate_id=debate.pk)
    )
    assert any(turn["content"] for turn in before["turns"])
    assert not any(turn["content"] for turn in after["turns"])
    assert not any(judgment["rationale"] for judgment in after["judgments"])
    assert after["question"] != before["question"]
    assert after["synthesis"] == {}


def test_an_account_deletion_wipes_a_cached_detail_at_once(
    owner: User, reader: Client, settings: Any
) -> None:
    debate = _finished(owner)
    _, after = _changes_served_at_once(
        reader,
        debate,
        settings,
        lambda: debates_anonymise_for_user(user=owner, team_ids=[]),
    )
    assert not any(turn["content"] for turn in after["turns"])


def test_a_deleted_debate_is_gone_even_when_cached(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    assert reader.get(_url(debate)).status_code == 200
    debate_delete(actor=owner, debate=debate)
    assert reader.get(_url(debate)).status_code == 404


def test_a_rename_keeps_the_detail_right(owner: User, reader: Client, settings: Any) -> None:
    debate = _finished(owner)
    before, after = _changes_served_at_once(
        reader, debate, settings, lambda: debate_rename(actor=owner, debate=debate, title="Week")
    )
    assert after == before  # the title is not part of the detail; its row changed, its key too


def test_a_model_renamed_in_the_catalog_shows_at_once(
    owner: User, reader: Client, settings: Any
) -> None:
    debate = _finished(owner)

    def rename() -> None:
        model = LLMModel.objects.get(key="demo:demo-skeptic")
        model.display_name = "Demo Doubter"
        model.save()

    before, after = _changes_served_at_once(reader, debate, settings, rename)
    assert "Demo Doubter" not in json.dumps(before)
    assert "Demo Doubter" in [seat["model"]["display_name"] for seat in after["seats"]]


@pytest.mark.parametrize(("model", "field"), [(Turn, "content"), (Judgment, "rationale")])
def test_a_turn_or_judgment_edited_in_the_admin_shows_at_once(
    owner: User,
    staff: User,
    reader: Client,
    settings: Any,
    model: type[Turn] | type[Judgment],
    field: str,
) -> None:
    debate = _finished(owner)
    row = model.objects.filter(debate=debate).order_by("pk")[0]
    model_admin = admin_site._registry[model]
    request = RequestFactory().post("/admin/")
    request.user = staff

    def edit() -> None:
        setattr(row, field, "Corrected by staff.")
        model_admin.save_model(request, row, form=None, change=True)

    _, after = _changes_served_at_once(reader, debate, settings, edit)
    items = after["turns"] if model is Turn else after["judgments"]
    assert "Corrected by staff." in [item[field] for item in items]

    def delete() -> None:
        edited = model.objects.filter(debate=debate, **{field: "Corrected by staff."})
        model_admin.delete_queryset(request, edited)

    _, gone = _changes_served_at_once(reader, debate, settings, delete)
    items = gone["turns"] if model is Turn else gone["judgments"]
    assert "Corrected by staff." not in [item[field] for item in items]


def test_a_parent_deleted_for_good_unlinks_a_cached_follow_up(
    owner: User, reader: Client, settings: Any
) -> None:
    parent = _finished(owner)
    parent_id = str(parent.pk)
    child = _finished(owner)
    Debate.objects.filter(pk=child.pk).update(follow_up_of=parent)
    before, after = _changes_served_at_once(reader, child, settings, parent.delete)
    assert (before["follow_up_of"], after["follow_up_of"]) == (parent_id, None)


def test_each_language_gets_its_own_render(owner: User, reader: Client, settings: Any) -> None:
    debate = _finished(owner)
    english = _detail(reader, debate)["ranking"]["explanation"]
    turkish = reader.get(_url(debate), headers={"Accept-Language": "tr"})
    assert json.loads(turkish.content)["ranking"]["explanation"] != english
    assert _entries(debate) == 2
    assert turkish.content == reader.get(_url(debate), headers={"Accept-Language": "tr"}).content
    assert _detail(reader, debate)["ranking"]["explanation"] == english


def test_a_cancelled_debate_is_served_cancelled_at_once(owner: User, reader: Client) -> None:
    debate = make_debate(owner, status=DebateStatus.RUNNING)
    reader.get(_url(debate))
    debate_cancel(debate=debate)
    Debate.objects.filter(pk=debate.pk).update(
        status=DebateStatus.CANCELLED, finished_at=timezone.now()
    )
    assert _detail(reader, debate)["status"] == DebateStatus.CANCELLED
    assert _entries(debate) == 2


def test_an_indented_answer_is_rendered_as_asked(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    compact = reader.get(_url(debate)).content
    indented = reader.get(_url(debate), headers={"Accept": "application/json; indent=2"})
    assert indented.status_code == 200
    assert indented.content != compact
    assert json.loads(indented.content) == json.loads(compact)


def test_the_process_keeps_its_recent_renders_in_front_of_the_cache(
    owner: User, reader: Client
) -> None:
    debate = _finished(owner)
    first = reader.get(_url(debate)).content
    caches["renders"].clear()  # e.g. another web process's Redis eviction
    assert reader.get(_url(debate)).content == first  # from the process's own copy
    assert _entries(debate) == 0


def test_the_recent_renders_are_bounded() -> None:
    recent = _Recent(size=2)
    for name in "abc":
        recent.put(name, name.encode())
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (None, b"b", b"c")
    recent.get("b")  # used: kept over "c"
    recent.put("d", b"d")
    assert (recent.get("b"), recent.get("c"), recent.get("d")) == (b"b", None, b"d")


def test_each_time_zone_gets_its_own_render(owner: User, reader: Client) -> None:
    debate = _finished(owner)
    utc = _detail(reader, debate)["created_at"]
    with timezone.override("Europe/Istanbul"):
        istanbul = _detail(reader, debate)["created_at"]
    assert istanbul != utc
    assert istanbul.endswith("+03:00")
    assert _entries(debate) == 2
