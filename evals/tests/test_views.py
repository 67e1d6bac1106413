"""The Evaluate page, progress, report and exports, through the test client."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import Team, User
from billing.tests.factories import put_on_plan
from evals.models import Evaluation, EvaluationStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pro_by_default")]

PANEL = "demo:demo-sage,demo:demo-skeptic"
GSM8K = "\n".join(
    json.dumps(row)
    for row in (
        {"question": "Tom has 3 boxes of 4 pens. How many pens?", "answer": "3*4=12\n#### 12"},
        {"question": "A book costs 7 dollars. What do 5 cost?", "answer": "7*5=35\n#### 35"},
    )
)


def start(client: Client, **fields: Any) -> Any:
    data = {"dataset": "consultation-30", "layout": "auto", "limit": "2", "preset": "custom"}
    data["models"] = PANEL
    data.update(fields)
    return client.post("/evaluate/", data)


def test_the_evaluate_page_shows_the_form_and_the_team_s_evaluations(owner_client: Client) -> None:
    response = owner_client.get("/evaluate/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="eval-form"' in body
    assert "consultation-30" in body
    assert "No evaluations yet." in body


def test_start_run_and_read_the_report(
    owner_client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = start(owner_client)
    evaluation = Evaluation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/evaluate/{evaluation.pk}/"
    # The immediate task backend ran it on commit.
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.COMPLETED
    assert owner_client.get(f"/evaluate/{evaluation.pk}/")["Location"].endswith("/report/")
    progress = owner_client.get(f"/evaluate/{evaluation.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress["HX-Redirect"] == f"/evaluate/{evaluation.pk}/report/"
    report = owner_client.get(f"/evaluate/{evaluation.pk}/report/")
    body = report.content.decode()
    assert report.status_code == 200
    assert 'id="eval-chart-data"' in body
    assert 'data-chart-source="eval-chart-data"' in body
    assert "mechanics only" in body
    chart = json.loads(body.split('id="eval-chart-data" type="application/json">')[1].split("<")[0])
    assert chart["x"] == "tokens"  # demo models are free
    assert len(chart["points"]) == 4  # the panel, two members, self-consistency
    exported = owner_client.get(f"/evaluate/{evaluation.pk}/report.json")
    assert exported.status_code == 200
    assert json.loads(exported.content) == evaluation.report
    markdown = owner_client.get(f"/evaluate/{evaluation.pk}/report.md")
    assert markdown.content.decode().startswith("# Evaluation: consultation-30")


def test_an_uploaded_gsm8k_file_is_converted(owner_client: Client) -> None:
    upload = SimpleUploadedFile("gsm8k-sample.jsonl", GSM8K.encode(), "application/jsonl")
    response = start(owner_client, dataset="upload", file=upload, limit="")
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert evaluation.name == "gsm8k-sample"
    assert [q["answer"] for q in evaluation.questions] == ["12", "35"]
    assert evaluation.status == EvaluationStatus.QUEUED  # no commit, no worker yet
    page = owner_client.get(f"/evaluate/{evaluation.pk}/")
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert "0 / 8" in page.content.decode()


def test_a_bad_upload_or_panel_is_shown_on_the_form(owner_client: Client) -> None:
    bad = SimpleUploadedFile("bad.jsonl", b"{not json", "application/jsonl")
    response = start(owner_client, dataset="upload", file=bad)
    assert response.status_code == 400
    assert "line 1: not JSON" in response.content.decode()
    response = start(owner_client, models="demo:demo-sage,demo:nope")
    assert response.status_code == 400
    assert "Unknown or unavailable model" in response.content.decode()
    assert not Evaluation.objects.exists()


def test_cancel_a_queued_evaluation(owner_client: Client) -> None:
    start(owner_client)
    evaluation = Evaluation.objects.get()
    response = owner_client.post(f"/evaluate/{evaluation.pk}/cancel/")
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.CANCELLED
    # A second cancel is a conflict: as htmx asks, it gets the error's JSON.
    again = owner_client.post(f"/evaluate/{evaluation.pk}/cancel/", HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_someone_else_s_evaluation_is_not_found(
    owner_client: Client, outsider_client: Client
) -> None:
    start(owner_client)
    evaluation = Evaluation.objects.get()
    for url in ("", "progress/", "report/", "report.json"):
        assert outsider_client.get(f"/evaluate/{evaluation.pk}/{url}").status_code == 404
    assert outsider_client.post(f"/evaluate/{evaluation.pk}/cancel/").status_code == 404


def test_the_free_plan_refuses_more_questions_than_debates_left(
    owner: User, owner_client: Client
) -> None:
    put_on_plan(Team.objects.get(created_by=owner, is_personal=True), "free")
    response = owner_client.post(
        "/evaluate/",
        {"dataset": "consultation-30", "layout": "auto", "preset": "custom", "models": PANEL},
        HTTP_HX_REQUEST="true",
    )  # 32 questions, and the Free plan has 20 debates a month
    assert response.status_code == 429
    assert "needs 32 debates" in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_staff_see_evaluations_in_admin(owner_client: Client, staff: User) -> None:
    start(owner_client)
    evaluation = Evaluation.objects.get()
    admin_client = Client()
    admin_client.force_login(staff)
    assert admin_client.get("/admin/evals/evaluation/").status_code == 200
    page = admin_client.get(f"/admin/evals/evaluation/{evaluation.pk}/change/")
    assert page.status_code == 200
