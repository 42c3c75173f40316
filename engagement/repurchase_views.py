"""Member side of repurchase prompts (定时复购提醒): the prompt's link marks it opened and lands on
the round with the product in the basket (``?basket=<item>x<quantity>``, read by the round page),
one tap from ordering; "stop reminding me" turns the prompts off (a page with a button: a GET,
which mail clients fetch by themselves, changes nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from communities.pages import community_page
from communities.permissions import Perm
from engagement import repurchase as services


def _prompt(membership, prompt_id):
    prompt = services.prompt_for_member(membership, prompt_id)
    if prompt is None:  # another member's, another community's, or none
        raise Http404
    return prompt


@community_page(Perm.VIEW)
def prompt_open(request, community, membership, prompt_id):
    prompt = _prompt(membership, prompt_id)
    services.repurchase_prompt_open(membership=membership, prompt=prompt)
    found = services.basket_for(membership, prompt)
    if found is None:
        messages.info(request, _("%(product)s is not on sale right now. Have a look at what is.") % {
            "product": prompt.product.name})
        return redirect("orders:group_buys", slug=community.slug)
    group_buy, item, quantity = found
    url = reverse("orders:group_buy", kwargs={"slug": community.slug, "pk": group_buy.pk})
    return redirect(f"{url}?basket={item.pk}x{quantity}")


@community_page(Perm.VIEW)
def prompt_stop(request, community, membership, prompt_id):
    prompt = _prompt(membership, prompt_id)
    stopped = services.is_opted_out(request.user)
    if request.method == "POST":
        services.repurchase_opt_out(user=request.user)
        messages.success(request, _("Done: no more reminders to buy again. You can turn them back on in your "
                                    "notification settings."))
        stopped = True
    return render(request, "engagement/repurchase/stop.html", {
        "community": community, "membership": membership, "prompt": prompt, "stopped": stopped,
        "open_url": services.open_url(prompt, community)})
