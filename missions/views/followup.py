"""The follow-up on the web: the tracker (across the user's missions, and one mission's, where
the team drafts its points in the country), one action point with its history and steps,
progress with evidence, improvement plans, carrying points to a follow-up mission, the
exports and the private calendar feed.

Thin: each view parses its form, calls one selector or service and renders. Every point and
plan comes through missions.selectors.followup's scope; outside it is a 404. A refusal is
shown next to what was typed (the page again, 400), a step the user may not take is a 403
with its message, and nothing typed is lost.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from clusters.cache import Drawn
from clusters.files import private_file_response
from clusters.form_errors import show_on_form
from formats.charts import bar_chart
from formats.ical import DayEvent, calendar_bytes
from formats.people import person
from formats.sheets import csv_bytes, xlsx_bytes
from formats.uploads import download_name
from missions.forms.followup import (
    ActionPointForm,
    PlanCommentForm,
    PlanForm,
    ProgressForm,
    TrackerFilterForm,
)
from missions.forms.mission import object_id, step_inputs
from missions.models import ACTION_POINT, MISSION, ActionPoint, CalendarToken, Mission
from missions.models.followup import POINT_TRANSITIONS, PointStatus
from missions.selectors.followup import (
    MISSION_SHOWN,
    action_points_visible_to,
    for_display,
    get_evidence_for,
    get_plan_for,
    get_point_for,
    my_action_points,
    my_counts,
    plan_points,
    plan_progress,
    plans_visible_to,
    point_figures,
    point_history,
    points_page,
    tracker_missions,
    tracker_points,
    with_shared,
)
from missions.selectors.missions import (
    get_mission_for,
    missions_visible_to,
    organises,
    transition_missing,
)
from missions.services.followup import (
    CARRY_STATES,
    DRAFTING_STATES,
    action_point_create,
    action_point_update,
    calendar_token_renew,
    may_draft,
    may_edit_point,
    may_report,
    plan_comment,
    plan_create,
    point_transition,
    points_carry,
    points_open_all,
    points_to_carry,
    progress_post,
)
from missions.services.notices import site_url
from missions.workflow import (
    MissionNotFound,
    StaleTransition,
    TransitionError,
    TransitionNotPermitted,
    holds,
)

PAGE_SIZE = 50
# The tracker's parts drawn from a few values alone, kept by them (clusters.cache.Drawn).
FIGURES, FILTERS = Drawn(), Drawn()
# Carrying is one step of the follow-up mission (`points_carry`: the parent's point is
# carried and its successor opened together), never a step on the point alone.
NOT_OFFERED = {"carry"}
# The mission's steps whose guards the follow-up decides, in the order they come.
MISSION_STEPS = ("leave_country", "close")


def _page(
    request: HttpRequest,
    points: QuerySet,
    count: int | None = None,
    owner=None,
    missions=None,
    clusters=None,
):
    return points_page(points, request.GET.get("page"), PAGE_SIZE, count, owner, missions, clusters)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "missions/followup/forbidden.html", {"message": message}, status=403)


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, TransitionError):
        return error.message
    return str(error) or _("You may not do this.")


def _month_label(key: str) -> str:
    month = datetime.date.fromisoformat(f"{key}-01")
    return formats.date_format(month, "M Y")


def _figures(points: QuerySet[ActionPoint]) -> dict:
    """The tracker's figures (`by_addressee`, `done_by_month`, `points_total`) and their
    section drawn (`figures_html`): each chart with the table of its numbers, the points of
    each kind of addressee by status (one small chart per kind), and those done by month."""
    figures = point_figures(points)
    by_addressee = figures.by_addressee
    # What the section is drawn from: the same figures draw the same section, kept for the
    # next page that has them (a leader's change seldom; HCSS and the GCC share theirs).
    key = (
        tuple(
            (str(row["addressee"]), tuple((s, str(label), n) for s, label, n in row["counts"]))
            for row in by_addressee
        ),
        tuple(figures.by_month),
    )
    return {
        "by_addressee": by_addressee,
        # Every point counted once, by addressee: the pager's count without a query of its own.
        "points_total": sum(row["total"] for row in by_addressee),
        "done_by_month": figures.by_month,
        "figures_html": FIGURES.get(key, lambda: _draw_figures(*key)),
    }


def _draw_figures(by_addressee: tuple[tuple[str, tuple], ...], by_month: tuple) -> str:
    """The figures' section, drawn from the figures alone."""
    rows = []
    for index, (addressee, counts) in enumerate(by_addressee):
        chart = bar_chart(
            [(label, n) for _status, label, n in counts],
            title=_("Action points addressed to: %(addressee)s, by status")
            % {"addressee": addressee},
            chart_id=f"points-by-addressee-{index}",
        )
        total = sum(n for _status, _label, n in counts)
        rows.append({"addressee": addressee, "counts": counts, "total": total, "chart": chart})
    done = [(_month_label(key), n) for key, n in by_month]
    return render_to_string(
        "missions/followup/_figures.html",
        {
            "figure_rows": rows,
            "statuses": PointStatus.choices,
            "figure_months": done,
            "months_chart": bar_chart(
                done,
                title=_("Action points done in each of the last twelve months"),
                chart_id="points-done-by-month",
            ),
        },
    )


def _filters_html(form: TrackerFilterForm, action: str) -> str:
    """The filters' form drawn (to `action`), from what was typed in it and the clusters'
    names alone, kept for the next page with the same."""
    typed = None
    if form.is_bound:
        typed = tuple((name, tuple(form.data.getlist(name))) for name in form.fields)
    clusters = tuple((pk, str(cluster)) for pk, cluster in form.clusters.items())
    return FILTERS.get(
        (action, typed, clusters),
        lambda: render_to_string(
            "missions/followup/_filters.html", {"filter_form": form, "action": action}
        ),
    )


def _export_query(request: HttpRequest, **extra) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    for name, value in extra.items():
        query[name] = value
    return query.urlencode()


# The tracker ---------------------------------------------------------------------------------


@login_required
def tracker(request: HttpRequest) -> HttpResponse:
    """Every point the user may see (a leader: their missions'; HCSS and the GCC: all)."""
    filter_form = TrackerFilterForm(request.GET or None)
    points = tracker_points(request.user, filter_form.filters())
    figures = _figures(points)
    # Listed by title, with what the points' rows show of their missions: the rows take them.
    missions = list(
        tracker_missions(request.user)
        .only(*MISSION_SHOWN)
        .select_related("country")
        .order_by("title")
    )
    context = {
        "filter_form": filter_form,
        "filters_html": _filters_html(filter_form, reverse("missions:tracker")),
        "page": _page(
            request,
            points,
            figures["points_total"],
            missions={mission.pk: mission for mission in missions},
            clusters=filter_form.clusters,
        ),
        "missions": missions,
        "export_query": _export_query(request),
        **figures,
    }
    return render(request, "missions/followup/tracker.html", context)


def _render_mission_tracker(
    request: HttpRequest,
    mission: Mission,
    *,
    draft_form: ActionPointForm | None = None,
    plan_form: PlanForm | None = None,
    carry: dict | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    filter_form = TrackerFilterForm(request.GET or None)
    points = tracker_points(user, filter_form.filters(), mission=mission)
    # The checklist names the points still to settle: only for who sees every one of them.
    visible_count = action_points_visible_to(user).filter(mission=mission).count()
    sees_all = visible_count == mission.action_points.count()
    checklist = []
    if sees_all:
        for name in MISSION_STEPS:
            meta = MISSION.meta(mission, name)
            if meta is not None:
                checklist.append(
                    {
                        "name": name,
                        "label": meta.custom.get("label", name),
                        "missing": transition_missing(mission, name),
                    }
                )
    drafting = may_draft(mission, user)
    may_plan = organises(user, mission)
    may_carry = (
        mission.parent_id is not None
        and mission.status in CARRY_STATES
        and holds(user, "plan_mission", mission)
    )
    plans = [
        {"plan": plan, "progress": plan_progress(plan)}
        for plan in plans_visible_to(user)
        .filter(mission=mission)
        .select_related("country_cluster__global_cluster", "supported_by")
    ]
    figures = _figures(points)
    context = {
        "mission": mission,
        "filter_form": filter_form,
        "filters_html": _filters_html(
            filter_form, reverse("missions:tracker_mission", args=[mission.pk])
        ),
        "page": _page(
            request,
            points,
            figures["points_total"],
            missions={mission.pk: mission},
            clusters=filter_form.clusters,
        ),
        "visible_count": visible_count,
        "checklist": checklist,
        "draft_form": (draft_form or ActionPointForm(mission=mission)) if drafting else None,
        "may_open_all": mission.status in DRAFTING_STATES and may_plan,
        "plans": plans,
        "plan_form": (plan_form or PlanForm(mission=mission)) if may_plan else None,
        "carry_offered": points_to_carry(mission) if may_carry else [],
        "carry": carry or {},
        "error": error,
        "export_query": _export_query(request, mission=mission.pk),
        **figures,
    }
    return render(request, "missions/followup/tracker_mission.html", context, status=status)


@login_required
def tracker_mission(request: HttpRequest, pk: int) -> HttpResponse:
    """One mission's follow-up, for anyone who sees the mission (the points: those they may
    see)."""
    return _render_mission_tracker(request, get_mission_for(request.user, pk))


@login_required
def my_points(request: HttpRequest) -> HttpResponse:
    """The points the user owns, with what is due and overdue."""
    counts = my_counts(request.user)
    return render(
        request,
        "missions/followup/my_points.html",
        {
            "page": _page(
                request, my_action_points(request.user), counts["total"], owner=request.user
            ),
            "counts": counts,
        },
    )


# Drafting and editing points --------------------------------------------------------------------


@login_required
@require_POST
def action_point_new(request: HttpRequest, pk: int) -> HttpResponse:
    """The team drafts a point while in the country; a refusal comes back at its field."""
    mission = get_mission_for(request.user, pk)
    form = ActionPointForm(request.POST, mission=mission)
    if form.is_valid():
        try:
            point = action_point_create(mission, request.user, **form.point_fields())
        except MissionNotFound:
            raise Http404("No such mission.") from None
        except PermissionDenied as refused:
            return _forbidden(request, _message(refused))
        except ValidationError as refused:
            show_on_form(form, refused)
        else:
            messages.success(
                request,
                _("Action point %(reference)s is drafted.") % {"reference": point.reference},
            )
            return redirect(reverse("missions:tracker_mission", args=[mission.pk]) + "#draft")
    if not may_draft(mission, request.user):
        return _forbidden(request, _("Only the team drafts action points, while in the country."))
    return _render_mission_tracker(
        request,
        mission,
        draft_form=form,
        error=_("The action point is not saved yet: correct what is marked below."),
        status=400,
    )


@login_required
def action_point_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a point's content: its team while it is a draft, the leader while it is live.
    A save is refused when someone else saved the point since the page was opened."""
    point = get_point_for(request.user, pk)
    if not may_edit_point(point, request.user):
        return _forbidden(request, _("You may not change this action point now."))
    error, status = "", 200
    if request.method == "POST":
        form = ActionPointForm(request.POST, mission=point.mission)
        if form.is_valid():
            try:
                action_point_update(
                    point,
                    request.user,
                    expected_updated_at=form.cleaned_data["expected_updated_at"],
                    **form.point_fields(),
                )
            except MissionNotFound:
                raise Http404("No such action point.") from None
            except PermissionDenied as refused:
                return _forbidden(request, _message(refused))
            except StaleTransition as stale:
                # Keep what was typed; the page now shows what is saved, and a second save
                # (having checked it) replaces it.
                point = get_point_for(request.user, pk)
                data = request.POST.copy()
                data["expected_updated_at"] = point.updated_at.isoformat()
                form = ActionPointForm(data, mission=point.mission)
                form.is_valid()
                error, status = stale.message, 409
            except ValidationError as refused:
                show_on_form(form, refused)
                error, status = _("Nothing was saved: correct what is marked below."), 400
            else:
                messages.success(request, _("The action point is saved."))
                return redirect("missions:action_point", pk=point.pk)
        else:
            error, status = _("Nothing was saved: correct what is marked below."), 400
    else:
        form = ActionPointForm.for_point(point)
    return render(
        request,
        "missions/followup/point_edit.html",
        {"point": point, "form": form, "error": error, "stale": status == 409},
        status=status,
    )


# One point: its history, its steps, its progress ------------------------------------------------


def _render_point(
    request: HttpRequest,
    point: ActionPoint,
    *,
    failed: dict | None = None,
    progress_form: ProgressForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    steps = [
        step
        for step in ACTION_POINT.options(point, user)
        if step["name"] not in NOT_OFFERED
        # Verifying is offered only when the point waits for it.
        and not any(item.field == "verified" for item in step["missing"])
    ]
    reporting = may_report(point, user)
    context = {
        "point": point,
        "mission_visible": missions_visible_to(user).filter(pk=point.mission_id).exists(),
        "needs_verification": point.needs_verification(),
        "history": point_history(point),
        "clusters": list(point.clusters.all()),
        "steps": steps,
        "failed": failed,
        "progress_form": (progress_form or ProgressForm()) if reporting else None,
        "may_edit": may_edit_point(point, user),
        "error": error,
    }
    return render(request, "missions/followup/point.html", context, status=status)


@login_required
def action_point(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_point(request, get_point_for(request.user, pk))


@login_required
@require_POST
def action_point_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    point = get_point_for(request.user, pk)
    if name not in POINT_TRANSITIONS or name in NOT_OFFERED:
        raise Http404("No such step.")
    try:
        log = point_transition(point, name, request.user, **step_inputs(request.POST))
    except MissionNotFound:
        raise Http404("No such action point.") from None
    except TransitionError as refused:
        failed = {
            "name": name,
            "message": refused.message,
            "missing": {item.field: item.message for item in refused.missing},
            "values": request.POST,
        }
        point = get_point_for(request.user, pk)
        status = 403 if isinstance(refused, TransitionNotPermitted) else 400
        return _render_point(request, point, failed=failed, status=status)
    if name == "verify":
        done = _("Done: %(reference)s is verified.") % {"reference": point.reference}
    else:
        done = _("Done: %(reference)s is now %(status)s.") % {
            "reference": point.reference,
            "status": PointStatus(log.target).label.lower(),
        }
    messages.success(request, done)
    return redirect("missions:action_point", pk=point.pk)


@login_required
@require_POST
def action_point_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner (or the leader) reports progress, with evidence files."""
    point = get_point_for(request.user, pk)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            progress_post(
                point, request.user, text=data["text"], percent=data["percent"], files=data["files"]
            )
        except MissionNotFound:
            raise Http404("No such action point.") from None
        except PermissionDenied as refused:
            return _forbidden(request, _message(refused))
        except ValidationError as refused:
            show_on_form(form, refused)
        else:
            messages.success(request, _("Your progress update is posted."))
            return redirect(reverse("missions:action_point", args=[point.pk]) + "#updates")
    if not may_report(point, request.user):
        return _forbidden(
            request, _("Only the owner or the leader reports progress on this point.")
        )
    return _render_point(
        request,
        point,
        progress_form=form,
        error=_("The update is not posted yet: correct what is marked below."),
        status=400,
    )


@login_required
def evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """An evidence file, to anyone who sees its point, as a download (never shown inline)."""
    item = get_evidence_for(request.user, pk)
    return private_file_response(
        request,
        item.file,
        download_name(item.original_name, item.content_type),
        item.content_type,
        uploader_id=item.update.author_id,  # the author of the update it came with
    )


# The mission's points at once -------------------------------------------------------------------


@login_required
@require_POST
def points_open_all_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The leader opens every complete draft (before leaving the country)."""
    mission = get_mission_for(request.user, pk)
    if not organises(request.user, mission):
        return _forbidden(request, _("Only the leader or the GCC opens action points."))
    try:
        opened = points_open_all(mission, request.user)
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except TransitionNotPermitted as refused:
        return _forbidden(request, refused.message)
    except TransitionError as refused:
        messages.error(request, refused.message)
    else:
        if opened:
            messages.success(
                request,
                ngettext(
                    "%(count)s action point is open.",
                    "%(count)s action points are open.",
                    opened,
                )
                % {"count": opened},
            )
        else:
            messages.warning(
                request,
                _("No draft was complete: each needs an owner, a due date and its measure."),
            )
    return redirect("missions:tracker_mission", pk=mission.pk)


@login_required
@require_POST
def points_carry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The GCC carries the chosen open points of the parent to this follow-up mission."""
    mission = get_mission_for(request.user, pk)
    posted = request.POST.getlist("points")
    chosen = [pk for pk in (object_id(value) for value in posted) if pk is not None]
    try:
        carried = points_carry(mission, request.user, chosen)
    except MissionNotFound:
        raise Http404("No such mission.") from None
    except PermissionDenied as refused:
        return _forbidden(request, _message(refused))
    except (ValidationError, TransitionError) as refused:
        return _render_mission_tracker(
            request,
            mission,
            carry={"error": _message(refused), "chosen": set(chosen)},
            status=400,
        )
    messages.success(
        request,
        ngettext(
            "%(count)s action point is carried over and open on this mission.",
            "%(count)s action points are carried over and open on this mission.",
            len(carried),
        )
        % {"count": len(carried)},
    )
    return redirect("missions:tracker_mission", pk=mission.pk)


# Improvement plans ------------------------------------------------------------------------------


@login_required
@require_POST
def plan_new(request: HttpRequest, pk: int) -> HttpResponse:
    mission = get_mission_for(request.user, pk)
    form = PlanForm(request.POST, mission=mission)
    if form.is_valid():
        data = form.cleaned_data
        try:
            plan = plan_create(mission, request.user, data["country_cluster"], data["summary"])
        except MissionNotFound:
            raise Http404("No such mission.") from None
        except PermissionDenied as refused:
            return _forbidden(request, _message(refused))
        except ValidationError as refused:
            show_on_form(form, refused)
        else:
            messages.success(request, _("The improvement plan is recorded."))
            return redirect("missions:plan", pk=plan.pk)
    if not organises(request.user, mission):
        return _forbidden(request, _("Only the leader or the GCC records improvement plans."))
    return _render_mission_tracker(
        request,
        mission,
        plan_form=form,
        error=_("The improvement plan is not recorded yet: correct what is marked below."),
        status=400,
    )


def _render_plan(
    request: HttpRequest, plan, *, comment_form: PlanCommentForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    progress = plan_progress(plan)
    # Who sees the plan sees those of its points in their scope.
    points = plan_points(plan, user)
    context = {
        "plan": plan,
        "mission_visible": missions_visible_to(user).filter(pk=plan.mission_id).exists(),
        "progress": progress,
        "chart": mark_safe(  # nosec B308 B703 # bar_chart escapes every text it draws
            bar_chart(
                [(label, n) for _status, label, n in progress["by_status"]],
                title=_("The plan's action points by status"),
                chart_id="plan-by-status",
            )
        ),
        "page": _page(request, points),
        "comments": plan.comments.select_related("author"),
        "comment_form": comment_form or PlanCommentForm(),
    }
    return render(request, "missions/followup/plan.html", context, status=status)


@login_required
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_plan(request, get_plan_for(request.user, pk))


@login_required
@require_POST
def plan_comment_view(request: HttpRequest, pk: int) -> HttpResponse:
    current = get_plan_for(request.user, pk)
    form = PlanCommentForm(request.POST)
    if form.is_valid():
        try:
            comment = plan_comment(current, request.user, form.cleaned_data["text"])
        except MissionNotFound:
            raise Http404("No such improvement plan.") from None
        except PermissionDenied as refused:
            return _forbidden(request, _message(refused))
        except ValidationError as refused:
            show_on_form(form, refused)
        else:
            messages.success(request, _("Your comment is added."))
            return redirect(reverse("missions:plan", args=[current.pk]) + f"#comment-{comment.pk}")
    return _render_plan(request, current, comment_form=form, status=400)


# Exports ----------------------------------------------------------------------------------------

# Column titles are translated when a file is made (in the language of its request).
EXPORT_COLUMNS = (
    (gettext_lazy("Reference"), lambda p: p.reference),
    (gettext_lazy("Mission"), lambda p: p.mission.title),
    (gettext_lazy("Country"), lambda p: p.mission.country.name),
    (gettext_lazy("Recommendation"), lambda p: p.text),
    (gettext_lazy("Addressed to (kind)"), lambda p: p.get_addressee_kind_display()),
    (gettext_lazy("Addressee"), lambda p: p.addressee),
    (gettext_lazy("Level"), lambda p: p.get_level_display()),
    (gettext_lazy("Owner"), lambda p: person(p.owner) if p.owner else ""),
    (gettext_lazy("Due date"), lambda p: p.due_on),
    (gettext_lazy("Status"), lambda p: p.get_status_display()),
    (gettext_lazy("Overdue"), lambda p: _("yes") if p.is_overdue() else ""),
    (gettext_lazy("Priority"), lambda p: p.get_priority_display()),
    (gettext_lazy("Indicator"), lambda p: p.indicator),
    (gettext_lazy("Means of verification"), lambda p: p.verification),
    (gettext_lazy("Resource notes"), lambda p: p.resources),
    (gettext_lazy("Clusters"), lambda p: ", ".join(c.name for c in p.cluster_list)),
    (
        gettext_lazy("Improvement plan"),
        lambda p: str(p.plan.country_cluster.global_cluster) if p.plan_id else "",
    ),
    (gettext_lazy("Progress updates"), lambda p: p.update_count),
    (gettext_lazy("Done on"), lambda p: p.done_at),
    (gettext_lazy("Verified on"), lambda p: p.verified_at),
)


def _export(request: HttpRequest) -> tuple[list, list, str]:
    """The tracker's rows as the page has them: the same filters, the same scope, the same
    order (all pages). With `mission`, that mission's tracker."""
    mission = None
    if "mission" in request.GET:
        mission_pk = object_id(request.GET["mission"])
        if mission_pk is None:
            raise Http404("No such mission.")
        mission = get_mission_for(request.user, mission_pk)
    points = tracker_points(request.user, TrackerFilterForm(request.GET or None).filters(), mission)
    header = [str(title) for title, _value in EXPORT_COLUMNS]
    rows = [
        [value(point) for _title, value in EXPORT_COLUMNS]
        for point in with_shared(
            for_display(points).select_related("plan__country_cluster__global_cluster")
        )
    ]
    name = "action-points"
    if mission is not None:
        name += f"-{slugify(mission.title)[:60] or mission.pk}"
    return header, rows, f"{name}-{timezone.localdate().isoformat()}"


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
def tracker_csv(request: HttpRequest) -> HttpResponse:
    header, rows, name = _export(request)
    return _download(csv_bytes(header, rows), f"{name}.csv", "text/csv; charset=utf-8")


@login_required
def tracker_xlsx(request: HttpRequest) -> HttpResponse:
    header, rows, name = _export(request)
    return _download(
        xlsx_bytes(header, rows, title=_("Action points")),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# The calendar -----------------------------------------------------------------------------------


def _feed_url(token: CalendarToken | None) -> str:
    if token is None:
        return ""
    return site_url(reverse("missions:calendar", args=[token.token]))


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The address of the user's private calendar feed; POST makes a new one (the old one
    stops working at once)."""
    if request.method == "POST":
        # A new secret each time: whoever had the old address loses the feed.
        calendar_token_renew(request.user)
        messages.success(
            request, _("Your calendar has a new address; the one before no longer works.")
        )
        return redirect("missions:calendar_settings")
    token = CalendarToken.objects.filter(user=request.user).first()
    response = render(
        request,
        "missions/followup/calendar.html",
        {"token": token, "feed_url": _feed_url(token)},
    )
    # The page shows a secret: nobody else's cache keeps it, no link passes it on.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's calendar, for a calendar application (no login: the secret address is the
    key): the due dates of the points they own, and the days in the country of the missions
    they are on or lead."""
    entry = CalendarToken.objects.select_related("user").filter(token=token).first()
    if entry is None or not entry.user.is_active:
        raise Http404("No such calendar.")
    user = entry.user
    host = urlsplit(site_url("/")).hostname or "icsm"
    events = []
    points = (
        my_action_points(user)
        .select_related("mission")
        .filter(due_on__isnull=False)
        .exclude(status__in=(PointStatus.DROPPED, PointStatus.CARRIED))
    )
    for point in points:
        events.append(
            DayEvent(
                uid=f"action-point-{point.pk}@{host}",
                start=point.due_on,
                last=point.due_on,
                summary=_("Due: %(reference)s (%(status)s)")
                % {"reference": point.reference, "status": point.get_status_display()},
                description=_("%(text)s\n\nMission: %(title)s")
                % {"text": point.text, "title": point.mission.title},
                url=site_url(reverse("missions:action_point", args=[point.pk])),
                stamp=point.updated_at,
            )
        )
    missions = tracker_missions(user).filter(
        in_country_from__isnull=False, in_country_to__isnull=False
    )
    for mission in missions.select_related("country"):
        events.append(
            DayEvent(
                uid=f"mission-{mission.pk}@{host}",
                start=mission.in_country_from,
                last=mission.in_country_to,
                summary=_("In the country: %(title)s") % {"title": mission.title},
                url=site_url(reverse("missions:detail", args=[mission.pk])),
                stamp=mission.updated_at,
            )
        )
    content = calendar_bytes(
        _("ICSM: %(name)s") % {"name": person(user)}, events, prodid="-//ICSM//Follow-up//EN"
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(False, "icsm.ics")
    response["Cache-Control"] = "private, max-age=900"
    response["X-Content-Type-Options"] = "nosniff"
    return response
