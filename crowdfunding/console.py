"""Console pages for campaigns (admins and leaders, desktop): list, create and edit, pledges, rewards."""

from django.shortcuts import get_object_or_404, render

from communities.permissions import Perm
from crowdfunding import selectors, services
from orders.console import console_page


@console_page(Perm.MANAGE_CAMPAIGNS)
def campaigns(request, community, membership):
    items = selectors.with_totals(list(services.campaigns_in_view(membership, community.campaigns.all())[:50]))
    return render(request, "crowdfunding/console/campaigns.html", {"community": community, "campaigns": items,
                                                                   "section": "campaigns"})


@console_page(Perm.MANAGE_CAMPAIGNS)
def campaign(request, community, membership, pk):
    item = get_object_or_404(services.campaigns_in_view(membership, community.campaigns.all()), pk=pk)
    selectors.with_totals([item])
    return render(request, "crowdfunding/console/campaign.html", {"community": community, "campaign": item,
                                                                  "section": "campaigns"})
