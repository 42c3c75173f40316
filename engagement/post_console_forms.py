"""Console forms of the posts area: a post (Markdown), what it features, a photo, the engagement
settings. Every field bounded by its column; numbers in ASCII digits only."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.permissions import acts_community_wide
from engagement.models import Post

IMAGE_ACCEPT = {"accept": "image/jpeg,image/png,image/webp"}


class PostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Post.Kind.choices, initial=Post.Kind.ARTICLE,
                             widget=forms.RadioSelect,
                             help_text=_("An announcement is sent to the members' inboxes when published."))
    title = forms.CharField(label=_("Title"), max_length=Post._meta.get_field("title").max_length)
    summary = forms.CharField(label=_("Summary"), required=False,
                              max_length=Post._meta.get_field("summary").max_length,
                              help_text=_("One or two sentences: the list, the home page and a shared link show it."))
    body = forms.CharField(label=_("Text (Markdown)"), required=False,
                           max_length=Post._meta.get_field("body").max_length,
                           widget=forms.Textarea(attrs={"rows": 14}),
                           help_text=_("**bold**, *italic*, ## heading, - list, > quote, [link](https://…). "
                                       "HTML is shown as text."))
    comments_open = forms.BooleanField(label=_("Members may comment"), required=False, initial=True)
    branch = forms.ChoiceField(label=_("Branch"), required=False,
                               help_text=_("Empty: the whole community sees the post."))
    cover = forms.FileField(label=_("Cover image"), required=False, widget=forms.ClearableFileInput(attrs=IMAGE_ACCEPT),
                            help_text=_("JPEG, PNG or WebP. Location and camera data are removed."))

    def __init__(self, *args, community, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self._branches = {}
        branches = list(community.active_branches().order_by("name")) if acts_community_wide(membership) else []
        if branches:
            self._branches = {str(b.pk): b for b in branches}
            self.fields["branch"].choices = [("", _("Whole community"))] + [(str(b.pk), b.name) for b in branches]
        else:
            del self.fields["branch"]  # a leader's post is for their own branch (the service says so too)

    @staticmethod
    def initial_of(post: Post) -> dict:
        return {"kind": post.kind, "title": post.title, "summary": post.summary, "body": post.body,
                "comments_open": post.comments_open, "branch": str(post.branch_id or "")}

    def values(self) -> dict:
        data = self.cleaned_data
        values = {name: data[name] for name in ("kind", "title", "summary", "body", "comments_open")}
        if "branch" in self.fields:
            values["branch"] = self._branches.get(data.get("branch") or "")
        return values


class FeatureForm(forms.Form):
    products = forms.TypedMultipleChoiceField(label=_("Products"), required=False, coerce=int,
                                              widget=forms.CheckboxSelectMultiple)
    group_buys = forms.TypedMultipleChoiceField(label=_("Group-buys"), required=False, coerce=int,
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, products=(), rounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(p.pk, p.name) for p in products]
        self.fields["group_buys"].choices = [(g.pk, f"{g.title} · {g.get_status_display()}") for g in rounds]


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Add a photo"), widget=forms.ClearableFileInput(attrs=IMAGE_ACCEPT))


class AsciiIntegerField(forms.IntegerField):
    """An integer typed with the digits 0-9 only ("٣" and "３" are refused, not read as 3)."""

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text and not re.fullmatch(r"[0-9]{1,6}", text):
            raise forms.ValidationError(_("Type a whole number with the digits 0 to 9."), code="digits")
        return super().to_python(text)


POINTS_MAX = 100000  # the model's CHECK constraint


class AsciiPointsPerYuanField(forms.DecimalField):
    """A decimal typed with the digits 0-9 and one point ("３" and "1e3" are refused)."""

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text and not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,2})?", text):
            raise forms.ValidationError(_("Type a number such as 1 or 0.5 with the digits 0 to 9."), code="digits")
        return super().to_python(text)


class SettingsForm(forms.Form):
    posts_public = forms.BooleanField(
        label=_("Posts are public"), required=False,
        help_text=_("A post shared outside the community shows strangers its title, summary and cover with a "
                    "button to join. Branch posts are never shown to strangers."))
    offer_window_hours = AsciiIntegerField(
        label=_("Waitlist offer window (hours)"), min_value=1, max_value=168,
        help_text=_("How long a waitlisted member has to take a freed seat (never past the event's start)."))
    points_per_yuan = AsciiPointsPerYuanField(
        label=_("Points per yuan of a completed order"), min_value=0, max_value=1000, max_digits=6, decimal_places=2,
        help_text=_("0 to 1000, at most two decimals; 0 switches it off. Whole points, rounded down."))
    points_event_attended = AsciiIntegerField(label=_("Points for attending an event"), min_value=0,
                                              max_value=POINTS_MAX, help_text=_("0 switches it off."))
    points_check_in = AsciiIntegerField(label=_("Points for a daily check-in"), min_value=0, max_value=POINTS_MAX,
                                        help_text=_("0 switches it off."))
    streak_bonus_every = AsciiIntegerField(label=_("Streak bonus every … days"), min_value=2, max_value=365,
                                           help_text=_("2 to 365 check-ins in a row earn the bonus, again and again."))
    streak_bonus_points = AsciiIntegerField(label=_("Streak bonus points"), min_value=0, max_value=POINTS_MAX,
                                            help_text=_("0 switches it off."))
