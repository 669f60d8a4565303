from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = _("Missions")

    def ready(self):
        # The notices each transition writes with it (missions.workflow.on_transition), and
        # the queueing of their e-mails after commit (the outbox hook, in tasks), and the
        # distribution list the report's module fills when the mission leaves the country.
        from missions import tasks  # noqa: F401
        from missions.services import commitments, notices, report  # noqa: F401
