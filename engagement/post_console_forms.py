"""Console forms of the posts area: a post (Markdown), what it features, a photo, the engagement
settings. Every field bounded by its column; numbers in ASCII digits only."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.permissions import acts_community_wide
from engagement.loyalty_rules import referral_coupon_choices
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


class AsciiLeadField(forms.DecimalField):
    """The repurchase lead, a share of the cycle such as 0.15 (digits 0-9 and one point only)."""

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text and not re.fullmatch(r"[0-9](\.[0-9]{1,2})?", text):
            raise forms.ValidationError(_("Type a number such as 0.15 with the digits 0 to 9."), code="digits")
        return super().to_python(text)


# The loyalty rules, grouped on the page as (heading, fields).
LOYALTY_GROUPS = (
    (_("Points earned"), ("points_per_yuan", "points_event_attended", "points_check_in", "streak_bonus_every",
                          "streak_bonus_points", "points_featured_comment")),
    (_("Spending points"), ("points_per_yuan_off", "points_max_percent_off")),
    (_("Referrals"), ("referral_points", "referral_coupon", "referral_refund_window_days", "referral_weekly_cap")),
    (_("Repurchase prompts"), ("repurchase_enabled", "repurchase_lead", "repurchase_cap_days",
                               "repurchase_holdout_percent")),
)
LOYALTY_FIELDS = ("points_featured_comment", "points_per_yuan_off", "points_max_percent_off", "referral_points",
                  "referral_refund_window_days", "referral_weekly_cap", "repurchase_enabled", "repurchase_lead",
                  "repurchase_cap_days", "repurchase_holdout_percent")


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
    points_featured_comment = AsciiIntegerField(
        label=_("Points for a featured comment"), min_value=0, max_value=POINTS_MAX,
        help_text=_("Earned once per comment when an admin pins it; unpinning keeps them. 0 switches it off."))
    points_per_yuan_off = AsciiIntegerField(
        label=_("Points for one yuan off at checkout"), min_value=0, max_value=POINTS_MAX,
        help_text=_("How many points a member spends to take one yuan off an order. 0: points are not spent at "
                    "checkout."))
    points_max_percent_off = AsciiIntegerField(
        label=_("Most of an order points may pay (%)"), min_value=0, max_value=100,
        help_text=_("0 to 100. With 20, points pay at most a fifth of an order."))
    referral_points = AsciiIntegerField(
        label=_("Points for a referral that succeeds"), min_value=0, max_value=POINTS_MAX,
        help_text=_("The inviter earns them when the invitee's first order completes and its refund window has "
                    "passed. 0 switches it off."))
    referral_coupon = forms.TypedChoiceField(
        label=_("Coupon for a referral that succeeds"), required=False, coerce=int, empty_value=None,
        help_text=_("Handed to the inviter with the points. Only this community's active coupons can be chosen."))
    referral_refund_window_days = AsciiIntegerField(
        label=_("Refund window before a referral pays (days)"), min_value=0, max_value=90,
        help_text=_("0 to 90 days after the first order completes; a refund inside it means no reward."))
    referral_weekly_cap = AsciiIntegerField(
        label=_("Referral rewards per inviter per week"), min_value=0, max_value=1000,
        help_text=_("0 to 1000; rewards beyond it are not paid. 0 pays none."))
    repurchase_enabled = forms.BooleanField(
        label=_("Send repurchase prompts"), required=False,
        help_text=_("Remind members to buy again what they buy regularly, when it is on sale in an open "
                    "group-buy."))
    repurchase_lead = AsciiLeadField(
        label=_("Remind early by (share of the cycle)"), min_value=0, max_value=Decimal("0.9"), max_digits=3,
        decimal_places=2,
        help_text=_("0 to 0.9. With 0.15 a member whose pack lasts 20 days is reminded 3 days before it runs out."))
    repurchase_cap_days = AsciiIntegerField(
        label=_("At most one prompt per member in (days)"), min_value=1, max_value=60,
        help_text=_("1 to 60 days between two prompts to the same member."))
    repurchase_holdout_percent = AsciiIntegerField(
        label=_("Holdout: members due but not prompted (%)"), min_value=0, max_value=50, required=False,
        help_text=_("0 to 50. This share of the members due a prompt get none, so Analytics can show what the "
                    "prompts add over what members order on their own. 0: everyone is prompted."))

    # The page posts this marker with the loyalty rules; a form posted without it (an older page, a
    # script) changes the events, posts and points-earned settings only, and leaves the others as they are.
    LOYALTY_MARKER = "loyalty_rules"

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_loyalty = not self.is_bound or bool(self.data.get(self.LOYALTY_MARKER))
        if not self.with_loyalty:
            for name in (*LOYALTY_FIELDS, "referral_coupon"):
                self.fields[name].required = False
        coupons = list(referral_coupon_choices(community)[:200])
        current = self.initial.get("referral_coupon")
        choices = [(c.pk, f"{c.code} · {c.name}") for c in coupons]
        if current and current not in {c.pk for c in coupons}:
            # The chosen coupon has ended or was switched off: shown, but only "none" or an active one is accepted.
            choices.append((current, _("(no longer active)")))
        self.fields["referral_coupon"].choices = [("", _("No coupon"))] + choices
        self._active = {c.pk for c in coupons}

    def clean_referral_coupon(self):
        value = self.cleaned_data.get("referral_coupon")
        if value is not None and value not in self._active and value != self.initial.get("referral_coupon"):
            raise forms.ValidationError(_("Choose one of this community's active coupons, or none."),
                                        code="coupon")
        return value

    @staticmethod
    def initial_of(row) -> dict:
        initial = {name: getattr(row, name) for name in SettingsForm.base_fields if name != "referral_coupon"}
        initial["referral_coupon"] = row.referral_coupon_id
        return initial

    def groups(self):
        """The loyalty rules as (heading, bound fields) for the page."""
        return [(heading, [self[name] for name in names]) for heading, names in LOYALTY_GROUPS]

    def values(self) -> tuple[dict, dict]:
        """(the posts service's values, the loyalty service's values)."""
        data = dict(self.cleaned_data)
        loyalty = {name: data.pop(name) for name in LOYALTY_FIELDS}
        coupon = data.pop("referral_coupon")
        if not self.with_loyalty:
            return data, {}
        if coupon is None or coupon in self._active:
            loyalty["referral_coupon_id"] = coupon
        # else: the coupon chosen before has ended since and was left as it is (not chosen anew)
        return data, loyalty
