from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from communities.home import register_home_section

        register_home_section(open_rounds_section)

        from core.audit import register_audit_sentences
        from orders.audit_sentences import SENTENCES

        register_audit_sentences(SENTENCES)


def open_rounds_section(membership) -> dict:
    """The community home lists up to five open rounds the member can see."""
    from orders.models import GroupBuy
    from orders.selectors import group_buys_for_member

    return {"open_rounds": list(group_buys_for_member(membership).filter(status=GroupBuy.Status.OPEN)[:5])}
