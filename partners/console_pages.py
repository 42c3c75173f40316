"""The community console's partner pages (desktop, MANAGE_PARTNERS: admins and the owner; a leader
gets 403, another community's connection, product or delivery a 404):

- partner shops: requests to decide (accept/refuse, with the "review pushed products" choice), the
  active connections (review toggle, end), invitations sent, and a search of the partner directory
  to invite from;
- pushed products waiting for review (approve/reject through catalog.services.product_review);
- the webhook delivery log of the community's events, with redelivery."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from catalog import services as catalog_services
from catalog.models import Product
from communities import pages
from communities.permissions import Perm
from core.exceptions import DomainError
from core.inputs import parse_id, parse_int
from partners import console_selectors as selectors
from partners import services, webhooks
from partners.forms import InviteSearchForm
from partners.models import Connection, Partner

PAGE_SIZE = 50

console_page = pages.console_page(Perm.MANAGE_PARTNERS)
_ctx = functools.partial(pages.console_context, section="partners")


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(parse_int(request.GET.get("page") or "1", minimum=1) or 1)


@require_safe
@console_page
def partners(request, community, membership):
    connections = list(selectors.community_connections(community))
    search = InviteSearchForm(request.GET or None)
    found = None
    if search.is_bound and search.is_valid() and search.cleaned_data["q"].strip():
        found = list(selectors.partner_directory(community, search.cleaned_data["q"])[:selectors.DIRECTORY_LIMIT])
    by_status = {status: [c for c in connections if c.status == status] for status in Connection.Status.values}
    return render(request, "partners/community/partners.html", _ctx(
        community, membership, requests=by_status["requested"], active=by_status["active"],
        invited=by_status["invited"], past=by_status["refused"] + by_status["ended"], search=search, found=found,
        waiting=selectors.products_to_review(community).count()))


def _connection(community, pk) -> Connection:
    return get_object_or_404(Connection.objects.filter(community=community).select_related("partner"), pk=pk)


def _back(community):
    return redirect("partners_console:partners", slug=community.slug)


@require_POST
@console_page
def connection_decide(request, community, membership, pk):
    connection = _connection(community, pk)
    accept = request.POST.get("accept") == "1"
    try:
        services.connection_decide(actor=membership, connection=connection, accept=accept,
                                   review_products=request.POST.get("review_products") == "1")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("%(name)s is connected: it can push products and read its rounds.") if accept
                                   else _("%(name)s's request was refused.")) % {"name": connection.partner.name})
    return _back(community)


@require_POST
@console_page
def connection_review(request, community, membership, pk):
    connection = _connection(community, pk)
    on = request.POST.get("review_products") == "1"
    services.connection_set_review(actor=membership, connection=connection, review_products=on)
    text = (_("Products %(name)s pushes now wait for an admin's approval.") if on
            else _("Products %(name)s pushes now go on sale at once."))
    messages.success(request, text % {"name": connection.partner.name})
    return _back(community)


@require_POST
@console_page
def connection_end(request, community, membership, pk):
    connection = _connection(community, pk)
    services.connection_end(connection=connection, by_member=membership)
    messages.success(request, _("The connection with %(name)s ended; its products stay in your catalog.")
                     % {"name": connection.partner.name})
    return _back(community)


@require_POST
@console_page
def invite(request, community, membership):
    partner = Partner.objects.filter(pk=parse_id(request.POST.get("partner")) or 0, is_active=True).first()
    if partner is None:
        messages.error(request, _("Choose a partner shop from the search."))
        return _back(community)
    try:
        connection = services.connection_invite(actor=membership, partner=partner,
                                                review_products=request.POST.get("review_products") == "1")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if connection.status == Connection.Status.ACTIVE:
            messages.success(request, _("%(name)s is connected.") % {"name": partner.name})
        else:
            messages.success(request, _("%(name)s was invited: it is connected once it accepts.")
                             % {"name": partner.name})
    return _back(community)


@require_safe
@console_page
def products(request, community, membership):
    page = _page(request, selectors.products_to_review(community))
    return render(request, "partners/community/products.html", _ctx(
        community, membership, page=page, rows=page.object_list))


@require_POST
@console_page
def product_review(request, community, membership, pk):
    product = get_object_or_404(Product.objects.filter(community=community), pk=pk)
    approve = request.POST.get("approve") == "1"
    try:
        catalog_services.product_review(actor=membership, product=product, approve=approve,
                                        note=request.POST.get("note", "")[:200])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("“%(name)s” is approved and on sale.") if approve
                                   else _("“%(name)s” was rejected: it stays off sale.")) % {"name": product.name})
    return redirect("partners_console:products", slug=community.slug)


@require_safe
@console_page
def deliveries(request, community, membership):
    page = _page(request, selectors.community_deliveries(community))
    return render(request, "partners/community/deliveries.html", _ctx(
        community, membership, page=page, rows=page.object_list))


@require_POST
@console_page
def delivery_redeliver(request, community, membership, pk):
    delivery = get_object_or_404(selectors.community_deliveries(community), pk=pk)
    webhooks.redeliver(delivery)
    messages.success(request, _("The event will be sent again in a moment, with the same event id."))
    return redirect("partners_console:deliveries", slug=community.slug)
