from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdfundingConfig(AppConfig):
    name = "crowdfunding"
    verbose_name = _("Crowdfunding")

    def ready(self):
        from communities.home import register_home_section
        from core.audit import register_audit_sentences
        from crowdfunding.audit_sentences import SENTENCES

        from crowdfunding.audit_sentences_collections import SENTENCES as COLLECTION_SENTENCES

        register_home_section(live_campaigns_section)
        register_home_section(open_collections_section)
        register_audit_sentences(SENTENCES)
        register_audit_sentences(COLLECTION_SENTENCES)


def live_campaigns_section(membership) -> dict:
    """The community home lists up to five live campaigns the member can see, with their progress."""
    from crowdfunding.selectors import campaigns_for_member, with_totals

    campaigns = campaigns_for_member(membership).filter(status="live").order_by("deadline", "pk")[:5]
    return {"live_campaigns": with_totals(campaigns)}


def open_collections_section(membership) -> dict:
    """The community home lists the member's open split bills (organized or taking part), with progress."""
    from crowdfunding.collection_selectors import collections_for_member

    return {"open_collections": list(collections_for_member(membership).filter(status="open")[:5])}
