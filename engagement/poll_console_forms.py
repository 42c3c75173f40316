"""The console's poll form: the question, its options as repeated rows, and the rules.

Forms only read input into Python values (ASCII digits only, each field bounded by its column);
every rule lives in engagement.polls, whose ValidationFailed field keys land next to the field.
Options arrive as repeated ``option`` rows (request.POST.getlist), read by ``option_rows``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.forms import BranchChoiceMixin
from engagement import polls as services
from engagement.models import Poll

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MIN_ROWS = 4  # option rows shown on a new poll (blank rows are skipped)


class AsciiDateTimeField(forms.DateTimeField):
    """A datetime typed in ASCII digits (strptime would read "٢٠٢٦" as a year)."""

    def to_python(self, value):
        if isinstance(value, str) and (not value.isascii() or "\x00" in value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def option_rows(data) -> list[str]:
    """The option rows as typed (at most a few more than allowed, so "too many" is still said)."""
    return [value for value in data.getlist("option")[:services.MAX_OPTIONS + 5]]


class PollForm(BranchChoiceMixin, forms.Form):
    question = forms.CharField(label=_("Question"), max_length=services.QUESTION_MAX)
    description = forms.CharField(label=_("Description"), max_length=services.DESCRIPTION_MAX, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    multiple = forms.BooleanField(label=_("Multiple choice"), required=False)
    max_choices = forms.TypedChoiceField(
        label=_("At most this many choices"), required=False, coerce=int, empty_value=None,
        choices=[("", _("No limit"))] + [(str(n), str(n)) for n in range(1, services.MAX_OPTIONS + 1)],
        help_text=_("Multiple choice only."))
    anonymous = forms.BooleanField(label=_("Anonymous (nobody sees who voted for what)"), required=False,
                                   initial=True)
    results = forms.ChoiceField(label=_("Results"), choices=Poll.Results.choices, initial=Poll.Results.ALWAYS,
                                widget=forms.RadioSelect)
    allow_change = forms.BooleanField(label=_("Members may change their vote until closing"), required=False,
                                      initial=True)
    closes_at = AsciiDateTimeField(label=_("Closes at"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format=DATETIME_FORMAT))
    branch = forms.ChoiceField(label=_("For"), required=False)

    def __init__(self, *args, membership, poll: Poll | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        community = membership.community
        self.offer_branches(community=community, membership=membership,
                            current=poll.branch if poll is not None and poll.branch_id else None)

    @staticmethod
    def initial_for(poll: Poll) -> dict:
        from django.utils import timezone

        return {"question": poll.question, "description": poll.description, "multiple": poll.multiple,
                "max_choices": poll.max_choices or "", "anonymous": poll.anonymous, "results": poll.results,
                "allow_change": poll.allow_change,
                "closes_at": timezone.localtime(poll.closes_at).strftime(DATETIME_FORMAT),
                "branch": str(poll.branch_id or "")}

    def service_kwargs(self, options: list[str]) -> dict:
        data = self.cleaned_data
        kwargs = {"question": data["question"], "description": data["description"], "options": options,
                  "multiple": data["multiple"], "max_choices": data["max_choices"] if data["multiple"] else None,
                  "anonymous": data["anonymous"], "results": data["results"], "allow_change": data["allow_change"],
                  "closes_at": data["closes_at"]}
        if "branch" in self.fields:
            kwargs["branch"] = data.get("branch")  # the branch itself (BranchChoiceMixin.clean_branch)
        return kwargs
