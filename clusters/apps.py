from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = _("Reference data and roles")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        # The audit log hears of sign-ins, admin changes and password changes from Django
        # (receivers); a user's chosen language follows them into each new session (language).
        from clusters import language, receivers  # noqa: F401 (receivers: its import connects them)

        # English lookups ask no catalogue that translates nothing (language).
        language.keep_catalogues_short()

        # A person reads as their name everywhere Django prints one (the admin's lists,
        # choices and links), as on the site; the username only for those who have no name.
        get_user_model().__str__ = _person
