"""Small helpers shared by the browser tests: accounts, signing in, screenshots."""

import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from tests.e2e.server import E2EServer

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


_TIGHT_PLAN = """
from accounts.models import Team
from billing.models import BillingAccount, Plan
plan = Plan.objects.create(slug={slug!r}, name="Free", is_public=False, sort_order=99,
                           api_requests_per_minute={rate})
team = Team.objects.get(created_by_id={user_id}, is_personal=True)
BillingAccount.objects.update_or_create(team=team, defaults={{"plan": plan}})
"""


def tight_plan(e2e_server: "E2EServer", user: E2EUser, rate: int) -> None:
    """Puts `user`'s personal team on a plan of its own, of `rate` API requests a minute."""
    slug = f"e2e-{secrets.token_hex(4)}"
    e2e_server.shell(_TIGHT_PLAN.format(slug=slug, rate=rate, user_id=user.id))
