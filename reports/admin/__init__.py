"""The reports app in the admin (each module registers its models)."""

from reports.admin import document  # noqa: F401
