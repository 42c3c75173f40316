"""Engagement: what brings members back between sales. Events with RSVPs, a waitlist and QR
tickets; posts that feature products and rounds (产品内容化), with comments, likes and reports;
polls.

Every table carries its own community_id (the tenant). Counters a race could break (seats taken
of an event, likes and comments of a post) change only by guarded updates in the services, and
database constraints back each rule. An event ticket paid for is a charge in payments/.
Later, points, levels, badges and referrals (the loyalty issue) live here too and react to the
domain events these services emit on commit (core.events).
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 12, "decimal_places": 2}

MAX_GUESTS = 5  # guests one member may bring (each takes a seat)
TICKET_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed at the door
TICKET_LENGTH = 8


def new_ticket_code() -> str:
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


class EngagementSettings(models.Model):
    """What a community decides about its events and posts (one row per community, made on first use)."""

    community = models.OneToOneField("communities.Community", on_delete=models.CASCADE,
                                     related_name="engagement_settings")
    # How long a waitlisted member has to take a freed seat (never past the event's start).
    offer_window_hours = models.PositiveSmallIntegerField(_("waitlist offer window (hours)"), default=12)
    # Public posts show a preview to strangers (a link shared outside) with a join button.
    posts_public = models.BooleanField(_("posts are public"), default=False)
    # Points rules (积分): what earns how much. Zero switches a rule off.
    points_per_yuan = models.DecimalField(_("points per yuan of a completed order"), max_digits=6, decimal_places=2,
                                          default=1)
    points_event_attended = models.PositiveIntegerField(_("points for attending an event"), default=10)
    points_check_in = models.PositiveIntegerField(_("points for a daily check-in"), default=1)
    streak_bonus_every = models.PositiveSmallIntegerField(_("streak bonus every … days"), default=7)
    streak_bonus_points = models.PositiveIntegerField(_("streak bonus points"), default=10)
    points_featured_comment = models.PositiveIntegerField(_("points for a comment an admin features"), default=20)
    # Spending points: so many points take one yuan off at checkout (0: not at checkout), up to a
    # share of the order.
    points_per_yuan_off = models.PositiveIntegerField(_("points for one yuan off at checkout"), default=100)
    points_max_percent_off = models.PositiveSmallIntegerField(_("most of an order points may pay (%)"), default=20)
    # Referrals (邀请有礼): the referrer earns when the invitee's first order completes and its
    # refund window has passed; at most so many rewards per referrer per week.
    referral_points = models.PositiveIntegerField(_("points for a referral that succeeds"), default=50)
    referral_coupon = models.ForeignKey("orders.Coupon", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+", verbose_name=_("coupon for a referral that succeeds"))
    referral_refund_window_days = models.PositiveSmallIntegerField(_("refund window before a referral pays (days)"),
                                                                   default=7)
    referral_weekly_cap = models.PositiveSmallIntegerField(_("referral rewards per referrer per week"), default=10)
    # Repurchase prompts (定时复购提醒): remind this share of a cycle early, at most once in so many days.
    repurchase_enabled = models.BooleanField(_("send repurchase prompts"), default=True)
    repurchase_lead = models.DecimalField(_("remind early by (share of the cycle)"), max_digits=3, decimal_places=2,
                                          default=Decimal("0.15"))
    repurchase_cap_days = models.PositiveSmallIntegerField(_("at most one prompt per member in (days)"), default=3)
    # A holdout (对照组): this share of the members due a prompt get none, so analytics can compare
    # what the prompted members ordered with what the others did on their own. 0: everyone is prompted.
    repurchase_holdout_percent = models.PositiveSmallIntegerField(_("holdout: members due but not prompted (%)"),
                                                                  default=0, db_default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(offer_window_hours__gte=1) & Q(offer_window_hours__lte=168),
                                   name="eng_settings_offer_window_range"),
            models.CheckConstraint(condition=Q(points_per_yuan__gte=0) & Q(points_per_yuan__lte=1000),
                                   name="eng_settings_points_per_yuan_range"),
            models.CheckConstraint(condition=Q(points_event_attended__lte=100000) & Q(points_check_in__lte=100000)
                                   & Q(streak_bonus_points__lte=100000), name="eng_settings_points_bounded"),
            models.CheckConstraint(condition=Q(streak_bonus_every__gte=2) & Q(streak_bonus_every__lte=365),
                                   name="eng_settings_streak_every_range"),
            models.CheckConstraint(condition=Q(points_featured_comment__lte=100000) & Q(referral_points__lte=100000)
                                   & Q(points_per_yuan_off__lte=100000), name="eng_settings_points_bounded_2"),
            models.CheckConstraint(condition=Q(points_max_percent_off__lte=100), name="eng_settings_points_off_range"),
            models.CheckConstraint(condition=Q(referral_refund_window_days__lte=90) & Q(referral_weekly_cap__lte=1000),
                                   name="eng_settings_referral_range"),
            models.CheckConstraint(condition=Q(repurchase_lead__gte=0) & Q(repurchase_lead__lte=Decimal("0.9"))
                                   & Q(repurchase_cap_days__gte=1) & Q(repurchase_cap_days__lte=60),
                                   name="eng_settings_repurchase_range"),
            models.CheckConstraint(condition=Q(repurchase_holdout_percent__lte=50), name="eng_settings_holdout_range"),
        ]


# Events --------------------------------------------------------------------------------------

class Event(models.Model):
    class Kind(models.TextChoices):
        TASTING = "tasting", _("Tasting (品鉴会)")
        MEETUP = "meetup", _("Meetup")
        LIVESTREAM = "livestream", _("Livestream")
        ONLINE_CLASS = "online_class", _("Online class")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("event status", "Draft")
        PUBLISHED = "published", pgettext_lazy("event status", "Published")
        CANCELLED = "cancelled", pgettext_lazy("event status", "Cancelled")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="events")
    # Empty: the whole community sees it; a leader's event is for their branch.
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_events", verbose_name=_("branch"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.MEETUP)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    cover = models.ImageField(upload_to="events/%Y/%m/", blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Where: a pickup point, an address, or (online kinds) a link; at least one, checked by the service.
    pickup_point = models.ForeignKey("orders.PickupPoint", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("pickup point"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    online_url = models.URLField(_("link"), max_length=500, blank=True)
    # None: no limit. Seats held by RSVPs going, awaiting payment or offered (member + guests);
    # changed only by guarded updates.
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    seats_taken = models.PositiveIntegerField(default=0)
    max_guests = models.PositiveSmallIntegerField(_("guests per member"), default=0)
    rsvp_deadline = models.DateTimeField(_("RSVP deadline"))  # at the latest the start
    price = models.DecimalField(_("price per seat"), default=0, **MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Reminder markers: set under the event's lock when the reminder went out (the sweeps' "done").
    reminded_day_at = models.DateTimeField(null=True, blank=True)
    reminded_hour_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["tasting", "meetup", "livestream", "online_class"]),
                                   name="eng_event_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=["draft", "published", "cancelled"]),
                                   name="eng_event_status_valid"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="eng_event_ends_after_start"),
            models.CheckConstraint(condition=Q(rsvp_deadline__lte=F("starts_at")),
                                   name="eng_event_rsvp_by_start"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                                   name="eng_event_capacity_positive"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(seats_taken__lte=F("capacity")),
                                   name="eng_event_never_overbooked"),
            models.CheckConstraint(condition=Q(max_guests__lte=MAX_GUESTS), name="eng_event_guests_bounded"),
            models.CheckConstraint(condition=Q(price__gte=0), name="eng_event_price_not_negative"),
            models.CheckConstraint(condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                                   name="eng_event_cancelled_has_time"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "starts_at"]),
            # The reminder sweeps: published events by start.
            models.Index(fields=["starts_at"], condition=Q(status="published"), name="eng_event_upcoming"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("engagement:event", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.seats_taken, 0)


class RSVP(models.Model):
    """One member's answer to one event (one row per member and event; a member who cancels and
    comes back gets the row again, with a new ticket code, so an old ticket never works)."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Seat held, awaiting payment")
        GOING = "going", _("Going")
        WAITLISTED = "waitlisted", _("On the waitlist")
        OFFERED = "offered", _("A seat is offered")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Offer declined")
        EXPIRED = "expired", _("Offer expired")

    HOLDS_SEATS = ("pending_payment", "going", "offered")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="rsvps")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="rsvps")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    guests = models.PositiveSmallIntegerField(_("guests"), default=0)
    # A paid event's seat: what the member owes (None for free events).
    charge = models.OneToOneField("payments.Charge", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="rsvp")
    ticket_code = models.CharField(max_length=TICKET_LENGTH, default=new_ticket_code)
    # The waitlist's order: when the member joined it (first come, first offered).
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # an unpaid held seat is released then
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="eng_uniq_rsvp_member"),
            models.UniqueConstraint(fields=["community", "ticket_code"], name="eng_uniq_ticket_code"),
            models.CheckConstraint(
                condition=Q(status__in=["pending_payment", "going", "waitlisted", "offered", "cancelled",
                                        "declined", "expired"]),
                name="eng_rsvp_status_valid"),
            models.CheckConstraint(condition=Q(guests__lte=MAX_GUESTS), name="eng_rsvp_guests_bounded"),
            models.CheckConstraint(condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                                   name="eng_rsvp_offer_has_expiry"),
            models.CheckConstraint(condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                                   name="eng_rsvp_waitlist_has_time"),
            models.CheckConstraint(condition=Q(checked_in_at__isnull=True) | Q(status="going"),
                                   name="eng_rsvp_checked_in_is_going"),
        ]
        indexes = [
            models.Index(fields=["community", "event", "status"]),
            models.Index(fields=["community", "member", "-created_at"]),
            # The waitlist queue of an event, first come first.
            models.Index(fields=["event", "waitlisted_at", "id"], condition=Q(status="waitlisted"),
                         name="eng_rsvp_queue"),
            # The sweeps: offers that lapse, unpaid seats that are released.
            models.Index(fields=["offer_expires_at"], condition=Q(status="offered"), name="eng_rsvp_offer_due"),
            models.Index(fields=["expires_at"], condition=Q(status="pending_payment"), name="eng_rsvp_unpaid_due"),
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def seats(self) -> int:
        return 1 + self.guests

    def get_absolute_url(self):
        return reverse("engagement:rsvp", kwargs={"slug": self.community.slug, "pk": self.pk})


# Posts ---------------------------------------------------------------------------------------

class Post(models.Model):
    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement")
        ARTICLE = "article", _("Article")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("post status", "Draft")
        PUBLISHED = "published", pgettext_lazy("post status", "Published")
        HIDDEN = "hidden", pgettext_lazy("post status", "Hidden")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="posts")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_posts", verbose_name=_("branch"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ARTICLE)
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=300, blank=True)  # the preview strangers see
    body = models.TextField(_("text"), max_length=20000, blank=True)  # Markdown, as written
    body_html = models.TextField(blank=True)  # rendered and sanitised by the service on each save
    cover = models.ImageField(upload_to="posts/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    comments_open = models.BooleanField(_("comments open"), default=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)  # visible comments
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["announcement", "article"]), name="eng_post_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=["draft", "published", "hidden"]),
                                   name="eng_post_status_valid"),
            models.CheckConstraint(condition=Q(status="draft") | Q(published_at__isnull=False),
                                   name="eng_post_published_has_time"),
        ]
        indexes = [
            models.Index(fields=["community", "status", "-published_at"]),
            models.Index(fields=["community", "updated_at"], name="eng_post_updated"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("engagement:post", kwargs={"slug": self.community.slug, "pk": self.pk})


class PostImage(models.Model):
    """A photo in a post: validated and re-encoded without EXIF (core.images)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="posts/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["community", "post"])]


class PostFeature(models.Model):
    """A product or a round a post shows with its live price and progress and a way to order."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="features")
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group_buy = models.ForeignKey("orders.GroupBuy", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(product__isnull=False) & Q(group_buy__isnull=True))
                | (Q(product__isnull=True) & Q(group_buy__isnull=False)),
                name="eng_feature_one_target"),
            models.UniqueConstraint(fields=["post", "product"], name="eng_uniq_feature_product"),
            models.UniqueConstraint(fields=["post", "group_buy"], name="eng_uniq_feature_round"),
        ]
        indexes = [models.Index(fields=["community", "post"])]


class Comment(models.Model):
    """A member's comment on a post, or a reply to one (one level: a reply's parent is a top comment)."""

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HIDDEN = "hidden", _("Hidden by an admin")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.CharField(_("comment"), max_length=1000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VISIBLE)
    pinned_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["visible", "hidden"]), name="eng_comment_status_valid"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="eng_comment_not_own_parent"),
            # A retried "send" posts the comment once.
            models.UniqueConstraint(fields=["community", "author", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="eng_uniq_comment_idempotency"),
        ]
        indexes = [
            models.Index(fields=["community", "post", "created_at"]),
            models.Index(fields=["community", "author", "-created_at"]),
        ]

    def __str__(self):
        return self.body[:40]


class PostLike(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="eng_uniq_like")]
        indexes = [models.Index(fields=["community", "member"])]


class PostView(models.Model):
    """A member opened a post (counted once per member): its reach, and where the orders it led to
    start (analytics)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="views")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "member"], name="eng_uniq_post_view")]
        indexes = [models.Index(fields=["community", "first_seen_at"], name="eng_post_view_seen")]


class CommentReport(models.Model):
    """A member tells the admins a comment breaks the rules; admins resolve it (hide, delete or keep)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["comment", "reporter"], name="eng_uniq_report")]
        indexes = [models.Index(fields=["community", "resolved_at", "-created_at"])]


# Polls ---------------------------------------------------------------------------------------

class Poll(models.Model):
    class Results(models.TextChoices):
        ALWAYS = "always", _("Always visible")
        AFTER_CLOSE = "after_close", _("Visible after closing")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("poll status", "Draft")
        OPEN = "open", pgettext_lazy("poll status", "Open")
        CLOSED = "closed", pgettext_lazy("poll status", "Closed")  # closed early; else closes_at passing closes it

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="polls")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="branch_polls", verbose_name=_("branch"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    question = models.CharField(_("question"), max_length=200)
    description = models.CharField(_("description"), max_length=1000, blank=True)
    multiple = models.BooleanField(_("multiple choice"), default=False)
    max_choices = models.PositiveSmallIntegerField(_("at most this many choices"), null=True, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    results = models.CharField(_("results"), max_length=12, choices=Results.choices, default=Results.ALWAYS)
    allow_change = models.BooleanField(_("votes may be changed until closing"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    closes_at = models.DateTimeField(_("closes at"))
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "open", "closed"]), name="eng_poll_status_valid"),
            models.CheckConstraint(condition=Q(results__in=["always", "after_close"]), name="eng_poll_results_valid"),
            models.CheckConstraint(condition=Q(max_choices__isnull=True) | Q(max_choices__gte=1),
                                   name="eng_poll_max_choices_positive"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False),
                                   name="eng_poll_closed_has_time"),
        ]
        indexes = [models.Index(fields=["community", "status", "closes_at"])]

    def __str__(self):
        return self.question

    def get_absolute_url(self):
        return reverse("engagement:poll", kwargs={"slug": self.community.slug, "pk": self.pk})


class PollOption(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(_("option"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["poll", "text"], name="eng_uniq_poll_option_text")]
        indexes = [models.Index(fields=["community", "poll"])]

    def __str__(self):
        return self.text


class Ballot(models.Model):
    """One member's vote on one poll (one per member: the unique constraint holds under races);
    its choices are the options picked."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "member"], name="eng_uniq_ballot")]
        indexes = [models.Index(fields=["community", "poll"])]


class BallotChoice(models.Model):
    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="+")
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="choices")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "option"], name="eng_uniq_ballot_choice")]
        indexes = [models.Index(fields=["community", "poll", "option"])]


# Points ----------------------------------------------------------------------------------------

class PointsEntry(models.Model):
    """One line of a member's points ledger in a community (append-only): what earned or spent
    points, written once per key (an order's points, their reversal, one day's check-in...)."""

    class Reason(models.TextChoices):
        ORDER = "order", _("Order completed")
        ORDER_REVERSED = "order_reversed", _("Order refunded")
        EVENT = "event", _("Attended an event")
        CHECK_IN = "check_in", _("Daily check-in")
        STREAK = "streak", _("Check-in streak bonus")
        REFERRAL = "referral", _("A member you invited ordered")
        FEATURED = "featured", _("Your comment was featured")
        SPENT = "spent", _("Spent at checkout")
        SPENT_RETURNED = "spent_returned", _("Points given back (order cancelled)")
        COUPON = "coupon", _("Exchanged for a coupon")
        ADJUSTED = "adjusted", _("Adjusted by an admin")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount = models.IntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    key = models.CharField(max_length=120)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "key"], name="eng_uniq_points_key"),
            models.CheckConstraint(condition=~Q(amount=0), name="eng_points_not_zero"),
        ]
        indexes = [models.Index(fields=["community", "member", "-created_at"]),
                   # Analytics: points issued and spent in a period.
                   models.Index(fields=["community", "created_at"], name="eng_points_entry_time")]


class PointsAccount(models.Model):
    """A member's points in a community, kept with the ledger in the same transaction (the ledger
    is the truth; this is its sum, so pages never add up the whole ledger)."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    balance = models.IntegerField(default=0)
    lifetime = models.IntegerField(default=0)  # points ever earned (levels come from it)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "member"], name="eng_uniq_points_account")]
        indexes = [models.Index(fields=["community", "-lifetime"])]


class DailyCheckIn(models.Model):
    """签到: one per member per calendar day in the community's timezone."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    streak = models.PositiveIntegerField(default=1)  # consecutive days up to this one
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "day"], name="eng_uniq_daily_check_in"),
            models.CheckConstraint(condition=Q(streak__gte=1), name="eng_check_in_streak_positive"),
        ]
        indexes = [models.Index(fields=["community", "member", "-day"]),
                   # Analytics: check-ins per day of a period.
                   models.Index(fields=["community", "day"], name="eng_check_in_day")]


class LoyaltyLevel(models.Model):
    """A community-named level (新人 / 铁粉 / 核心...) reached at a number of lifetime points."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=20)
    min_points = models.PositiveIntegerField(_("from lifetime points"))

    class Meta:
        ordering = ["min_points"]
        constraints = [
            models.UniqueConstraint(fields=["community", "min_points"], name="eng_uniq_level_points"),
            models.UniqueConstraint(fields=["community", "name"], name="eng_uniq_level_name"),
        ]


class PointsTotal(models.Model):
    """Points a member earned in a week, a month, or all time (the leaderboards read these, never
    the ledger); moved in the same transaction as each ledger line. ``branch`` is the member's
    branch when the points came, so each 团长's group has its own board."""

    class Period(models.TextChoices):
        WEEK = "week", _("This week")
        MONTH = "month", _("This month")
        ALL = "all", _("All time")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    branch = models.ForeignKey("communities.Community", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    starts_on = models.DateField()  # the week's Monday, the month's first day, 2000-01-01 for all time
    points = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "period", "starts_on"], name="eng_uniq_points_total"),
            models.CheckConstraint(condition=Q(period__in=["week", "month", "all"]), name="eng_points_period_valid"),
        ]
        indexes = [
            models.Index(fields=["community", "period", "starts_on", "-points"], name="eng_board"),
            models.Index(fields=["community", "branch", "period", "starts_on", "-points"], name="eng_branch_board"),
        ]


# Referrals -------------------------------------------------------------------------------------

class Referral(models.Model):
    """Who invited whom (from the invite link the invitee joined by) and the reward it earns: when
    the invitee's first order completes, the reward falls due once that order's refund window has
    passed; the ``engagement.referral_rewards`` sweep then pays it, or records why not. Suspicious
    ones (many invitees from one address in a short time, invitees who never order) wait for an
    admin."""

    class Status(models.TextChoices):
        JOINED = "joined", _("Joined, no order yet")
        DUE = "due", _("First order completed, waiting out the refund window")
        HELD = "held", _("Held for review")
        REWARDED = "rewarded", _("Rewarded")
        REJECTED = "rejected", _("No reward")

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invitee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.JOINED)
    joined_at = models.DateTimeField()
    join_address = models.GenericIPAddressField(null=True, blank=True)  # where the invitee joined from
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)  # when the first order's refund window ends
    held_reason = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=200, blank=True)  # why no reward, or what was given
    points = models.IntegerField(default=0)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "invitee"], name="eng_uniq_referral_invitee"),
            models.CheckConstraint(condition=~Q(referrer=F("invitee")), name="eng_referral_not_self"),
            models.CheckConstraint(condition=~Q(status="due") | Q(due_at__isnull=False), name="eng_referral_due_has_time"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="due"), name="eng_referral_due"),
            models.Index(fields=["community", "status", "-created_at"]),
            models.Index(fields=["community", "referrer", "status"]),
            models.Index(fields=["community", "join_address", "joined_at"]),
        ]


# Repurchase prompts ----------------------------------------------------------------------------

class RepurchasePrompt(models.Model):
    """定时复购提醒: one prompt to one member about one product, recorded once per purchase it follows
    (the unique key), so a rerun, a retried task or two workers at once send nothing twice. The
    order that followed within 7 days (if any) is its conversion."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    last_order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")  # the purchase it follows
    group_buy = models.ForeignKey("orders.GroupBuy", on_delete=models.CASCADE, related_name="+")  # where to buy again
    item = models.ForeignKey("orders.GroupBuyItem", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField()
    # When it was sent; for a member held out (no prompt sent, the holdout), when it would have been.
    sent_at = models.DateTimeField()
    held_out = models.BooleanField(default=False, db_default=False)  # raw INSERTs (the sweep) leave it out
    opened_at = models.DateTimeField(null=True, blank=True)
    converted_order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")  # an order of the product within 7 days

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "member", "product", "last_order"],
                                    name="eng_uniq_repurchase_prompt"),
            models.CheckConstraint(condition=Q(held_out=False) | Q(opened_at__isnull=True),
                                   name="eng_held_out_prompt_never_opened"),
        ]
        indexes = [
            models.Index(fields=["community", "-sent_at"]),
            models.Index(fields=["community", "member", "-sent_at"]),
        ]


# Spending points on coupons ---------------------------------------------------------------------

class PointsReward(models.Model):
    """积分兑换: a coupon members may take for points. The coupon is a handed-out one (orders), so
    each exchange hands one use to the member."""

    community = models.ForeignKey("communities.Community", on_delete=models.CASCADE, related_name="+")
    coupon = models.ForeignKey("orders.Coupon", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("coupon"))
    points = models.PositiveIntegerField(_("price in points"))
    per_member_limit = models.PositiveSmallIntegerField(_("exchanges per member"), default=1)
    is_active = models.BooleanField(_("on offer"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["points", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "coupon"], name="eng_uniq_points_reward_coupon"),
            models.CheckConstraint(condition=Q(points__gte=1) & Q(points__lte=10_000_000),
                                   name="eng_points_reward_price_range"),
            models.CheckConstraint(condition=Q(per_member_limit__gte=1) & Q(per_member_limit__lte=100),
                                   name="eng_points_reward_limit_range"),
        ]
        indexes = [models.Index(fields=["community", "updated_at"])]
