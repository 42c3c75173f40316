from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = _("Communities")

    def ready(self):
        from communities.audit_sentences import SENTENCES
        from core.audit import register_audit_sentences

        register_audit_sentences(SENTENCES)
