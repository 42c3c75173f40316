"""Member pages (mobile web): my communities, create, invite landing, join, community home."""

import io
from urllib.parse import urlencode

import qrcode
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST, require_safe

from accounts import services as account_services
from accounts.forms import SignUpForm
from communities import posters, selectors, services
from communities.forms import BranchChoiceForm, CommunityForm, JoinRequestForm
from communities.models import Community, Invite, JoinRequest, Membership
from communities.permissions import Perm, has_perm, membership_of
from core.exceptions import DomainError, Forbidden
from core.forms import add_domain_error
from core.net import client_ip
from communities.home import branch_details, home_sections
from communities.pages import community_page
from core.pages import error_page
from core.posters import poster_response


@login_required
def mine(request):
    memberships = selectors.my_communities(request.user)
    pending = JoinRequest.objects.filter(user=request.user, status=JoinRequest.Status.PENDING).select_related("community")
    return render(request, "communities/mine.html", {"memberships": memberships, "pending": pending})


@login_required
def create(request):
    form = CommunityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = services.community_create(owner=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("%(name)s is ready. Invite your first members.") % {"name": community.name})
            return redirect("console:invites", slug=community.slug)
    return render(request, "communities/create.html", {"form": form})


@community_page(Perm.VIEW)
def home(request, community, membership):
    context = {
        "community": community,
        "membership": membership,
        "member_count": community.memberships.filter(status=Membership.Status.ACTIVE).count(),
        "share": {"url": posters.share_url(request, community), "title": community.name,
                  "poster_url": request.build_absolute_uri(reverse("communities:poster", kwargs={"slug": community.slug}))},
        "branches": selectors.branches(community),
        "can_console": has_perm(membership, Perm.VIEW_CONSOLE),
        "can_invite": has_perm(membership, Perm.INVITE),
        "needs_branch": services.needs_branch(membership),
        **home_sections(membership),
    }
    return render(request, "communities/home.html", context)


@require_POST
@community_page(Perm.VIEW)
def leave(request, community, membership):
    services.membership_leave(user=request.user, community=community)
    messages.success(request, _("You left %(name)s.") % {"name": community.name})
    return redirect("communities:mine")


def invite(request, code):
    """The page a shared invite link or QR code opens: join in one tap, signing up on the way."""
    try:
        invite = services.invite_get(code)
    except DomainError as error:
        return error_page(request, error)
    community = invite.community
    membership = membership_of(request.user, community)
    signup_form = SignUpForm(request.POST if request.POST.get("action") == "signup" else None)
    if membership is not None and membership.is_active:
        if request.method == "POST":  # a second tap: same result as the first
            return redirect(community.get_absolute_url())
        return render(request, "communities/invite.html", {"invite": invite, "community": community,
                                                            "membership": membership})
    if membership is not None and membership.status == Membership.Status.BANNED:
        return error_page(request, Forbidden(services.BANNED_MESSAGE(), code="banned"))
    if invite.state != "valid":
        return error_page(request, services.InviteUnavailable(invite.state))
    if not invite.admits and community.join_policy != Community.JoinPolicy.OPEN:
        # A member's referral link where admins review newcomers: ask to join, remembering who invited.
        if community.join_policy != Community.JoinPolicy.APPROVAL:
            return error_page(request, Forbidden(_("This community is invite only: you need an invite link."),
                                                 code="invite_required"))
        join_url = reverse("communities:join", kwargs={"slug": community.slug})
        return redirect(f"{join_url}?{urlencode({'ref': invite.code})}")
    if request.method == "POST":
        user = request.user
        if request.POST.get("action") == "signup":
            if not signup_form.is_valid():
                return render(request, "communities/invite.html",
                              {"invite": invite, "community": community, "signup_form": signup_form}, status=400)
            try:
                user = account_services.user_sign_up(language=request.LANGUAGE_CODE, **signup_form.cleaned_data)
            except DomainError as error:
                add_domain_error(signup_form, error)
                return render(request, "communities/invite.html",
                              {"invite": invite, "community": community, "signup_form": signup_form}, status=400)
            login(request, user, backend="accounts.backends.PhoneOrEmailBackend")
        elif not user.is_authenticated:
            return redirect(f"{settings_login_url()}?next={invite.get_absolute_url()}")
        try:
            membership, created = services.membership_join_by_code(user=user, code=invite.code,
                                                                   address=client_ip(request))
        except DomainError as error:
            return error_page(request, error)
        if created:
            messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
        return _after_joining(membership)
    return render(request, "communities/invite.html",
                  {"invite": invite, "community": community, "signup_form": signup_form})


def settings_login_url():
    return resolve_url(settings.LOGIN_URL)


@cache_control(max_age=3600)
def invite_qr(request, code):
    try:
        invite = services.invite_get(code)
    except DomainError as error:
        return error_page(request, error)
    image = qrcode.make(request.build_absolute_uri(invite.get_absolute_url()), box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return HttpResponse(buffer.getvalue(), content_type="image/png")


def _poster(request, community):
    count = community.memberships.filter(status=Membership.Status.ACTIVE).count()
    return poster_response(request, posters.community_poster(request, community, member_count=count),
                           public=posters.poster_is_public(community))


def _public_poster(request, slug):
    community = get_object_or_404(Community, slug=slug, parent__isnull=True)
    if not posters.poster_is_public(community):
        raise Http404
    return _poster(request, community)


@require_safe
@community_page(Perm.VIEW, stranger=_public_poster)
def poster(request, community, membership):
    """The community's share poster (PNG): anyone may fetch it where the join page is public."""
    return _poster(request, community)


def join(request, slug):
    """Join an open community, or ask to join one that reviews members. Invite-only: 404."""
    community = get_object_or_404(Community, slug=slug, parent__isnull=True,
                                  join_policy__in=[Community.JoinPolicy.OPEN, Community.JoinPolicy.APPROVAL])
    membership = membership_of(request.user, community)
    # A shared round's preview sends people here with ?next=<the round>: back there once in.
    back = _next_within(request, community) or community.get_absolute_url()
    if membership is not None and membership.is_active:
        return redirect(back)
    if membership is not None and membership.status == Membership.Status.BANNED:
        return error_page(request, Forbidden(services.BANNED_MESSAGE(), code="banned"))
    pending = None
    if request.user.is_authenticated:
        pending = JoinRequest.objects.filter(community=community, user=request.user,
                                             status=JoinRequest.Status.PENDING).first()
    form = JoinRequestForm(request.POST or None)
    # Came by a member's referral link (?ref=<its code>): the request remembers who invited them.
    referral = Invite.objects.filter(code=(request.GET.get("ref") or "")[:16].replace("\x00", ""),
                                     community=community, admits=False).first()
    if referral is not None and referral.state != "valid":
        referral = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{settings_login_url()}?{urlencode({'next': request.get_full_path()})}")
        try:
            if community.join_policy == Community.JoinPolicy.OPEN:
                membership, _created = services.membership_join(user=request.user, community=community,
                                                                 invite=referral, address=client_ip(request))
                messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
                return _after_joining(membership, back)
            if form.is_valid():
                services.join_request_create(user=request.user, community=community, invite=referral,
                                             address=client_ip(request),
                                             came_from=_next_within(request, community) or "", **form.cleaned_data)
                messages.success(request, _("Your request was sent. You will be told when an admin answers."))
                return redirect(request.get_full_path())
        except DomainError as error:
            add_domain_error(form, error)
    og = {"title": community.name, "description": community.purpose or community.description[:150],
          "image": request.build_absolute_uri(reverse("communities:poster", kwargs={"slug": community.slug})),
          "url": posters.share_url(request, community)}
    return render(request, "communities/join.html", {"community": community, "form": form, "pending": pending,
                                                     "og": og})


def _next_within(request, community) -> str | None:
    """The ``next`` page asked for, when it is a page of this community on this site."""
    target = request.GET.get("next") or ""
    prefix = f"/c/{community.slug}/"
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@require_POST
@login_required
def withdraw_request(request, pk):
    join_request = get_object_or_404(JoinRequest, pk=pk, user=request.user)
    try:
        services.join_request_withdraw(user=request.user, join_request=join_request)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("communities:mine")


def _after_joining(membership, back: str | None = None):
    """Where a new member lands: choosing their branch first when the community has branches, then
    ``back`` (the shared round they came from) or the community's home."""
    if services.needs_branch(membership):
        url = reverse("communities:choose_branch", kwargs={"slug": membership.community.slug})
        return redirect(f"{url}?{urlencode({'next': back})}" if back else url)
    return redirect(back or membership.community.get_absolute_url())


@community_page(Perm.VIEW)
def choose_branch(request, community, membership):
    """A member picks their branch (分群) and so their pickup point; they may change it later."""
    branches = list(selectors.branches(community).filter(retired_at__isnull=True))
    back = _next_within(request, community) or community.get_absolute_url()
    if not branches:
        return redirect(back)
    form = BranchChoiceForm(request.POST or None, branches=branches,
                            initial={"branch": membership.branch_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_choose_branch(membership=membership, branch=form.cleaned_data["branch"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("You are in %(branch)s.") % {"branch": form.cleaned_data["branch"].name})
            return redirect(back)
    details = branch_details(community)
    return render(request, "communities/choose_branch.html", {
        "community": community, "membership": membership, "form": form,
        "choices": [{"branch": b, "details": details.get(b.pk, []), "mine": b.pk == membership.branch_id}
                    for b in branches],
        "leads": any(b.leader_id == request.user.pk for b in branches),
    }, status=400 if request.method == "POST" else 200)
