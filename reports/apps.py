from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Mission reports"

    def ready(self):
        # Connects the rendering queue to the services' RENDER hook.
        from reports import tasks  # noqa: F401
