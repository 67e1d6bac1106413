"""The Content-Security-Policy in a real browser (issue 9, item 6): the main pages, htmx's
partial swaps and the live debate's WebSocket all work under the enforced policy, and nothing
is blocked. The `page` fixture fails any test whose console reports a CSP violation; this
module also listens for `securitypolicyviolation` events, which the console may coalesce."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, E2EUser, log_in, save_screenshot

pytestmark = pytest.mark.e2e

WATCH_VIOLATIONS = """() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
        window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
    });
}"""


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("() => window.__cspViolations || []")
    return found


def test_main_pages_run_under_the_enforced_policy(page: Page, user: E2EUser) -> None:
    page.context.add_init_script(f"({WATCH_VIOLATIONS})()")
    response = page.goto("/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    for path in ("/leaderboard/", "/hall-of-fame/", "/accounts/login/"):
        page.goto(path)
        assert violations(page) == [], path
    log_in(page, email=user.email, password=user.password)
    for path in ("/dashboard/", "/debates/", "/teams/", "/settings/profile/"):
        response = page.goto(path)
        assert response is not None
        assert "private" in response.headers["cache-control"], path
        assert violations(page) == [], path


def test_htmx_and_the_live_socket_work_under_the_policy(page: Page, user: E2EUser) -> None:
    page.context.add_init_script(f"({WATCH_VIOLATIONS})()")
    log_in(page, email=user.email, password=user.password)
    page.goto("/debates/new/")
    # An htmx swap: adding a seat redraws the panel from the server.
    seats_before = page.locator("[data-seat]").count()
    page.get_by_role("button", name="Add a seat").click()
    expect(page.locator("[data-seat]")).to_have_count(seats_before + 1)
    page.get_by_label("Question").fill("Should a 20-person startup adopt a four-day week?")
    page.get_by_role("button", name="Start the debate").click()
    # The live page streams over the WebSocket (connect-src 'self') to the final answer.
    expect(page.locator("[data-live=status]")).to_have_text("Completed", timeout=90_000)
    save_screenshot(page, "csp-live-debate")
    assert violations(page) == []

    # Listing on the hall of fame is its own choice, after the public link (issue 9, item 3).
    page.get_by_role("link", name="Details").first.click()
    page.get_by_role("button", name="Open a public read-only link").click()
    expect(page.get_by_text("Not listed anywhere")).to_be_visible()
    page.get_by_role("button", name="List it on the hall of fame").click()
    expect(page.get_by_text("Listed on the hall of fame:")).to_be_visible()
    sharing = page.locator("section[aria-labelledby=sharing-title]")
    sharing.screenshot(path=ARTIFACTS / "sharing-listed.png")
    assert violations(page) == []
