"""The Evaluate page's form: a dataset (shipped or uploaded) and a panel (preset or models)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from debates.presets import DEFAULT_PRESET, PRESETS
from evals.datasets import DatasetError, load_dataset, shipped_dataset_text, shipped_datasets
from evals.grading import Question

UPLOAD = "upload"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
CUSTOM = "custom"


def _dataset_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in shipped_datasets()] + [(UPLOAD, str(_("Upload a file")))]


def _preset_choices() -> list[tuple[str, str]]:
    return [(slug, str(preset.name)) for slug, preset in PRESETS.items()] + [
        (CUSTOM, str(_("Models of my choice")))
    ]


class EvaluationForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Dataset"), choices=_dataset_choices)
    file = forms.FileField(
        label=_("Dataset file"),
        required=False,
        help_text=_("JSON Lines: our format, or GSM8K, MMLU or TruthfulQA-MC rows (docs/EVAL.md)."),
    )
    layout = forms.ChoiceField(
        label=_("File layout"),
        choices=[
            ("auto", _("Detect from each line")),
            ("native", _("Consultation")),
            ("gsm8k", "GSM8K"),
            ("mmlu", "MMLU (JSON Lines)"),
            ("mmlu_csv", "MMLU (CSV)"),
            ("truthfulqa_mc", "TruthfulQA-MC"),
        ],
        initial="auto",
    )
    limit = forms.IntegerField(
        label=_("Questions"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=_("Only the first N questions (empty: all)."),
    )
    preset = forms.ChoiceField(label=_("Panel"), choices=_preset_choices, initial=DEFAULT_PRESET)
    models = forms.CharField(
        label=_("Models"),
        required=False,
        max_length=600,
        help_text=_("With “Models of my choice”: catalog keys separated by commas."),
    )
    rounds = forms.IntegerField(
        label=_("Rebuttal rounds"),
        required=False,
        min_value=1,
        max_value=5,
        help_text=_("Empty: the preset's rounds (one for your own models)."),
    )
    max_samples = forms.IntegerField(
        label=_("Most self-consistency samples"), required=False, min_value=1, max_value=50
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == CUSTOM and not (data.get("models") or "").strip():
            self.add_error("models", _("Name at least two models."))
        try:
            data["questions"] = self._questions(data)
        except DatasetError as exc:
            self.add_error("file" if data.get("dataset") == UPLOAD else "dataset", str(exc))
        return data

    def _questions(self, data: dict[str, Any]) -> list[Question]:
        if data.get("dataset") == UPLOAD:
            upload = data.get("file")
            if upload is None:
                raise DatasetError(_("Choose a file to upload."))
            if upload.size > MAX_UPLOAD_BYTES:
                raise DatasetError(_("The file is larger than 2 MB."))
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(_("The file is not UTF-8 text.")) from exc
        else:
            text = shipped_dataset_text(data.get("dataset") or "")
        questions = load_dataset(text, layout=data.get("layout") or "auto")
        limit = data.get("limit")
        return questions[:limit] if limit else questions

    @property
    def panel_spec(self) -> str:
        data = self.cleaned_data
        return str(data["models"]) if data["preset"] == CUSTOM else str(data["preset"])

    @property
    def dataset_name(self) -> str:
        data = self.cleaned_data
        if data["dataset"] == UPLOAD and data.get("file") is not None:
            return str(data["file"].name).rsplit(".", 1)[0][:120]
        return str(data["dataset"])
