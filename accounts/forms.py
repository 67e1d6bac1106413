import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import MemberRole, Profile
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


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
