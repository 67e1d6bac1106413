"""Small helpers shared by the browser tests: accounts, signing in, screenshots."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PASSWORD = "correct-horse-battery-staple"


@dataclass(frozen=True)
class E2EUser:
    email: str
    password: str
    id: int
    handle: str


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def unique_email(prefix: str = "e2e") -> str:
    """The e2e database lives for the whole session: every test brings its own addresses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def log_in(page: Page, *, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    # The page's script binds its handlers (the language select's autosubmit among them) as
    # the document finishes loading; a test that acts before then acts on a page without them
    # (the language switcher failed that way once on a loaded machine). `goto` waits for this
    # itself; a navigation by a click does not.
    page.wait_for_load_state("load")


def save_screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot in tests/e2e/artifacts/<name>.png, kept for reviewers."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
