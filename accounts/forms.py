import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.activity import ACTION_KINDS
from accounts.models import MemberRole, Profile
from accounts.selectors import AuditFilters
from accounts.services import team_name_problem

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm[Profile]):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES)

    class Meta:
        model = Profile
        fields = ["display_name", "handle", "bio", "avatar_url", "locale", "timezone", "is_public"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4, "maxlength": 500})}
        help_texts = {
            "avatar_url": _(
                "Kept for you; public pages show your initials instead, so no visitor's "
                "browser is sent to another site."
            )
        }


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=80)

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        if problem := team_name_problem(name):
            raise forms.ValidationError(problem)
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (MemberRole.MEMBER, MemberRole.MEMBER.label),
            (MemberRole.ADMIN, MemberRole.ADMIN.label),
        ],
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=MemberRole.choices)


class AuditFilterForm(forms.Form):
    """The team audit page's filters (GET): kind of action, member, period."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("All kinds")),
            *((kind, label) for kind, (label, _prefixes) in ACTION_KINDS.items()),
        ],
    )
    actor = forms.TypedChoiceField(label=_("Member"), required=False, coerce=int, empty_value=None)
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            ("7d", _("Last 7 days")),
            ("30d", _("Last 30 days")),
            ("90d", _("Last 90 days")),
            ("all", _("All time")),
        ],
        initial="30d",
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actor = self.fields["actor"]
        assert isinstance(actor, forms.TypedChoiceField)
        actor.choices = [("", _("Everyone")), *members]

    def filters(self) -> AuditFilters:
        """The valid filters; a bad value falls back to its default rather than failing."""
        self.is_valid()
        data = self.cleaned_data  # the valid fields only, when some are not
        return AuditFilters(
            kind=data.get("kind") or "",
            actor_id=data.get("actor"),
            period=data.get("period") or "30d",
        )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
