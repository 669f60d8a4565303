"""The framework's versions and items."""

from __future__ import annotations

from django.db.models import QuerySet

from commitments.models import ASSESSED_KINDS, FrameworkItem, FrameworkVersion, ItemKind


def current_version() -> FrameworkVersion | None:
    """The newest version: what a new round uses unless the coordinator picks another."""
    return FrameworkVersion.objects.order_by("-number").first()


def version_items(version: FrameworkVersion | int) -> dict[str, list[FrameworkItem]]:
    """The items of a version by kind, each in its order (one query)."""
    grouped: dict[str, list[FrameworkItem]] = {kind: [] for kind in ItemKind.values}
    for item in FrameworkItem.objects.filter(version=version).order_by("number"):
        grouped[item.kind].append(item)
    return grouped


def assessed_items(version: FrameworkVersion | int) -> QuerySet[FrameworkItem]:
    """What a self-assessment against `version` rates: commitments, then principles."""
    return FrameworkItem.objects.filter(version=version, kind__in=ASSESSED_KINDS).order_by(
        "kind", "number"
    )
