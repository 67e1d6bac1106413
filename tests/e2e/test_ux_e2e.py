"""What a new user trips over (issue 8), in a real browser: Markdown while it streams, copy
buttons, elapsed time and replay time, queued and cancelled debates, long questions, the
debate list's history, Turkish everywhere, phones, and an accessibility pass with axe-core.
Screenshots of the live view, the debate page and the leaderboard at desktop and phone size,
in English and Turkish, go to tests/e2e/artifacts/ux-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import ROOT, E2EServer
from tests.e2e.test_live_e2e import DEBATE_TIMEOUT_MS, finished_debate, start_debate

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def test_markdown_renders_while_streaming_and_matches_the_server(page: Page, user: E2EUser) -> None:
    rendered_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            rendered_requests.append(request.url) if "/rendered/" in request.url else None
        ),
    )
    log_in(page, email=user.email)
    debate_id = start_debate(page, "Should a 20-person startup adopt a four-day week?", rounds=1)
    page.goto(f"/debates/{debate_id}/live/")
    streaming = page.locator(".live-turn.is-speaking .live-turn-stream:not(.is-thinking)").first
    # The heading is bold while it streams: rendered Markdown, never the raw asterisks.
    expect(streaming.locator("strong").first).to_contain_text(
        re.compile(r"Opening statement|rebuttal"), timeout=DEBATE_TIMEOUT_MS
    )
    assert "**" not in streaming.inner_text()
    expect(page.locator("[data-live=elapsed]")).to_have_text(re.compile(r"\d+:\d\d"))

    expect(page.locator("[data-live=answer]")).to_contain_text(
        "Recommendation", timeout=DEBATE_TIMEOUT_MS
    )
    turns = page.locator("[data-live=transcript] .live-turn .prose")
    expect(turns).to_have_count(6)
    assert rendered_requests == [], "the live page fetched /rendered/ again"
    browser_html = [html.strip() for html in turns.evaluate_all("ns => ns.map(n => n.innerHTML)")]

    # Copy buttons on every turn and on the answer.
    expect(page.locator("[data-live=transcript] .copy-button")).to_have_count(6)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer_copy = page.get_by_role("button", name="Copy the answer")
    answer_copy.click()
    expect(answer_copy).to_have_attribute("data-label", "Copy the answer")  # it said "Copied"
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "## Recommendation" in copied
    # The browser's HTML is the server's HTML (same renderer, same allow-list): a reload
    # embeds what the server renders for the same turns.
    page.reload()
    server = page.evaluate("JSON.parse(document.getElementById('live-rendered').textContent)")
    server_html = {html.strip() for html in server["turns"].values()}
    assert len(server_html) == 6
    assert set(browser_html) == server_html


def test_replay_position_is_shown_as_time(page: Page, e2e_server: E2EServer, user: E2EUser) -> None:
    debate_id = finished_debate(e2e_server, user, "Should we open a second office in Izmir?")
    log_in(page, email=user.email)
    page.goto(f"/debates/{debate_id}/replay/")
    clock = page.locator("[data-replay=time]")
    expect(clock).to_have_text(re.compile(r"^0:00 of \d+:\d\d$"))
    total = clock.inner_text().split(" of ")[1]
    page.get_by_role("button", name="The end").click()
    expect(clock).to_have_text(f"{total} of {total}")
    expect(page.locator("[data-replay=position]")).to_contain_text("Event")


# A Notification API stand-in, installed before the page's own script: it records what the page
# asks for, starts at "default" and turns "granted" when the page requests permission.
_NOTIFICATIONS = """
window.__notifications = { shown: [], asked: 0 };
let permission = "default";
class FakeNotification {
  constructor(title, options) {
    window.__notifications.shown.push(title);
    document.documentElement.dataset.notifications = String(window.__notifications.shown.length);
  }
  static get permission() { return permission; }
  static requestPermission() {
    window.__notifications.asked += 1; permission = "granted"; return Promise.resolve(permission);
  }
}
window.Notification = FakeNotification;
"""


def _api_post(page: Page, path: str) -> int:
    status: int = page.evaluate(
        """async (path) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const response = await fetch(path, {method: 'POST', credentials: 'same-origin',
                headers: {'X-CSRFToken': token}});
            return response.status;
        }""",
        path,
    )
    return status


def test_a_queued_debate_says_where_it_stands_and_tells_when_it_starts_and_ends(
    page: Page, user: E2EUser
) -> None:
    page.add_init_script(_NOTIFICATIONS)
    log_in(page, email=user.email)
    # The Free plan runs one debate of a team at a time: the second and third wait. The first
    # runs three rounds, so its slot is still taken while the queue is looked at.
    running = start_debate(page, "Should a 20-person startup adopt a four-day week?", rounds=3)
    waiting = start_debate(page, "Should we move our support team to a four-day week?", rounds=1)
    cancelled = start_debate(page, "Should we hire a second designer this quarter?", rounds=1)
    assert running != waiting

    page.goto(f"/debates/{waiting}/live/")
    queue = page.locator("[data-live=queue]")
    expect(queue).to_contain_text("number 1 in your team's queue")
    expect(queue.locator("[data-queue-estimate]")).to_contain_text(
        re.compile(r"It should start in about \d+ minutes?")
    )
    # Permission is asked from the button, never on load.
    assert page.evaluate("window.__notifications.asked") == 0
    page.get_by_role("button", name="Notify me when it starts and finishes").click()
    expect(page.locator("[data-live=notify-state]")).to_contain_text("Notifications are on")
    expect(page.get_by_role("button", name="Notify me when it starts and finishes")).to_be_hidden()
    save_screenshot(page, "ux-queued-desktop")

    # Cancelled while waiting: nothing to replay, no empty scoreboard, one plain sentence.
    assert _api_post(page, f"/api/v1/debates/{cancelled}/cancel/") == 202
    other = page.context.new_page()
    other.goto(f"/debates/{cancelled}/live/")
    expect(other.locator("[data-live=outcome]")).to_have_text(
        "The debate was cancelled before it started: no model was called."
    )
    expect(other.get_by_role("link", name="Replay")).to_be_hidden()
    expect(other.locator("[data-live=scoreboard]")).to_be_hidden()
    expect(other.locator(".seat-chip [data-seat-state]").first).to_have_text("Did not speak")
    other.goto(f"/debates/{cancelled}/")
    expect(other.locator("main")).to_contain_text("cancelled before it started")
    expect(other.locator("main")).not_to_contain_text("not scored")
    save_screenshot(other, "ux-cancelled-before-start-desktop")
    other.close()

    # The page stayed open (and connected) while the other tab looked at the cancelled debate:
    # the start and the end may both have happened meanwhile, so the notifications it showed
    # are the record, and the announcement region ends on the last one.
    expect(page.locator("html")).to_have_attribute(
        "data-notifications", "2", timeout=3 * DEBATE_TIMEOUT_MS
    )
    shown = page.evaluate("window.__notifications.shown")
    assert shown == ["Your debate has started.", "Your debate has finished: the answer is ready."]
    expect(page.locator("[data-live=announce]")).to_have_text(
        "Your debate has finished: the answer is ready."
    )
    expect(queue).to_be_hidden()


def test_a_long_question_is_a_title_with_the_full_text_folded(page: Page, user: E2EUser) -> None:
    log_in(page, email=user.email)
    question = "Should we move our whole platform to a new cloud provider? " + (
        "Here is more context about our systems, our team and our budget. " * 70
    )
    debate_id = start_debate(page, question[:4900].strip(), rounds=1)
    for url in (f"/debates/{debate_id}/live/", f"/debates/{debate_id}/"):
        page.goto(url)
        box = page.locator("h1").bounding_box()
        assert box is not None
        assert box["height"] < 160, f"{url}: the heading is {box} tall"
        details = page.locator("details.full-question")
        expect(details.locator(".full-question-text")).to_be_hidden()
        details.locator("summary").click()
        expect(details.locator(".full-question-text")).to_contain_text("our budget")


def test_back_and_forward_restore_the_list_filters(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    from tests.e2e.test_pages_e2e import create_debates

    create_debates(
        e2e_server,
        user,
        [("General zebra care at the zoo?", "completed"), ("A four-day week for us?", "failed")],
    )
    log_in(page, email=user.email)
    page.goto("/debates/")
    results = page.locator("#debate-results .debate-row")
    expect(results).to_have_count(2)
    page.locator("#id_q").fill("ZEBRA general")  # every word, any order, any case
    expect(page).to_have_url(re.compile(r"q=ZEBRA"))
    expect(results).to_have_count(1)
    page.locator("#id_status").select_option("failed")
    expect(page).to_have_url(re.compile(r"status=failed"))
    expect(page.locator("#debate-results")).not_to_contain_text("zebra")

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=ZEBRA"))
    expect(page.locator("#id_q")).to_have_value("ZEBRA general")
    expect(page.locator("#id_status")).to_have_value("")
    expect(results).to_have_count(1)
    page.go_back()
    expect(page.locator("#id_q")).to_have_value("")
    expect(results).to_have_count(2)
    page.go_forward()
    expect(page.locator("#id_q")).to_have_value("ZEBRA general")
    page.go_forward()
    expect(page.locator("#id_status")).to_have_value("failed")
    # The restored page still works: a new search runs.
    page.locator("#id_q").fill("four-day")
    expect(page.locator("#debate-results")).to_contain_text("four-day week")
    # (An uncaught error on any step fails the test: the `page` fixture.)


def _strings(page: Page) -> dict[str, str]:
    data: dict[str, str] = page.evaluate(
        "JSON.parse(document.getElementById('live-strings').textContent)"
    )
    return data


def test_the_live_view_and_replay_in_turkish_have_no_english_left(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    debate_id = finished_debate(
        e2e_server, user, "Şirketimiz dört günlük çalışma haftasına geçmeli mi?"
    )
    log_in(page, email=user.email)
    page.goto(f"/debates/{debate_id}/live/")
    english = _strings(page)
    page.locator("#language-select").select_option("tr")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    for path in (f"/debates/{debate_id}/live/", f"/debates/{debate_id}/replay/"):
        page.goto(path)
        if path.endswith("replay/"):
            page.get_by_role("button", name="Son", exact=True).click()
        expect(page.locator("[data-live=answer]")).to_contain_text("Öneri")
        turkish = _strings(page)
        text = page.locator("main").inner_text()
        untranslated = [
            value
            for key, value in english.items()
            if " " in value and value == turkish.get(key)  # the catalogue lacks it
        ]
        assert untranslated == [], untranslated
        leftovers = [value for value in english.values() if len(value) > 12 and value in text]
        assert leftovers == [], f"{path}: English on the Turkish page: {leftovers}"
        assert "Seat " not in text, f"{path}: 'Seat' instead of 'Koltuk'"
        assert "Koltuk A" in text
        # Numbers as Turkish writes them: 7,6 / 10.
        scores = page.locator("[data-live=judgments] td.score").all_inner_texts()
        assert scores
        assert all(re.fullmatch(r"\d+,\d / 10", s) for s in scores), scores
        assert "Puan tablosu" in text
        assert "Borda puanı" in text
    page.goto(f"/debates/{debate_id}/")
    detail = page.locator("main").inner_text()
    assert "Seat " not in detail
    assert "Koltuk A" in detail


def test_phone_header_folds_and_sign_up_is_readable(
    phone_page: Page, page: Page, user: E2EUser
) -> None:
    phone_page.goto("/")
    header = phone_page.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] < 80, f"header is {header} tall"
    toggle = phone_page.locator("nav summary.nav-toggle")
    expect(toggle).to_be_visible()
    expect(phone_page.locator("nav .nav-links")).to_be_hidden()
    toggle.click()
    expect(phone_page.locator("nav").get_by_role("link", name="Leaderboard")).to_be_visible()
    save_screenshot(phone_page, "ux-menu-open-phone")
    phone_page.keyboard.press("Escape")
    expect(phone_page.locator("nav .nav-links")).to_be_hidden()
    log_in(phone_page, email=user.email)
    header = phone_page.locator("header.topbar").bounding_box()
    assert header is not None
    assert header["height"] < 80

    # Desktop: the links in a row, no toggle, and "Sign up" at 4.5:1 or more.
    page.goto("/")
    expect(page.locator("nav summary.nav-toggle")).to_be_hidden()
    sign_up = page.locator("nav").get_by_role("link", name="Sign up")
    expect(sign_up).to_be_visible()
    colours = sign_up.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert _contrast(*colours) >= 4.5, colours
    expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/favicon.ico")
    assert page.request.get("/favicon.ico").headers["content-type"] == "image/x-icon"


def _luminance(colour: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", colour)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(foreground: str, background: str) -> float:
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


_RATED = """
from debates.models import Debate
from ratings.services import outcomes_set_public, ratings_refit_all, ratings_update_for_debate
for pk in {ids!r}:
    Debate.objects.filter(pk=pk).update(is_public=True)
    outcomes_set_public(debate_id=pk, is_public=True)
    ratings_update_for_debate(debate_id=pk)
ratings_refit_all()
print("ok")
"""


@pytest.fixture(scope="module")
def showcase(e2e_server: E2EServer) -> tuple[E2EUser, str]:
    """A finished public debate (with ratings on the leaderboard) owned by a fresh user."""
    owner = e2e_server.create_user(display_name="Ada Lovelace")
    ids = [
        finished_debate(e2e_server, owner, question, public=True)
        for question in (
            "Should a 20-person startup adopt a four-day week?",
            "Should our city close its centre to cars on Sundays?",
        )
    ]
    e2e_server.shell(_RATED.format(ids=ids))
    return owner, ids[0]


@pytest.mark.parametrize("language", ["en", "tr"])
def test_screenshots_of_the_live_view_debate_page_and_leaderboard(
    page: Page,
    phone_page: Page,
    e2e_server: E2EServer,
    showcase: tuple[E2EUser, str],
    language: str,
) -> None:
    owner, debate_id = showcase
    # The language a signed-in person chose is kept on their profile (applied at login).
    e2e_server.shell(
        "from accounts.models import Profile\n"
        f"Profile.objects.filter(user_id={owner.id}).update(locale={language!r})"
    )
    for target, size in ((page, "desktop"), (phone_page, "phone")):
        log_in(target, email=owner.email)
        for name, path in (
            ("live", f"/debates/{debate_id}/live/"),
            ("debate", f"/debates/{debate_id}/"),
            ("leaderboard", "/leaderboard/"),
        ):
            target.goto(path)
            expect(target.locator("html")).to_have_attribute("lang", language)
            if name == "live":
                expect(target.locator("[data-live=scoreboard]")).to_be_visible()
            overflow = target.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} {size} {language}: {overflow}px too wide"
            if name == "leaderboard" and size == "phone":
                # Matches and Win rate stay on screen.
                for column in target.locator("table.rating-table thead th").all()[-2:]:
                    box = column.bounding_box()
                    assert box is not None
                    assert box["x"] + box["width"] <= 390, box
                # The ratings' table (the agreement table below has a wrap of its own once
                # readers have voted, as an earlier test of the run may have).
                wrap = target.locator(
                    ".rating-table-wrap", has=target.locator("table.rating-table")
                )
                assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
            save_screenshot(target, f"ux-{name}-{size}-{language}")


AXE_PAGES = [
    ("landing", "/", False),
    ("dashboard", "/dashboard/", True),
    ("new debate", "/debates/new/", True),
    ("live view", "/debates/{id}/live/", True),
    ("debate page", "/debates/{id}/", True),
    ("leaderboard", "/leaderboard/", False),
    ("model page", "/models/demo:demo-sage/", False),
    ("settings", "/settings/profile/", True),
]


def test_accessibility_has_no_serious_or_critical_violations(
    browser: Browser, e2e_server: E2EServer, showcase: tuple[E2EUser, str]
) -> None:
    owner, debate_id = showcase
    source = Path(AXE).read_text(encoding="utf-8")
    # axe is injected by the test (bypassing the page's CSP), never shipped to visitors.
    context = browser.new_context(base_url=e2e_server.url, bypass_csp=True, locale="en-US")
    try:
        anonymous = context.new_page()
        for phone in (False, True):
            viewport: ViewportSize = (
                {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
            )
            anonymous.set_viewport_size(viewport)
            problems: list[str] = []
            signed_in = False
            for name, path, needs_login in AXE_PAGES:
                if needs_login and not signed_in:
                    log_in(anonymous, email=owner.email)
                    signed_in = True
                anonymous.goto(path.format(id=debate_id))
                anonymous.wait_for_load_state("networkidle")
                anonymous.evaluate(source)
                violations = anonymous.evaluate(
                    """async () => (await axe.run(document, {resultTypes: ['violations']}))
                        .violations.filter(v => ['serious', 'critical'].includes(v.impact))
                        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3)
                            .map(n => n.target.join(' ')).join(', ')}`)"""
                )
                problems += [f"{name}{' (phone)' if phone else ''}: {v}" for v in violations]
            context.clear_cookies()
            assert problems == [], "\n".join(problems)
    finally:
        context.close()
