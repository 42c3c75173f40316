"""Member forms of the posts area: a comment (or reply) and a report. Each field is bounded by its
column; Django's CharField refuses NUL bytes; the token is the comment's idempotency key."""

from django import forms
from django.utils.translation import gettext_lazy as _

from engagement.models import Comment, CommentReport

ID_MAX = 2**63 - 1


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=Comment._meta.get_field("body").max_length,
                           widget=forms.Textarea(attrs={"rows": 2}))
    parent = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)
    token = forms.CharField(max_length=Comment._meta.get_field("idempotency_key").max_length,
                            widget=forms.HiddenInput)


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with it? (optional)"), required=False,
                             max_length=CommentReport._meta.get_field("reason").max_length)
