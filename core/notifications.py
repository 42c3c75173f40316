"""The one way to tell a user something: an in-app inbox entry, copied by e-mail on commit.

Every reminder and prompt goes through ``notify``. It respects the user's opt-outs, a frequency
cap per kind, and a dedupe key so a rerun or a retried task never sends the same notice twice.
Channels beyond the inbox are pluggable: e-mail is one; a chat-app template message would be
another task that reads the same Notification row.

E-mail copies are delivered at least once, and twice only in one narrow case (see
``_email_deliver``): a worker takes a lease on the row, sends, and only then marks it sent. A copy
that fails is retried with backoff; one whose worker died, or whose task the broker lost, is
picked up by the ``core.notification_emails`` sweep once its lease (or grace period) is over.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.models import Notification, NotificationOptOut
from core.sweeps import Sweep, register

logger = logging.getLogger(__name__)

# Kinds a user can opt out of, with the label shown on the profile page.
KINDS: dict[str, str] = {
    "join_request_digest": _("Daily digest of pending join requests"),
    "join_request_decided": _("Answers to my join requests"),
    "membership_changed": _("Changes to my role or branch"),
    "group_buy_closing": _("A group-buy I have not ordered from closes soon"),
    "order_unpaid": _("My unpaid order is about to expire"),
    "order_ready": _("My order is ready for pickup"),
    "payment_received": _("An admin confirmed my payment"),
    "refund_paid": _("A refund was credited to my wallet"),
    "group_buy_failed": _("A group-buy failed and my order was refunded"),
    "group_buy_cancelled": _("A group-buy I ordered from was cancelled"),
    "group_buy_changed": _("A group-buy I ordered from changed its closing or pickup time"),
    "transfer_declined": _("An admin did not receive a transfer I reported"),
    "refund_owed": _("Money I sent is owed back to me"),
    "refund_paid_back": _("A refund was paid back to me"),
    "transfer_waiting": _("Transfers members reported wait for my confirmation (admins)"),
    "campaign_ending": _("A campaign I have not backed ends soon"),
    "campaign_update": _("News from a campaign I backed"),
    "campaign_succeeded": _("A campaign I backed succeeded"),
    "campaign_failed": _("A campaign I backed did not reach its goal"),
    "campaign_cancelled": _("A campaign I backed was cancelled"),
    "reward_shipped": _("My reward was shipped"),
    "collection_added": _("I was added to a split bill"),
    "collection_paid": _("A share of a split bill I take part in was paid"),
    "collection_completed": _("Everyone paid a split bill I organize"),
    "collection_reminder": _("My share of a split bill is still unpaid"),
    "collection_closed": _("A split bill I take part in was closed"),
    "collection_transfer": _("A transfer for a split bill I organize waits for my confirmation"),
    "event_offer": _("A seat freed up at an event I am waiting for"),
    "event_reminder": _("Reminders of events I am going to"),
    "event_changed": _("An event I am going to was changed or cancelled"),
    "announcement": _("New announcements in my community"),
    "comment_reply": _("Replies to my comments"),
    "comment_reported": _("Reported comments wait for review (admins)"),
    "poll_closed": _("Results of a poll I voted in"),
    "coupon_received": _("A coupon was handed to me"),
    "repurchase_prompt": _("Time to buy again something I buy regularly"),
    "referral_rewarded": _("A member I invited earned me a reward"),
    "referral_held": _("Referrals wait for review (admins)"),
    "partner_request": _("A partner shop asks to connect, or pushed products to review (admins)"),
    "order_line_out_of_stock": _("Part of my order was out of stock and refunded"),
    "order_dispatched": _("My order's goods are on the way"),
    "webhook_disabled": _("A webhook endpoint of my partner shop was switched off (partner staff)"),
}


# How the profile page groups the kinds (a kind in no group is shown under "Other", so a kind
# added later is never missing from the page).
KIND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (_("Orders and payments"), ("group_buy_closing", "order_unpaid", "order_ready", "payment_received", "refund_paid",
                                "group_buy_failed", "group_buy_cancelled", "group_buy_changed", "transfer_declined",
                                "refund_owed", "refund_paid_back", "order_line_out_of_stock",
                                "order_dispatched")),
    (_("Campaigns and split bills"), ("campaign_ending", "campaign_update", "campaign_succeeded", "campaign_failed",
                                      "campaign_cancelled", "reward_shipped", "collection_added", "collection_paid",
                                      "collection_completed", "collection_reminder", "collection_closed",
                                      "collection_transfer")),
    (_("Events and posts"), ("announcement", "event_offer", "event_reminder", "event_changed", "comment_reply",
                             "poll_closed")),
    (_("Points, coupons and rewards"), ("coupon_received", "repurchase_prompt", "referral_rewarded")),
    (_("My membership"), ("join_request_decided", "membership_changed")),
    (_("For admins and leaders"), ("join_request_digest", "transfer_waiting", "comment_reported", "referral_held",
                                 "partner_request", "webhook_disabled")),
)


def kinds_grouped() -> list[tuple[str, list[str]]]:
    """Every kind of KINDS once, in its group, groups in page order ("Other" last, if any)."""
    seen: set[str] = set()
    groups = []
    for label, kinds in KIND_GROUPS:
        present = [kind for kind in kinds if kind in KINDS and kind not in seen]
        seen.update(present)
        if present:
            groups.append((label, present))
    rest = [kind for kind in KINDS if kind not in seen]
    if rest:
        groups.append((_("Other"), rest))
    return groups


# E-mail delivery: how long the task has before the sweep steps in, how long a worker's claim
# lasts (longer than the mail backend's timeout, settings.EMAIL_TIMEOUT), and the retries.
EMAIL_GRACE = timedelta(minutes=5)
EMAIL_LEASE = timedelta(minutes=5)
EMAIL_MAX_ATTEMPTS = 8
EMAIL_RETRY_BASE = timedelta(minutes=1)
EMAIL_RETRY_CAP = timedelta(hours=3)
EMAIL_ERROR_MAX_CHARS = 2000


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
    wants_email = NotificationOptOut.Channel.EMAIL not in opt_outs and bool(recipient.email)
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
                # Owed an e-mail: the task below sends it in seconds; the sweep catches up after this.
                email_due_at=timezone.now() + EMAIL_GRACE if wants_email else None,
            )
    except IntegrityError:
        return None  # the dedupe key was written already: this notice went out before
    if wants_email:
        from core.tasks import send_notification_email

        # robust: a broker that is down must not turn a committed action into an error page;
        # the catch-up sweep sends the copy instead.
        transaction.on_commit(partial(send_notification_email.delay, notification.pk), robust=True)
    return notification


@dataclass
class Notice:
    """One notice of a batch for ``notify_many`` (the arguments of ``notify``)."""

    recipient: object
    kind: str
    title: str
    body: str = ""
    url: str = ""
    community: object = None
    dedupe_key: str | None = None


def notify_many(notices: list[Notice]) -> None:
    """``notify`` for a batch (a settlement telling thousands of backers): opt-outs read in one query,
    the notices inserted in one statement (a dedupe key already sent is skipped), and their e-mail
    copies left to the catch-up sweep, due at once (it sends them within a minute) instead of one
    task each. Kinds with a frequency cap go through ``notify`` one by one."""
    if not notices:
        return
    for n in notices:
        if n.kind in DEFAULT_CAPS:
            notify(recipient=n.recipient, kind=n.kind, title=n.title, body=n.body, url=n.url, community=n.community,
                   dedupe_key=n.dedupe_key)
    notices = [n for n in notices if n.kind not in DEFAULT_CAPS]
    off: dict[tuple[int, str], set[str]] = {}
    for user_id, kind, channel in NotificationOptOut.objects.filter(
            user_id__in={n.recipient.pk for n in notices}, kind__in={n.kind for n in notices}
    ).values_list("user_id", "kind", "channel"):
        off.setdefault((user_id, kind), set()).add(channel)
    now = timezone.now()
    rows = []
    for n in notices:
        channels = off.get((n.recipient.pk, n.kind), set())
        if NotificationOptOut.Channel.ALL in channels:
            continue
        wants_email = NotificationOptOut.Channel.EMAIL not in channels and bool(n.recipient.email)
        rows.append(Notification(recipient=n.recipient, community=n.community, kind=n.kind, title=str(n.title)[:200],
                                 body=str(n.body), url=n.url, dedupe_key=n.dedupe_key,
                                 email_due_at=now if wants_email else None))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


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


def email_opt_out(*, user, kind: str) -> bool:
    """Stop e-mails of one kind for a user (the one-click unsubscribe): True when this call
    stopped them; False when they were stopped already (by e-mail or all channels), so a replayed
    click changes nothing. Other opt-outs stay as they are."""
    if kind not in KINDS:
        raise ValueError(kind)
    if NotificationOptOut.objects.filter(user=user, kind=kind).exists():
        return False  # an e-mail or an all-channels opt-out: e-mails of this kind are stopped already
    created = NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, kind=kind, channel=NotificationOptOut.Channel.EMAIL)], ignore_conflicts=True)
    # Two clicks at once: the unique constraint keeps one row; both answer "stopped".
    return bool(created and created[0].pk)


# One-click unsubscribe links (RFC 8058): signed with the site's secret and a salt of their own
# (a token signed for another purpose is refused), without a timestamp (they never expire: an old
# e-mail's link still stops its kind), versioned so a future change of their contents can refuse
# the old ones.
UNSUBSCRIBE_SALT = "core.notifications.unsubscribe-email"
UNSUBSCRIBE_VERSION = 1


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A token that stops e-mails of ``kind`` for that user, and nothing else."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object({"v": UNSUBSCRIBE_VERSION, "u": user_id, "k": kind})


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    """(user id, kind) of a token this site signed, or None (tampered, another version, a kind
    that no longer exists)."""
    if not isinstance(token, str) or len(token) > 300:
        return None
    try:
        data = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or data.get("v") != UNSUBSCRIBE_VERSION:
        return None
    user_id, kind = data.get("u"), data.get("k")
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not isinstance(kind, str) or kind not in KINDS:
        return None
    return user_id, kind


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("unsubscribe", kwargs={"token": unsubscribe_token(user_id=user_id, kind=kind)})


def mark_read(*, user, notification_ids=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


# E-mail copies -------------------------------------------------------------------------------

def _lease_free(now: datetime) -> Q:
    return Q(emailed_at__isnull=True, email_due_at__isnull=False) & (
        Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lte=now))


def notification_email_claim(*, notification_id: int, now: datetime) -> bool:
    """Take the lease on an owed e-mail copy (a guarded UPDATE): False when it is sent, not owed,
    or another worker's lease is still running. The lease's end is also the sweep's next look."""
    lease_end = now + EMAIL_LEASE
    return bool(Notification.objects.filter(Q(pk=notification_id) & _lease_free(now)).update(
        email_claimed_until=lease_end, email_due_at=lease_end))


def notification_email_send(*, notification_id: int, now: datetime | None = None) -> bool:
    """Send the e-mail copy of a notification unless it is sent or being sent; True when sent now."""
    now = now or timezone.now()
    if not notification_email_claim(notification_id=notification_id, now=now):
        return False
    return _email_deliver(notification_id)


def email_message_id(notification: Notification) -> str:
    """The same Message-ID every time this notification is sent: a resend after a crash reads as
    the same message to mail servers and clients that de-duplicate by it."""
    domain = getattr(settings, "EMAIL_MESSAGE_ID_DOMAIN", "") or urlsplit(settings.SITE_URL).hostname or "shequn.local"
    return f"<notification.{notification.pk}.{notification.created_at:%Y%m%d%H%M%S}@{domain}>"


def _email_deliver(notification_id: int) -> bool:
    """Send a copy whose lease this worker holds, then mark it sent; on failure record and retry.

    Marked sent only after the backend accepted the message, so a worker dying mid-way loses
    nothing: the lease expires and the sweep sends it. The lease keeps two workers from sending
    at once. What it cannot prevent: a crash (or a lost database connection) after the backend
    accepted the message and before the mark is written sends it once more when the lease
    expires. That window is a few milliseconds; the stable Message-ID makes the second copy
    recognisable as the same message. Exactly-once delivery over SMTP is not possible.
    """
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return False  # deleted meanwhile (its recipient left the site)
    address = notification.recipient.email
    opted_out = NotificationOptOut.objects.filter(
        user_id=notification.recipient_id, kind=notification.kind,
        channel__in=[NotificationOptOut.Channel.ALL, NotificationOptOut.Channel.EMAIL]).exists()
    if not address or opted_out:  # the address was removed, or the user opted out, since
        Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            email_due_at=None, email_claimed_until=None)
        return False
    link = f"{settings.SITE_URL}{notification.url}" if notification.url else ""
    stop = ""
    headers = {"Message-ID": email_message_id(notification)}
    if notification.kind in KINDS:
        stop_url = unsubscribe_url(user_id=notification.recipient_id, kind=notification.kind)
        with in_language_of(notification.recipient):
            stop = _("Stop these e-mails (%(kind)s): %(url)s") % {"kind": KINDS[notification.kind], "url": stop_url}
        # RFC 8058: mail clients show an "unsubscribe" button that POSTs to the link, no page opened.
        headers["List-Unsubscribe"] = f"<{stop_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(
        subject=notification.title,
        body="\n\n".join(part for part in (notification.body, link, f"-- \n{stop}" if stop else "") if part),
        to=[address],
        headers=headers,
    )
    try:
        message.send()
    except Exception as exc:  # any error: SMTP, DNS, a bug in a backend; retried with backoff
        logger.exception("E-mail for notification %s failed", notification_id)
        _email_failed(notification, exc)
        return False
    Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now(), email_due_at=None, email_claimed_until=None)
    return True


def _email_failed(notification: Notification, exc: Exception) -> None:
    """Release the lease and schedule the next try (or give up after the last one)."""
    now = timezone.now()
    attempts = notification.email_attempts + 1  # only the lease holder writes these fields
    gave_up = attempts >= EMAIL_MAX_ATTEMPTS
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:EMAIL_ERROR_MAX_CHARS]
    retry_in = min(EMAIL_RETRY_CAP, EMAIL_RETRY_BASE * 2 ** (attempts - 1))
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        email_attempts=attempts, email_last_error=error, email_claimed_until=None,
        email_due_at=None if gave_up else now + retry_in, email_failed_at=now if gave_up else None)
    if gave_up:
        logger.error("Gave up e-mailing notification %s after %s attempts", notification.pk, attempts)


@register
class NotificationEmailSweep(Sweep):
    """E-mail copies still owed: their task never ran (broker lost it), their worker died holding
    the lease, or their last try failed and the backoff is over."""

    name = "core.notification_emails"
    label = _("E-mail copies of notifications")
    batch = 50

    def due(self, now):
        # Served by the partial index notification_email_due (rows still owed an e-mail only).
        return Notification.objects.filter(email_due_at__lte=now, emailed_at__isnull=True).order_by("email_due_at")

    def claim(self, pk, now):
        # Row lock (skip a row another sweep holds), then the lease, committed with this
        # transaction before anything is sent.
        notification = super().claim(pk, now)
        if notification is None or not notification_email_claim(notification_id=pk, now=now):
            return None
        return notification

    def settle(self, notification, now):
        # Sent after the lease is committed, outside any transaction (no lock held while the mail
        # server is talked to); failures are recorded on the notification by _email_deliver.
        transaction.on_commit(partial(_email_deliver, notification.pk), robust=True)
