"""The live debate and its replay in a real browser, against daphne + the worker on one SQLite
file (the embedded default: events reach the page through the web process's follower).

The demo provider is paced in the e2e server (tests/e2e/settings.py), so text visibly streams.
The connection is cut from the server side by killing daphne and starting it again: no test
hook in the product, and the worker goes on writing the debate meanwhile.
"""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot, tight_plan
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"
PANEL = [
    {"model": "demo:demo-sage", "role": "proponent"},
    {"model": "demo:demo-skeptic", "role": "skeptic"},
    {"model": "demo:demo-pragmatist", "role": "pragmatist"},
]
# A debate ends well within this, paced or not.
DEBATE_TIMEOUT_MS = 60_000

_FINISHED_DEBATE = """
import json
from asgiref.sync import async_to_sync
from django.conf import settings
from accounts.models import User
from accounts.selectors import active_team_for_user
from debates.services.running import debate_run
from debates.services.creation import SeatInput, debate_create
args = json.loads({args!r})
settings.DEMO_TOKENS_PER_SECOND = 0  # this helper process only: a finished debate at once
user = User.objects.get(email=args["email"])
debate = debate_create(
    user=user, team=active_team_for_user(user=user), question=args["question"],
    seats=[SeatInput(s["model"], s["role"]) for s in args["panel"]],
    rounds=args["rounds"], is_public=args["public"], run_in_worker=False,
)
async_to_sync(debate_run)(debate.pk)
print(debate.pk)
"""


def start_debate(page: Page, question: str, *, rounds: int) -> str:
    """POST /api/v1/debates/ from the page, as the signed-in user (session + CSRF token)."""
    body = {"question": question, "seats": PANEL, "rounds": rounds}
    result = page.evaluate(
        """async (body) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const response = await fetch('/api/v1/debates/', {
                method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify(body),
            });
            return {status: response.status, body: await response.json()};
        }""",
        body,
    )
    assert result["status"] == 202, result
    return str(result["body"]["id"])


def finished_debate(
    server: E2EServer, user: E2EUser, question: str, *, rounds: int = 1, public: bool = False
) -> str:
    args = {
        "email": user.email,
        "question": question,
        "panel": PANEL,
        "rounds": rounds,
        "public": public,
    }
    output = server.shell(_FINISHED_DEBATE.format(args=json.dumps(args)), timeout=120)
    return output.strip().splitlines()[-1]


def db_turn_count(server: E2EServer, debate_id: str) -> int:
    output = server.shell(
        "from debates.models import Turn\n"
        f"print(Turn.objects.filter(debate_id={debate_id!r}).count())"
    )
    return int(output.strip())


@contextmanager
def web_server_down(server: E2EServer) -> Iterator[None]:
    """Kill daphne (every socket drops at once, as in a crash), then start it again."""
    process = server.processes["server"]
    command = [str(arg) for arg in process.args]  # type: ignore[union-attr]
    process.kill()
    process.wait(timeout=10)
    try:
        yield
    finally:
        server.start("server", command)
        server.wait_until_healthy()


def expect_transcript_complete(page: Page, *, seats: int, rounds: int) -> None:
    turns = page.locator("[data-live=transcript] .live-turn")
    expect(turns).to_have_count(seats * (rounds + 1))
    keys = turns.evaluate_all("nodes => nodes.map(n => n.dataset.turn)")
    assert len(keys) == len(set(keys)), f"a turn is shown twice: {keys}"
    # Every completed turn ends up as the server's sanitised HTML, no longer as raw text.
    prose = page.locator("[data-live=transcript] .live-turn .prose")
    expect(prose).to_have_count(seats * (rounds + 1))
    expect(page.locator("[data-live=transcript] .live-turn-stream")).to_have_count(0)


def test_live_debate_streams_survives_a_cut_and_replays(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    log_in(page, email=user.email)
    debate_id = start_debate(page, "Should a 20-person startup adopt a four-day week?", rounds=3)
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator(".badge.demo")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel the debate")).to_be_visible()

    # Text streams in: a speaking seat, highlighted, with its words appearing.
    streaming = page.locator(".live-turn.is-speaking .live-turn-stream:not(.is-thinking)").first
    expect(streaming).to_contain_text("[demo]", timeout=DEBATE_TIMEOUT_MS)
    expect(page.locator(".seat-chip.is-speaking").first).to_be_visible()
    expect(page.locator("[data-live=speaking]")).to_contain_text("Speaking: Seat")
    first = streaming.inner_text()
    page.wait_for_timeout(600)
    assert len(streaming.inner_text()) > len(first), "the text does not grow as it streams"
    save_screenshot(page, "live-desktop-streaming")

    banner = page.locator("[data-live=banner]")
    with web_server_down(e2e_server):
        expect(banner).to_be_visible()
        expect(banner).to_contain_text(
            re.compile(r"Live updates interrupted, reconnecting( in \d+ s|…)")
        )
        # The countdown counts down.
        expect(banner).to_contain_text(re.compile(r"reconnecting in \d+ s"))
        save_screenshot(page, "live-desktop-reconnecting")
        page.wait_for_timeout(2500)  # the worker goes on meanwhile
    expect(banner).to_have_text("Reconnected", timeout=DEBATE_TIMEOUT_MS)
    expect(banner).to_be_hidden(timeout=10_000)

    # The final answer, and a complete transcript with no turn twice.
    answer = page.locator("[data-live=answer]")
    expect(answer).to_contain_text("Recommendation", timeout=DEBATE_TIMEOUT_MS)
    expect(answer).to_contain_text("Consensus")
    expect(page.locator("[data-live=status]")).to_have_text("Completed")
    expect(page.locator("[data-live=scoreboard] tbody tr")).to_have_count(3)
    expect(page.locator("[data-live=judgments] tbody tr")).to_have_count(3)
    expect_transcript_complete(page, seats=3, rounds=3)
    assert db_turn_count(e2e_server, debate_id) == 12
    expect(page.get_by_role("button", name="Cancel the debate")).to_be_hidden()
    expect(page.locator(".live-progress li.is-done")).to_have_count(6)
    save_screenshot(page, "live-desktop-finished")

    # Replay: from the start, at 4x, seek, step, jump by round, all from the keyboard too.
    page.get_by_role("link", name="Replay").click()
    expect(page).to_have_url(re.compile(rf"/debates/{debate_id}/replay/$"))
    position = page.locator("[data-replay=position]")
    total = int(re.findall(r"\d+", position.inner_text())[-1])
    expect(position).to_have_text(f"Event 0 of {total}")
    expect(page.locator("[data-live=transcript] .live-turn")).to_have_count(0)
    page.get_by_label("Speed").select_option("4")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.locator("[data-live=transcript] .live-turn").first).to_be_visible()
    page.get_by_role("button", name="Pause").click()
    paused_at = position.inner_text()
    page.wait_for_timeout(400)
    assert position.inner_text() == paused_at

    slider = page.get_by_label("Position in the debate")
    slider.focus()
    page.keyboard.press("End")
    expect(position).to_have_text(f"Event {total} of {total}")
    expect(page.locator("[data-live=answer]")).to_contain_text("Recommendation")
    expect_transcript_complete(page, seats=3, rounds=3)
    save_screenshot(page, "replay-desktop-end")

    page.locator("h1").click()  # focus out of the slider: the page's own keys
    page.keyboard.press("Home")
    expect(position).to_have_text(f"Event 0 of {total}")
    page.keyboard.press("2")  # jump to rebuttal round 2
    expect(page.locator("[data-live=stage]")).to_have_text("Rebuttal 2 of 3")
    expect(page.locator(".live-round")).to_have_count(2)  # round 2 has only just started
    at_round = int(re.findall(r"\d+", position.inner_text())[0])
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(f"Event {at_round + 1} of {total}")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text(f"Event {at_round - 1} of {total}")
    page.keyboard.press("Shift+ArrowRight")  # to the end of the next turn
    expect(page.locator(".live-round[data-round='2'] .live-turn .prose")).to_have_count(1)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    page.get_by_role("button", name="Judging").click()
    expect(page.locator("[data-live=stage]")).to_have_text("Judging")
    save_screenshot(page, "replay-desktop-judging")


_QUEUED_DEBATE = """
import json
from accounts.models import User
from accounts.selectors import active_team_for_user
from debates.services.creation import SeatInput, debate_create
args = json.loads({args!r})
user = User.objects.get(email=args["email"])
debate = debate_create(
    user=user, team=active_team_for_user(user=user), question=args["question"],
    seats=[SeatInput(s["model"], s["role"]) for s in args["panel"]], rounds=3,
)
print(debate.pk)
"""


def test_a_viewer_over_the_rate_limit_is_told_why_and_waits(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    """Opening the live socket is one request against the plan's per-minute API rate, as
    opening the event stream is. On a plan of one a minute the second page's socket is refused
    (or the third's, if the minute turned over between the first two): that page says why and
    counts down the wait the server gave, instead of retrying every second."""
    tight_plan(e2e_server, user, rate=1)
    args = {
        "email": user.email,
        "question": "Should we move our servers to Iceland?",
        "panel": PANEL,
    }
    # Created server-side (no API request counted); the workers run it, paced.
    debate_id = e2e_server.shell(_QUEUED_DEBATE.format(args=json.dumps(args))).split()[-1]
    log_in(page, email=user.email)
    refused: Page | None = None
    for _page in range(3):
        viewer = page if _page == 0 else page.context.new_page()
        with viewer.expect_websocket() as opened:
            viewer.goto(f"/debates/{debate_id}/live/")
        first = json.loads(str(opened.value.wait_for_event("framereceived")))
        if first.get("type") == "error":
            assert first["error"]["code"] == "rate_limited"
            refused = viewer
            break
    assert refused is not None, "no socket was refused"
    assert refused is not page, "the first socket of the minute was refused"
    banner = refused.locator("[data-live=banner]")
    expect(banner).to_contain_text(
        re.compile(r"Too many live connections this minute for your plan: reconnecting in \d+ s")
    )
    save_screenshot(refused, "live-rate-limited")
    # The first page, admitted, follows the debate meanwhile.
    expect(page.locator("[data-live=banner]")).to_be_hidden()
    expect(page.locator(".live-turn-stream:not(.is-thinking)").first).to_contain_text(
        "[demo]", timeout=DEBATE_TIMEOUT_MS
    )


def test_cancel_stops_a_running_debate(page: Page, user: E2EUser) -> None:
    log_in(page, email=user.email)
    debate_id = start_debate(page, "Should we rewrite our billing system from scratch?", rounds=3)
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator(".live-turn-stream:not(.is-thinking)").first).to_contain_text(
        "[demo]", timeout=DEBATE_TIMEOUT_MS
    )
    page.get_by_role("button", name="Cancel the debate").click()
    expect(page).to_have_url(re.compile(rf"/debates/{debate_id}/live/$"))
    expect(page.locator(".messages")).to_contain_text("Cancelling")
    # The pipeline stops between two model calls; the page hears it over the socket.
    expect(page.locator("[data-live=status]")).to_have_text("Cancelled", timeout=DEBATE_TIMEOUT_MS)
    expect(page.locator("[data-live=outcome]")).to_have_text("The debate was cancelled.")
    expect(page.get_by_role("button", name="Cancel the debate")).to_be_hidden()
    expect(page.locator(".live-turn.is-speaking")).to_have_count(0)
    expect(page.locator("[data-live=speaking]")).to_be_hidden()
    expect(page.get_by_role("link", name="Replay")).to_be_visible()


def test_question_with_markup_stays_inert(page: Page, e2e_server: E2EServer, user: E2EUser) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    log_in(page, email=user.email)
    question = f"Is this markup safe to show? {XSS} <script>alert(2)</script>"
    debate_id = start_debate(page, question, rounds=1)
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator("[data-live=answer]")).to_contain_text(
        "Recommendation", timeout=DEBATE_TIMEOUT_MS
    )
    heading = page.locator("h1.live-question")
    expect(heading).to_contain_text(XSS)
    expect(heading.locator("img")).to_have_count(0)
    # The demo seats quote the question: streamed and rendered, it stays text everywhere.
    expect(page.locator("main img")).to_have_count(0)
    expect(page.locator("main script:not([type='application/json'])")).to_have_count(0)
    expect(page.locator("[data-live=transcript]")).to_contain_text(XSS)
    page.goto(f"/debates/{debate_id}/replay/")
    page.get_by_role("button", name="The end").click()
    expect(page.locator("[data-live=answer]")).to_contain_text("Recommendation")
    expect(page.locator("main img")).to_have_count(0)
    assert dialogs == []


def test_live_view_in_turkish(page: Page, e2e_server: E2EServer, user: E2EUser) -> None:
    debate_id = finished_debate(
        e2e_server, user, "Küçük bir şirket dört günlük haftaya geçmeli mi?"
    )
    log_in(page, email=user.email)
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator("[data-live=transcript] .live-round-title").first).to_have_text(
        "Opening statements"
    )
    page.locator("#language-select").select_option("tr")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page).to_have_url(re.compile(rf"/debates/{debate_id}/live/$"))
    expect(page.locator("[data-live=transcript] .live-round-title").first).to_have_text(
        "Açılış konuşmaları"
    )
    expect(page.locator("[data-live=answer] h2")).to_have_text("Başkanın yanıtı")
    expect(page.locator("[data-live=answer]")).to_contain_text("Öneri")
    expect(page.locator("[data-live=scoreboard] h2")).to_have_text("Puan tablosu")
    expect(page.locator(f"a[href='/debates/{debate_id}/replay/']")).not_to_have_text("Replay")
    save_screenshot(page, "live-desktop-turkish")


def test_public_debate_for_anonymous_visitors_and_phone_layout(
    phone_page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    page = phone_page
    debate_id = finished_debate(
        e2e_server, user, "Should our city close its centre to cars on Sundays?", public=True
    )
    page.goto(f"/debates/{debate_id}/live/")
    expect(page.locator(".badge", has_text="Read-only")).to_be_visible()
    expect(page.locator("[data-live=answer]")).to_contain_text("Recommendation")
    expect(page.get_by_role("button", name="Cancel the debate")).to_have_count(0)
    expect_transcript_complete(page, seats=3, rounds=1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the live page scrolls sideways on a phone ({width}px)"
    save_screenshot(page, "live-phone")

    page.goto(f"/debates/{debate_id}/replay/")
    page.get_by_role("button", name="Round 1").click()
    page.get_by_role("button", name="Next turn").click()
    expect(page.locator("[data-live=transcript] .live-turn .prose").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the replay scrolls sideways on a phone ({width}px)"
    save_screenshot(page, "replay-phone")


def test_private_debate_is_refused_to_anonymous_visitors(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    debate_id = finished_debate(e2e_server, user, "Is this debate private to its convener?")
    page.goto(f"/debates/{debate_id}/live/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # And the socket itself says 4401 without a session.
    code = page.evaluate(
        """(id) => new Promise((resolve) => {
            const socket = new WebSocket(`ws://${location.host}/ws/debates/${id}/?after=0`);
            socket.onclose = (event) => resolve(event.code);
        })""",
        debate_id,
    )
    assert code == 4401
