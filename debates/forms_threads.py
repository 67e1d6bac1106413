"""Forms of a debate's thread: the follow-up question and the fork, both on a finished
debate's page; and the context files of a new debate (also read by the new-debate page)."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.limits import MAX_CONTEXT_DOCUMENT_BYTES, MAX_QUESTION, DebateLimits
from debates.forms import model_choices
from debates.models import Debate, LLMModel, Seat
from debates.services.context import ACCEPT, DocumentInput
from debates.services.creation import SeatInput


def documents_from_files(files: Sequence[UploadedFile[Any]]) -> list[DocumentInput]:
    """The uploaded files as the creation service takes them. Never more than one byte past
    the largest file any plan allows is read, so a huge upload costs no memory (and is then
    refused by the plan's size check with its size as "too large")."""
    return [
        DocumentInput(
            name=upload.name or "document", data=upload.read(MAX_CONTEXT_DOCUMENT_BYTES + 1)
        )
        for upload in files
    ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """Any number of files (the plan's count is checked by the service, in its own words)."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(DocumentsField, self).clean(item, initial) for item in items]


def documents_field() -> DocumentsField:
    return DocumentsField(
        label=gettext_lazy("Context documents"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
        help_text=gettext_lazy(
            "Optional: plain text, Markdown or PDF files the panel reads with the question. "
            "Personal data in them is replaced like in the question; their text counts "
            "towards the debate's tokens."
        ),
    )


class DocumentsForm(forms.Form):
    """The new-debate page's files (the rest of that form is debates.forms.DebateForm)."""

    documents = documents_field()


class FollowUpForm(forms.Form):
    question = forms.CharField(
        label=gettext_lazy("Follow-up question"),
        max_length=MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The same panel answers it, with this debate's final answer as context."
        ),
    )
    include_transcript = forms.BooleanField(
        label=gettext_lazy("Also give the panel this debate's transcript"),
        required=False,
        help_text=gettext_lazy("More context, more tokens."),
    )
    documents = documents_field()


class ForkForm(forms.Form):
    """Re-run a debate from a round with another panel: one model per seat (the seats keep
    their roles and places), the judges' and chair's models, the rounds."""

    from_round = forms.TypedChoiceField(label=gettext_lazy("Fork from round"), coerce=int)
    rounds = forms.TypedChoiceField(label=gettext_lazy("Rebuttal rounds"), coerce=int)
    chair = forms.ChoiceField(label=gettext_lazy("Chair"))
    judges = forms.MultipleChoiceField(
        label=gettext_lazy("Judges"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("With none chosen, the chair judges."),
    )

    def __init__(
        self,
        *args: Any,
        debate: Debate,
        models: Sequence[LLMModel],
        limits: DebateLimits,
        **kwargs: Any,
    ) -> None:
        self.seats: list[Seat] = list(debate.seats.all())
        kwargs["initial"] = {
            "from_round": 1 if debate.rounds >= 1 else 0,
            "rounds": debate.rounds,
            "chair": debate.chair_model.key,
            "judges": [model.key for model in debate.judge_models.all()],
            **{f"seat_{seat.position}": seat.llm_model.key for seat in self.seats},
        }
        super().__init__(*args, **kwargs)
        choices = model_choices(models)
        rounds = list(limits.round_choices)
        highest = min(max(rounds, default=debate.rounds), debate.rounds + 1)
        self.fields["from_round"].choices = [  # type: ignore[attr-defined]
            (n, _("Opening (nothing copied)") if n == 0 else _("Round %(n)d") % {"n": n})
            for n in range(highest + 1)
        ]
        self.fields["rounds"].choices = [(n, str(n)) for n in rounds]  # type: ignore[attr-defined]
        self.fields["chair"].choices = choices  # type: ignore[attr-defined]
        self.fields["judges"].choices = choices  # type: ignore[attr-defined]
        for seat in self.seats:
            field = forms.ChoiceField(
                label=_("Seat %(letter)s · %(role)s")
                % {"letter": chr(ord("A") + seat.position), "role": seat.get_role_display()},
                choices=choices,
            )
            self.fields[f"seat_{seat.position}"] = field

    def seat_fields(self) -> list[forms.BoundField]:
        return [self[f"seat_{seat.position}"] for seat in self.seats]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "from_round": data["from_round"],
            "rounds": data["rounds"],
            "chair": data["chair"],
            "judges": list(data["judges"]),
            "seats": [
                SeatInput(
                    model=data[f"seat_{seat.position}"],
                    role=seat.role,
                    temperature=seat.temperature,
                    instruction=seat.instruction,
                )
                for seat in self.seats
            ],
        }
