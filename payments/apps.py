from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self):
        from payments.audit_sentences import SENTENCES
        from core.audit import register_audit_sentences

        register_audit_sentences(SENTENCES)
