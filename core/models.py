from django.conf import settings
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
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "kind", "-created_at"]),
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
