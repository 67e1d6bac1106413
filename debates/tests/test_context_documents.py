"""Context documents: text, Markdown or PDF files read with the question; checked against the
plan, scrubbed like the question, fenced in every prompt, counted in the estimate; a bad file
refuses the debate and changes nothing."""

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import User
from billing.models import QuotaReservation
from billing.tests.factories import put_on_plan
from consultation.exceptions import PlanRestriction, ValidationFailed
from debates.models import ContextKind, Debate, DebateDocument
from debates.orchestration.engine import DebatePipeline
from debates.services.context import (
    MAX_DOCUMENT_CHARS,
    DocumentInput,
    document_prepare,
)
from debates.services.retention import debate_anonymise
from debates.services.running import debate_run
from debates.tests import factories
from debates.tests.fakes import ScriptedProvider
from debates.tests.pdfs import text_pdf

pytestmark = pytest.mark.django_db

NOTE = "Budget notes.\nAsk jane.doe@example.com before May.\n"


@pytest.fixture(autouse=True)
def _fast_pipeline(settings: Any) -> None:
    settings.DEBATE_DELTA_INTERVAL_SECONDS = 0
    settings.DEBATE_MIN_REQUIRED_SEATS = 2


async def _no_sleep(_seconds: float) -> None:
    return None


def test_a_text_file_is_scrubbed_stored_and_fenced_in_every_prompt(owner: User) -> None:
    debate = factories.make_debate(
        owner, rounds=1, documents=[DocumentInput("notes.txt", NOTE.encode())]
    )
    (doc,) = debate.documents.all()
    assert (doc.name, doc.kind, doc.content_type) == ("notes.txt", "document", "text/plain")
    assert doc.size_bytes == len(NOTE.encode())
    assert "jane.doe@example.com" not in doc.text
    assert "[EMAIL_1]" in doc.text
    assert debate.redactions.get("email") == 1
    # The creator may see the original, like the question's.
    assert debate.pii_map["originals"]["[EMAIL_1]"] == "jane.doe@example.com"

    provider = ScriptedProvider()
    pipeline = DebatePipeline(providers=lambda _n: provider, sleep=_no_sleep, heartbeat_s=3600)
    async_to_sync(debate_run)(debate.pk, pipeline=pipeline)
    assert provider.requests
    for request in provider.requests:
        text = request.messages[-1].content
        assert '<document name="notes.txt" kind="document">' in text
        assert "jane.doe@example.com" not in text
        block = text.split('kind="document">', 1)[1].split("</document>", 1)[0]
        assert debate.fence in block
        assert "Budget notes." in block


def test_a_pdf_and_markdown_are_read(owner: User) -> None:
    debate = factories.make_debate(
        owner,
        rounds=1,
        documents=[
            DocumentInput("report.PDF", text_pdf("Revenue grew nine percent.")),
            DocumentInput("C:\\Users\\me\\plan.md", b"# Plan\n\n- ship"),
        ],
    )
    pdf, markdown = debate.documents.all()
    assert (pdf.name, pdf.content_type) == ("report.PDF", "application/pdf")
    assert "Revenue grew nine percent." in pdf.text
    assert (markdown.name, markdown.content_type) == ("plan.md", "text/markdown")
    assert markdown.tokens > 0


def test_the_estimate_and_reservation_count_the_documents_tokens(owner: User) -> None:
    plain = factories.make_debate(owner, rounds=1)
    with_doc = factories.make_debate(
        owner, rounds=1, documents=[DocumentInput("long.txt", ("word " * 20_000).encode())]
    )
    tokens = dict(QuotaReservation.objects.values_list("debate_id", "tokens"))
    # Every call of the debate reads the document: far more than its own ~5,000 tokens.
    assert tokens[with_doc.pk] - tokens[plain.pk] > 5 * 5_000


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (DocumentInput("image.png", b"\x89PNG"), "only plain text"),
        (DocumentInput("fake.pdf", b"hello"), "not a PDF"),
        (DocumentInput("broken.pdf", b"%PDF-1.4\n1 0 obj <<"), "could not be read"),
        (DocumentInput("latin.txt", "caf\xe9".encode("latin-1")), "not UTF-8"),
        (DocumentInput("empty.md", b"  \n\n"), "no text"),
        (DocumentInput("huge.txt", b"x" * (MAX_DOCUMENT_CHARS + 1)), "longer than"),
    ],
)
def test_a_bad_file_refuses_the_debate_and_changes_nothing(
    owner: User, upload: DocumentInput, message: str
) -> None:
    put_on_plan(factories.personal_team(owner), "pro")  # 5 MB files: the content is at fault
    before = Debate.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        factories.make_debate(
            owner, rounds=1, documents=[DocumentInput("fine.txt", b"fine"), upload]
        )
    (text,) = refused.value.extra["fields"]["documents"]
    assert message in text
    assert text.startswith(upload.name.rsplit("\\", 1)[-1])
    assert Debate.objects.count() == before
    assert not DebateDocument.objects.exists()
    assert not QuotaReservation.objects.exists()


def test_the_plan_limits_how_many_files_and_how_large(owner: User) -> None:
    # Free: 3 files of at most 1 MB each.
    with pytest.raises(PlanRestriction) as refused:
        factories.make_debate(
            owner, rounds=1, documents=[DocumentInput(f"{i}.txt", b"text") for i in range(4)]
        )
    assert refused.value.extra["upgrade_url"]
    assert "3 context documents" in str(refused.value.detail)
    with pytest.raises(PlanRestriction) as refused:
        factories.make_debate(
            owner, rounds=1, documents=[DocumentInput("big.txt", b"x" * 1_000_001)]
        )
    assert "The Pro plan allows it." in str(refused.value.detail)
    assert not Debate.objects.exists()
    put_on_plan(factories.personal_team(owner), "pro")
    debate = factories.make_debate(
        owner, rounds=1, documents=[DocumentInput(f"{i}.txt", b"text") for i in range(4)]
    )
    assert debate.documents.count() == 4


def test_the_new_debate_form_takes_files_and_the_page_lists_them(
    owner: User, owner_client: Client
) -> None:
    data = {
        "question": "Should we move the office to Izmir next year?",
        "rounds": "1",
        "category": "general",
        "seats-TOTAL_FORMS": "2",
        "seats-INITIAL_FORMS": "0",
        "seats-0-model": "demo:demo-sage",
        "seats-0-role": "proponent",
        "seats-0-temperature": "0.7",
        "seats-1-model": "demo:demo-skeptic",
        "seats-1-role": "skeptic",
        "seats-1-temperature": "0.7",
        "documents": [SimpleUploadedFile("office.md", b"# Costs\n\nRent is lower.")],
    }
    response = owner_client.post(reverse("debate-new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    debate = Debate.objects.get()
    assert debate.documents.get().name == "office.md"
    page = owner_client.get(reverse("debate-detail", args=[debate.pk]))
    assert b"office.md" in page.content
    assert b"Context the panel read" in page.content

    data["documents"] = [SimpleUploadedFile("photo.jpg", b"\xff\xd8")]
    refused = owner_client.post(reverse("debate-new"), data)
    assert refused.status_code == 200
    assert b"only plain text" in refused.content
    assert Debate.objects.count() == 1


def test_the_api_takes_files_in_a_multipart_body(owner: User, owner_client: Client) -> None:
    response = owner_client.post(
        "/api/v1/debates/",
        {
            "question": "Which database should the new service use?",
            "seats": '[{"model": "demo:demo-sage", "role": "proponent"},'
            ' {"model": "demo:demo-skeptic", "role": "skeptic"}]',
            "judges": ["demo:demo-scout"],
            "rounds": "1",
            "documents": [
                SimpleUploadedFile("a.txt", b"Postgres is in use."),
                SimpleUploadedFile("b.pdf", text_pdf("Latency budget 50 ms.")),
            ],
        },
    )
    assert response.status_code == 202, response.json()
    detail = owner_client.get(f"/api/v1/debates/{response.json()['id']}/").json()
    assert [(d["name"], d["kind"]) for d in detail["documents"]] == [
        ("a.txt", ContextKind.DOCUMENT),
        ("b.pdf", ContextKind.DOCUMENT),
    ]
    refused = owner_client.post(
        "/api/v1/debates/",
        {
            "question": "Which database should the new service use?",
            "preset": "balanced-trio",
            "documents": [SimpleUploadedFile("x.exe", b"MZ")],
        },
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_failed"
    assert "documents" in body["fields"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["a.txt", "a.md", "a.pdf", "a.markdown", "a", "a.PDF"]),
    data=st.one_of(
        st.binary(max_size=400),
        st.binary(max_size=200).map(lambda tail: b"%PDF-1.7\n" + tail),
        st.text(max_size=300).map(str.encode),
    ),
)
def test_any_bytes_give_text_or_a_validation_error(name: str, data: bytes) -> None:
    try:
        prepared = document_prepare(DocumentInput(name, data))
    except ValidationFailed as refused:
        fields = list(refused.extra["fields"])
    else:
        fields = []
        assert prepared.text
        assert len(prepared.text) <= MAX_DOCUMENT_CHARS
        assert "\x00" not in prepared.text
    assert fields in ([], ["documents"])


def test_the_live_estimate_counts_the_files_chosen(owner: User, owner_client: Client) -> None:
    form = {
        "question": "Should we move the office to Izmir next year?",
        "rounds": "1",
        "seats-TOTAL_FORMS": "2",
        "seats-INITIAL_FORMS": "0",
        "seats-0-model": "demo:demo-sage",
        "seats-0-role": "proponent",
        "seats-1-model": "demo:demo-skeptic",
        "seats-1-role": "skeptic",
    }
    headers = {"HX-Request": "true"}
    plain = owner_client.post(reverse("debate-estimate"), form, headers=headers)
    upload = SimpleUploadedFile("long.txt", ("word " * 4_000).encode())
    with_file = owner_client.post(
        reverse("debate-estimate"), {**form, "documents": [upload]}, headers=headers
    )

    def tokens_in(response: Any) -> int:
        text = response.content.decode()
        return int(text.split("≈ ", 1)[1].split(" in", 1)[0].replace(",", ""))

    assert tokens_in(with_file) > tokens_in(plain) + 4_000


def test_anonymising_a_debate_wipes_its_documents_text_and_names(owner: User) -> None:
    debate = factories.make_debate(
        owner,
        rounds=1,
        status="completed",
        documents=[DocumentInput("smith-medical-history.txt", b"Blood pressure 150/95.")],
    )
    debate_anonymise(debate_id=debate.pk)
    assert list(DebateDocument.objects.filter(debate=debate).values_list("name", "text")) == [
        ("", "")
    ]
