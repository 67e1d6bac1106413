"""Readers' votes and tidying in the browser: a finished demo debate (run by `manage.py debate
--fast`, made public) gets a blind vote from a signed-in reader through its public link; its
owner stars it and filters the list by stars (back and forward included), renames it, opens
the per-seat view and copies a seat, then deletes it. Each step is checked in the database as
well as on the page. Screenshots: tests/e2e/artifacts/votes-*.png, in English and Turkish."""

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

_ADOPT = """
import json
from accounts.models import Team
from debates.models import Debate, DebateStatus
from ratings.models import PairwiseOutcome
from ratings.services import outcomes_set_public, ratings_update_for_debate
args = json.loads({args!r})
team = Team.objects.get(created_by_id=args["user"], is_personal=True)
debate = Debate.objects.get(question=args["question"], status=DebateStatus.COMPLETED)
Debate.objects.filter(pk=debate.pk).update(created_by_id=args["user"], team=team, is_public=True)
PairwiseOutcome.objects.filter(debate_id=debate.pk).update(team=team)
outcomes_set_public(debate_id=debate.pk, is_public=True)
ratings_update_for_debate(debate_id=debate.pk)
seats = [s.llm_model.display_name for s in debate.seats.order_by("position")]
models = sorted(set(seats) | {{debate.chair_model.display_name}}
                | set(debate.judge_models.values_list("display_name", flat=True)))
print(json.dumps({{"id": str(debate.pk), "seats": seats, "models": models,
                  "outcomes": PairwiseOutcome.objects.filter(debate_id=debate.pk).count()}}))
"""


@dataclass(frozen=True)
class Finished:
    owner: E2EUser
    id: str
    question: str
    seats: list[str]
    models: list[str]
    outcomes: int


def _last_json(output: str) -> dict[str, object]:
    return json.loads(output.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def finished(e2e_server: E2EServer) -> Finished:
    question = f"Should a 20-person startup adopt a four-day week? ({uuid.uuid4().hex[:6]})"
    e2e_server.manage("debate", question, "--fast", "--rounds", "1", timeout=180)
    owner = e2e_server.create_user(display_name="Ada Lovelace")
    data = _last_json(
        e2e_server.shell(_ADOPT.format(args=json.dumps({"user": owner.id, "question": question})))
    )
    return Finished(
        owner=owner,
        id=str(data["id"]),
        question=question,
        seats=list(data["seats"]),  # type: ignore[call-overload]
        models=list(data["models"]),  # type: ignore[call-overload]
        outcomes=int(data["outcomes"]),  # type: ignore[call-overload]
    )


def _db(e2e_server: E2EServer, code: str) -> dict[str, object]:
    return _last_json(e2e_server.shell(code))


def test_vote_blind_then_star_rename_seat_view_and_delete(
    page: Page, e2e_server: E2EServer, finished: Finished
) -> None:
    # --- A reader votes blind through the public link ------------------------------------
    reader = e2e_server.create_user(display_name="Grace Hopper")
    log_in(page, email=reader.email)
    page.goto(f"/d/{finished.id}/")
    main = page.locator("main")
    vote = page.locator("#vote")
    expect(vote.get_by_role("heading", name="Which seat argued best?")).to_be_visible()
    expect(page.locator(".blinded-note")).to_be_visible()
    for name in finished.models:
        expect(main).not_to_contain_text(name)
    expect(page.locator("#scoreboard-title")).to_have_count(0)
    save_screenshot(page, "votes-blind-en")
    vote.screenshot(path=ARTIFACTS / "votes-panel-blind-en.png")
    page.locator(".transcript .round").first.screenshot(path=ARTIFACTS / "votes-round-blind-en.png")

    vote.get_by_role("button", name=re.compile(r"^Seat B")).click()
    expect(page).to_have_url(re.compile(rf"/d/{finished.id}/#vote$"))
    expect(page.locator(".vote-current")).to_contain_text("Your vote: Seat B.")
    expect(page.locator(".vote-current")).to_contain_text("It counts on the readers' board.")
    expect(vote.get_by_role("button", name=re.compile(r"^Seat B"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(main).to_contain_text(finished.seats[1])  # the models show now
    expect(page.locator("#scoreboard-title")).to_be_visible()
    save_screenshot(page, "votes-after-en")
    vote.screenshot(path=ARTIFACTS / "votes-panel-after-en.png")
    stored = _db(
        e2e_server,
        f"""
import json
from ratings.models import HumanVote, HumanOutcome, ModelRating
from ratings.services import ratings_update_for_debate
vote = HumanVote.objects.get(debate_id="{finished.id}", voter_id={reader.id})
ratings_update_for_debate(debate_id=vote.debate_id, source="humans")  # what the worker does
outcomes = HumanOutcome.objects.filter(vote=vote).count()
print(json.dumps({{"choice": vote.choice, "seat": vote.seat, "blind": vote.blind,
                  "public": vote.is_public, "outcomes": outcomes,
                  "rated": ModelRating.objects.filter(source="humans", board="public",
                                                      category="", role="").count()}}))
""",
    )
    assert stored["choice"] == "seat"
    assert stored["seat"] == 1
    assert stored["blind"] is True
    assert stored["public"] is True
    assert stored["outcomes"] == len(finished.seats) - 1
    assert isinstance(stored["rated"], int)
    assert stored["rated"] >= 2

    page.goto("/leaderboard/?source=humans")
    expect(page.get_by_role("tab", name="Readers' board")).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator("table.rating-table")).to_contain_text(finished.seats[1])
    expect(page.get_by_role("heading", name="Do judges and readers agree?")).to_be_visible()
    expect(page.locator("table.agreement-table")).to_contain_text("All categories")
    save_screenshot(page, "votes-readers-board-en")

    # --- The owner stars it and filters by stars, back and forward ------------------------
    page.context.clear_cookies()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, email=finished.owner.email)
    other = (
        e2e_server.shell(
            f"""
from debates.models import Debate, Seat
from accounts.models import Team
source = Debate.objects.get(pk="{finished.id}")
team = Team.objects.get(created_by_id={finished.owner.id}, is_personal=True)
copy = Debate.objects.create(team=team, created_by_id={finished.owner.id}, status="completed",
                             question="Which database should the new service use?",
                             chair_model=source.chair_model)
print(copy.pk)
"""
        )
        .strip()
        .splitlines()[-1]
    )
    page.goto("/debates/")
    row = page.locator(".debate-row", has_text=finished.question[:40])
    expect(row).to_be_visible()
    expect(page.locator(".debate-row", has_text="Which database")).to_be_visible()
    row.get_by_role("button", name="Star").click()
    expect(row.get_by_role("button", name="Starred")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Starred only").check()
    expect(page).to_have_url(re.compile(r"starred=on"))
    expect(page.locator(".debate-row")).to_have_count(1)
    expect(page.locator(".debate-row")).to_contain_text(finished.question[:40])
    save_screenshot(page, "votes-starred-list-en")
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"starred"))
    expect(page.get_by_label("Starred only")).not_to_be_checked()
    expect(page.locator(".debate-row", has_text="Which database")).to_be_visible()
    page.go_forward()
    expect(page).to_have_url(re.compile(r"starred=on"))
    expect(page.get_by_label("Starred only")).to_be_checked()
    expect(page.locator(".debate-row")).to_have_count(1)
    starred = _db(
        e2e_server,
        f"""
import json
from debates.models import DebateStar
stars = DebateStar.objects.filter(user_id={finished.owner.id}).values_list("debate_id", flat=True)
print(json.dumps({{"stars": [str(debate_id) for debate_id in stars]}}))
""",
    )
    assert starred["stars"] == [finished.id]
    assert other

    # --- Rename -------------------------------------------------------------------------
    page.goto(f"/debates/{finished.id}/")
    page.locator("details.rename > summary").click()
    page.get_by_label(re.compile(r"^Title")).fill("  Four days, twenty people  ")
    page.get_by_role("button", name="Save the title").click()
    expect(page.locator("h1.debate-title")).to_have_text("Four days, twenty people")
    expect(page.locator(".full-question-text")).to_contain_text(finished.question[:40])
    title = _db(
        e2e_server,
        f"""
import json
from debates.models import Debate
d = Debate.objects.get(pk="{finished.id}")
print(json.dumps({{"title": d.title, "question": d.question}}))
""",
    )
    assert title == {"title": "Four days, twenty people", "question": finished.question}
    page.goto("/debates/")
    expect(page.locator(".debate-row", has_text="Four days, twenty people")).to_be_visible()

    # --- The per-seat view, and a copy --------------------------------------------------
    page.goto(f"/debates/{finished.id}/")
    page.get_by_role("link", name="Seat by seat").click()
    expect(page).to_have_url(re.compile(rf"/debates/{finished.id}/seats/$"))
    columns = page.locator(".seat-column")
    expect(columns).to_have_count(len(finished.seats))
    expect(columns.nth(0)).to_contain_text("Opening")
    expect(columns.nth(0)).to_contain_text("Rebuttal 1")
    first = columns.nth(0).locator("button[data-copy-from]")
    expect(first).to_have_text("Copy this seat")
    first.click()
    expect(first).to_have_text("Copied")
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    assert copied.startswith("## Opening")
    assert "## Rebuttal 1" in copied
    save_screenshot(page, "votes-seat-view-en")
    page.goto(f"/debates/{finished.id}/")
    page.locator(".debate-header").screenshot(path=ARTIFACTS / "votes-header-owner-en.png")

    # --- Delete, after the confirmation -------------------------------------------------
    page.goto(f"/debates/{finished.id}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/debates/$"))
    expect(page.locator("main")).to_contain_text("The debate is deleted.")
    expect(page.locator(".debate-row", has_text="Four days")).to_have_count(0)
    gone = _db(
        e2e_server,
        f"""
import json
from debates.models import Debate, Turn
from ratings.models import HumanVote, PairwiseOutcome
d = Debate.objects.get(pk="{finished.id}")
print(json.dumps({{"deleted": d.deleted_at is not None, "question": d.question, "title": d.title,
                  "public": d.is_public, "texts": sorted(set(Turn.objects.filter(debate=d)
                                                              .values_list("content", flat=True))),
                  "outcomes": PairwiseOutcome.objects.filter(debate_id=d.pk).count(),
                  "votes": HumanVote.objects.filter(debate_id=d.pk).count()}}))
""",
    )
    assert gone["deleted"] is True
    assert gone["title"] == ""
    assert gone["public"] is False
    assert gone["question"] == "[removed after the retention period]"
    assert gone["texts"] == [""]
    assert gone["outcomes"] == finished.outcomes
    assert gone["votes"] == 1
    assert page.goto(f"/debates/{finished.id}/").status == 404  # type: ignore[union-attr]
    assert page.goto(f"/d/{finished.id}/").status == 404  # type: ignore[union-attr]


def test_the_vote_and_seat_view_in_turkish_on_a_phone(
    phone_page: Page, e2e_server: E2EServer
) -> None:
    question = f"Should a mid-sized city make public transport free? ({uuid.uuid4().hex[:6]})"
    e2e_server.manage("debate", question, "--fast", "--rounds", "1", timeout=180)
    owner = e2e_server.create_user(display_name="Ada")
    data = _last_json(
        e2e_server.shell(_ADOPT.format(args=json.dumps({"user": owner.id, "question": question})))
    )
    reader = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    phone_page.context.add_cookies(
        [{"name": "consultation_language", "value": "tr", "url": e2e_server.url}]
    )
    log_in(phone_page, email=reader.email)
    phone_page.goto(f"/d/{data['id']}/")
    vote = phone_page.locator("#vote")
    expect(vote.get_by_role("heading", name="Hangi koltuk en iyi savundu?")).to_be_visible()
    expect(vote.get_by_role("button", name="Hepsi kötü")).to_be_visible()
    vote.scroll_into_view_if_needed()
    save_screenshot(phone_page, "votes-blind-tr-phone")
    vote.screenshot(path=ARTIFACTS / "votes-panel-blind-tr-phone.png")
    vote.get_by_role("button", name="Berabere").click()
    expect(phone_page.locator(".vote-current")).to_contain_text("Oyunuz: Berabere.")
    assert _db(
        e2e_server,
        f"""
import json
from ratings.models import HumanVote
v = HumanVote.objects.get(debate_id="{data["id"]}", voter_id={reader.id})
print(json.dumps({{"choice": v.choice, "blind": v.blind}}))
""",
    ) == {"choice": "tie", "blind": True}
    phone_page.goto(f"/debates/{data['id']}/seats/")
    expect(phone_page.get_by_role("heading", name="Koltuk koltuk")).to_be_visible()
    columns = phone_page.locator(".seat-columns")
    # Side by side: the columns overflow the phone's width and scroll sideways.
    assert phone_page.evaluate(
        "() => { const el = document.querySelector('.seat-columns');"
        " return el.scrollWidth > el.clientWidth; }"
    )
    expect(columns.locator(".seat-column").first).to_be_visible()
    save_screenshot(phone_page, "votes-seat-view-tr-phone")
    phone_page.screenshot(path=ARTIFACTS / "votes-seat-view-tr-phone-top.png")
    phone_page.goto("/leaderboard/?source=humans")
    expect(phone_page.get_by_role("tab", name="Okurların tablosu")).to_have_attribute(
        "aria-selected", "true"
    )
    save_screenshot(phone_page, "votes-readers-board-tr-phone")
