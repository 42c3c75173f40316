"""Admin console pages (desktop): settings, members, join requests, invites, branches, audit."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communities import console_sweeps, selectors, services
from communities.forms import BanForm, BranchForm, CommunitySettingsForm, InviteForm, RoleForm
from communities.models import Community, Membership, Role
from communities.permissions import Perm, acts_community_wide, has_perm, invites_in_scope, members_in_scope
from core.exceptions import DomainError, ValidationFailed
from core.forms import add_domain_error
from core.inputs import parse_id
from communities.pages import community_page


def _ctx(request, community, membership, **extra):
    return {"community": community, "membership": membership, **extra}


@require_safe
@community_page(Perm.VIEW_CONSOLE)
def dashboard(request, community, membership):
    counts = selectors.member_counts(community)
    recent = community.audit_logs.select_related("actor", "target_user")[:10] if has_perm(membership, Perm.VIEW_AUDIT) else []
    return render(request, "console/dashboard.html", _ctx(request, community, membership, counts=counts,
                                                          recent=recent, section="dashboard",
                                                          failing_jobs=console_sweeps.failing_count(community, membership)))


@community_page(Perm.MANAGE_SETTINGS)
def settings_page(request, community, membership):
    initial = {field: getattr(community, field) for field in services.COMMUNITY_FIELDS}
    form = CommunitySettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        cover, payment_qr = data.pop("cover"), data.pop("payment_qr")
        try:
            services.community_update(actor=membership, cover=cover or None, remove_cover=cover is False,
                                      payment_qr=payment_qr or None, remove_payment_qr=payment_qr is False, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("console:settings", slug=community.slug)
    return render(request, "console/settings.html", _ctx(request, community, membership, form=form, section="settings"))


@require_safe
@community_page(Perm.VIEW_CONSOLE)
def members(request, community, membership):
    filters = {key: request.GET.get(key, "") for key in ("q", "role", "status", "branch", "invited_by")}
    # A leader sees the members of their own branch (and filters among its branch only).
    members_ = members_in_scope(membership, selectors.member_list(community=community, **filters))
    branches = community.active_branches().order_by("name")
    if not acts_community_wide(membership):
        branches = branches.filter(pk=membership.branch_id)
    page = Paginator(members_, 50).get_page(request.GET.get("page"))
    return render(request, "console/members.html", _ctx(
        request, community, membership, page=page, filters=filters, section="members",
        roles=Role.choices, statuses=Membership.Status.choices, branches=branches,
        can_manage=has_perm(membership, Perm.MANAGE_MEMBERS),
    ))


def _member_action(request, community, membership, pk, action):
    target = get_object_or_404(community.memberships.select_related("user"), pk=pk)
    try:
        action(target)
    except DomainError as error:
        messages.error(request, error.message)
    back = request.POST.get("next") or reverse("console:members", kwargs={"slug": community.slug})
    return redirect(back if back.startswith("/") else reverse("console:members", kwargs={"slug": community.slug}))


@require_POST
@community_page(Perm.MANAGE_MEMBERS)
def member_role(request, community, membership, pk):
    form = RoleForm(request.POST)

    def act(target):
        if not form.is_valid():
            raise DomainError(_("Choose a valid role."))
        services.membership_change_role(actor=membership, membership=target, role=form.cleaned_data["role"])
        messages.success(request, _("%(name)s is now %(role)s.") % {
            "name": target.user.display_name, "role": Role(form.cleaned_data["role"]).label})

    return _member_action(request, community, membership, pk, act)


@require_POST
@community_page(Perm.MANAGE_MEMBERS)
def member_branch(request, community, membership, pk):
    def act(target):
        value = request.POST.get("branch", "")
        branch = get_object_or_404(community.branches, pk=parse_id(value) or 0) if value else None
        services.membership_move_branch(actor=membership, membership=target, branch=branch)
        messages.success(request, _("%(name)s moved to %(branch)s.") % {
            "name": target.user.display_name, "branch": branch.name if branch else _("no branch")})

    return _member_action(request, community, membership, pk, act)


@require_POST
@community_page(Perm.MANAGE_MEMBERS)
def member_ban(request, community, membership, pk):
    form = BanForm(request.POST)

    def act(target):
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        services.membership_ban(actor=membership, membership=target, reason=reason)
        messages.success(request, _("%(name)s is banned.") % {"name": target.user.display_name})

    return _member_action(request, community, membership, pk, act)


@require_POST
@community_page(Perm.MANAGE_MEMBERS)
def member_unban(request, community, membership, pk):
    def act(target):
        services.membership_unban(actor=membership, membership=target)
        messages.success(request, _("%(name)s is no longer banned and may join again.") % {
            "name": target.user.display_name})

    return _member_action(request, community, membership, pk, act)


@community_page(Perm.DECIDE_REQUESTS)
def requests(request, community, membership):
    pending = selectors.pending_requests(community)
    decided = community.join_requests.exclude(status="pending").select_related("user", "decided_by")[:30]
    return render(request, "console/requests.html", _ctx(request, community, membership, pending=pending,
                                                         decided=decided, branches=list(selectors.branches(community)),
                                                         section="requests"))


@require_POST
@community_page(Perm.DECIDE_REQUESTS)
def request_decide(request, community, membership, pk, decision):
    if decision not in ("approve", "decline"):
        raise Http404
    join_request = get_object_or_404(community.join_requests.select_related("user"), pk=pk)
    try:
        if decision == "approve":
            services.join_request_approve(actor=membership, join_request=join_request,
                                          branch=_posted_branch(community, request.POST.get("branch", "")))
            messages.success(request, _("%(name)s joined the community.") % {"name": join_request.user.display_name})
        else:
            services.join_request_decline(actor=membership, join_request=join_request,
                                          note=request.POST.get("note", ""))
            messages.success(request, _("The request from %(name)s was declined.") % {
                "name": join_request.user.display_name})
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console:requests", slug=community.slug)


def _posted_branch(community, value: str):
    """The branch chosen in a console form: none, or one of this community's (else a field error)."""
    value = (value or "").strip()
    if not value:
        return None
    branch = community.branches.filter(pk=parse_id(value) or 0).first()
    if branch is None:
        raise ValidationFailed(_("Choose a branch of this community."), fields={"branch": [_("Unknown branch.")]})
    return branch


@community_page(Perm.INVITE)
def invites(request, community, membership):
    form = InviteForm(request.POST or None, community=community, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            invite = services.invite_create(actor=membership, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Invite link created."))
            return redirect("console:invite_poster", slug=community.slug, pk=invite.pk)
    mine_only = None if has_perm(membership, Perm.MANAGE_INVITES) else request.user
    return render(request, "console/invites.html", _ctx(
        request, community, membership, form=form, invites=selectors.invites(community, created_by=mine_only),
        section="invites"), status=400 if request.method == "POST" else 200)


@require_POST
@community_page(Perm.INVITE)
def invite_revoke(request, community, membership, pk):
    invite = get_object_or_404(invites_in_scope(membership, community.invites), pk=pk)
    try:
        services.invite_revoke(actor=membership, invite=invite)
        messages.success(request, _("The invite link no longer works."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("console:invites", slug=community.slug)


@community_page(Perm.INVITE)
def invite_poster(request, community, membership, pk):
    invite = get_object_or_404(invites_in_scope(membership, community.invites.select_related("created_by", "branch")),
                               pk=pk)
    url = request.build_absolute_uri(invite.get_absolute_url())
    return render(request, "console/poster.html", _ctx(request, community, membership, invite=invite, url=url,
                                                       section="invites"))


@community_page(Perm.MANAGE_BRANCHES)
def branches(request, community, membership):
    form = BranchForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_create(actor=membership, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Branch created."))
            return redirect("console:branches", slug=community.slug)
    return render(request, "console/branches.html", _ctx(
        request, community, membership, form=form, branches=selectors.branches(community), section="branches"))


@community_page(Perm.MANAGE_BRANCHES)
def branch_edit(request, community, membership, pk):
    branch = get_object_or_404(Community, pk=pk, parent=community)
    form = BranchForm(request.POST or None, community=community,
                      initial={"name": branch.name, "leader": str(branch.leader_id or "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.branch_update(actor=membership, branch=branch, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Branch saved."))
            return redirect("console:branches", slug=community.slug)
    others = community.active_branches().exclude(pk=branch.pk).order_by("name")
    return render(request, "console/branch_edit.html", _ctx(request, community, membership, form=form,
                                                            branch=branch, others=others, section="branches"))


@require_POST
@community_page(Perm.MANAGE_BRANCHES)
def branch_retire(request, community, membership, pk):
    """Retire a branch, its members and pickup points moving to another (or to the whole community)."""
    branch = get_object_or_404(Community, pk=pk, parent=community)
    move_to = None
    if request.POST.get("move_to"):
        move_to = community.active_branches().filter(pk=parse_id(request.POST["move_to"])).first()
        if move_to is None:
            messages.error(request, _("Choose another branch in use."))
            return redirect("console:branch_edit", slug=community.slug, pk=branch.pk)
    try:
        services.branch_retire(actor=membership, branch=branch, move_to=move_to)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console:branch_edit", slug=community.slug, pk=branch.pk)
    messages.success(request, _("“%(name)s” was retired.") % {"name": branch.name})
    return redirect("console:branches", slug=community.slug)


@require_POST
@community_page(Perm.MANAGE_BRANCHES)
def branch_restore(request, community, membership, pk):
    branch = get_object_or_404(Community, pk=pk, parent=community)
    try:
        services.branch_restore(actor=membership, branch=branch)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(name)s” is in use again.") % {"name": branch.name})
    return redirect("console:branch_edit", slug=community.slug, pk=branch.pk)


@community_page(Perm.VIEW_AUDIT)
def audit(request, community, membership):
    page = Paginator(community.audit_logs.select_related("actor", "target_user"), 50).get_page(request.GET.get("page"))
    return render(request, "console/audit.html", _ctx(request, community, membership, page=page, section="audit"))
