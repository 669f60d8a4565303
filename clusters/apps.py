from django.apps import AppConfig


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = "Reference data and roles"

    def ready(self) -> None:
        # The audit log hears of sign-ins, admin changes and password changes from Django.
        from clusters import receivers  # noqa: F401
