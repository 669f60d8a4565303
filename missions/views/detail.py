"""The mission's page: what every view that shows it again (after a refused step, an
endorsement or a comment with errors) renders, with what was typed kept."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from clusters.cache import kept
from commitments.selectors.picture import country_picture, country_picture_version
from missions.forms.intake import CommentForm, EndorsementForm
from missions.models import Mission
from missions.selectors.missions import transitions_for
from missions.services.intake import request_editable_by
from missions.services.lessons import lesson_may_add
from missions.workflow import REQUEST_STATES, Status, holds, lifecycle_steps

# From the approval on, the mission has a planning file worth linking to.
PLANNING_SHOWN = [
    Status.APPROVED,
    Status.IN_PLANNING,
    Status.READY,
    Status.IN_COUNTRY,
    Status.REPORTING,
    Status.FOLLOW_UP,
    Status.CLOSED,
]
# How long the page keeps the country's commitments picture once rendered, for what its
# version does not follow (a cluster renamed in the admin).
PICTURE_SECONDS = 3600


def _intake_context(request: HttpRequest, mission: Mission, forms: dict | None = None) -> dict:
    """What the mission page shows of intake: documents, endorsement, comments, edit link."""
    forms = forms or {}
    user = request.user
    can_endorse = mission.status in REQUEST_STATES and holds(user, "endorse_mission", mission)
    return {
        "can_edit_request": request_editable_by(mission, user),
        "attachments": list(mission.attachments.select_related("uploaded_by")),
        "comments": list(mission.comments.select_related("author")),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "can_endorse": can_endorse,
        "endorse_form": (
            (forms.get("endorse_form") or EndorsementForm(mission=mission)) if can_endorse else None
        ),
    }


def _country_pictures(mission: Mission) -> str:
    """How the country's cluster partners assess themselves (aggregates only), rendered and
    kept until what it is made of changes (its version): otherwise four queries and a
    quarter of the page's time."""
    key = ":".join(
        (
            "country-pictures",
            str(mission.country_id),
            get_language(),
            country_picture_version(mission.country_id),
        )
    )
    html = kept(
        key,
        PICTURE_SECONDS,
        lambda: render_to_string(
            "missions/_country_pictures.html",
            {"mission": mission, "pictures": country_picture(mission.country_id)},
        ),
    )
    return mark_safe(html)  # nosec B308 B703 # the template's output, escaped as it rendered


def render_detail(
    request: HttpRequest, mission, failed: dict | None = None, forms: dict | None = None
) -> HttpResponse:
    context = {
        "mission": mission,
        "log": mission.log.select_related("user"),
        "transitions": transitions_for(mission, request.user),
        "requested_clusters": mission.requested_clusters.all(),
        "requested_issues": mission.requested_issues.all(),
        "lifecycle": lifecycle_steps(mission.status),
        "failed": failed,
        "planning_states": PLANNING_SHOWN,
        "can_record_lesson": lesson_may_add(mission, request.user),
        "country_pictures": _country_pictures(mission),
        **_intake_context(request, mission, forms),
    }
    return render(request, "missions/mission_detail.html", context)
