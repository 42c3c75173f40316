"""Console page (desktop) for handing a coupon out to a segment of members (admins, MANAGE_LOYALTY).

Two steps: the admin chooses a segment (everyone, a branch, a level, members with no order in
the last N days including those who never ordered) and sees how many members it has now; then
confirms, and ``orders.coupons.coupon_batch_hand_out`` gives each of them one coupon in a new
batch and tells them. Segments live in engagement (they need levels): engagement.segments.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError, NotFound
from core.forms import add_domain_error
from engagement import segments
from engagement.levels import levels_of
from orders import coupons as coupon_services
from orders.models import Coupon


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
                    ids = segments.segment_member_ids(community, chosen)
                    batch = coupon_services.coupon_batch_hand_out(actor=membership, coupon=coupon, member_ids=ids,
                                                                  segment=chosen.describe())
                except DomainError as error:
                    add_domain_error(form, error)
                    status = 400
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
        "count": count, "max_hand_out": coupon_services.MAX_HAND_OUT}, status=status)
