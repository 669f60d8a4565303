from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = _("Reference data and roles")

    def ready(self) -> None:
        # The audit log hears of sign-ins, admin changes and password changes from Django
        # (receivers); a user's chosen language follows them into each new session (language).
        from clusters import language, receivers  # noqa: F401
