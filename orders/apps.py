from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from communities.home import register_branch_details, register_home_section
        from communities.services import register_branch_retire_hook
        from orders.services import branch_retire_check, branch_retire_move

        register_home_section(open_rounds_section)
        register_branch_details(pickup_points_by_branch)
        register_branch_retire_hook(check=branch_retire_check, move=branch_retire_move)

        from core.audit import register_audit_sentences
        from orders.audit_sentences import SENTENCES

        register_audit_sentences(SENTENCES)


def open_rounds_section(membership) -> dict:
    """The community home lists up to five open rounds the member can see."""
    from orders.models import GroupBuy
    from orders.selectors import group_buys_for_member

    return {"open_rounds": list(group_buys_for_member(membership).filter(status=GroupBuy.Status.OPEN)[:5])}


def pickup_points_by_branch(community) -> dict:
    """Each branch's pickup points in use (one query), for the member choosing their branch."""
    from orders.models import PickupPoint

    points: dict = {}
    for point in PickupPoint.objects.filter(community=community, branch__isnull=False, is_active=True).order_by("name"):
        points.setdefault(point.branch_id, []).append(point)
    return points
