from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        # Sweeps register themselves on import: core's own (the e-mail catch-up) and every app's
        # sweeps.py, so a worker can run any of them by name.
        import core.events  # noqa: F401
        import core.idempotency  # noqa: F401
        import core.notifications  # noqa: F401

        autodiscover_modules("sweeps")
