"""Ratings in the browser: after a handful of demo debates (run by `manage.py debate --fast`,
some made public), the leaderboard shows ratings with intervals, the model page its history
and the public profile its debates. Screenshots go to tests/e2e/artifacts/ratings-*.png."""

import json
import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

QUESTIONS = (
    "Should a 20-person startup adopt a four-day week?",
    "Is it worth rewriting a ten-year-old monolith as microservices?",
    "Should a mid-sized city make public transport free for everyone?",
    "Should a small team self-host open-weight models or pay for an API?",
)

_ADOPT = """
import json
from accounts.models import Profile, Team
from debates.models import Debate, DebateStatus
from ratings.models import ModelRating, PairwiseOutcome
from ratings.services import outcomes_set_public, ratings_refit_all, ratings_update_for_debate
args = json.loads({args!r})
team = Team.objects.get(created_by_id=args["user"], is_personal=True)
debates = Debate.objects.filter(question__in=args["questions"], status=DebateStatus.COMPLETED)
assert debates.count() == len(args["questions"]), list(debates.values_list("question", "status"))
debates.update(created_by_id=args["user"], team=team)
PairwiseOutcome.objects.filter(debate_id__in=debates.values("pk")).update(team=team)
Profile.objects.filter(user_id=args["user"]).update(is_public=True, bio="Asks the hard ones.")
ratings_refit_all()
# Published one by one, each followed by its update: the model pages get a history.
for question in args["questions"][:3]:
    debate = Debate.objects.get(question=question)
    Debate.objects.filter(pk=debate.pk).update(is_public=True, listed_in_hall_of_fame=True)
    outcomes_set_public(debate_id=debate.pk, is_public=True)
    ratings_update_for_debate(debate_id=debate.pk)
print(json.dumps(list(ModelRating.objects.filter(board="public", category="", role="")
                      .values_list("llm_model__key", flat=True))))
"""


@dataclass(frozen=True)
class Rated:
    user: E2EUser
    questions: tuple[str, ...]
    public_models: list[str]


@pytest.fixture(scope="module")
def rated(e2e_server: E2EServer) -> Rated:
    """Four demo debates, owned by a fresh user; three of them public; ratings refitted."""
    suffix = uuid.uuid4().hex[:6]
    questions = tuple(f"{question} ({suffix})" for question in QUESTIONS)
    for question in questions:
        e2e_server.manage("debate", question, "--fast", "--rounds", "1", timeout=180)
    user = e2e_server.create_user(display_name="Grace Hopper")
    output = e2e_server.shell(
        _ADOPT.format(args=json.dumps({"user": user.id, "questions": list(questions)}))
    )
    public_models = json.loads(output.strip().splitlines()[-1])
    return Rated(user=user, questions=questions, public_models=public_models)


def test_leaderboard_shows_ratings_with_intervals(page: Page, rated: Rated) -> None:
    assert "demo:demo-sage" in rated.public_models
    page.goto("/leaderboard/")
    expect(page.get_by_role("heading", name="Leaderboard")).to_be_visible()
    table = page.locator("table.rating-table")
    expect(table).to_be_visible()
    sage = table.locator("tr", has_text="Demo Sage").first
    expect(sage).to_be_visible()
    expect(sage.locator(".ci-text")).to_have_text(re.compile(r"^\d+\u2013\d+$"))
    expect(sage.locator(".badge.demo")).to_be_visible()
    expect(sage.locator(".rating")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_role("tab", name="My team")).to_have_count(0)
    save_screenshot(page, "ratings-leaderboard")

    page.get_by_label("Role").select_option("skeptic")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"role=skeptic"))
    expect(page.locator("table.rating-table")).to_contain_text("Demo Skeptic")

    page.goto("/leaderboard/methodology/")
    expect(page.get_by_role("heading", name="How ratings work")).to_be_visible()


def test_leaderboard_in_turkish_on_a_phone(
    phone_page: Page, e2e_server: E2EServer, rated: Rated
) -> None:
    phone_page.context.add_cookies(
        [{"name": "consultation_language", "value": "tr", "url": e2e_server.url}]
    )
    phone_page.goto("/leaderboard/")
    expect(phone_page.get_by_role("heading", name="Sıralama tablosu")).to_be_visible()
    expect(phone_page.locator("table.rating-table")).to_contain_text("Demo Sage")
    save_screenshot(phone_page, "ratings-leaderboard-tr-phone")


def test_team_tab_counts_private_debates(page: Page, rated: Rated) -> None:
    log_in(page, email=rated.user.email)
    page.goto("/leaderboard/")
    page.get_by_role("tab", name="My team").click()
    expect(page).to_have_url(re.compile(r"board=team"))
    expect(page.locator("main")).to_contain_text("Private board of")
    expect(page.locator("table.rating-table")).to_contain_text("Demo Pragmatist")
    save_screenshot(page, "ratings-team-board")


def test_model_page_shows_history_and_recent_debates(page: Page, rated: Rated) -> None:
    page.goto("/leaderboard/")
    page.locator("table.rating-table").get_by_role("link", name="Demo Sage").click()
    expect(page).to_have_url(re.compile(r"/models/demo:demo-sage/$"))
    expect(page.get_by_role("heading", name="Rating history")).to_be_visible()
    expect(page.locator("svg.history-chart polyline")).to_have_count(1)
    expect(page.locator(".stat .big").first).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("main")).to_contain_text("Average rubric scores")
    expect(page.locator(".debate-list")).to_contain_text(rated.questions[0][:40])
    save_screenshot(page, "ratings-model-page")


def test_profile_page_shows_public_debates_and_favourite_models(page: Page, rated: Rated) -> None:
    page.goto(f"/u/{rated.user.handle}/")
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    debates = page.locator(".debate-list")
    for question in rated.questions[:3]:
        expect(debates).to_contain_text(question[:40])
    expect(debates).not_to_contain_text(rated.questions[3][:40])
    expect(page.locator(".counts")).to_contain_text("3")
    favourites = page.locator("section", has_text="Favourite models")
    expect(favourites.get_by_role("link", name="Demo Sage")).to_be_visible()
    save_screenshot(page, "ratings-profile")


def test_hall_of_fame_lists_public_debates(page: Page, rated: Rated) -> None:
    page.goto("/hall-of-fame/?order=recent")
    expect(page.get_by_role("heading", name="Hall of fame")).to_be_visible()
    expect(page.locator(".debate-list")).to_contain_text(rated.questions[0][:40])
    save_screenshot(page, "ratings-hall-of-fame")
