"""The API access page and the rate-limit banner in a real browser, in English and Turkish:
create a key (the copy-once dialog), the list, revoke with confirmation; then a form post and
an htmx request over the per-minute limit show the sentence and the link to the plans.

Each test puts its user's personal team on a plan of its own with a tiny rate, so no other
test (they share the e2e database) is limited."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot, tight_plan
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e


def create_key(page: Page, name: str) -> str:
    page.locator("input[name=name]").fill(name)
    page.locator("input[name=scopes][value='debates:write']").check()
    page.locator("main form[data-busy-form] button[type=submit]").click()
    dialog = page.locator("dialog.key-dialog")
    expect(dialog).to_be_visible()
    value = page.locator("#new-key-value").input_value()
    assert re.fullmatch(r"csk_(live|test)_[0-9A-Za-z]{50}", value)
    return value


def test_api_keys_page_and_the_limit_banner_in_english(
    page: Page, e2e_server: E2EServer, user: E2EUser
) -> None:
    tight_plan(e2e_server, user, rate=3)
    log_in(page, email=user.email)
    page.goto("/settings/api-keys/")
    expect(page.locator("h1")).to_have_text("API access")
    key = create_key(page, "Nightly report")  # post 1
    expect(page.locator("dialog.key-dialog")).to_contain_text("only time it is shown")
    save_screenshot(page, "apikeys-dialog-en")
    page.locator("dialog.key-dialog button[type=submit]").click()  # "I have copied it"
    expect(page.locator("dialog.key-dialog")).to_be_hidden()
    row = page.locator("tr[data-api-key]").first
    expect(row).to_contain_text("Nightly report")
    expect(row).to_contain_text(key[:21])
    expect(row).to_contain_text("debates:write")
    expect(row).to_contain_text("Never")  # not used yet
    expect(row).to_contain_text("Active")
    save_screenshot(page, "apikeys-list-en")
    assert key not in page.content().split("</dialog>")[-1], "the key is shown once, in the dialog"
    # Revoke, after the confirmation.
    page.once("dialog", lambda confirm: confirm.accept())
    row.locator("button.danger").click()  # post 2
    expect(page.locator(".messages")).to_contain_text("is revoked")
    expect(page.locator("tr[data-api-key]").first).to_contain_text("Revoked")
    create_key(page, "Second")  # post 3
    page.locator("dialog.key-dialog button[type=submit]").click()
    # Post 4 is over the limit: back on the page, the sentence and the link to the plans. (A
    # limit's minute is a fixed window that starts anywhere in the clock's minute: when it
    # turned over since post 1, the new one's posts go through, and at most 3 more reach it.)
    message = page.locator(".messages .message.limit")
    dialog = page.locator("dialog.key-dialog")
    for name in ("Third", "Fourth", "Fifth", "Sixth"):
        page.locator("input[name=name]").fill(name)
        page.locator("main form[data-busy-form] button[type=submit]").click()
        expect(message.or_(dialog)).to_be_visible()
        if message.is_visible():
            break
        dialog.locator("button[type=submit]").click()
    expect(message).to_contain_text("requests this minute, the limit of the Free plan")
    expect(message).to_contain_text("Try again in")
    expect(message.locator("a")).to_have_attribute("href", "/pricing/")
    expect(page.locator("dialog.key-dialog")).to_have_count(0)
    save_screenshot(page, "ratelimit-banner-en")


def test_api_keys_page_and_the_htmx_limit_banner_in_turkish(
    page: Page, e2e_server: E2EServer
) -> None:
    user = e2e_server.create_user(display_name="Cahit Arf", locale="tr")
    tight_plan(e2e_server, user, rate=1)
    log_in(page, email=user.email)
    page.goto("/settings/api-keys/")
    expect(page.locator("h1")).to_have_text("API erişimi")
    create_key(page, "Gece raporu")  # post 1: the whole minute's budget
    expect(page.locator("dialog.key-dialog")).to_contain_text("yalnızca bu kez gösteriliyor")
    save_screenshot(page, "apikeys-dialog-tr")
    page.locator("dialog.key-dialog button[type=submit]").click()
    expect(page.locator("tr[data-api-key]").first).to_contain_text("Etkin")
    save_screenshot(page, "apikeys-list-tr")
    # The new-debate page's live estimate is an htmx post: over the limit, the banner. (Unless
    # the limit's minute turned over since post 1: then the next post is the one refused.)
    page.goto("/debates/new/")
    for question in (
        "Yirmi kişilik bir girişim dört günlük haftaya geçmeli mi?",
        "Yirmi kişilik bir girişim dört günlük haftaya hemen geçmeli mi?",
    ):
        with page.expect_response(lambda r: r.url.endswith("/debates/new/estimate/")) as sent:
            page.locator("#id_question").fill(question)
        if sent.value.status == 429:
            break
    banner = page.locator("[data-limit-banner]")
    expect(banner).to_contain_text("Bu dakika 1 istek yaptınız")
    expect(banner).to_contain_text("Free")
    expect(banner.locator("a")).to_have_attribute("href", "/pricing/")
    save_screenshot(page, "ratelimit-banner-tr")
