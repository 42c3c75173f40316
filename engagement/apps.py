from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Each area (events, posts, polls) keeps its audit sentences and community-home sections in its
# own module; the app registers them all here.
AREAS = ("events", "posts", "polls", "points", "referrals", "repurchase", "loyalty")


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Engagement")

    def ready(self):
        from importlib import import_module

        from communities.home import register_home_section
        from core.audit import register_audit_sentences
        from core.events import subscribe
        from engagement.posts import announce_published

        for area in AREAS:
            module = import_module(f"engagement.wiring_{area}")
            register_audit_sentences(module.SENTENCES)
            for section in module.HOME_SECTIONS:
                register_home_section(section)
            for name, handlers in getattr(module, "HANDLERS", {}).items():
                for handler in handlers if isinstance(handlers, (list, tuple)) else [handlers]:
                    subscribe(name, handler)
        subscribe("post.published", announce_published)
        from engagement.points_checkout import CheckoutPoints
        from orders.discounts import register_points_redeemer

        register_points_redeemer(CheckoutPoints())
