"""Context documents: plain text, Markdown or PDF files attached to a new debate.

A file is checked (type, size, count against the team's plan), its text extracted (pypdf for
a PDF) and normalised like the question; the creation service then scrubs it for personal
data with the question's placeholder map and stores it (`DebateDocument`). The prompts fence
it as untrusted data (debates.prompts.ContextDoc). A bad file refuses the whole debate and
changes nothing: a wrong type or an unreadable file is `validation_failed` on `documents`,
too many or too large a file is the plan's `plan_restriction`.
"""

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

from accounts.models import Team
from billing.limits import context_documents_check
from consultation.exceptions import ValidationFailed
from debates.providers.base import estimate_tokens
from safety.injection import normalize_question

# What the extracted text of one file may hold: past this, the panel's context windows and the
# plan's token quota would be spent on one file.
MAX_DOCUMENT_CHARS = 200_000
MAX_NAME_CHARS = 200

TEXT_TYPES = {".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown"}
PDF_TYPE = "application/pdf"
ACCEPT = ".txt,.md,.markdown,.pdf"


@dataclass(frozen=True)
class DocumentInput:
    """An uploaded file as the edge received it."""

    name: str
    data: bytes


@dataclass(frozen=True)
class PreparedDocument:
    """A file's extracted text (before scrubbing) and what viewers are shown about it."""

    name: str
    content_type: str
    size_bytes: int
    text: str

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


def _refuse(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(fields={"documents": [f"{name}: {message}"]})


def _display_name(name: str) -> str:
    """The file's own name, without any folder a browser or client sent."""
    base = PurePath(name.replace("\\", "/")).name
    return normalize_question(base)[:MAX_NAME_CHARS] or "document"


def _pdf_text(name: str, data: bytes) -> str:
    # Imported here: only debates with a PDF pay for loading the parser.
    from pypdf import PdfReader

    if not data.startswith(b"%PDF-"):
        raise _refuse(name, _("this is not a PDF file."))
    # pypdf logs every oddity of a damaged file as a warning; the refusal below says it once.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise _refuse(name, _("the PDF is protected by a password."))
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except ValidationFailed:
        raise
    except Exception as exc:
        # A parser of untrusted bytes fails in many ways (pypdf's errors, but also ValueError,
        # KeyError, RecursionError on a crafted file): all of them mean "unreadable".
        raise _refuse(name, _("the PDF could not be read.")) from exc
    return text


def _plain_text(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(name, _("the file is not UTF-8 text.")) from exc
    if "\x00" in text:
        raise _refuse(name, _("the file is not UTF-8 text."))
    return text


def document_prepare(upload: DocumentInput) -> PreparedDocument:
    """One file's text, or `validation_failed` saying what is wrong with it."""
    name = _display_name(upload.name)
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        content_type, text = PDF_TYPE, _pdf_text(name, upload.data)
    elif suffix in TEXT_TYPES:
        content_type, text = TEXT_TYPES[suffix], _plain_text(name, upload.data)
    else:
        raise _refuse(name, _("only plain text (.txt), Markdown (.md) or PDF files can be used."))
    text = normalize_question(text)
    if not text:
        raise _refuse(name, _("no text was found in it (a scanned PDF has only images)."))
    if len(text) > MAX_DOCUMENT_CHARS:
        raise _refuse(
            name,
            _("its text is longer than %(max)d characters.") % {"max": MAX_DOCUMENT_CHARS},
        )
    return PreparedDocument(
        name=name, content_type=content_type, size_bytes=len(upload.data), text=text
    )


def documents_prepare(*, team: Team, uploads: Sequence[DocumentInput]) -> list[PreparedDocument]:
    """Every file's text, after the plan's count and size limits (checked first, before any
    file is read); the first bad file refuses them all."""
    if not uploads:
        return []
    context_documents_check(team=team, sizes=[len(upload.data) for upload in uploads])
    return [document_prepare(upload) for upload in uploads]


__all__ = [
    "ACCEPT",
    "MAX_DOCUMENT_CHARS",
    "DocumentInput",
    "PreparedDocument",
    "document_prepare",
    "documents_prepare",
]
