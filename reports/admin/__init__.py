"""The reports app in the admin (each module registers its models)."""

from reports.admin import distribution, document, publication  # noqa: F401
