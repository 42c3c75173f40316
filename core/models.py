from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """Who did what to whom, when: role changes, bans, join decisions, state transitions."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="audit_logs", db_index=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "-created_at"])]

    def __str__(self):
        return f"{self.action} by {self.actor_id} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self):
        from core.audit import ACTION_LABELS

        return ACTION_LABELS.get(self.action, self.action)

    @property
    def sentence(self) -> str:
        """The entry in words (core.audit.audit_sentence: each app registers its actions')."""
        from core.audit import audit_sentence

        return audit_sentence(self)

    @property
    def note(self) -> str:
        """The reason or note given with the action, if any (shown after the sentence)."""
        data = self.data if isinstance(self.data, dict) else {}
        return str(data.get("note") or data.get("reason") or "")


class Notification(models.Model):
    """One message in a user's in-app inbox; e-mail copies are sent from it on commit."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(max_length=500, blank=True)
    # A retried job or a rerun sends nothing twice: the same key can be written once.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The e-mail copy (see core.notifications.notification_email_send). email_due_at is set only
    # while a copy is owed: when the catch-up sweep should look at it next (a grace period after
    # creation, the end of a worker's lease, or the next try after a failure); NULL once it is
    # sent, given up, or when no copy is wanted (no address, opted out), so the sweep's partial
    # index holds only the copies still owed.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_due_at = models.DateTimeField(null=True, blank=True)
    email_claimed_until = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.TextField(blank=True)
    email_failed_at = models.DateTimeField(null=True, blank=True)  # gave up after the last attempt

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "kind", "-created_at"]),
            models.Index(fields=["email_due_at"], condition=models.Q(email_due_at__isnull=False),
                         name="notification_email_due"),
        ]

    def __str__(self):
        return self.title


class NotificationOptOut(models.Model):
    """A user who does not want a kind of notice (by any channel, or by e-mail only)."""

    class Channel(models.TextChoices):
        ALL = "all", _("All channels")
        EMAIL = "email", _("E-mail")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs")
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ALL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "channel"], name="uniq_opt_out")]


class SweepFailure(models.Model):
    """A row a periodic sweep (core.sweeps) could not settle: skipped until ``next_try_at``.

    One per (job, row); deleted when the row settles. The community's admins see them in the
    console, so a round that keeps failing to close is noticed rather than silently retried.
    """

    job = models.CharField(_("job"), max_length=100)
    object_id = models.BigIntegerField()
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="sweep_failures",
        db_index=True,
    )
    object_repr = models.CharField(max_length=200, blank=True)
    object_url = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    next_try_at = models.DateTimeField(_("next try"))

    class Meta:
        verbose_name = _("failing sweep row")
        verbose_name_plural = _("failing sweep rows")
        ordering = ["-last_failed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "object_id"], name="uniq_sweep_failure")]
        # The runner's anti-join reads (job, object_id) through the unique index; the console lists
        # by community (the FK's own index).

    def __str__(self):
        return f"{self.job} #{self.object_id} ({self.attempts}×)"

    @property
    def error_summary(self) -> str:
        return self.last_error.split("\n", 1)[0]


class IdempotentRequest(models.Model):
    """An API write sent with an ``Idempotency-Key`` header, and the answer it got (core.idempotency).

    Stored in the same transaction as the write: a retry of a write that took effect gets the same
    answer again, and a write that failed left no key behind, so its retry runs afresh.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The operation and the community it acted in: one key may serve different operations.
    scope = models.CharField(max_length=150)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="uniq_idempotent_request")]

    def __str__(self):
        return f"{self.scope} {self.key}"


class DomainEvent(models.Model):
    """Something that happened in a domain app ("event.attended", "post.published"), written in the
    same transaction as the change (a transactional outbox): apps above react to it after commit
    (core.events), and a worker killed half-way leaves it due, so nothing is lost."""

    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=64)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set while handlers still have to see it; NULL once every handler ran (the sweep's "done").
    dispatch_due_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["dispatch_due_at"], condition=models.Q(dispatch_due_at__isnull=False),
                         name="domain_event_due"),
            models.Index(fields=["community", "name", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.name} #{self.pk}"
