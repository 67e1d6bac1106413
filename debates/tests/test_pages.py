"""The debate pages: dashboard, demo path, new debate (panel builder, estimate), list, detail,
exports, sharing and the public link. Access, content, and escaping of untrusted text."""

import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import AuditEntry, Team, User
from debates.api import DebateDetailOutput
from debates.models import Debate, DebateStatus
from debates.services.creation import SeatInput, debate_create
from debates.services.demo import SAMPLE_QUESTIONS
from debates.tests.factories import make_debate

pytestmark = pytest.mark.django_db

QUESTION = "Should a 20-person startup adopt a four-day week?"
DASH = "\N{EN DASH}"
XSS = "<img src=x onerror=alert(1)> is this question safe to show?"


def personal(user: User) -> Team:
    return Team.objects.get(created_by=user, is_personal=True)


@pytest.fixture
def finished(
    owner: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> Debate:
    """A debate run to the end by the demo provider (instant in tests)."""
    with django_capture_on_commit_callbacks(execute=True):
        debate = debate_create(
            user=owner,
            team=personal(owner),
            question=QUESTION,
            seats=[
                SeatInput("demo:demo-sage", "proponent"),
                SeatInput("demo:demo-skeptic", "skeptic"),
            ],
            rounds=1,
        )
    debate.refresh_from_db()
    assert debate.status == DebateStatus.COMPLETED
    return debate


def new_debate_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "question": QUESTION,
        "category": "business",
        "rounds": "1",
        "chair": "",
        "cost_cap_usd": "",
        "seats-TOTAL_FORMS": "2",
        "seats-INITIAL_FORMS": "2",
        "seats-0-model": "demo:demo-sage",
        "seats-0-role": "proponent",
        "seats-0-temperature": "0.7",
        "seats-0-instruction": "",
        "seats-1-model": "demo:demo-skeptic",
        "seats-1-role": "skeptic",
        "seats-1-temperature": "0.5",
        "seats-1-instruction": "",
    }
    data.update(overrides)
    return data


def fresh(debate: Debate) -> Debate:
    return Debate.objects.get(pk=debate.pk)


def html(response: Any) -> str:
    content: bytes = response.content
    return content.decode()


# --- Access: every page renders for its owner; anyone else gets a 404 --------------------


@pytest.mark.parametrize("suffix", ["", "export.md", "export.json"])
def test_debate_pages_render_for_the_owner(owner: User, owner_client: Client, suffix: str) -> None:
    debate = make_debate(owner)
    response = owner_client.get(f"/debates/{debate.pk}/{suffix}")
    assert response.status_code == 200


@pytest.mark.parametrize("suffix", ["", "export.md", "export.json"])
def test_outsider_gets_404(owner: User, outsider_client: Client, suffix: str) -> None:
    debate = make_debate(owner)
    assert outsider_client.get(f"/debates/{debate.pk}/{suffix}").status_code == 404


def test_team_member_sees_a_debate_only_once_shared(
    owner: User, team: Team, member_client: Client
) -> None:
    debate = make_debate(owner, team=team)
    assert member_client.get(f"/debates/{debate.pk}/").status_code == 404
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    response = member_client.get(f"/debates/{debate.pk}/")
    assert response.status_code == 200
    # The member sees who may change sharing, not the toggles.
    assert "only they can change who sees it" in html(response)
    assert f"/debates/{debate.pk}/share/" not in html(response)


@pytest.mark.parametrize("url", ["/dashboard/", "/debates/", "/debates/new/", "/debates/demo/"])
def test_pages_need_login(anon_client: Client, url: str) -> None:
    response = anon_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_render_in_turkish(owner_client: Client) -> None:
    owner_client.cookies["django_language"] = "tr"
    response = owner_client.get("/debates/new/", HTTP_ACCEPT_LANGUAGE="tr")
    assert "Yeni tartışma" in html(response)


# --- Landing, dashboard and the demo path --------------------------------------------------


def test_landing_sends_a_visitor_to_sign_up_then_to_the_demo(anon_client: Client) -> None:
    assert 'href="/accounts/signup/?next=/debates/demo/"' in html(anon_client.get("/"))


def test_landing_offers_a_signed_in_user_the_one_click_demo(owner_client: Client) -> None:
    page = html(owner_client.get("/"))
    assert 'action="/debates/demo/"' in page
    assert "Try a demo debate" in page


def test_dashboard_shows_recent_debates_quick_start_and_usage(
    owner: User, owner_client: Client
) -> None:
    for number in range(6):
        make_debate(owner, question=f"Question number {number} for the dashboard?")
    response = owner_client.get("/dashboard/")
    assert response.status_code == 200
    assert response.templates[0].name == "debates/dashboard.html"
    page = html(response)
    assert page.count('class="debate-link"') == 5
    assert "Question number 5" in page
    assert "Question number 0" not in page
    assert "/debates/new/?preset=balanced-trio" in page
    assert "/debates/new/?preset=risk-heavy" in page
    assert 'action="/debates/demo/"' in page
    assert "Usage this period" in page
    assert 'href="/settings/billing/"' in page
    assert "You are working in <strong>Personal</strong>" in page
    assert response.context["active_team"] == personal(owner)


def test_dashboard_empty_state(owner_client: Client) -> None:
    assert "No debates yet." in html(owner_client.get("/dashboard/"))


def test_demo_page_shows_a_sample_question_and_a_start_button(owner_client: Client) -> None:
    response = owner_client.get("/debates/demo/")
    assert response.status_code == 200
    sample = response.context["sample"]
    assert sample in SAMPLE_QUESTIONS
    assert str(sample.text) in html(response)
    assert f'name="sample" value="{response.context["sample_index"]}"' in html(response)


def test_demo_post_creates_a_demo_debate_and_opens_the_live_page(
    owner: User, owner_client: Client, settings: Settings
) -> None:
    # Even with a paid provider configured, the demo stays on the free demo models.
    settings.LLM_PROVIDERS = ["demo", "openai"]
    response = owner_client.post("/debates/demo/", {"sample": "1"})
    debate = Debate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/debates/{debate.pk}/live/"
    assert debate.uses_demo
    assert debate.created_by == owner
    assert debate.team == personal(owner)
    assert debate.question == str(SAMPLE_QUESTIONS[1].text)
    assert debate.category == SAMPLE_QUESTIONS[1].category
    keys = [seat.llm_model.key for seat in debate.seats.all()]
    assert keys == ["demo:demo-sage", "demo:demo-skeptic", "demo:demo-pragmatist"]
    assert debate.chair_model.key == "demo:demo-scout"
    assert [m.key for m in debate.judge_models.all()] == ["demo:demo-scout"]


def test_demo_without_a_sample_picks_one_of_the_samples(owner_client: Client) -> None:
    owner_client.post("/debates/demo/")
    questions = {str(sample.text) for sample in SAMPLE_QUESTIONS}
    assert Debate.objects.get().question in questions


def test_demo_question_is_in_the_users_language(owner_client: Client) -> None:
    owner_client.cookies["django_language"] = "tr"
    owner_client.post("/debates/demo/", {"sample": "0"}, HTTP_ACCEPT_LANGUAGE="tr")
    debate = Debate.objects.get()
    assert debate.question != "Should a 20-person startup move to a four-day work week?"
    assert debate.language == "tr"


# --- New debate ----------------------------------------------------------------------------


def test_new_debate_form_opens_with_the_default_panel_an_estimate_and_limits(
    owner_client: Client,
) -> None:
    response = owner_client.get("/debates/new/")
    page = html(response)
    assert response.status_code == 200
    assert 'name="seats-TOTAL_FORMS" value="3"' in page
    assert 'data-counter=""' in page
    assert 'maxlength="5000"' in page
    assert "Free" in page  # the estimate of an all-demo panel
    assert f"2{DASH}5 seats on a panel" in page  # the Free plan's
    assert f"1{DASH}3 rebuttal rounds" in page
    assert f"10{DASH}5000 characters in the question" in page


def test_new_debate_form_is_prefilled_from_a_preset(owner_client: Client) -> None:
    response = owner_client.get("/debates/new/?preset=risk-heavy")
    page = html(response)
    assert 'name="seats-TOTAL_FORMS" value="4"' in page
    assert '<option value="3" selected>3</option>' in page
    assert response.context["active_preset"] == "risk-heavy"


def test_new_debate_post_creates_the_debate_and_opens_the_live_page(
    owner: User, owner_client: Client
) -> None:
    response = owner_client.post(
        "/debates/new/",
        new_debate_data(
            judges=["demo:demo-scout"], chair="demo:demo-pragmatist", cost_cap_usd="2.50"
        ),
    )
    debate = Debate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/debates/{debate.pk}/live/"
    assert debate.question == QUESTION
    assert debate.rounds == 1
    assert debate.category == "business"
    assert debate.cost_cap_usd == Decimal("2.50")
    assert debate.chair_model.key == "demo:demo-pragmatist"
    assert [m.key for m in debate.judge_models.all()] == ["demo:demo-scout"]
    seats = list(debate.seats.all())
    assert [(s.llm_model.key, s.role, s.temperature) for s in seats] == [
        ("demo:demo-sage", "proponent", 0.7),
        ("demo:demo-skeptic", "skeptic", 0.5),
    ]
    assert debate.team == personal(owner)


def test_new_debate_invalid_input_shows_field_errors_and_creates_nothing(
    owner_client: Client,
) -> None:
    data = new_debate_data(question="too short", **{"seats-TOTAL_FORMS": "1"})
    response = owner_client.post("/debates/new/", data)
    page = html(response)
    assert response.status_code == 200
    assert not Debate.objects.exists()
    assert "The question must be 10 to 5000 characters long." in page
    assert "A panel has 2 to 8 seats." in page
    assert response.context["form"].errors["question"]
    # What was typed is kept.
    assert "too short" in page


def test_new_debate_custom_role_without_instruction_is_a_panel_error(
    owner_client: Client,
) -> None:
    response = owner_client.post("/debates/new/", new_debate_data(**{"seats-1-role": "custom"}))
    assert not Debate.objects.exists()
    assert "Seat B: a custom role needs an instruction." in html(response)  # lettered as the cards


def test_new_debate_unavailable_model_is_a_seat_error(owner_client: Client) -> None:
    response = owner_client.post(
        "/debates/new/", new_debate_data(**{"seats-0-model": "openai:gpt-5"})
    )
    assert not Debate.objects.exists()
    assert response.context["seats"].forms[0].errors["model"]


def test_new_debate_bad_cost_cap_is_a_field_error(owner_client: Client) -> None:
    response = owner_client.post("/debates/new/", new_debate_data(cost_cap_usd="-1"))
    assert not Debate.objects.exists()
    assert response.context["form"].errors["cost_cap_usd"] == ["The cost cap must be positive."]


def test_panel_adds_a_seat_with_a_new_model_and_role(owner_client: Client) -> None:
    response = owner_client.post("/debates/new/panel/", {**new_debate_data(), "op": "add"})
    assert response.status_code == 200
    assert response["HX-Trigger-After-Settle"] == "panel-changed"
    seats = response.context["seats"]
    assert seats.total_form_count() == 3
    added = seats.forms[2].initial
    assert added["model"] not in {"demo:demo-sage", "demo:demo-skeptic"}
    assert added["role"] == "pragmatist"
    assert "<html" not in html(response)


def test_panel_removes_a_seat_but_keeps_two(owner_client: Client) -> None:
    three = {
        **new_debate_data(),
        "seats-TOTAL_FORMS": "3",
        "seats-2-model": "demo:demo-scout",
        "seats-2-role": "researcher",
        "seats-2-temperature": "0.3",
    }
    response = owner_client.post("/debates/new/panel/", {**three, "op": "remove:0"})
    forms = response.context["seats"].forms
    assert [f.initial["model"] for f in forms] == ["demo:demo-skeptic", "demo:demo-scout"]
    response = owner_client.post("/debates/new/panel/", {**new_debate_data(), "op": "remove:0"})
    assert response.context["seats"].total_form_count() == 2
    assert "disabled" in html(response).split("remove-seat", 1)[1].split(">", 1)[0]


@pytest.mark.usefixtures("pro_by_default")
def test_panel_stops_adding_at_eight_seats(owner_client: Client) -> None:
    data = new_debate_data(**{"seats-TOTAL_FORMS": "8"})
    for i in range(2, 8):
        data |= {f"seats-{i}-model": "demo:demo-scout", f"seats-{i}-role": "researcher"}
    response = owner_client.post("/debates/new/panel/", {**data, "op": "add"})
    assert response.context["seats"].total_form_count() == 8


def test_panel_applies_a_preset_with_its_rounds(owner_client: Client) -> None:
    response = owner_client.post(
        "/debates/new/panel/", {**new_debate_data(), "op": "preset:risk-heavy"}
    )
    assert response.context["seats"].total_form_count() == 4
    assert response.context["form"]["rounds"].value() == 3
    assert 'aria-pressed="true"' in html(response)


def test_panel_reports_an_unknown_preset_and_keeps_the_seats(owner_client: Client) -> None:
    response = owner_client.post("/debates/new/panel/", {**new_debate_data(), "op": "preset:nope"})
    assert response.context["seats"].total_form_count() == 2
    assert "Unknown preset." in html(response)


def test_estimate_of_demo_models_is_free(owner_client: Client) -> None:
    response = owner_client.post("/debates/new/estimate/", new_debate_data())
    assert response.status_code == 200
    assert "Free" in html(response)
    assert response.context["estimate"].calls == 2 * 2 + 1 + 1


def test_estimate_of_paid_models_has_a_price_and_a_cap_warning(
    owner_client: Client, settings: Settings
) -> None:
    settings.LLM_PROVIDERS = ["demo", "openai"]
    data = new_debate_data(
        cost_cap_usd="0.0001", **{"seats-0-model": "openai:gpt-5", "seats-1-model": "openai:gpt-5"}
    )
    response = owner_client.post("/debates/new/estimate/", data)
    page = html(response)
    estimate = response.context["estimate"]
    assert estimate.cost_usd > 0
    assert estimate.cost_usd_max > estimate.cost_usd
    assert "≈ $" in page
    assert "may end the debate early" in page


def test_estimate_needs_two_available_seats(owner_client: Client) -> None:
    data = new_debate_data(**{"seats-1-model": "openai:gpt-5"})
    response = owner_client.post("/debates/new/estimate/", data)
    assert response.context["estimate"] is None
    assert "Choose at least two available models" in html(response)


def test_estimate_and_panel_refuse_get(owner_client: Client) -> None:
    assert owner_client.get("/debates/new/estimate/").status_code == 405
    assert owner_client.get("/debates/new/panel/").status_code == 405


# --- List ----------------------------------------------------------------------------------


def test_list_shows_my_debates_with_badges_and_links(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    response = owner_client.get("/debates/")
    page = html(response)
    assert response.status_code == 200
    assert f'href="/debates/{debate.pk}/"' in page
    assert "Queued" in page
    assert 'class="badge demo"' in page
    assert f'href="/debates/{debate.pk}/live/"' in page


def test_list_filters_by_status_and_searches_the_question(
    owner: User, owner_client: Client
) -> None:
    make_debate(owner, question="Should we migrate the billing system to Postgres?")
    failed = make_debate(owner, question="Should we hire a second designer this year?")
    Debate.objects.filter(pk=failed.pk).update(status=DebateStatus.FAILED)

    page = html(owner_client.get("/debates/?status=failed"))
    assert "second designer" in page
    assert "billing system" not in page

    page = html(owner_client.get("/debates/?q=POSTGRES"))
    assert "billing system" in page
    assert "second designer" not in page

    page = html(owner_client.get("/debates/?q=nothing+like+this"))
    assert "No debate matches these filters." in page


@pytest.mark.usefixtures("pro_by_default")  # 21 debates: more than Free's month
def test_list_paginates_by_twenty(owner: User, owner_client: Client) -> None:
    for number in range(21):
        make_debate(owner, question=f"Numbered question {number:02d} for paging?")
    first = owner_client.get("/debates/")
    assert len(first.context["page"].object_list) == 20
    assert "Page 1 of 2" in html(first)
    second = owner_client.get("/debates/?page=2")
    assert [d.question for d in second.context["page"].object_list] == [
        "Numbered question 00 for paging?"
    ]


def test_list_team_tab_shows_what_is_shared_with_the_active_team(
    owner: User, member: User, team: Team, owner_client: Client
) -> None:
    # The owner's active team is the shared team (made last by the factory).
    shared = make_debate(member, team=team, question="Shared by the member with the team?")
    Debate.objects.filter(pk=shared.pk).update(shared_with_team=True)
    make_debate(member, team=team, question="Kept private by the member, not shared?")
    make_debate(owner, team=team, question="Started by the owner in the team?")

    team_page = html(owner_client.get("/debates/?tab=team"))
    assert "Shared by the member" in team_page
    assert "Kept private" not in team_page
    assert "Started by the owner" not in team_page

    mine = html(owner_client.get("/debates/?tab=mine"))
    assert "Started by the owner" in mine
    assert "Shared by the member" not in mine


def test_list_over_htmx_returns_only_the_results(owner: User, owner_client: Client) -> None:
    make_debate(owner)
    response = owner_client.get("/debates/?status=queued", HTTP_HX_REQUEST="true")
    assert response.templates[0].name == "debates/partials/debate_results.html"
    assert "<html" not in html(response)
    assert "HX-Request" in response["Vary"]
    # A history restore wants the whole page.
    restore = owner_client.get(
        "/debates/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in html(restore)


def test_list_invalid_filter_shows_the_error_state(owner_client: Client) -> None:
    response = owner_client.get("/debates/?status=bogus", HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "These filters are not valid." in html(response)


def test_list_empty_states(owner_client: Client) -> None:
    assert "No debates yet." in html(owner_client.get("/debates/"))
    assert "Nothing shared with this team yet." in html(owner_client.get("/debates/?tab=team"))


# --- Detail --------------------------------------------------------------------------------


def test_detail_of_a_finished_debate_shows_everything(
    finished: Debate, owner_client: Client
) -> None:
    page = html(owner_client.get(f"/debates/{finished.pk}/"))
    for text in (
        "Final answer",
        "Recommendation",
        "Consensus",
        "Confidence",
        "Scoreboard",
        "Mean score",
        "Opening",
        "Rebuttal 1",
        "What the judges said",
        "Usage and cost",
        "Demo Sage",
        'class="badge demo"',
        "Export as Markdown",
        f"/debates/{finished.pk}/export.json",
    ):
        assert text in page, text
    # Model output is rendered Markdown.
    assert "<strong>" in page.split("Transcript", 1)[1]
    assert "This debate is still running." not in page


def test_detail_of_a_running_debate_points_to_the_live_page(
    owner: User, owner_client: Client
) -> None:
    debate = make_debate(owner)
    page = html(owner_client.get(f"/debates/{debate.pk}/"))
    assert "This debate is still running." in page
    assert f'href="/debates/{debate.pk}/live/"' in page


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("seat_failure_threshold_exceeded", "Too many seats could not answer"),
        ("all_seats_failed", "No seat could answer"),
        ("synthesis_failed", "The chair could not write the final answer"),
        ("internal_error", "Something went wrong on our side"),
        ("cancelled", "The debate was cancelled."),
        ("something_new", "The debate stopped (something_new)."),
    ],
)
def test_detail_explains_why_a_debate_stopped(
    owner: User, owner_client: Client, code: str, text: str
) -> None:
    debate = make_debate(owner)
    Debate.objects.filter(pk=debate.pk).update(status=DebateStatus.FAILED, failure_reason=code)
    page = html(owner_client.get(f"/debates/{debate.pk}/"))
    assert text in page
    assert f'<code class="muted">{code}</code>' in page


def test_detail_shows_the_budget_reason_and_a_substitute_chair(
    owner: User, owner_client: Client
) -> None:
    debate = make_debate(owner)
    Debate.objects.filter(pk=debate.pk).update(
        status=DebateStatus.COMPLETED_BUDGET,
        failure_reason="budget",
        budget_reason="cost cap $0.01 reached",
        synthesis={
            "recommendation": "Do it.",
            "consensus": "",
            "disagreements": [],
            "confidence": 0.5,
            "chair": "demo:demo-sage",
            "chair_name": "Demo Sage",
            "substitute_chair": True,
        },
    )
    page = html(owner_client.get(f"/debates/{debate.pk}/"))
    assert "Stopped at the cost cap" in page
    assert "cost cap $0.01 reached" in page
    assert "substitute chair" in page
    assert "Written by the chair, Demo Sage." in page


def test_detail_in_turkish_translates_the_stop_reason(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    Debate.objects.filter(pk=debate.pk).update(
        status=DebateStatus.FAILED, failure_reason="all_seats_failed"
    )
    owner_client.cookies["django_language"] = "tr"
    page = html(owner_client.get(f"/debates/{debate.pk}/", HTTP_ACCEPT_LANGUAGE="tr"))
    assert "No seat could answer" not in page
    assert "all_seats_failed" in page


# --- Exports -------------------------------------------------------------------------------


def test_markdown_export(finished: Debate, owner_client: Client) -> None:
    response = owner_client.get(f"/debates/{finished.pk}/export.md")
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="debate-{finished.pk}.md"'
    text = html(response)
    assert f"> {QUESTION}" in text
    for heading in (
        "## Final answer",
        "### Recommendation",
        "## Scoreboard",
        "| Rank | Seat | Role | Model | Borda points | Mean score |",
        "## Transcript",
        "### Opening",
        "### Rebuttal 1",
        "#### Seat A · Proponent · Demo Sage",
        "## Judges",
        "## Usage",
    ):
        assert heading in text, heading
    first_turn = finished.turns.order_by("round", "seat__position").first()
    assert first_turn is not None
    assert first_turn.content.strip() in text


def test_json_export_mirrors_the_api_detail(finished: Debate, owner_client: Client) -> None:
    response = owner_client.get(f"/debates/{finished.pk}/export.json")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="debate-{finished.pk}.json"'
    body = json.loads(response.content)
    expected = json.loads(json.dumps(DebateDetailOutput(finished).data, cls=DjangoJSONEncoder))
    assert body == expected
    assert body["question"] == QUESTION
    assert len(body["turns"]) == 4
    assert body["synthesis"]["recommendation"]
    assert body == owner_client.get(f"/api/v1/debates/{finished.pk}/").json()


# --- Sharing and the public link -----------------------------------------------------------


def test_creator_shares_with_the_team_and_it_is_audited(
    owner: User, team: Team, owner_client: Client, member_client: Client
) -> None:
    debate = make_debate(owner, team=team)
    response = owner_client.post(f"/debates/{debate.pk}/share/", {"shared": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/debates/{debate.pk}/"
    assert fresh(debate).shared_with_team
    entry = AuditEntry.objects.get(action="debate.shared")
    assert entry.actor == owner
    assert entry.team == team
    assert entry.target_id == str(debate.pk)
    assert member_client.get(f"/debates/{debate.pk}/").status_code == 200

    owner_client.post(f"/debates/{debate.pk}/share/", {"shared": "0"})
    assert not fresh(debate).shared_with_team
    assert AuditEntry.objects.filter(action="debate.unshared").count() == 1
    # Setting what is already set records nothing.
    owner_client.post(f"/debates/{debate.pk}/share/", {"shared": "0"})
    assert AuditEntry.objects.filter(action="debate.unshared").count() == 1


def test_only_the_creator_changes_sharing(
    owner: User, team: Team, member_client: Client, outsider_client: Client
) -> None:
    debate = make_debate(owner, team=team)
    Debate.objects.filter(pk=debate.pk).update(shared_with_team=True)
    assert member_client.post(f"/debates/{debate.pk}/share/", {"shared": "0"}).status_code == 403
    assert member_client.post(f"/debates/{debate.pk}/public/", {"public": "1"}).status_code == 403
    assert outsider_client.post(f"/debates/{debate.pk}/share/", {"shared": "0"}).status_code == 404
    debate.refresh_from_db()
    assert debate.shared_with_team
    assert not debate.is_public
    assert not AuditEntry.objects.filter(action__startswith="debate.").exists()


def test_public_link_opens_and_closes(
    owner: User, owner_client: Client, anon_client: Client, outsider_client: Client
) -> None:
    debate = make_debate(owner)
    assert anon_client.get(f"/d/{debate.pk}/").status_code == 404

    owner_client.post(f"/debates/{debate.pk}/public/", {"public": "1"})
    debate.refresh_from_db()
    assert debate.is_public
    assert AuditEntry.objects.get(action="debate.made_public").actor == owner
    detail = html(owner_client.get(f"/debates/{debate.pk}/"))
    assert f"http://testserver/d/{debate.pk}/" in detail

    for client in (anon_client, outsider_client):
        response = client.get(f"/d/{debate.pk}/")
        page = html(response)
        assert response.status_code == 200
        assert QUESTION in page
        assert '<meta name="robots" content="noindex, nofollow">' in page
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        # Read-only: no exports, no toggles.
        assert "/share/" not in page
        assert "export.md" not in page

    owner_client.post(f"/debates/{debate.pk}/public/", {"public": "0"})
    assert AuditEntry.objects.filter(action="debate.made_private").exists()
    assert anon_client.get(f"/d/{debate.pk}/").status_code == 404


def test_public_page_of_an_unknown_debate_is_404(anon_client: Client) -> None:
    assert anon_client.get("/d/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_toggles_refuse_get(owner: User, owner_client: Client) -> None:
    debate = make_debate(owner)
    assert owner_client.get(f"/debates/{debate.pk}/share/").status_code == 405
    assert owner_client.get(f"/debates/{debate.pk}/public/").status_code == 405


# --- Untrusted text is escaped everywhere --------------------------------------------------


def test_a_hostile_question_is_escaped_on_every_page(
    owner: User, owner_client: Client, anon_client: Client
) -> None:
    debate = make_debate(owner, question=XSS, is_public=True)
    pages = {
        "list": owner_client.get("/debates/"),
        "search": owner_client.get("/debates/?q=img", HTTP_HX_REQUEST="true"),
        "dashboard": owner_client.get("/dashboard/"),
        "detail": owner_client.get(f"/debates/{debate.pk}/"),
        "public": anon_client.get(f"/d/{debate.pk}/"),
        "new (re-shown)": owner_client.post(
            "/debates/new/", new_debate_data(question=XSS, rounds="9")
        ),
    }
    for name, response in pages.items():
        page = html(response)
        assert "<img src=x onerror" not in page, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in page, name
