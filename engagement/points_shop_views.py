"""积分兑换 pages: members take a coupon for points (on the points page); admins put coupons on
offer for points (console). Both go through engagement.points_shop."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from communities.pages import community_page
from communities.permissions import Perm, has_perm
from core.exceptions import DomainError
from core.forms import add_domain_error
from engagement import points_shop as services
from engagement.models import PointsReward
from orders.coupons import describe
from orders.models import Coupon


def offers_context(membership) -> dict:
    """The offers shown on the points page, with a fresh request key for each button."""
    offers = list(services.rewards_on_offer(membership.community))
    for offer in offers:
        offer.description = describe(offer.coupon)
    return {"offers": offers, "exchange_token": uuid.uuid4().hex}


@require_POST
@community_page(Perm.VIEW)
def points_exchange(request, community, membership, pk):
    reward = get_object_or_404(PointsReward, pk=pk, community_id=community.pk)
    try:
        grant, created = services.points_exchange(membership=membership, reward=reward,
                                                  idempotency_key=(request.POST.get("token") or "")[:64])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if created:
            messages.success(request, _("%(name)s is yours: use it when you order.") % {"name": grant.coupon.name})
    return redirect(reverse("engagement:points", kwargs={"slug": community.slug}) + "#offers")


# Console ---------------------------------------------------------------------------------------

class RewardForm(forms.Form):
    coupon = forms.TypedChoiceField(label=gettext_lazy("Coupon"), coerce=int)
    points = forms.IntegerField(label=gettext_lazy("Price in points"), min_value=1, max_value=services.MAX_PRICE)
    per_member_limit = forms.IntegerField(label=gettext_lazy("Exchanges per member"), min_value=1, max_value=100,
                                          initial=1)
    is_active = forms.BooleanField(label=pgettext_lazy("points shop", "On offer"), required=False, initial=True)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["coupon"].choices = [
            (c.pk, f"{c.code} · {c.name} · {describe(c)}")
            for c in Coupon.objects.filter(community_id=community.pk, handed_out_only=True).order_by("-created_at")[:200]]
        self.fields["coupon"].help_text = _("Coupons handed to members (not public codes) can be offered for points.")

    def clean_points(self):
        return self._ascii("points")

    def clean_per_member_limit(self):
        return self._ascii("per_member_limit")

    def _ascii(self, name):
        raw = str(self.data.get(name, "")).strip()
        if not raw.isascii():
            raise forms.ValidationError(_("Type the number with the digits 0 to 9."))
        return self.cleaned_data[name]


def _ctx(community, membership, **extra):
    perms = {perm.value: has_perm(membership, perm) for perm in Perm}
    return {"community": community, "membership": membership, "console_perms": perms, "section": "points_shop",
            **extra}


@community_page(Perm.MANAGE_LOYALTY)
def rewards_console(request, community, membership, pk=None):
    """The coupons on offer for points, and the form to offer one (or change an offer)."""
    reward = get_object_or_404(PointsReward, pk=pk, community_id=community.pk) if pk else None
    initial = ({"coupon": reward.coupon_id, "points": reward.points, "per_member_limit": reward.per_member_limit,
                "is_active": reward.is_active} if reward else None)
    form = RewardForm(request.POST or None, community=community, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.reward_save(actor=membership, reward=reward, coupon_id=data["coupon"], points=data["points"],
                                 per_member_limit=data["per_member_limit"], is_active=data["is_active"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("engagement_console:points_rewards", slug=community.slug)
    rewards = list(PointsReward.objects.filter(community_id=community.pk).select_related("coupon"))
    for item in rewards:
        item.description = describe(item.coupon)
        item.ended = item.coupon.ends_at <= timezone.now()
    return render(request, "engagement/points/console/rewards.html", _ctx(
        community, membership, rewards=rewards, form=form, editing=reward),
        status=400 if request.method == "POST" else 200)
