"""The member's vote form: radios for a single-choice poll, checkboxes for a multiple-choice one.

Choices are the poll's option ids as strings: anything else (another poll's option, "٣", a NUL
byte, a huge number) is simply not a choice, a form error. The service checks the rest (how many,
whether the poll is still open).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import Poll


class VoteForm(forms.Form):
    def __init__(self, *args, poll: Poll, options, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(o.pk), o.text) for o in options]
        if poll.multiple:
            self.fields["option"] = forms.MultipleChoiceField(
                label=_("Your choices"), choices=choices, widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Choose at least one option.")})
        else:
            self.fields["option"] = forms.ChoiceField(
                label=_("Your choice"), choices=choices, widget=forms.RadioSelect,
                error_messages={"required": _("Choose an option.")})

    def option_ids(self) -> list[int]:
        value = self.cleaned_data["option"]
        return [int(v) for v in (value if isinstance(value, list) else [value])]
