"""Member page "My coupons" (我的优惠券): the coupons I can use, each with what it takes off, until
when, and where (a round, some products); then the ones I used or that ended. The notice of a
coupon handed to me (orders.coupons, kind coupon_received) links here."""

from django.shortcuts import render

from communities.pages import community_page
from communities.permissions import Perm
from orders import coupon_selectors


@community_page(Perm.VIEW)
def my_coupons(request, community, membership):
    usable, past = coupon_selectors.my_coupons(membership)
    return render(request, "orders/my_coupons.html", {
        "community": community, "membership": membership, "usable": usable, "past": past})
