from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self):
        from catalog.audit_sentences import SENTENCES
        from core.audit import register_audit_sentences

        register_audit_sentences(SENTENCES)
