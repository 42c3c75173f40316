"""Writes for partner shops: the partner and its staff, connections, API keys, webhook endpoints.

Pages and the API call these; nothing else writes the partners tables (webhook events and
deliveries are written by ``partners.webhooks``).
"""

from __future__ import annotations

import ipaddress
import socket
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Supplier
from communities.models import Community, Membership
from communities.permissions import Perm, check_perm
from core.audit import audit_record
from core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from partners.models import (
    ApiKey,
    Connection,
    EventType,
    Partner,
    PartnerStaff,
    Scope,
    WebhookEndpoint,
    new_webhook_secret,
)

MAX_KEYS_PER_PARTNER = 50
MAX_ENDPOINTS_PER_PARTNER = 20
# After a rotation the old secret keeps signing this long (receivers switch in between).
SECRET_OVERLAP = timedelta(hours=24)
MAX_KEY_LIFETIME = timedelta(days=3650)
# Addresses of the partner console that are not a partner's (/partner/new/ is the sign-up page).
RESERVED_SLUGS = frozenset({"new"})


def _required(errors: dict, field: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = [_("This field is required.")]
    elif len(value) > max_length or "\x00" in value:
        errors[field] = [_("At most %(max)s characters.") % {"max": max_length}]
    return value


def _optional(errors: dict, field: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if len(value) > max_length or "\x00" in value:
        errors[field] = [_("At most %(max)s characters.") % {"max": max_length}]
    return value


# Partners and staff ---------------------------------------------------------------------------

def partner_create(*, user, name: str, contact_email: str = "", contact_phone: str = "",
                   description: str = "") -> Partner:
    """A supplier signs up: the partner, with the user as its owner."""
    errors: dict = {}
    name = _required(errors, "name", name, 80)
    contact_email = _optional(errors, "contact_email", contact_email, 254)
    contact_phone = _optional(errors, "contact_phone", contact_phone, 30)
    description = _optional(errors, "description", description, 1000)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    base = slugify(name)[:30] or "partner"
    with transaction.atomic():
        for n in range(1, 1000):
            slug = base if n == 1 else f"{base}-{n}"
            if slug not in RESERVED_SLUGS and not Partner.objects.filter(slug=slug).exists():
                break
        partner = Partner.objects.create(name=name, slug=slug, contact_email=contact_email,
                                         contact_phone=contact_phone, description=description)
        PartnerStaff.objects.create(partner=partner, user=user, role=PartnerStaff.Role.OWNER)
    return partner


def staff_of(user, partner: Partner) -> PartnerStaff:
    """The user's staff row at ``partner``; 404 for anyone else (a partner is invisible to others)."""
    staff = PartnerStaff.objects.filter(partner=partner, user=user, partner__is_active=True).first() \
        if getattr(user, "is_authenticated", False) else None
    if staff is None:
        raise NotFound(_("Partner not found."), code="partner_not_found")
    return staff


def _check_owner(staff: PartnerStaff) -> None:
    if staff.role != PartnerStaff.Role.OWNER:
        raise Forbidden(_("Only the partner's owner can do this."), code="not_partner_owner")


def staff_add(*, actor: PartnerStaff, user, role: str = PartnerStaff.Role.STAFF) -> PartnerStaff:
    _check_owner(actor)
    if role not in PartnerStaff.Role.values:
        raise ValidationFailed(_("Choose a role."), fields={"role": [_("Choose a role.")]})
    staff, created = PartnerStaff.objects.get_or_create(partner=actor.partner, user=user, defaults={"role": role})
    if not created:
        raise Conflict(_("%(user)s is already on the staff.") % {"user": user}, code="already_staff")
    return staff


def staff_remove(*, actor: PartnerStaff, staff: PartnerStaff) -> None:
    _check_owner(actor)
    if staff.partner_id != actor.partner_id:
        raise NotFound()
    if staff.role == PartnerStaff.Role.OWNER:
        raise Conflict(_("The owner cannot be removed."), code="owner_stays")
    staff.delete()


# Connections ---------------------------------------------------------------------------------

def _supplier_for(connection: Connection) -> Supplier:
    """The community's supplier row standing for the partner (made on first connection)."""
    if connection.supplier_id:
        return connection.supplier
    community, name = connection.community, connection.partner.name
    taken = set(Supplier.objects.filter(community=community, name__startswith=name[:70]).values_list("name", flat=True))
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:70]} ({n})"
    return Supplier.objects.create(community=community, name=candidate, email=connection.partner.contact_email,
                                   phone=connection.partner.contact_phone)


def connection_request(*, actor: PartnerStaff, community: Community, message: str = "") -> Connection:
    """The partner asks to supply a community; its admins decide."""
    errors: dict = {}
    message = _optional(errors, "message", message, 300)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    if community.parent_id:
        raise ValidationFailed(_("Connect to the community itself, not one of its branches."), code="branch",
                               fields={"community": [_("This is a branch.")]})
    with transaction.atomic():
        connection, created = Connection.objects.select_for_update().get_or_create(
            partner=actor.partner, community=community,
            defaults={"status": Connection.Status.REQUESTED, "message": message, "requested_by": actor.user})
        if created:
            audit_record(community=community, actor=actor.user, action="partner.requested", obj=connection,
                         partner=actor.partner.name)
            transaction.on_commit(partial(_tell_admins_requested, connection.pk), robust=True)
            return connection
        if connection.status == Connection.Status.INVITED:
            return _activate(connection, by=actor.user, community_side=False)
        if connection.status in (Connection.Status.ACTIVE, Connection.Status.REQUESTED):
            return connection  # asked twice: nothing changes
        if connection.status == Connection.Status.REFUSED and connection.decided_at and \
                timezone.now() - connection.decided_at < timedelta(days=30):
            raise Conflict(_("This community refused the connection; you can ask again 30 days after."),
                           code="refused_recently")
        connection.status, connection.message, connection.requested_by = Connection.Status.REQUESTED, message, actor.user
        connection.save(update_fields=["status", "message", "requested_by", "updated_at"])
        audit_record(community=community, actor=actor.user, action="partner.requested", obj=connection,
                     partner=actor.partner.name)
        transaction.on_commit(partial(_tell_admins_requested, connection.pk), robust=True)
    return connection


def _tell_admins_requested(connection_id: int) -> None:
    """The community's admins hear that a partner shop asks to connect (one notice per request)."""
    from django.urls import reverse

    from communities.permissions import Role
    from core.notifications import Notice, in_language_of, notify_many

    connection = Connection.objects.select_related("partner", "community").filter(
        pk=connection_id, status=Connection.Status.REQUESTED).first()
    if connection is None:
        return
    community = connection.community
    url = reverse("partners_console:partners", kwargs={"slug": community.slug})
    stamp = int(connection.updated_at.timestamp())
    notices = []
    for admin in (Membership.objects.filter(community=community, status=Membership.Status.ACTIVE,
                                            role__in=[Role.OWNER, Role.ADMIN]).select_related("user")):
        with in_language_of(admin.user):
            notices.append(Notice(
                recipient=admin.user, kind="partner_request", community=community, url=url,
                title=_("A partner shop asks to connect"),
                body=_("%(partner)s asks to supply %(community)s: accept or refuse it in the console.") % {
                    "partner": connection.partner.name, "community": community.name},
                dedupe_key=f"partner_request:{connection.pk}:{admin.user_id}:{stamp}"))
    notify_many(notices)


def connection_invite(*, actor: Membership, partner: Partner, review_products: bool = True) -> Connection:
    """A community's admin invites a partner (or accepts its pending request)."""
    check_perm(actor, Perm.MANAGE_PARTNERS)
    community = actor.community
    with transaction.atomic():
        connection, created = Connection.objects.select_for_update().get_or_create(
            partner=partner, community=community,
            defaults={"status": Connection.Status.INVITED, "requested_by": actor.user,
                      "review_products": bool(review_products)})
        if created:
            audit_record(community=community, actor=actor.user, action="partner.invited", obj=connection,
                         partner=partner.name)
            return connection
        if connection.status == Connection.Status.REQUESTED:
            connection.review_products = bool(review_products)
            return _activate(connection, by=actor.user, community_side=True)
        if connection.status in (Connection.Status.ACTIVE, Connection.Status.INVITED):
            return connection
        connection.status, connection.requested_by = Connection.Status.INVITED, actor.user
        connection.review_products = bool(review_products)
        connection.save(update_fields=["status", "requested_by", "review_products", "updated_at"])
        audit_record(community=community, actor=actor.user, action="partner.invited", obj=connection,
                     partner=partner.name)
    return connection


def _activate(connection: Connection, *, by, community_side: bool) -> Connection:
    connection.supplier = _supplier_for(connection)
    connection.status, connection.decided_by, connection.decided_at = Connection.Status.ACTIVE, by, timezone.now()
    connection.save(update_fields=["status", "supplier", "decided_by", "decided_at", "review_products", "updated_at"])
    audit_record(community=connection.community, actor=by, action="partner.connected", obj=connection,
                 partner=connection.partner.name)
    return connection


def _lock_connection(connection: Connection) -> Connection:
    return Connection.objects.select_for_update(of=("self",)).select_related("partner", "community", "supplier").get(
        pk=connection.pk)


def connection_decide(*, actor: Membership, connection: Connection, accept: bool,
                      review_products: bool | None = None) -> Connection:
    """An admin accepts or refuses a partner's request."""
    check_perm(actor, Perm.MANAGE_PARTNERS)
    if connection.community_id != actor.community_id:
        raise NotFound()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if locked.status != Connection.Status.REQUESTED:
            raise Conflict(_("This request was already decided."), code="already_decided")
        if review_products is not None:
            locked.review_products = bool(review_products)
        if accept:
            return _activate(locked, by=actor.user, community_side=True)
        locked.status, locked.decided_by, locked.decided_at = Connection.Status.REFUSED, actor.user, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "review_products", "updated_at"])
        audit_record(community=locked.community, actor=actor.user, action="partner.refused", obj=locked,
                     partner=locked.partner.name)
    return locked


def connection_answer_invite(*, actor: PartnerStaff, connection: Connection, accept: bool) -> Connection:
    """The partner accepts or declines a community's invitation."""
    if connection.partner_id != actor.partner_id:
        raise NotFound()
    with transaction.atomic():
        locked = _lock_connection(connection)
        if locked.status != Connection.Status.INVITED:
            raise Conflict(_("This invitation was already answered."), code="already_decided")
        if accept:
            return _activate(locked, by=actor.user, community_side=False)
        locked.status, locked.decided_by, locked.decided_at = Connection.Status.REFUSED, actor.user, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return locked


def connection_set_review(*, actor: Membership, connection: Connection, review_products: bool) -> Connection:
    check_perm(actor, Perm.MANAGE_PARTNERS)
    if connection.community_id != actor.community_id:
        raise NotFound()
    Connection.objects.filter(pk=connection.pk).update(review_products=bool(review_products),
                                                       updated_at=timezone.now())
    connection.refresh_from_db()
    return connection


def connection_end(*, connection: Connection, by_member: Membership | None = None,
                   by_staff: PartnerStaff | None = None) -> Connection:
    """Either side ends an active connection (or withdraws a pending one). The partner's products
    stay in the community's catalog as the supplier's; the partner sees the community no more."""
    if by_member is not None:
        check_perm(by_member, Perm.MANAGE_PARTNERS)
        if connection.community_id != by_member.community_id:
            raise NotFound()
        user = by_member.user
    elif by_staff is not None:
        if connection.partner_id != by_staff.partner_id:
            raise NotFound()
        user = by_staff.user
    else:
        raise ValueError("by_member or by_staff")
    with transaction.atomic():
        locked = _lock_connection(connection)
        if locked.status in (Connection.Status.ENDED, Connection.Status.REFUSED):
            return locked
        locked.status, locked.decided_by, locked.decided_at = Connection.Status.ENDED, user, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(community=locked.community, actor=user, action="partner.ended", obj=locked,
                     partner=locked.partner.name)
    return locked


def active_connection(partner_id: int, community_id: int) -> Connection | None:
    return (Connection.objects.select_related("community", "supplier")
            .filter(partner_id=partner_id, community_id=community_id, status=Connection.Status.ACTIVE).first())


# API keys ------------------------------------------------------------------------------------

def _clean_scopes(errors: dict, scopes) -> list[str]:
    if isinstance(scopes, str):
        scopes = [scopes]
    scopes = sorted({str(s) for s in (scopes or [])})
    if not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif any(s not in Scope.values for s in scopes):
        errors["scopes"] = [_("Unknown scope: %(scope)s.") % {"scope": next(s for s in scopes if s not in Scope.values)[:40]}]
    return scopes


def api_key_create(*, actor: PartnerStaff, name: str, scopes, community_ids=(), expires_at=None) -> tuple[ApiKey, str]:
    """A new key; the full key is returned once and never stored."""
    errors: dict = {}
    name = _required(errors, "name", name, 60)
    scopes = _clean_scopes(errors, scopes)
    community_ids = sorted({int(c) for c in community_ids or ()})
    if community_ids:
        connected = set(Connection.objects.filter(partner=actor.partner, community_id__in=community_ids)
                        .exclude(status__in=[Connection.Status.REFUSED, Connection.Status.ENDED])
                        .values_list("community_id", flat=True))
        if set(community_ids) - connected:
            errors["community_ids"] = [_("Limit the key to communities you are connected to.")]
    now = timezone.now()
    if expires_at is not None and not (now < expires_at <= now + MAX_KEY_LIFETIME):
        errors["expires_at"] = [_("Choose a time in the future, within ten years.")]
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    if ApiKey.objects.filter(partner=actor.partner, revoked_at__isnull=True).count() >= MAX_KEYS_PER_PARTNER:
        raise Conflict(_("A partner can hold at most %(max)s keys: revoke one first.") % {"max": MAX_KEYS_PER_PARTNER},
                       code="too_many_keys")
    for _attempt in range(3):
        key_id, key = ApiKey.new_key()
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(partner=actor.partner, name=name, key_id=key_id,
                                                key_hash=ApiKey.hash_key(key), scopes=scopes,
                                                community_ids=community_ids, created_by=actor.user,
                                                expires_at=expires_at)
            return api_key, key
        except IntegrityError:  # an id drawn twice (1 in 4 billion): draw again
            continue
    raise Conflict(_("Try again."), code="key_clash")


def api_key_revoke(*, actor: PartnerStaff, api_key: ApiKey) -> ApiKey:
    if api_key.partner_id != actor.partner_id:
        raise NotFound()
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


# Webhook endpoints ---------------------------------------------------------------------------

def _address_is_private(host: str) -> bool:
    """True when ``host`` is, or resolves to, an address that is not public (loopback, private,
    link-local, reserved...). Names that do not resolve count as private: nothing is sent there."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, ValueError):
        return True
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return True
    return False


def check_webhook_url(url: str) -> str | None:
    """Why ``url`` cannot receive webhooks, or None. HTTPS only and a public address, unless
    ``WEBHOOK_ALLOW_PRIVATE_URLS`` (tests, a laptop) allows http and private addresses."""
    allow_private = getattr(settings, "WEBHOOK_ALLOW_PRIVATE_URLS", False)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 — raises on a bad port
    except ValueError:
        return _("Enter a valid URL.")
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        return _("Use an https:// address.")
    if not host or parts.username or parts.password:
        return _("Enter a valid URL, without a user name or password.")
    if not allow_private and _address_is_private(host):
        return _("This address is private or does not resolve; use a public one.")
    return None


def _clean_endpoint(errors: dict, url, events, description) -> tuple[str, list[str], str]:
    url = _required(errors, "url", url, 500)
    if url and "url" not in errors:
        problem = check_webhook_url(url)
        if problem:
            errors["url"] = [problem]
    if isinstance(events, str):
        events = [events]
    events = sorted({str(e) for e in (events or [])})
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif any(e not in EventType.values for e in events):
        errors["events"] = [_("Unknown event: %(event)s.") % {"event": next(e for e in events if e not in EventType.values)[:40]}]
    description = _optional(errors, "description", description, 120)
    return url, events, description


def endpoint_create(*, actor: PartnerStaff, url: str, events, description: str = "") -> WebhookEndpoint:
    errors: dict = {}
    url, events, description = _clean_endpoint(errors, url, events, description)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), fields=errors)
    if WebhookEndpoint.objects.filter(partner=actor.partner).count() >= MAX_ENDPOINTS_PER_PARTNER:
        raise Conflict(_("A partner can have at most %(max)s endpoints.") % {"max": MAX_ENDPOINTS_PER_PARTNER},
                       code="too_many_endpoints")
    return WebhookEndpoint.objects.create(partner=actor.partner, url=url, events=events, description=description)


def _own_endpoint(actor: PartnerStaff, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    if endpoint.partner_id != actor.partner_id:
        raise NotFound()
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def endpoint_update(*, actor: PartnerStaff, endpoint: WebhookEndpoint, url: str | None = None, events=None,
                    description: str | None = None, is_active: bool | None = None) -> WebhookEndpoint:
    """Change an endpoint; switching a disabled one back on clears its failure count."""
    with transaction.atomic():
        locked = _own_endpoint(actor, endpoint)
        errors: dict = {}
        new_url, new_events, new_description = _clean_endpoint(
            errors, locked.url if url is None else url, locked.events if events is None else events,
            locked.description if description is None else description)
        if errors:
            raise ValidationFailed(_("Some fields are not valid."), fields=errors)
        locked.url, locked.events, locked.description = new_url, new_events, new_description
        if is_active is not None and bool(is_active) != locked.is_active:
            locked.is_active = bool(is_active)
            if locked.is_active:
                locked.consecutive_failures, locked.disabled_at, locked.disabled_reason = 0, None, ""
        locked.save()
    return locked


def endpoint_rotate_secret(*, actor: PartnerStaff, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs too for SECRET_OVERLAP."""
    with transaction.atomic():
        locked = _own_endpoint(actor, endpoint)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + SECRET_OVERLAP
        locked.secret = new_webhook_secret()
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return locked


def endpoint_delete(*, actor: PartnerStaff, endpoint: WebhookEndpoint) -> None:
    with transaction.atomic():
        _own_endpoint(actor, endpoint).delete()


def partners_for_user(user):
    return Partner.objects.filter(staff__user=user, is_active=True) if user.is_authenticated else Partner.objects.none()


def communities_for_partner(partner: Partner):
    return Community.objects.filter(partner_connections__partner=partner,
                                    partner_connections__status=Connection.Status.ACTIVE)


