"""Console pages (desktop) for coupons, for admins (MANAGE_LOYALTY): the list, the form (new and
edit) and one coupon with its numbers, the batches it was handed out in and its redemptions.

Handing a coupon out to a segment (a level, a branch, the lapsed) needs levels, which live in
engagement: that page is engagement.coupon_handout_console, linked from here by its URL name only
(orders imports nothing from engagement).
"""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError, NotFound
from core.forms import add_domain_error
from core.inputs import parse_int
from orders import coupons as services
from orders.coupon_console_forms import CouponForm
from orders.models import Coupon, CouponBatch, CouponGrant, CouponRedemption

PAGE_SIZE = 50
STATUSES = {
    "active": lambda now: Q(is_active=True, ends_at__gt=now),
    "ended": lambda now: Q(ends_at__lte=now),
    "off": lambda now: Q(is_active=False),
}


def coupon_page(view):
    """Admins only (MANAGE_LOYALTY); community_page activates the community's timezone."""

    @functools.wraps(view)
    def in_community_time(request, community, membership, *args, **kwargs):
        with timezone.override(community.timezone):
            return view(request, community, membership, *args, **kwargs)

    return community_page(Perm.MANAGE_LOYALTY)(in_community_time)


def _ctx(community, membership, **extra):
    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    return {"community": community, "membership": membership, "console_perms": perms, "section": "coupons", **extra}


def _page_number(request, name="page") -> int:
    return parse_int(request.GET.get(name) or "1", minimum=1, maximum=10**6) or 1


def coupon_of(community, pk) -> Coupon:
    """The community's coupon, or 404 (another community's is not found either)."""
    coupon = Coupon.objects.filter(community_id=community.pk, pk=pk).select_related("group_buy", "created_by").first()
    if coupon is None:
        raise NotFound(_("Coupon not found."), code="coupon_not_found")
    return coupon


def coupon_numbers(coupon: Coupon) -> dict:
    """Uses, coupons handed, redemptions live and released, the discount given (three small aggregates)."""
    redemptions = CouponRedemption.objects.filter(coupon_id=coupon.pk).aggregate(
        live=Count("id", filter=Q(released_at__isnull=True)), released=Count("id", filter=Q(released_at__isnull=False)),
        given=Sum("amount", filter=Q(released_at__isnull=True)))
    grants = CouponGrant.objects.filter(coupon_id=coupon.pk).aggregate(
        handed=Count("id"), members=Count("member_id", distinct=True))
    return {"uses": coupon.uses, "total_limit": coupon.total_limit, "handed": grants["handed"],
            "handed_members": grants["members"], "redemptions_live": redemptions["live"],
            "redemptions_released": redemptions["released"], "discount_given": redemptions["given"] or 0,
            "batches": CouponBatch.objects.filter(coupon_id=coupon.pk).count()}


@require_safe
@coupon_page
def coupons(request, community, membership):
    status = request.GET.get("status", "")
    status = status if status in STATUSES else ""
    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:40]
    qs = Coupon.objects.filter(community_id=community.pk).select_related("group_buy")
    now = timezone.now()
    if status:
        qs = qs.filter(STATUSES[status](now))
    if query:
        qs = qs.filter(Q(code__icontains=query) | Q(name__icontains=query))
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(_page_number(request))
    for coupon in page.object_list:
        coupon.description = services.describe(coupon)
        coupon.ended = coupon.ends_at <= now
        coupon.not_started = coupon.starts_at > now
    return render(request, "orders/console/coupons.html", _ctx(
        community, membership, page=page, filters={"status": status, "q": query},
        statuses=[("active", _("Active now")), ("ended", _("Ended")), ("off", _("Switched off"))]))


def _form_page(request, community, membership, coupon=None):
    if request.method == "POST":
        form = CouponForm(request.POST, community=community, coupon=coupon)
        if form.is_valid():
            try:
                saved = services.coupon_save(actor=membership, coupon=coupon, **form.service_kwargs())
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Coupon %(code)s saved.") % {"code": saved.code})
                return redirect("orders_console:coupon", slug=community.slug, pk=saved.pk)
        status = 400
    else:
        form = CouponForm(initial=CouponForm.initial_of(coupon) if coupon else None, community=community,
                          coupon=coupon)
        status = 200
    return render(request, "orders/console/coupon_form.html", _ctx(community, membership, form=form, coupon=coupon),
                  status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@coupon_page
def coupon_new(request, community, membership):
    return _form_page(request, community, membership)


@require_http_methods(["GET", "HEAD", "POST"])
@coupon_page
def coupon_edit(request, community, membership, pk):
    return _form_page(request, community, membership, coupon_of(community, pk))


@require_safe
@coupon_page
def coupon(request, community, membership, pk):
    coupon = coupon_of(community, pk)
    batches = Paginator(CouponBatch.objects.filter(coupon_id=coupon.pk).select_related("created_by")
                        .order_by("-created_at", "-pk"), 20).get_page(_page_number(request, "batches"))
    redemptions = Paginator(CouponRedemption.objects.filter(coupon_id=coupon.pk)
                            .select_related("member", "order").order_by("-created_at", "-pk"),
                            PAGE_SIZE).get_page(_page_number(request, "page"))
    return render(request, "orders/console/coupon.html", _ctx(
        community, membership, coupon=coupon, description=services.describe(coupon),
        numbers=coupon_numbers(coupon), batches=batches, redemptions=redemptions,
        products=list(coupon.products.only("id", "name", "unit").order_by("name")[:50]),
        product_count=coupon.products.count(), now=timezone.now()))
