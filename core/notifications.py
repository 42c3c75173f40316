"""The one way to tell a user something: an in-app inbox entry, copied by e-mail on commit.

Every reminder and prompt goes through ``notify``. It respects the user's opt-outs, a frequency
cap per kind, and a dedupe key so a rerun or a retried task never sends the same notice twice.
Channels beyond the inbox are pluggable: e-mail is one; a chat-app template message would be
another task that reads the same Notification row.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Notification, NotificationOptOut

# Kinds a user can opt out of, with the label shown on the profile page.
KINDS: dict[str, str] = {
    "join_request_digest": _("Daily digest of pending join requests"),
    "join_request_decided": _("Answers to my join requests"),
    "membership_changed": _("Changes to my role or branch"),
    "group_buy_closing": _("A group-buy I have not ordered from closes soon"),
    "order_unpaid": _("My unpaid order is about to expire"),
    "order_ready": _("My order is ready for pickup"),
    "group_buy_failed": _("A group-buy failed and my order was refunded"),
    "group_buy_cancelled": _("A group-buy I ordered from was cancelled"),
}


# Frequency caps: at most one notice of these kinds per user in the period, whatever asks.
DEFAULT_CAPS: dict[str, timedelta] = {
    "group_buy_closing": timedelta(hours=6),
}


def in_language_of(user):
    """Write a notice in the recipient's language (their profile's, else the site default)."""
    return translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE)


def notify(
    *,
    recipient,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    community=None,
    dedupe_key: str | None = None,
    cap: timedelta | None = None,
) -> Notification | None:
    """Record a notice and queue its e-mail; None when opted out, capped or already sent."""
    opt_outs = set(NotificationOptOut.objects.filter(user=recipient, kind=kind).values_list("channel", flat=True))
    if NotificationOptOut.Channel.ALL in opt_outs:
        return None
    cap = cap if cap is not None else DEFAULT_CAPS.get(kind)
    if cap is not None:
        since = timezone.now() - cap
        if Notification.objects.filter(recipient=recipient, kind=kind, created_at__gte=since).exists():
            return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                community=community,
                kind=kind,
                title=str(title)[:200],
                body=str(body),
                url=url,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None  # the dedupe key was written already: this notice went out before
    if NotificationOptOut.Channel.EMAIL not in opt_outs and recipient.email:
        from core.tasks import send_notification_email

        notification_id = notification.pk
        transaction.on_commit(lambda: send_notification_email.delay(notification_id))
    return notification


def set_opt_outs(*, user, email_off: set[str], all_off: set[str]) -> None:
    """Replace a user's opt-outs with the given kinds (unknown kinds are ignored)."""
    with transaction.atomic():
        NotificationOptOut.objects.filter(user=user).delete()
        rows = [
            NotificationOptOut(user=user, kind=kind, channel=NotificationOptOut.Channel.ALL)
            for kind in all_off if kind in KINDS
        ] + [
            NotificationOptOut(user=user, kind=kind, channel=NotificationOptOut.Channel.EMAIL)
            for kind in email_off - all_off if kind in KINDS
        ]
        NotificationOptOut.objects.bulk_create(rows)


def mark_read(*, user, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
