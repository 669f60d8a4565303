from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "missions"
    verbose_name = "Missions"

    def ready(self):
        # Registers the notices that follow transitions (missions.services.after_transition).
        from missions import tasks  # noqa: F401
