from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdfundingConfig(AppConfig):
    name = "crowdfunding"
    verbose_name = _("Crowdfunding")
