"""The debate pages in a real browser: the demo path from a fresh account, a debate created
through the form (panel builder, live estimate), the list's filters, the detail page with its
exports and public link; screenshots at desktop and phone width for reviewers."""

import json
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, PASSWORD, E2EUser, log_in, save_screenshot, unique_email
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

LIVE_URL = re.compile(r"/debates/[0-9a-f-]{36}/live/$")

_CREATE_DEBATES = """
import json
from accounts.models import Team
from debates.models import Debate
from debates.services.creation import SeatInput, debate_create
team = Team.objects.select_related("created_by").get(created_by_id={user_id}, is_personal=True)
ids = []
for question, status in json.loads({specs!r}):
    debate = debate_create(
        user=team.created_by, team=team, question=question, rounds=1,
        seats=[SeatInput("demo:demo-sage", "proponent"), SeatInput("demo:demo-skeptic", "skeptic")],
        run_in_worker=status is None,
    )
    if status:
        Debate.objects.filter(pk=debate.pk).update(status=status)
    ids.append(str(debate.pk))
print(json.dumps(ids))
"""


def create_debates(
    e2e_server: E2EServer, user: E2EUser, specs: list[tuple[str, str | None]]
) -> list[str]:
    """Debates straight in the database; status None means "let the worker run it"."""
    code = _CREATE_DEBATES.format(user_id=user.id, specs=json.dumps(specs))
    ids: list[str] = json.loads(e2e_server.shell(code).strip().splitlines()[-1])
    return ids


def wait_until_finished(e2e_server: E2EServer, debate_id: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = e2e_server.shell(
            f"from debates.models import Debate\nprint(Debate.objects.get(pk={debate_id!r}).status)"
        ).strip()
        if status not in ("queued", "running"):
            return status
        time.sleep(1)
    pytest.fail(f"debate {debate_id} did not finish within {timeout} s")


def no_sideways_scroll(page: Page, name: str) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: page is {overflow}px wider than the viewport"


def test_fresh_visitor_reaches_a_live_demo_debate_within_a_minute(page: Page) -> None:
    started = time.monotonic()
    page.goto("/")
    page.locator("main").get_by_role("link", name="Try a demo debate, free").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/\?next=/debates/demo/$"))
    page.locator("input[name=email]").fill(unique_email("demo"))
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/debates/demo/$"))
    question = page.locator(".sample-question").inner_text().strip()
    assert question
    page.get_by_role("button", name="Start the demo debate").click()

    expect(page).to_have_url(LIVE_URL)
    expect(page.locator("main")).to_contain_text(question)
    assert time.monotonic() - started < 60


def test_dashboard_demo_button_opens_the_live_page(
    page: Page, user: E2EUser, e2e_server: E2EServer
) -> None:
    log_in(page, email=user.email)
    page.locator("main .page-head").get_by_role("button", name="Try a demo debate").click()
    expect(page).to_have_url(LIVE_URL)
    debate_id = page.url.rstrip("/").split("/")[-2]
    question = e2e_server.shell(
        f"from debates.models import Debate\nprint(Debate.objects.get(pk={debate_id!r}).question)"
    ).strip()
    expect(page.locator("main")).to_contain_text(question)


def test_new_debate_through_the_form_with_a_live_estimate(
    page: Page, phone_page: Page, user: E2EUser
) -> None:
    log_in(page, email=user.email)
    page.goto("/debates/new/")
    expect(page.locator("[data-seat]")).to_have_count(3)
    save_screenshot(page, "new-debate-desktop")

    question_box = page.get_by_label("Question")
    counter = page.locator("#question-counter")
    question_box.fill("Too short")
    expect(counter).to_contain_text("9 / 5000")
    expect(counter).to_contain_text("at least 10")
    question = "Should our team adopt trunk-based development this quarter?"
    question_box.fill(question)
    expect(counter).to_have_text(f"{len(question)} / 5000")

    calls = page.locator(".estimate div", has_text="Model calls").locator("dd")
    # Balanced trio: three seats over an opening and two rebuttals, one judge, the chair.
    expect(calls).to_have_text("11")
    page.get_by_role("button", name="Remove Seat C").click()
    expect(page.locator("[data-seat]")).to_have_count(2)
    expect(calls).to_have_text("8")
    page.get_by_label("Rebuttal rounds").select_option("1")
    expect(calls).to_have_text("6")
    expect(page.locator("#estimate")).to_contain_text("Free")
    # Two judges instead of the chair alone: one more call.
    page.get_by_text("Judges, chair and cost cap").click()
    page.get_by_label("Demo Scout (free)").check()
    page.get_by_label("Demo Sage (free)").check()
    expect(calls).to_have_text("7")
    save_screenshot(page, "new-debate-options-desktop")

    page.get_by_role("button", name="Start the debate").click()
    expect(page).to_have_url(LIVE_URL)
    expect(page.locator("main")).to_contain_text(question)

    log_in(phone_page, email=user.email)
    phone_page.goto("/debates/new/")
    expect(phone_page.locator("[data-seat]")).to_have_count(3)
    save_screenshot(phone_page, "new-debate-phone")
    no_sideways_scroll(phone_page, "new debate")


def test_list_filters_and_search_update_in_place(
    page: Page, phone_page: Page, user: E2EUser, e2e_server: E2EServer
) -> None:
    create_debates(
        e2e_server,
        user,
        [
            ("Should we migrate billing to Postgres this year?", "completed"),
            ("Should we hire a second designer before the launch?", "failed"),
            ("Should we open an office in Lisbon next spring?", "queued"),
        ],
    )
    log_in(page, email=user.email)
    page.goto("/debates/")
    items = page.locator("#debate-results .debate-row")
    expect(items).to_have_count(3)
    save_screenshot(page, "debate-list-desktop")

    page.get_by_label("Search the questions").fill("postgres")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("billing to Postgres")
    expect(page).to_have_url(re.compile(r"q=postgres"))

    page.get_by_label("Search the questions").fill("")
    page.get_by_label("Status").select_option("failed")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("second designer")
    expect(page).to_have_url(re.compile(r"status=failed"))

    page.get_by_role("radio", name="Team").check()
    expect(page.locator("#debate-results")).to_contain_text("No debate matches these filters.")

    log_in(phone_page, email=user.email)
    phone_page.goto("/debates/")
    expect(phone_page.locator("#debate-results .debate-row")).to_have_count(3)
    save_screenshot(phone_page, "debate-list-phone")
    no_sideways_scroll(phone_page, "list")


def test_detail_of_a_finished_debate_exports_and_opens_a_public_link(
    page: Page, phone_page: Page, user: E2EUser, e2e_server: E2EServer
) -> None:
    question = "Should a library lend out tools as well as books?"
    (debate_id,) = create_debates(e2e_server, user, [(question, None)])
    assert wait_until_finished(e2e_server, debate_id) == "completed"

    log_in(page, email=user.email)
    page.goto(f"/debates/{debate_id}/")
    expect(page.get_by_role("heading", name="Final answer")).to_be_visible()
    expect(page.get_by_role("heading", name="Scoreboard")).to_be_visible()
    expect(page.locator(".transcript")).to_contain_text("Rebuttal 1")
    save_screenshot(page, "debate-detail-desktop")

    with page.expect_download() as markdown:
        page.get_by_role("link", name="Export as Markdown").click()
    assert markdown.value.suggested_filename == f"debate-{debate_id}.md"
    with page.expect_download() as exported:
        page.get_by_role("link", name="Export as JSON").click()
    assert exported.value.suggested_filename == f"debate-{debate_id}.json"

    page.get_by_role("button", name="Open a public read-only link").click()
    expect(page.locator(".messages")).to_contain_text("Anyone with the link can now read")
    public_url = page.get_by_label("Public link").input_value()
    assert public_url.endswith(f"/d/{debate_id}/")

    # The phone is not signed in: it reads the public page.
    phone_page.goto(public_url)
    expect(phone_page.locator("h1")).to_contain_text(question)
    expect(phone_page.get_by_role("heading", name="Final answer")).to_be_visible()
    expect(phone_page.get_by_role("link", name="Export as Markdown")).to_have_count(0)
    no_sideways_scroll(phone_page, "public detail")
    log_in(phone_page, email=user.email)
    phone_page.goto(f"/debates/{debate_id}/")
    expect(phone_page.get_by_role("heading", name="Final answer")).to_be_visible()
    save_screenshot(phone_page, "debate-detail-phone")
    no_sideways_scroll(phone_page, "detail")
    # The top of the page as a phone shows it, for a closer look than the long full page.
    phone_page.get_by_role("heading", name="Scoreboard").scroll_into_view_if_needed()
    phone_page.screenshot(path=ARTIFACTS / "debate-detail-phone-scoreboard.png")


def test_a_failed_update_keeps_the_last_result_and_says_so(
    page: Page, user: E2EUser, e2e_server: E2EServer
) -> None:
    create_debates(
        e2e_server, user, [("Should we rewrite the mobile app in Flutter?", "completed")]
    )
    log_in(page, email=user.email)

    page.goto("/debates/new/")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("Model calls")
    page.route("**/debates/new/estimate/", lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_label("Rebuttal rounds").select_option("1")
    expect(
        page.get_by_text("The estimate could not be updated; this is the last one.")
    ).to_be_visible()
    expect(estimate).to_contain_text("Model calls")
    page.unroute("**/debates/new/estimate/")
    page.get_by_label("Rebuttal rounds").select_option("2")
    expect(page.get_by_text("The estimate could not be updated")).to_be_hidden()

    page.goto("/debates/")
    rows = page.locator("#debate-results .debate-row")
    expect(rows).to_have_count(1)
    page.route("**/debates/?*", lambda route: route.abort())
    page.get_by_label("Status").select_option("failed")
    expect(page.get_by_text("The list could not be loaded.")).to_be_visible()
    expect(rows).to_have_count(1)
