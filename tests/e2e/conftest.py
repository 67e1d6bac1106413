"""Browser tests against a real server: daphne + two workers on one SQLite file, in Chromium.

Session-wide (started once, shared by every e2e test):
- `e2e_server`: a temporary directory with a migrated SQLite database, `daphne` serving
  `consultation.asgi:application` on a free port and two `manage.py worker` processes running
  background tasks from the database queue, all with `tests.e2e.settings`. Their output goes to
  tests/e2e/artifacts/server.log, worker.log and worker-2.log. Helpers: `e2e_server.manage(...)`,
  `e2e_server.shell(code)`, `e2e_server.create_user(...)`, `e2e_server.mails_to(address)`.
- `live_server_url`: the server's base URL, e.g. "http://127.0.0.1:41234".
- `browser`: headless Chromium (Debian's package, never a Playwright download).

Per test: `page` (desktop, 1280x800) and `phone_page` (390x844, touch), each in a fresh
context (no cookies shared between tests) whose base URL is the server, so `page.goto("/")`
works. On failure a full-page screenshot and the browser console go to tests/e2e/artifacts/.
An uncaught JavaScript exception fails the test. `user` is a fresh account created straight in
the e2e database (no UI); tests of sign-up itself go through the UI instead.

The database lives for the whole session, so tests must not depend on each other's data:
use `unique_email()` and fresh users rather than fixed names.

Playwright's sync API runs its own event loop in a greenlet; the tests are plain sync functions
and never touch the ORM in-process (pytest-django's database is not the server's): everything
that reads or writes the e2e database goes through a subprocess: `e2e_server.manage(...)` for
commands, `e2e_server.shell(code)` (one long-lived helper, tests/e2e/dbshell.py) for the ORM.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Generator, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.e2e.helpers import ARTIFACTS, E2EUser
from tests.e2e.server import ROOT, E2EServer, embedded_env, launched

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The shared 2-core machine is slow when the suite runs beside others; fail late, not flakily.
TIMEOUT_MS = 15_000


def _require_build_outputs(env: dict[str, str]) -> None:
    """The bundle must exist and the catalogs must be compiled from their current sources."""
    if not (ROOT / "static" / "dist" / "app.js").exists():
        pytest.fail("static/dist/app.js is missing: run `make assets` (or `make e2e`).")
    stale = [
        po
        for po in ROOT.glob("locale/*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        # What `make messages` does; the .mo files are build outputs (gitignored).
        subprocess.run(
            [sys.executable, "manage.py", "compilemessages", "--ignore=.venv",
             "--ignore=node_modules", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )  # fmt: skip


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2EServer]:
    ARTIFACTS.mkdir(exist_ok=True)
    data_dir = tmp_path_factory.mktemp("e2e")
    _require_build_outputs(embedded_env(data_dir, url="http://127.0.0.1"))
    with launched(data_dir) as server:
        yield server


@pytest.fixture(scope="session")
def live_server_url(e2e_server: E2EServer) -> str:
    return e2e_server.url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Chromium is not installed: `apt-get install -y chromium` (`make e2e` does it). "
            "Never `playwright install`."
        )
    browser = playwright.chromium.launch(
        executable_path=executable, args=CHROMIUM_ARGS, headless=True
    )
    expect.set_options(timeout=TIMEOUT_MS)
    yield browser
    browser.close()


# --- Per-test pages ----------------------------------------------------------------------------

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_REPORTS, {})
    return any(report.failed for report in reports.values())


def _open_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    e2e_server: E2EServer,
    *,
    suffix: str,
    **context_options: Any,
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=e2e_server.url, locale="en-US", timezone_id="UTC", **context_options
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console: list[str] = []
    page_errors: list[str] = []
    page.on("console", lambda message: console.append(f"[{message.type}] {message.text}"))
    page.on("pageerror", lambda error: page_errors.append(f"{error.name}: {error.message}"))
    yield page
    try:
        if _failed(request) or page_errors:
            stem = ARTIFACTS / f"{request.node.name}{suffix}-failure"
            page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".console.txt").write_text(
                "\n".join([f"URL: {page.url}", *console, *page_errors]) + "\n"
            )
    finally:
        context.close()
    e2e_server.assert_running()
    if page_errors:
        pytest.fail("uncaught JavaScript errors:\n" + "\n".join(page_errors))
    # The server enforces its Content-Security-Policy (DEBUG off): anything it blocked (an
    # inline script or handler, a <style> element, a third-party fetch) is a bug on any page.
    blocked = [line for line in console if "Content Security Policy" in line]
    if blocked:
        pytest.fail("the Content-Security-Policy blocked something:\n" + "\n".join(blocked))


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, e2e_server: E2EServer) -> Iterator[Page]:
    """A desktop-sized page in a fresh browser context."""
    yield from _open_page(request, browser, e2e_server, suffix="", viewport=DESKTOP)


@pytest.fixture
def phone_page(
    request: pytest.FixtureRequest, browser: Browser, e2e_server: E2EServer
) -> Iterator[Page]:
    """A phone-sized page (390x844, touch) in a fresh browser context."""
    yield from _open_page(
        request,
        browser,
        e2e_server,
        suffix="-phone",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


@pytest.fixture
def user(e2e_server: E2EServer) -> E2EUser:
    """A fresh account in the e2e database, with its profile and personal team."""
    return e2e_server.create_user(display_name="Ada Lovelace")
