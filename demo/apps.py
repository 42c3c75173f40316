from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data of `make run`: it gathers every app, so it stands above them all."""

    name = "demo"
    verbose_name = _("Demo data")
