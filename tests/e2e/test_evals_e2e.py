"""Evaluations in a real browser: a team starts one from the Evaluate page, watches its
progress (htmx polling), lands on the report and sees its chart drawn; in Turkish too."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

REPORT_URL = re.compile(r"/evaluate/[0-9a-f-]{36}/report/$")


def test_start_an_evaluation_watch_it_and_read_the_report_with_its_chart(
    page: Page, e2e_server: E2EServer
) -> None:
    user = e2e_server.create_user(display_name="Grace Hopper")
    log_in(page, email=user.email)
    page.get_by_role("navigation").get_by_role("link", name="Evaluate").click()
    expect(page.locator("h1")).to_have_text("Evaluate")
    page.locator("#id_dataset").select_option("consultation-30")
    page.locator("#id_limit").fill("3")
    page.locator("#id_preset").select_option("balanced-trio")
    page.locator("#id_rounds").fill("1")
    save_screenshot(page, "evaluate-en-desktop")
    page.locator("#eval-start").click()

    # The progress page: done / total (3 questions x (debate + 3 members + self-consistency)).
    expect(page).to_have_url(re.compile(r"/evaluate/[0-9a-f-]{36}/$|/report/$"))
    if not REPORT_URL.search(page.url):
        expect(page.locator("#eval-done")).to_contain_text("/ 15")
        expect(page.locator(".eval-notice")).to_contain_text("mechanics only")
        save_screenshot(page, "evaluation-progress-en-desktop")
        # The polled fragment moves on while the worker answers (or the run is already over).
        page.wait_for_function(
            """() => location.pathname.endsWith('/report/')
                || !/^0 \\//.test(document.getElementById('eval-done')?.textContent ?? '0 /')""",
            timeout=120_000,
        )
    # Polling sends the browser on to the report once the run ends.
    expect(page).to_have_url(REPORT_URL, timeout=120_000)
    expect(page.locator("#eval-demo-notice")).to_contain_text("mechanics only")
    expect(page.locator("#eval-arms tbody tr")).to_have_count(5)  # panel, 3 members, s-c
    expect(page.locator("#eval-comparisons tbody tr")).to_have_count(3)
    chart = page.locator("#eval-chart")
    expect(chart).to_have_attribute("data-chart-ready", "true")
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 200
    # Something was drawn on the canvas, not a blank surface.
    painted = page.evaluate(
        """() => {
          const c = document.getElementById('eval-chart');
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
          return n;
        }"""
    )
    assert painted > 1000
    save_screenshot(page, "evaluation-report-en-desktop")
    # The exports are links of the report.
    expect(page.get_by_role("link", name="JSON")).to_have_attribute(
        "href", re.compile(r"/report\.json$")
    )


def test_the_evaluate_page_and_report_in_turkish(page: Page, e2e_server: E2EServer) -> None:
    user = e2e_server.create_user(locale="tr")
    log_in(page, email=user.email)
    page.goto("/evaluate/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("h1")).to_have_text("Değerlendir")
    page.locator("#id_limit").fill("2")
    page.locator("#id_preset").select_option("custom")
    page.locator("#id_models").fill("demo:demo-sage,demo:demo-skeptic")
    save_screenshot(page, "evaluate-tr-desktop")
    page.locator("#eval-start").click()
    expect(page).to_have_url(REPORT_URL, timeout=120_000)
    expect(page.locator("#arms-title")).to_have_text("Kollara göre doğruluk")
    expect(page.locator("#eval-demo-notice")).to_contain_text("yalnızca düzeneğin işleyişini")
    expect(page.locator("#eval-chart")).to_have_attribute("data-chart-ready", "true")
    save_screenshot(page, "evaluation-report-tr-desktop")
