"""Threads in a real browser, against daphne + the worker on one SQLite file: a demo debate,
a follow-up question to its panel, a fork of it from round 1 with another panel (its compare
page and its replay's fork point), and a new debate with a text file attached. Each step is
checked in the database (e2e_server.shell) as well as on the page; screenshots in English and
Turkish are kept in tests/e2e/artifacts/threads-*.png.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import E2EUser, log_in, save_screenshot
from tests.e2e.server import E2EServer

pytestmark = pytest.mark.e2e

LIVE_URL = re.compile(r"/debates/[0-9a-f-]{36}/live/$")
# A paced demo debate (3 seats, 2 rounds) ends well within this.
DEBATE_TIMEOUT_MS = 120_000

_FACTS = """
import json
from debates.models import Debate, DebateModelUsage, Turn
d = Debate.objects.get(pk={debate_id!r})
usage = DebateModelUsage.objects.filter(debate=d)
print(json.dumps({{
    "status": d.status,
    "question": d.question,
    "follow_up_of": str(d.follow_up_of_id) if d.follow_up_of_id else None,
    "forked_from": str(d.forked_from_id) if d.forked_from_id else None,
    "fork_round": d.fork_round,
    "seat_models": [s.llm_model.key for s in d.seats.order_by("position")],
    "documents": [[doc.kind, doc.name, doc.size_bytes, doc.text] for doc in d.documents.all()],
    "copied_turns": Turn.objects.filter(debate=d, copied_from__isnull=False).count(),
    "copied_rounds": sorted(set(
        Turn.objects.filter(debate=d, copied_from__isnull=False).values_list("round", flat=True)
    )),
    "own_turns": Turn.objects.filter(debate=d, copied_from__isnull=True).count(),
    "calls": sum(line.calls for line in usage),
    "judges": d.judge_models.count(),
    "events": list(d.events.order_by("seq").values_list("type", flat=True)),
}}))
"""


def facts(server: E2EServer, debate_id: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(server.shell(_FACTS.format(debate_id=debate_id)))
    return result


def debate_id_of(page: Page) -> str:
    return page.url.rstrip("/").split("/")[-2]


def wait_until_finished(page: Page) -> None:
    """On the live page: the chair's answer arrives and the status says Completed."""
    expect(page.locator("[data-live=answer]")).to_contain_text(
        "Recommendation", timeout=DEBATE_TIMEOUT_MS
    )
    expect(page.locator("[data-live=status]")).to_have_text("Completed", timeout=DEBATE_TIMEOUT_MS)


def test_follow_up_fork_and_context_documents(
    page: Page, e2e_server: E2EServer, user: E2EUser, tmp_path: Path
) -> None:
    log_in(page, email=user.email)

    # 1. A demo debate, run to its end by the worker.
    page.locator("main .page-head").get_by_role("button", name="Try a demo debate").click()
    expect(page).to_have_url(LIVE_URL)
    first_id = debate_id_of(page)
    wait_until_finished(page)
    first = facts(e2e_server, first_id)
    assert first["status"] == "completed"

    # 2. A follow-up from the finished debate's page, with the transcript.
    page.goto(f"/debates/{first_id}/")
    follow_up_form = page.locator("form.follow-up-form")
    follow_up_form.get_by_label("Follow-up question").fill(
        "And if only half of the team can take part at first?"
    )
    follow_up_form.get_by_label("Also give the panel this debate's transcript").check()
    follow_up_form.get_by_role("button", name="Ask the panel").click()
    expect(page).to_have_url(LIVE_URL)
    follow_up_id = debate_id_of(page)
    follow_up = facts(e2e_server, follow_up_id)
    assert follow_up["follow_up_of"] == first_id
    assert follow_up["seat_models"] == first["seat_models"]
    kinds = [doc[0] for doc in follow_up["documents"]]
    assert kinds == ["previous_answer", "previous_transcript"]
    wait_until_finished(page)
    assert facts(e2e_server, follow_up_id)["status"] == "completed"
    page.goto(f"/debates/{follow_up_id}/")
    thread = page.locator("section.thread")
    expect(thread.get_by_role("link", name=str(first["question"])[:40])).to_be_visible()
    expect(thread).to_contain_text("earlier question")
    expect(thread).to_contain_text("The earlier debate's answer")
    save_screenshot(page, "threads-follow-up-en")
    page.goto(f"/debates/{first_id}/")
    expect(page.locator("section.thread")).to_contain_text("later question")

    # 3. A fork of the first debate from round 1, seat A on another model, one round.
    fork_box = page.locator("details.fork")
    fork_box.locator("summary").click()
    fork_form = page.locator("form.fork-form")
    fork_form.get_by_label("Fork from round").select_option("1")
    seat_a = fork_form.locator("select[name=seat_0]")
    other = next(
        value
        for value in seat_a.locator("option").evaluate_all("options => options.map(o => o.value)")
        if value.startswith("demo:") and value not in first["seat_models"]
    )
    seat_a.select_option(other)
    other_name = seat_a.locator("option:checked").inner_text().split(" (")[0]
    fork_form.get_by_label("Rebuttal rounds").select_option("1")
    save_screenshot(page, "threads-fork-form-en")
    fork_form.get_by_role("button", name="Start the fork").click()
    expect(page).to_have_url(LIVE_URL)
    fork_id = debate_id_of(page)
    fork = facts(e2e_server, fork_id)
    seats = len(first["seat_models"])
    assert fork["forked_from"] == first_id
    assert fork["fork_round"] == 1
    assert fork["seat_models"][0] == other
    assert fork["copied_turns"] == seats
    assert fork["copied_rounds"] == [0]
    wait_until_finished(page)
    fork = facts(e2e_server, fork_id)
    assert fork["status"] == "completed"
    # Billed: the new turns (round 1 only), each judge's one call and the chair's.
    assert fork["own_turns"] == seats
    assert fork["calls"] == seats + fork["judges"] + 1
    events = fork["events"]
    assert events.index("debate.forked") < events.index("debate.started")

    page.goto(f"/debates/{fork_id}/")
    expect(page.locator("[data-fork-origin]")).to_contain_text("A fork from round 1")
    expect(page.locator("article.turn .badge.copied")).to_have_count(seats)
    # Seat A's copied opening is named after the model that wrote it.
    first_turn = page.locator("article.turn").first
    expect(first_turn).to_contain_text("copied")
    expect(first_turn).not_to_contain_text(other_name)
    page.locator("[data-fork-origin]").get_by_role("link", name="Compare side by side").click()
    expect(page).to_have_url(re.compile(rf"/debates/{first_id}/compare/{fork_id}/$"))
    expect(page.locator("h1")).to_have_text("Two debates side by side")
    expect(page.locator("[data-side=right]")).to_contain_text("fork from round 1")
    expect(page.locator(".claim-diff")).to_contain_text("Which claims changed")
    save_screenshot(page, "threads-compare-en")

    page.goto(f"/debates/{fork_id}/replay/")
    fork_point = page.get_by_role("button", name="Fork point")
    fork_point.click()
    marker = events.index("debate.forked") + 1
    expect(page.locator("[data-replay=position]")).to_have_text(f"Event {marker} of {len(events)}")
    expect(page.locator("[data-fork-origin]")).to_be_visible()
    save_screenshot(page, "threads-replay-fork-en")

    # 4. A new debate with a text file attached (a personal address in it is scrubbed).
    notes = tmp_path / "team-notes.txt"
    notes.write_text("Survey: 14 of 20 want it. Ask hr@example.com for the numbers.\n")
    page.goto("/debates/new/")
    page.get_by_label("Question", exact=True).fill(
        "Should our support team switch to a four-day week next quarter?"
    )
    page.get_by_label("Context documents").set_input_files(str(notes))
    save_screenshot(page, "threads-new-with-file-en")
    page.get_by_role("button", name="Start the debate").click()
    expect(page).to_have_url(LIVE_URL)
    attached_id = debate_id_of(page)
    attached = facts(e2e_server, attached_id)
    ((kind, name, size, text),) = attached["documents"]
    assert (kind, name, size) == ("document", "team-notes.txt", notes.stat().st_size)
    assert "hr@example.com" not in text
    assert "[EMAIL_1]" in text
    page.goto(f"/debates/{attached_id}/")
    documents = page.locator(".context-documents")
    expect(documents).to_contain_text("team-notes.txt")
    expect(documents).to_contain_text("bytes")

    # The same pages in Turkish.
    e2e_server.shell(
        "from accounts.models import Profile\n"
        f"Profile.objects.filter(user_id={user.id}).update(locale='tr')"
    )
    page.context.clear_cookies()  # signed out: the next login applies the profile's language
    log_in(page, email=user.email)
    for name, path in (
        ("follow-up", f"/debates/{follow_up_id}/"),
        ("compare", f"/debates/{first_id}/compare/{fork_id}/"),
        ("fork", f"/debates/{fork_id}/"),
        ("attached", f"/debates/{attached_id}/"),
    ):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "tr")
        save_screenshot(page, f"threads-{name}-tr")
    page.goto(f"/debates/{fork_id}/")
    expect(page.locator("[data-fork-origin]")).to_contain_text("1. turdan bir çatal")
    page.goto(f"/debates/{first_id}/")
    expect(page.locator("#follow-up-title")).to_have_text("Devam sorusu sor")
