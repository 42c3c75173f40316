import zoneinfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import CURRENCY_CHOICES, TIMEZONE_CHOICES, Community, Role
from communities.permissions import acts_community_wide
from core.timezones import timezone_choices


class CommunityForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    rules = forms.CharField(label=_("Group rules"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("Shown to everyone before they join."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Community.Kind.choices, initial=Community.Kind.INTEREST)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False,
                              help_text=_("One line: what the group is for."))
    join_policy = forms.ChoiceField(label=_("Join policy"), choices=Community.JoinPolicy.choices,
                                    initial=Community.JoinPolicy.APPROVAL, widget=forms.RadioSelect)
    timezone = forms.ChoiceField(label=_("Timezone"), choices=timezone_choices([z for z, _label in TIMEZONE_CHOICES]),
                                 initial="Asia/Shanghai")
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    cover = forms.FileField(label=_("Cover image"), required=False,
                            help_text=_("JPEG, PNG or WebP, up to 5 MB."),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))


class CommunitySettingsForm(CommunityForm):
    """The console's settings page: the community plus how members pay and who earns commission."""

    payment_instructions = forms.CharField(
        label=_("Payment instructions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on every unpaid order: whom to pay by WeChat/Alipay transfer and what to write in the note."))
    payment_qr = forms.FileField(label=_("Receiving QR code"), required=False,
                                 help_text=_("Your WeChat or Alipay receiving code, shown with the instructions."),
                                 widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
    payment_window_minutes = forms.IntegerField(
        label=_("Payment window (minutes)"), min_value=5, max_value=10080, initial=30,
        help_text=_("Unpaid orders are cancelled after this long and give their stock back."))
    commission_recipient = forms.ChoiceField(label=_("Commission goes to"), choices=Community.CommissionRecipient.choices)
    jielong_names = forms.ChoiceField(label=_("Names in the order list"), choices=Community.BuyerNames.choices,
                                      initial=Community.BuyerNames.MASKED,
                                      help_text=_("How the 接龙 list of a round shows who ordered. Phone numbers "
                                                  "and e-mail addresses are never shown."))
    previews_members_only = forms.BooleanField(
        label=_("Previews for members only"), required=False,
        help_text=_("When ticked, a shared round or team link shows non-members only the way to join, not the round."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and "jielong_names" not in self.data:
            # A post from a page older than the field keeps what was chosen (clean_jielong_names).
            self.fields["jielong_names"].required = False

    def clean_jielong_names(self):
        return self.cleaned_data.get("jielong_names") or self.initial.get("jielong_names") or Community.BuyerNames.MASKED


class JoinRequestForm(forms.Form):
    message = forms.CharField(label=_("Message to the admins"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Who are you, and why do you want to join?")}))


class InviteForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=80, required=False,
                            help_text=_("For you: where this link is shared, e.g. 'Building 3 poster'."))
    expires_at = forms.DateTimeField(label=_("Expires"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                     help_text=_("Leave empty for no expiry."))
    max_uses = forms.IntegerField(label=_("Use limit"), required=False, min_value=1, max_value=100000,
                                  help_text=_("Leave empty for no limit."))
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Community.objects.none(), required=False,
                                    empty_label=_("No branch"))

    def __init__(self, *args, community, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        branches = community.active_branches().order_by("name")
        if membership is not None and not acts_community_wide(membership):
            # A leader's invites bring people into their own branch (a branchless leader's, into none).
            branches = branches.filter(pk=membership.branch_id) if membership.branch_id else branches.none()
            self.fields["branch"].empty_label = None
        self.fields["branch"].queryset = branches
        if not branches.exists():
            del self.fields["branch"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, zoneinfo.ZoneInfo(self.community.timezone))
        return value


class BranchForm(forms.Form):
    name = forms.CharField(label=_("Branch name"), max_length=80)
    leader = forms.ChoiceField(label=_("Leader"), required=False)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        members = community.memberships.filter(status="active").select_related("user").order_by("user__display_name")
        self.members = {str(m.user_id): m.user for m in members}
        self.fields["leader"].choices = [("", _("No leader yet"))] + [
            (str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})") for m in members
        ]

    def clean_leader(self):
        value = self.cleaned_data.get("leader")
        return self.members.get(value) if value else None


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class BanForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class BranchChoiceForm(forms.Form):
    """A member's choice of branch, among the community's own (another id is a field error)."""

    branch = forms.ModelChoiceField(queryset=None, label=_("My branch"), empty_label=None,
                                    widget=forms.RadioSelect,
                                    error_messages={"invalid_choice": _("Choose one of the branches listed.")})

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Community.objects.filter(pk__in=[b.pk for b in branches])


class BranchChoiceMixin:
    """A console form whose row may be aimed at one branch (a campaign, an event, a poll): owners
    and admins choose among the community's active branches (a retired one the row already has
    stays shown); a leader's row is for their own branch, so the field goes (the service says so
    too). The form declares a ``branch`` ChoiceField and calls ``offer_branches`` in __init__."""

    def offer_branches(self, *, community, membership, current=None) -> None:
        self._branches = {}
        if not acts_community_wide(membership):
            del self.fields["branch"]
            return
        branches = list(community.active_branches().order_by("name"))
        if current is not None and current not in branches:
            branches.append(current)
        self._branches = {str(b.pk): b for b in branches}
        if branches:
            self.fields["branch"].choices = [("", _("Whole community"))] + [(str(b.pk), b.name) for b in branches]
        else:
            del self.fields["branch"]

    def clean_branch(self):
        return self._branches.get(self.cleaned_data.get("branch") or "")
