"""How a partner system signs in to ``/api/v1/partner/``: ``Authorization: Bearer sqp_live_…``.

``PartnerKeyAuthentication`` checks the key in one read (the SHA-256 of the key, one indexed
row; its last use is stamped by a separate guarded UPDATE at most once a minute); ``HasScopes``
refuses a call outside the key's scopes with 403 ``missing_scope`` naming the scope;
``connection_for`` gives the community a call names only when the partner is connected to it
and the key may reach it (404 otherwise: an unconnected community does not exist for it);
``PartnerKeyThrottle`` keeps one busy key from starving the others.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from core.exceptions import NotFound
from partners.models import KEY_PREFIX, ApiKey, Connection, Partner, effective_scopes

MAX_KEY_LENGTH = 100


class PartnerClient:
    """``request.user`` for a call made with a partner key (not a person: no session, no community role)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = is_superuser = False
    pk = id = None

    def __init__(self, partner: Partner, api_key: ApiKey):
        self.partner, self.api_key = partner, api_key

    def __str__(self):
        return f"{self.partner.name} ({self.api_key.display})"


class PartnerKeyAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the key as: Authorization: Bearer <key>."))
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid key.")) from None
        if not key.startswith(KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed(_("Invalid key."))
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        keys, partners = ApiKey._meta.db_table, Partner._meta.db_table
        now = timezone.now()
        key_hash = ApiKey.hash_key(key)
        # A read only: an UPDATE on every call (even a no-op one) costs a write-ahead-log flush's
        # worth of time. last_used_at is written below, at most once per LAST_USED_RESOLUTION.
        sql = (f'SELECT k."id", k."key_id", k."name", k."scopes", k."community_ids", k."expires_at", k."revoked_at", '
               f'k."last_used_at", p."id", p."name", p."slug", p."is_active" '
               f'FROM "{keys}" k JOIN "{partners}" p ON p."id" = k."partner_id" WHERE k."key_hash" = %s')
        with db_connection.cursor() as cursor:
            cursor.execute(sql, [key_hash])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid key."))
        (key_pk, key_id, name, scopes, community_ids, expires_at, revoked_at, last_used_at,
         partner_id, partner_name, slug, active) = row
        if revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This key was revoked."), code="key_revoked")
        if expires_at is not None and expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This key has expired."), code="key_expired")
        if not active:
            raise exceptions.AuthenticationFailed(_("This partner is suspended."), code="partner_inactive")
        stale = now - ApiKey.LAST_USED_RESOLUTION
        if last_used_at is None or last_used_at < stale:
            # Guarded: of two calls at once, one writes.
            ApiKey.objects.filter(pk=key_pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)).update(last_used_at=now)
        partner = Partner(id=partner_id, name=partner_name, slug=slug, is_active=active)
        api_key = ApiKey(id=key_pk, partner=partner, key_id=key_id, name=name, scopes=scopes,
                         community_ids=community_ids, expires_at=expires_at, last_used_at=last_used_at)
        return PartnerClient(partner, api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class HasScopes(permissions.BasePermission):
    """The view's ``required_scopes``: a dict of HTTP method → scope (``"*"`` for any method)."""

    def has_permission(self, request, view):
        if not isinstance(request.user, PartnerClient):
            return False
        required = getattr(view, "required_scopes", {})
        scope = required.get(request.method, required.get("*"))
        if request.method == "OPTIONS" or scope is None:
            return True
        if str(scope) not in effective_scopes(request.auth.scopes):
            raise exceptions.PermissionDenied(
                _("This key lacks the %(scope)s scope.") % {"scope": scope}, code="missing_scope")
        return True


def connection_for(request, community_id) -> Connection:
    """The partner's active connection to ``community_id``, when the key may reach it; else 404."""
    api_key = request.auth
    try:
        community_id = int(community_id)
    except (TypeError, ValueError):
        community_id = None
    connection = None
    if community_id is not None and api_key.allows_community(community_id):
        connection = (Connection.objects.select_related("community", "supplier")
                      .filter(partner_id=api_key.partner_id, community_id=community_id,
                              status=Connection.Status.ACTIVE).first())
    if connection is None:
        raise NotFound(_("Community not found."), code="community_not_found")
    return connection


class PartnerKeyThrottle(throttling.SimpleRateThrottle):
    """Requests per key (``PARTNER_API_RATE``, e.g. "600/min"): fair shares between partners."""

    scope = "partner_key"

    def get_rate(self):
        return getattr(settings, "PARTNER_API_RATE", "600/min")

    def get_cache_key(self, request, view):
        if not isinstance(request.user, PartnerClient):
            return None
        return f"throttle_partner_key_{request.auth.pk}"


class PartnerAPIMixin:
    """What every partner endpoint declares (authentication, scope check, per-key throttle)."""

    authentication_classes = [PartnerKeyAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [PartnerKeyThrottle]
    required_scopes: dict = {}
