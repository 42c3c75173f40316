"""Member pages (mobile web) for campaigns: the list, a campaign with its tiers, backing, my pledges."""

from django.shortcuts import get_object_or_404, render

from communities.pages import community_page
from communities.permissions import Perm
from crowdfunding import selectors, services
from crowdfunding.models import Campaign, Pledge


@community_page(Perm.VIEW)
def campaigns(request, community, membership):
    items = selectors.with_totals(list(selectors.campaigns_for_member(membership)[:50]))
    return render(request, "crowdfunding/campaigns.html", {"community": community, "campaigns": items})


@community_page(Perm.VIEW)
def campaign(request, community, membership, pk):
    item = get_object_or_404(selectors.campaigns_for_member(membership), pk=pk)
    selectors.with_totals([item])
    return render(request, "crowdfunding/campaign.html", {"community": community, "campaign": item,
                                                          "totals": services.campaign_totals(item)})


@community_page(Perm.VIEW)
def my_pledges(request, community, membership):
    return render(request, "crowdfunding/my_pledges.html", {"community": community,
                                                            "pledges": selectors.my_pledges(membership)[:100]})


@community_page(Perm.VIEW)
def pledge(request, community, membership, pk):
    item = get_object_or_404(Pledge.objects.select_related("campaign", "tier"), community=community,
                             member_id=membership.user_id, pk=pk)
    return render(request, "crowdfunding/pledge.html", {"community": community, "pledge": item,
                                                        "campaign_status": Campaign.Status})
