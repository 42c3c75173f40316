"""The partner console (/partner/, desktop): a supplier signs up, asks communities to connect, manages
its staff, API keys and webhook endpoints, and reads the delivery log.

A partner is not a community: these pages are reached by the partner's short name and answer 404 to
whoever is not on its staff (``partners.services.staff_of``). Writes go through partners.services."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import User
from accounts.services import parse_login
from communities.models import Community
from core.exceptions import DomainError, Forbidden, NotFound, ValidationFailed
from core.forms import add_domain_error
from core.inputs import parse_int
from core.pages import error_page
from partners import console_selectors as selectors
from partners import services, webhooks
from partners.forms import ApiKeyForm, ConnectForm, EndpointForm, PartnerForm, StaffAddForm
from partners.models import ApiKey, Connection, Partner, PartnerStaff, Scope, WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 50
# The full key waits here between the POST that made it and the one page that shows it.
NEW_KEY_SESSION = "partner_new_key"


def partner_page(view):
    """Resolve /partner/<partner_slug>/ to the caller's staff row, or 404 for anyone else."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, partner_slug, *args, **kwargs):
        partner = Partner.objects.filter(slug=partner_slug).first()
        try:
            if partner is None:
                raise NotFound(_("Partner not found."), code="partner_not_found")
            staff = services.staff_of(request.user, partner)
            staff.partner = partner
            return view(request, staff, *args, **kwargs)
        except DomainError as error:
            return error_page(request, error)

    return wrapper


def _ctx(staff: PartnerStaff, section: str, **extra) -> dict:
    return {"partner": staff.partner, "staff": staff, "is_owner": staff.role == PartnerStaff.Role.OWNER,
            "section": section, **extra}


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(parse_int(request.GET.get("page") or "1", minimum=1) or 1)


# Sign up and my partners -----------------------------------------------------------------------

@require_safe
@login_required
def home(request):
    return render(request, "partners/console/home.html",
                  {"memberships": selectors.staff_memberships(request.user), "section": "home"})


@require_http_methods(["GET", "POST"])
@login_required
def signup(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(user=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Your partner shop is ready. Ask a community to connect."))
            return redirect("partners:partner", partner_slug=partner.slug)
    return render(request, "partners/console/signup.html", {"form": form, "section": "home"})


# Connections -----------------------------------------------------------------------------------

def _connections_page(request, staff, form, status=200):
    connections = list(selectors.partner_connections(staff.partner))
    return render(request, "partners/console/partner.html", _ctx(
        staff, "connections", form=form, connections=connections,
        invitations=[c for c in connections if c.status == Connection.Status.INVITED]), status=status)


@require_safe
@partner_page
def partner(request, staff):
    return _connections_page(request, staff, ConnectForm())


@require_POST
@partner_page
def connect(request, staff):
    form = ConnectForm(request.POST)
    if form.is_valid():
        community = Community.objects.filter(slug=form.cleaned_data["community"], parent__isnull=True,
                                             retired_at__isnull=True).first()
        if community is None:
            form.add_error("community", _("No community has this short name."))
        else:
            try:
                connection = services.connection_request(actor=staff, community=community,
                                                         message=form.cleaned_data["message"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                if connection.status == Connection.Status.ACTIVE:
                    messages.success(request, _("Connected to %(name)s.") % {"name": community.name})
                else:
                    messages.success(request, _("Asked %(name)s to connect: its admins decide.")
                                     % {"name": community.name})
                return redirect("partners:partner", partner_slug=staff.partner.slug)
    return _connections_page(request, staff, form, status=400)


def _own_connection(staff, pk) -> Connection:
    return get_object_or_404(Connection.objects.filter(partner=staff.partner).select_related("community"), pk=pk)


@require_POST
@partner_page
def connection_answer(request, staff, pk):
    connection = _own_connection(staff, pk)
    accept = request.POST.get("accept") == "1"
    try:
        services.connection_answer_invite(actor=staff, connection=connection, accept=accept)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, (_("Connected to %(name)s.") if accept else _("Declined %(name)s's invitation."))
                         % {"name": connection.community.name})
    return redirect("partners:partner", partner_slug=staff.partner.slug)


@require_POST
@partner_page
def connection_end(request, staff, pk):
    connection = _own_connection(staff, pk)
    services.connection_end(connection=connection, by_staff=staff)
    messages.success(request, _("The connection with %(name)s ended.") % {"name": connection.community.name})
    return redirect("partners:partner", partner_slug=staff.partner.slug)


# Staff -----------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@partner_page
def staff_list(request, staff):
    form = StaffAddForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if staff.role != PartnerStaff.Role.OWNER:
            return error_page(request, Forbidden(_("Only the partner's owner can do this."),
                                                          code="not_partner_owner"))
        if form.is_valid():
            user = None
            try:
                user = User.objects.filter(**parse_login(form.cleaned_data["login"]), is_active=True).first()
            except ValidationFailed as error:
                add_domain_error(form, error)
            else:
                if user is None:
                    form.add_error("login", _("Nobody has an account with this phone number or e-mail."))
            if user is not None:
                try:
                    services.staff_add(actor=staff, user=user)
                except DomainError as error:
                    add_domain_error(form, error)
                else:
                    messages.success(request, _("%(name)s joined the staff.") % {"name": user.display_name})
                    return redirect("partners:staff", partner_slug=staff.partner.slug)
    return render(request, "partners/console/staff.html", _ctx(
        staff, "staff", form=form, rows=selectors.partner_staff(staff.partner)), status=status)


@require_POST
@partner_page
def staff_remove(request, staff, pk):
    row = get_object_or_404(PartnerStaff.objects.filter(partner=staff.partner).select_related("user"), pk=pk)
    try:
        services.staff_remove(actor=staff, staff=row)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s left the staff.") % {"name": row.user.display_name})
    return redirect("partners:staff", partner_slug=staff.partner.slug)


# API keys --------------------------------------------------------------------------------------

@require_safe
@partner_page
def keys(request, staff):
    page = _page(request, selectors.partner_keys(staff.partner))
    names = {c.pk: c.name for c in Community.objects.filter(
        pk__in={i for k in page.object_list for i in k.community_ids})}
    for key in page.object_list:
        key.community_names = [names.get(i, "#%s" % i) for i in key.community_ids]
        key.scope_labels = [Scope(s).label for s in key.scopes if s in Scope.values]
    return render(request, "partners/console/keys.html", _ctx(staff, "keys", page=page, rows=page.object_list))


@require_http_methods(["GET", "POST"])
@partner_page
def key_new(request, staff):
    communities = selectors.key_communities(staff.partner)
    form = ApiKeyForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            api_key, full = services.api_key_create(
                actor=staff, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                community_ids=form.cleaned_data["communities"], expires_at=form.expires_at())
        except DomainError as error:
            if "expires_at" in (error.fields or {}):
                error.fields["expires_on"] = error.fields.pop("expires_at")
            if "community_ids" in (error.fields or {}):
                error.fields["communities"] = error.fields.pop("community_ids")
            add_domain_error(form, error)
        else:
            request.session[NEW_KEY_SESSION] = {"id": api_key.pk, "key": full}
            return redirect("partners:key_created", partner_slug=staff.partner.slug, pk=api_key.pk)
    return render(request, "partners/console/key_new.html", _ctx(staff, "keys", form=form),
                  status=400 if form.is_bound else 200)


@never_cache  # the full key is on this page once: no browser or proxy keeps a copy
@require_safe
@partner_page
def key_created(request, staff, pk):
    api_key = get_object_or_404(ApiKey.objects.filter(partner=staff.partner), pk=pk)
    kept = request.session.get(NEW_KEY_SESSION) or {}
    full = None
    if kept.get("id") == api_key.pk:
        full = kept.get("key")
        del request.session[NEW_KEY_SESSION]  # shown once
    return render(request, "partners/console/key_created.html", _ctx(staff, "keys", key=api_key, full_key=full))


@require_POST
@partner_page
def key_revoke(request, staff, pk):
    api_key = get_object_or_404(ApiKey.objects.filter(partner=staff.partner), pk=pk)
    services.api_key_revoke(actor=staff, api_key=api_key)
    messages.success(request, _("The key “%(name)s” was revoked: it no longer works.") % {"name": api_key.name})
    return redirect("partners:keys", partner_slug=staff.partner.slug)


# Webhook endpoints -----------------------------------------------------------------------------

@require_safe
@partner_page
def endpoints(request, staff):
    return render(request, "partners/console/endpoints.html", _ctx(
        staff, "webhooks", rows=selectors.partner_endpoints(staff.partner)))


def _endpoint_errors(form, error: DomainError) -> None:
    add_domain_error(form, error)


@require_http_methods(["GET", "POST"])
@partner_page
def endpoint_new(request, staff):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=staff, **form.cleaned_data)
        except DomainError as error:
            _endpoint_errors(form, error)
        else:
            messages.success(request, _("The endpoint was added. Check signatures with its secret."))
            return redirect("partners:endpoint", partner_slug=staff.partner.slug, pk=endpoint.pk)
    return render(request, "partners/console/endpoint_form.html", _ctx(staff, "webhooks", form=form, endpoint=None),
                  status=400 if form.is_bound else 200)


def _own_endpoint(staff, pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.filter(partner=staff.partner), pk=pk)


@require_http_methods(["GET", "POST"])
@partner_page
def endpoint(request, staff, pk):
    endpoint = _own_endpoint(staff, pk)
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=staff, endpoint=endpoint, **form.cleaned_data)
        except DomainError as error:
            _endpoint_errors(form, error)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect("partners:endpoint", partner_slug=staff.partner.slug, pk=endpoint.pk)
    page = _page(request, selectors.endpoint_deliveries(endpoint))
    return render(request, "partners/console/endpoint.html", _ctx(
        staff, "webhooks", form=form, endpoint=endpoint, page=page, deliveries=page.object_list,
        overlap_hours=int(services.SECRET_OVERLAP.total_seconds() // 3600)),
        status=400 if form.is_bound else 200)


@require_POST
@partner_page
def endpoint_rotate(request, staff, pk):
    if staff.role != PartnerStaff.Role.OWNER:
        return error_page(request, Forbidden(_("Only the partner's owner can do this."),
                                                      code="not_partner_owner"))
    services.endpoint_rotate_secret(actor=staff, endpoint=_own_endpoint(staff, pk))
    messages.success(request, _("A new secret signs from now on; the old one also signs for %(hours)s hours.")
                     % {"hours": int(services.SECRET_OVERLAP.total_seconds() // 3600)})
    return redirect("partners:endpoint", partner_slug=staff.partner.slug, pk=pk)


@require_POST
@partner_page
def endpoint_toggle(request, staff, pk):
    endpoint = _own_endpoint(staff, pk)
    on = request.POST.get("active") == "1"
    try:
        services.endpoint_update(actor=staff, endpoint=endpoint, is_active=on)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The endpoint is on.") if on else _("The endpoint is off: nothing is sent to it."))
    return redirect("partners:endpoint", partner_slug=staff.partner.slug, pk=pk)


@require_POST
@partner_page
def endpoint_delete(request, staff, pk):
    services.endpoint_delete(actor=staff, endpoint=_own_endpoint(staff, pk))
    messages.success(request, _("The endpoint was deleted."))
    return redirect("partners:endpoints", partner_slug=staff.partner.slug)


@require_POST
@partner_page
def delivery_redeliver(request, staff, pk, delivery_pk):
    endpoint = _own_endpoint(staff, pk)
    delivery = get_object_or_404(WebhookDelivery.objects.filter(endpoint=endpoint, partner=staff.partner),
                                 pk=delivery_pk)
    webhooks.redeliver(delivery)
    messages.success(request, _("The event will be sent again in a moment, with the same event id."))
    return redirect(reverse("partners:endpoint", kwargs={"partner_slug": staff.partner.slug, "pk": pk})
                    + "#deliveries")
