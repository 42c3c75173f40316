from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from communities.home import register_home_section
        from communities.services import register_branch_retire_hook
        from orders.services import branch_retire_check, branch_retire_move

        register_home_section(open_rounds_section)
        register_branch_retire_hook(check=branch_retire_check, move=branch_retire_move)


def open_rounds_section(membership) -> dict:
    """The community home lists up to five open rounds the member can see."""
    from orders.models import GroupBuy
    from orders.selectors import group_buys_for_member

    return {"open_rounds": list(group_buys_for_member(membership).filter(status=GroupBuy.Status.OPEN)[:5])}
