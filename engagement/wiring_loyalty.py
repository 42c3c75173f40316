"""Levels, coupons handed out by segment, points spent: audit sentences, community-home sections and the domain events it reacts to."""

from django.utils.translation import pgettext_lazy

# The coupon rows are orders' (orders.coupons writes these entries with the coupon's code; a hand-out
# also with the segment in words and how many members got one).
SENTENCES: dict = {
    "coupon.created": pgettext_lazy("audit log", "%(actor)s created coupon %(code)s"),
    "coupon.changed": pgettext_lazy("audit log", "%(actor)s changed coupon %(code)s"),
    "coupon.handed_out": pgettext_lazy("audit log", "%(actor)s handed coupon %(code)s to %(members)s members "
                                                    "(%(segment)s)"),
}
HOME_SECTIONS: list = []
HANDLERS: dict = {}
