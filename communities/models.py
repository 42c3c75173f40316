import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]
CURRENCY_CHOICES = [("CNY", _("Chinese yuan (CNY)")), ("HKD", _("Hong Kong dollar (HKD)")),
                    ("TWD", _("New Taiwan dollar (TWD)")), ("USD", _("US dollar (USD)")),
                    ("EUR", _("Euro (EUR)")), ("SGD", _("Singapore dollar (SGD)"))]


def new_invite_code() -> str:
    # 10 characters of an unambiguous alphabet: easy to type from a poster, ~50 bits of entropy.
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Community(models.Model):
    """The tenant. A community with a parent is a branch (分群) of that parent."""

    class Kind(models.TextChoices):
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
        INTEREST = "interest", _("Interest group")
        BRAND = "brand", _("Brand or shop")
        ALUMNI = "alumni", _("Alumni or workplace")
        OTHER = "other", _("Other")

    class JoinPolicy(models.TextChoices):
        OPEN = "open", _("Open: anyone with the link joins at once")
        APPROVAL = "approval", _("Approval: people ask to join, admins decide")
        INVITE = "invite", _("Invite only: joining needs an invite link")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("address"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    rules = models.TextField(_("group rules"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTEREST)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    cover = models.ImageField(_("cover image"), upload_to="covers/%Y/%m/", blank=True)
    join_policy = models.CharField(_("join policy"), max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.APPROVAL)
    timezone = models.CharField(_("timezone"), max_length=64, choices=TIMEZONE_CHOICES, default="Asia/Shanghai")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="branches", verbose_name=_("parent community")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_branches",
        verbose_name=_("leader"),
    )
    # Selling: how members pay by transfer, how long an unpaid order holds its stock, who earns commission.
    payment_instructions = models.TextField(
        _("payment instructions"), blank=True,
        help_text=_("Shown on every unpaid order: whom to pay by WeChat/Alipay transfer and what to write in the note."),
    )
    payment_qr = models.ImageField(_("receiving QR code"), upload_to="payment-qr/%Y/%m/", blank=True)
    payment_window_minutes = models.PositiveIntegerField(
        _("payment window (minutes)"), default=30,
        help_text=_("Unpaid orders are cancelled after this long and give their stock back."),
    )

    class CommissionRecipient(models.TextChoices):
        BRANCH_LEADER = "branch_leader", _("The leader of the buyer's branch")
        REFERRER = "referrer", _("Whoever invited the buyer")

    commission_recipient = models.CharField(_("commission goes to"), max_length=20,
                                            choices=CommissionRecipient.choices,
                                            default=CommissionRecipient.BRANCH_LEADER)

    # Sharing: how the 接龙 list names buyers, and whether a round's link shows it to non-members.
    class BuyerNames(models.TextChoices):
        FULL = "full", _("Full name")
        MASKED = "masked", _("Masked (张*)")
        HIDDEN = "hidden", _("Hidden (a buyer)")

    jielong_names = models.CharField(_("names in the order list"), max_length=8, choices=BuyerNames.choices,
                                     default=BuyerNames.MASKED,
                                     help_text=_("How the 接龙 list of a round shows who ordered."))
    previews_members_only = models.BooleanField(
        _("previews for members only"), default=False,
        help_text=_("When ticked, a shared round or team link shows non-members only the way to join, "
                    "not the round."))
    created_at = models.DateTimeField(auto_now_add=True)
    # A branch no longer in use: nobody belongs to it or joins it, nothing new is aimed at it.
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(retired_at__isnull=True) | Q(parent__isnull=False),
                                   name="only_branches_retire"),
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_branch_name_per_parent"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="community_not_own_parent"),
            models.CheckConstraint(condition=Q(payment_window_minutes__gte=5) & Q(payment_window_minutes__lte=10080),
                                   name="community_payment_window_range"),
            models.CheckConstraint(condition=Q(jielong_names__in=["full", "masked", "hidden"]),
                                   name="community_jielong_names_valid"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.parent_id is not None

    def active_branches(self):
        """Its branches in use: the ones members, invites, pickup points and rounds may name."""
        return self.branches.filter(retired_at__isnull=True)

    def get_absolute_url(self):
        return reverse("communities:home", kwargs={"slug": self.slug})

    def get_console_url(self):
        return reverse("console:dashboard", kwargs={"slug": self.slug})


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    LEADER = "leader", _("Leader")
    MEMBER = "member", _("Member")


ROLE_RANK = {Role.OWNER: 40, Role.ADMIN: 30, Role.LEADER: 20, Role.MEMBER: 10}


class Membership(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LEFT = "left", _("Left")
        BANNED = "banned", _("Banned")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    branch = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="branch_memberships",
        verbose_name=_("branch"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitees",
        verbose_name=_("invited by"),
    )
    invite = models.ForeignKey("Invite", null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships")
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    banned_at = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # When the membership stopped being active (left, removed or banned); cleared when they come back.
    left_at = models.DateTimeField(null=True, blank=True)
    # For clients that sync the member list (?updated_since=): moved by every save(), including
    # save(update_fields=...) (see save()); a queryset .update() must set it itself.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-joined_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "user"], name="uniq_membership"),
            # One owner per community.
            models.UniqueConstraint(
                fields=["community"], condition=Q(role="owner"), name="one_owner_per_community"
            ),
            models.CheckConstraint(
                condition=~Q(role="owner") | Q(status="active"), name="owner_is_active"
            ),
            models.CheckConstraint(
                condition=Q(status="active", left_at__isnull=True) | (~Q(status="active") & Q(left_at__isnull=False)),
                name="left_at_iff_not_active",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "status", "role"]),
            models.Index(fields=["community", "branch"]),
            models.Index(fields=["community", "updated_at"], name="membership_updated"),
            # Analytics: members who joined in a period (the daily rollups).
            models.Index(fields=["community", "joined_at"], name="membership_joined"),
            models.Index(fields=["community", "left_at"], condition=Q(left_at__isnull=False), name="membership_left"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.community} ({self.role})"

    def save(self, *args, update_fields=None, **kwargs):
        # auto_now is written only when named in update_fields: a partial save is a change too.
        if update_fields is not None:
            update_fields = {*update_fields, "updated_at"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.role] if self.is_active else 0


class Invite(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invites")
    code = models.CharField(max_length=16, unique=True, default=new_invite_code)
    label = models.CharField(_("label"), max_length=80, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    branch = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="branch_invites",
        verbose_name=_("branch"),
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("use limit"), null=True, blank=True)
    uses_count = models.PositiveIntegerField(default=0)
    # A member's referral link in a community that reviews newcomers: it records who invited the
    # person, who still asks to join (an admin decides). Leaders' invites admit at once.
    admits = models.BooleanField(default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invite")
        verbose_name_plural = _("invites")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses_count__lte=F("max_uses")), name="invite_within_limit"
            ),
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(max_uses__gt=0), name="invite_limit_positive"),
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("communities:invite", kwargs={"code": self.code})

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        if self.max_uses is not None and self.uses_count >= self.max_uses:
            return "used_up"
        return "valid"


class JoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(_("message"), blank=True, max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    # The page of this community the person asked from (a shared round's preview): where the
    # approval notice takes them.
    came_from = models.CharField(max_length=200, blank=True)
    # The referral link the person asked through (who invited them), kept for the approval.
    invite = models.ForeignKey(Invite, null=True, blank=True, on_delete=models.SET_NULL, related_name="join_requests")
    address = models.GenericIPAddressField(null=True, blank=True)  # where they asked from (referral checks)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], condition=Q(status="pending"), name="one_pending_request"
            ),
        ]
        indexes = [models.Index(fields=["community", "status", "created_at"])]

    def __str__(self):
        return f"{self.user} → {self.community} ({self.status})"
