"""Console page (desktop) for handing a coupon out to a segment of members (admins, MANAGE_LOYALTY).

Two steps: the admin chooses a segment (everyone, a branch, a level, members with no order in
the last N days including those who never ordered) and sees how many members it has now; then
confirms, and ``orders.coupons.coupon_batch_hand_out`` gives each of them one coupon in a new
batch and tells them. Segments live in engagement (they need levels): engagement.segments.
The confirm form carries a one-time token, so a double click or a resent form hands out once.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError, NotFound
from core.forms import add_domain_error
from core.idempotency import fingerprint
from core.models import IdempotentRequest
from engagement import segments
from engagement.levels import levels_of
from orders import coupons as coupon_services
from orders.models import Coupon, CouponBatch

ONCE = re.compile(r"[0-9a-f]{32}")


class SegmentForm(forms.Form):
    segment = forms.ChoiceField(label=gettext_lazy("Who gets one"), choices=segments.KINDS,
                                initial=segments.EVERYONE, widget=forms.RadioSelect)
    branch_id = forms.ChoiceField(label=gettext_lazy("Branch"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)
    days = forms.CharField(label=gettext_lazy("Days without an order"), required=False, max_length=3,
                           help_text=gettext_lazy("1 to 365. Members who never ordered are included."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "size": 4}))

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["branch_id"].choices = [("", "—")] + [
            (str(b.pk), b.name) for b in community.active_branches().order_by("name")]
        self.fields["level"].choices = [("", "—")] + [
            (level.name, _("%(name)s (from %(points)s lifetime points)") % {"name": level.name,
                                                                           "points": level.min_points})
            for level in levels_of(community)]
        if len(self.fields["branch_id"].choices) == 1:
            del self.fields["branch_id"]
            self.fields["segment"].choices = [c for c in segments.KINDS if c[0] != segments.BRANCH]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["chosen"] = segments.segment_parse(
                self.community, segment=data.get("segment"), branch_id=data.get("branch_id"),
                level=data.get("level"), days=(data.get("days") or "").strip())
        except DomainError as error:
            add_domain_error(self, error)
        return data


def _coupon(community, pk) -> Coupon:
    coupon = Coupon.objects.filter(community_id=community.pk, pk=pk).first()
    if coupon is None:
        raise NotFound(_("Coupon not found."), code="coupon_not_found")
    return coupon


def _hand_out_once(request, membership, coupon, chosen) -> CouponBatch | None:
    """Hand the coupon out, once per confirm form: the form carries a token (``once``) recorded with
    the batch in one transaction, so a double click or a resent form hands nothing out again (None).
    A hand-out that fails leaves no token behind: trying again runs afresh."""
    token = request.POST.get("once", "")
    with transaction.atomic():
        if ONCE.fullmatch(token):
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(user=request.user, scope=f"coupon-hand-out-page:{coupon.pk}",
                                                     key=token, fingerprint=fingerprint(chosen.describe()))
            except IntegrityError:
                return None
        ids = segments.segment_member_ids(membership.community, chosen)
        return coupon_services.coupon_batch_hand_out(actor=membership, coupon=coupon, member_ids=ids,
                                                     segment=chosen.describe())


@require_http_methods(["GET", "HEAD", "POST"])
@community_page(Perm.MANAGE_LOYALTY)
def coupon_hand_out(request, community, membership, pk):
    """GET without a segment: the choice. GET with one: its member count and a confirm button.
    POST: hand the coupon out to the segment's members now."""
    coupon = _coupon(community, pk)
    chosen, count, status = None, None, 200
    data = request.POST if request.method == "POST" else (request.GET if "segment" in request.GET else None)
    form = SegmentForm(data, community=community)
    if data is not None:
        if form.is_valid():
            chosen = form.cleaned_data["chosen"]
            if request.method == "POST":
                try:
                    batch = _hand_out_once(request, membership, coupon, chosen)
                except DomainError as error:
                    add_domain_error(form, error)
                    status = 400
                else:
                    if batch is None:
                        messages.info(request, _("This hand-out was already done: nothing was handed out again."))
                    else:
                        messages.success(request, ngettext(
                            "Coupon %(code)s handed to %(n)s member (%(segment)s).",
                            "Coupon %(code)s handed to %(n)s members (%(segment)s).", batch.member_count) % {
                            "code": coupon.code, "n": batch.member_count, "segment": batch.segment})
                    return redirect("orders_console:coupon", slug=community.slug, pk=coupon.pk)
            count = segments.segment_count(community, chosen)
        else:
            status = 400
    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    return render(request, "engagement/loyalty/coupon_hand_out.html", {
        "community": community, "membership": membership, "console_perms": perms, "section": "coupons",
        "coupon": coupon, "description": coupon_services.describe(coupon), "form": form, "chosen": chosen,
        "count": count, "max_hand_out": coupon_services.MAX_HAND_OUT, "once": uuid.uuid4().hex}, status=status)
