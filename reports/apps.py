from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Mission reports")

    def ready(self):
        # Connects the rendering queue to the services' RENDER hook.
        from reports import tasks  # noqa: F401

        # Registers the distribution's hook on `distribute_report` and its e-mail's builder.
        from reports.services import distribution  # noqa: F401
