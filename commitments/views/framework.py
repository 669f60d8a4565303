"""The framework: the Minimum Commitments, the Principles of Partnership, the three Rs."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from commitments.models import FrameworkVersion, ItemKind
from commitments.selectors.framework import version_items


@login_required
def framework(request: HttpRequest) -> HttpResponse:
    """The newest version, or the one asked for (`?version=`), with the list of versions."""
    versions = list(FrameworkVersion.objects.order_by("-number"))
    asked = request.GET.get("version", "")
    chosen = next((v for v in versions if str(v.number) == asked), None) if asked else None
    if asked and chosen is None:
        raise Http404("No such framework version.")
    chosen = chosen or (versions[0] if versions else None)
    items = version_items(chosen) if chosen else {}
    return render(
        request,
        "commitments/framework.html",
        {
            "versions": versions,
            "version": chosen,
            "commitments": items.get(ItemKind.COMMITMENT, []),
            "principles": items.get(ItemKind.PRINCIPLE, []),
            "three_rs": items.get(ItemKind.ACCOUNTABILITY, []),
        },
    )
