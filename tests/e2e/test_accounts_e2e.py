"""Accounts in a real browser: sign-up, profile, teams, language, and how the pages look."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import PASSWORD, E2EUser, log_in, save_screenshot, unique_email
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 390


def test_signup_lands_on_dashboard_with_personal_workspace(
    page: Page, e2e_server: E2EServer
) -> None:
    email = unique_email("signup")
    page.goto("/")
    page.locator("nav").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    workspace = page.locator("section.card", has=page.get_by_role("heading", name="Your workspace"))
    expect(workspace).to_contain_text("You are working in Personal.")
    expect(page.locator(".team-switcher summary")).to_have_text("Personal")
    expect(page.locator("nav details.menu:not(.team-switcher) summary")).to_have_text(
        email.split("@")[0]
    )
    # Verification is optional, but the confirmation email goes out at once.
    assert any("/accounts/confirm-email/" in mail.body for mail in e2e_server.mails_to(email))


def test_profile_made_public_is_shown_at_its_handle(page: Page, user: E2EUser) -> None:
    log_in(page, email=user.email)
    page.goto("/settings/profile/")
    page.get_by_label("Display name").fill("Grace Hopper")
    page.get_by_label("Public profile").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Profile saved.")

    page.goto("/dashboard/")
    page.get_by_role("link", name=f"/u/{user.handle}/").click()
    expect(page).to_have_url(re.compile(rf"/u/{user.handle}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    expect(page.locator("main")).to_contain_text(f"@{user.handle}")


def test_private_profile_is_not_found(page: Page, user: E2EUser) -> None:
    response = page.goto(f"/u/{user.handle}/")
    assert response is not None
    assert response.status == 404


def test_created_team_is_active_in_team_switcher(page: Page, user: E2EUser) -> None:
    log_in(page, email=user.email)
    page.locator("nav").get_by_role("link", name="Teams").click()
    page.get_by_label("Team name").fill("Delphi Council")
    page.get_by_role("button", name="Create team").click()

    expect(page.locator(".messages")).to_contain_text("Team “Delphi Council” created.")
    switcher = page.locator(".team-switcher")
    expect(switcher.locator("summary")).to_have_text("Delphi Council")
    switcher.locator("summary").click()
    expect(switcher.locator("button[aria-current=true]")).to_contain_text("Delphi Council")
    expect(switcher.get_by_role("button", name="Personal")).to_be_visible()

    # Switching back through the switcher makes the personal workspace active again.
    switcher.get_by_role("button", name="Personal").click()
    expect(page.locator(".team-switcher summary")).to_have_text("Personal")


def test_language_switcher_turns_the_interface_turkish_and_it_stays(
    page: Page, user: E2EUser
) -> None:
    log_in(page, email=user.email)
    nav = page.locator("nav")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()

    page.locator("#language-select").select_option("tr")

    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(nav.get_by_role("link", name="Panel")).to_be_visible()
    expect(page.get_by_role("heading", name="Çalışma alanınız")).to_be_visible()
    save_screenshot(page, "dashboard-desktop-tr")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(nav.get_by_role("link", name="Panel")).to_be_visible()


def test_saved_language_applies_at_next_login(page: Page, e2e_server: E2EServer) -> None:
    turkish = e2e_server.create_user(locale="tr")
    log_in(page, email=turkish.email)
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("nav").get_by_role("link", name="Panel")).to_be_visible()


def test_screenshots_of_landing_and_dashboard(page: Page, phone_page: Page, user: E2EUser) -> None:
    """Kept in tests/e2e/artifacts/ for reviewers, at desktop and phone width."""
    for target, width in ((page, "desktop"), (phone_page, "phone")):
        target.goto("/")
        expect(target.get_by_role("heading", level=1)).to_be_visible()
        save_screenshot(target, f"landing-{width}")
        log_in(target, email=user.email)
        expect(target.get_by_role("heading", name="Your workspace")).to_be_visible()
        save_screenshot(target, f"dashboard-{width}")
        # Nothing may stick out sideways on a phone: no horizontal scrolling.
        overflow = target.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{width}: page is {overflow}px wider than the viewport"


def test_nav_menus_fit_on_a_phone(phone_page: Page, user: E2EUser) -> None:
    log_in(phone_page, email=user.email)
    width = PHONE_WIDTH
    # The links fold behind "Menu" on a phone (issue 8): open it first.
    phone_page.locator("nav summary.nav-toggle").click()
    for menu in ("nav details.menu.team-switcher", "nav details.menu:not(.team-switcher)"):
        phone_page.locator(f"{menu} summary").click()
        body = phone_page.locator(f"{menu} .menu-body")
        expect(body).to_be_visible()
        box = body.bounding_box()
        assert box is not None
        assert box["x"] >= 0, f"{menu}: menu starts {-box['x']:.0f}px left of the screen"
        assert box["x"] + box["width"] <= width, f"{menu}: menu ends right of the screen"
        save_screenshot(phone_page, "menu-open-phone" if "not" in menu else "team-menu-phone")
        phone_page.locator(f"{menu} summary").click()
