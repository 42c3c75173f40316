from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partner shops")

    def ready(self):
        from partners import webhooks
        from partners.api import schema  # noqa: F401 — registers the key scheme

        webhooks.connect()
