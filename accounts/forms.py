"""Forms of the account pages: profile preferences and personal API tokens."""

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings

from projects.models import Project
from projects.permissions import restrict

from .models import ApiToken, User

NEVER = "never"
TOKEN_LIFETIMES = (30, 90, 365)


@cache
def timezone_choices() -> list:
    """IANA zones grouped by region ("Europe", "America", ...), UTC first.

    Single-word legacy aliases ("GB", "Zulu", "localtime") are left out: they only confuse the list.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        if "/" not in name:
            continue
        region = name.split("/", 1)[0]
        groups.setdefault(region, []).append((name, name.replace("_", " ")))
    return [("UTC", "UTC"), *sorted(groups.items())]


def _zone_names() -> set[str]:
    return {value for _, options in timezone_choices()[1:] for value, _ in options} | {"UTC"}


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label="Time zone",
        help_text="Dates and times are shown in this zone.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    class Meta:
        model = User
        fields = ["full_name", "theme", "timezone"]
        labels = {"full_name": "Full name", "theme": "Theme"}
        help_texts = {
            "full_name": "Shown to your teammates. Leave it empty to show your email address instead.",
            "theme": "System follows the light or dark setting of your device.",
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            # app.js previews the choice at once; saving makes it stick on every page.
            "theme": forms.Select(attrs={"data-theme-preview": ""}),
        }
        error_messages = {"theme": {"invalid_choice": "Choose System, Light or Dark."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = timezone_choices()
        current = self.instance.timezone
        # A zone set elsewhere (admin, API) that the list leaves out must not make the form unsavable.
        if current and current not in _zone_names():
            choices = [(current, current), *choices]
        self.fields["timezone"].choices = choices


def lifetime_choices() -> list[tuple[str, str]]:
    default = settings.API_TOKEN_DEFAULT_TTL_DAYS
    days = sorted({*TOKEN_LIFETIMES, default} - {0}) if default else list(TOKEN_LIFETIMES)
    labels = {365: "1 year", 730: "2 years"}
    return [(str(d), f"In {labels.get(d, f'{d} days')}") for d in days] + [(NEVER, "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses it, e.g. “CI pipeline” or “Jupyter on my laptop”.",
        error_messages={
            "required": "Give the token a name, so that you can recognise it later.",
            "max_length": "Keep the name to 100 characters or fewer (it has %(show_value)d).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. CI pipeline"}),
    )
    expires_in = forms.ChoiceField(label="Expires", choices=lifetime_choices)
    scope = forms.ChoiceField(
        label="May",
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.ALL,
        help_text="Read only, or read and predict, for a script that should change nothing.",
    )
    project = forms.ModelChoiceField(
        label="Reaches",
        queryset=Project.objects.none(),
        required=False,
        empty_label="All my projects",
        help_text="One project only, for a deployment that needs no other.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        default = settings.API_TOKEN_DEFAULT_TTL_DAYS
        self.fields["expires_in"].initial = str(default) if default else NEVER
        if user is not None:
            projects = restrict(Project.objects.select_related("workspace"), user, "view")
            self.fields["project"].queryset = projects.order_by("workspace__name", "name")
            self.fields["project"].label_from_instance = lambda p: f"{p.workspace.name} / {p.name}"

    def clean_expires_in(self) -> int | None:
        value = self.cleaned_data["expires_in"]
        return None if value == NEVER else int(value)
