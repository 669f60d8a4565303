"""Arguments shared by grant_role and revoke_role.

A country-level cluster (for coordinators and partners) is named by --country and --cluster.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from clusters.models import (
    ROLE_SCOPE,
    Country,
    CountryCluster,
    CrossCuttingIssue,
    GlobalCluster,
    Organisation,
    Role,
)


def add_role_arguments(parser) -> None:
    parser.add_argument("username")
    parser.add_argument("role", choices=Role.values)
    parser.add_argument("--country", metavar="ISO3", help="country code, e.g. PAK")
    parser.add_argument("--cluster", metavar="CODE", help="global cluster code, e.g. health")
    parser.add_argument("--issue", metavar="CODE", help="cross-cutting issue code, e.g. gender")
    parser.add_argument("--organisation", metavar="ID", type=int, help="organisation id")


def _get(model, label: str, **lookup):
    try:
        return model.objects.get(**lookup)
    except model.DoesNotExist:
        raise CommandError(f"No {label} {', '.join(map(str, lookup.values()))!r}.") from None


def resolve_role_arguments(options: dict):
    """Returns (user, role, scope) from parsed options, or raises CommandError."""
    user = _get(get_user_model(), "user", username=options["username"])
    role = options["role"]
    country, cluster = options["country"], options["cluster"]
    scope = {}
    if "country_cluster" in ROLE_SCOPE[role] and country and cluster:
        scope["country_cluster"] = _get(
            CountryCluster,
            "cluster in that country",
            country__code=country.upper(),
            global_cluster__code=cluster,
        )
    else:
        if country:
            scope["country"] = _get(Country, "country", code=country.upper())
        if cluster:
            scope["global_cluster"] = _get(GlobalCluster, "global cluster", code=cluster)
    if options["issue"]:
        scope["cross_cutting_issue"] = _get(
            CrossCuttingIssue, "cross-cutting issue", code=options["issue"]
        )
    if options["organisation"]:
        scope["organisation"] = _get(Organisation, "organisation", pk=options["organisation"])
    return user, role, scope
