"""Reads for the partner console (/partner/) and the community console's partner pages and admin API."""

from __future__ import annotations

from django.db.models import Q

from catalog.models import Product
from partners.models import ApiKey, Connection, Partner, PartnerStaff, WebhookDelivery, WebhookEndpoint

DIRECTORY_LIMIT = 20


# The partner's side ---------------------------------------------------------------------------

def staff_memberships(user):
    """The partners the user staffs (active ones), with the user's role."""
    return (PartnerStaff.objects.filter(user=user, partner__is_active=True).select_related("partner")
            .order_by("partner__name", "partner_id"))


def partner_connections(partner: Partner):
    return Connection.objects.filter(partner=partner).select_related("community").order_by("-updated_at", "-id")


def partner_staff(partner: Partner):
    return partner.staff.select_related("user").order_by("-role", "user__display_name", "id")


def partner_keys(partner: Partner):
    return ApiKey.objects.filter(partner=partner).order_by("revoked_at", "-created_at", "-id")


def partner_endpoints(partner: Partner):
    return WebhookEndpoint.objects.filter(partner=partner).order_by("-created_at", "-id")


def endpoint_deliveries(endpoint: WebhookEndpoint):
    return (WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event", "community")
            .order_by("-id"))


def key_communities(partner: Partner):
    """Communities a key can be limited to: those connected or being connected."""
    return [c.community for c in partner_connections(partner).exclude(
        status__in=[Connection.Status.REFUSED, Connection.Status.ENDED])]


# The community's side -------------------------------------------------------------------------

def community_connections(community, status: str | None = None):
    qs = Connection.objects.filter(community=community).select_related("partner", "supplier")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at", "-id")


def partner_directory(community, query: str):
    """Partners an admin can invite: found by name or short name, not connected already."""
    query = (query or "").strip()[:80]
    if not query:
        return Partner.objects.none()
    taken = Connection.objects.filter(community=community, status__in=[
        Connection.Status.ACTIVE, Connection.Status.INVITED, Connection.Status.REQUESTED]).values("partner_id")
    return (Partner.objects.filter(is_active=True).filter(Q(name__icontains=query) | Q(slug__icontains=query))
            .exclude(pk__in=taken).order_by("name", "id"))


def products_to_review(community):
    """Products partners pushed that wait for an admin (any partner, even one since disconnected)."""
    return (Product.objects.filter(community=community, review=Product.Review.PENDING)
            .select_related("supplier").order_by("updated_at", "id"))


def community_deliveries(community):
    return (WebhookDelivery.objects.filter(community=community).select_related("event", "endpoint", "partner")
            .order_by("-id"))
