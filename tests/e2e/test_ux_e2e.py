"""What a new user trips over (issue 8), in a real browser: Markdown while it streams, copy
buttons, elapsed time and replay time, queued and cancelled debates, long questions, the
debate list's history, Turkish everywhere, phones, and an accessibility pass with axe-core.
Screenshots of the live view, the debate page and the leaderboard at desktop and phone size,
in English and Turkish, go to tests/e2e/artifacts/ux-*.png."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import ROOT, E2EServer
from tests.e2e.test_live_e2e import DEBATE_TIMEOUT_MS, finished_debate, start_debate

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def test_markdown_renders_while_streaming_and_matches_the_server(
    page: Page, user: E2EUser
) -> None:
    rendered_requests: list[str] = []
    page.on(
        "request",
        lambda request: rendered_requests.append(request.url) if "/rendered/" in request.url else None,
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
    # The browser's HTML is the server's HTML (same renderer, same allow-list).
    server = page.evaluate(
        "async (id) => (await fetch(`/debates/${id}/rendered/`)).json()", debate_id
    )
    for node in page.locator("[data-live=transcript] .live-turn").all():
        html = node.locator(".prose").inner_html()
        assert html.strip() in {h.strip() for h in server["turns"].values()}, html

    # Copy buttons on every turn and on the answer.
    expect(page.locator("[data-live=transcript] .copy-button")).to_have_count(6)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer_copy = page.get_by_role("button", name="Copy the answer")
    answer_copy.click()
    expect(answer_copy).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "## Recommendation" in copied
