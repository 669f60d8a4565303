"""The home page (what is waiting for me) and my notifications."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clusters.models import Role
from clusters.selectors import user_roles
from commitments.selectors.assessment import open_assessments_for
from commitments.selectors.picture import clusters_across_for
from commitments.selectors.rounds import open_rounds_for
from missions.forms.mission import object_id
from missions.models import Invitation, Mission, Notification, Score
from missions.selectors.followup import my_counts
from missions.selectors.missions import (
    has_served,
    missions_led_by,
    missions_served_by,
    missions_to_vote_in,
    missions_visible_to,
)
from missions.workflow import (
    DECIDED_STATES,
    LEADING_STATES,
    ORGANISING_STATES,
    PLANNING_STATES,
    REQUEST_STATES,
    TEAM_STATES,
    TRIAGE_QUEUE_STATES,
    Status,
)

SHOWN = 5


def _section(
    title: str, missions: QuerySet, link: str, empty: str, page: str = "missions:detail"
) -> dict:
    """A card of missions, each linked to the `page` where the user's next step is."""
    missions = missions.order_by("submitted_at", "pk")
    # A card shows each mission's title and state: not its forty columns and long texts.
    shown = list(missions.only("title", *Mission.STATUS_FIELDS)[:SHOWN])
    return {
        "title": title,
        "count": missions.count(),
        "items": [(mission, reverse(page, args=[mission.pk])) for mission in shown],
        "link": link,
        "empty": empty,
    }


def _straight_to_invitations(section: dict, user) -> dict:
    """A focal point's next step is their invitation, not the mission's page: one query for
    the invitations of their clusters and issues to the missions shown."""
    shown = [mission.pk for mission, _url in section["items"]]
    assignments = user.role_assignments.filter(
        role__in=(Role.CLUSTER_FOCAL_POINT, Role.CCI_FOCAL_POINT)
    )
    invitations = dict(
        Invitation.objects.filter(mission__in=shown)
        .filter(
            Q(global_cluster__in=assignments.values("global_cluster"))
            | Q(cross_cutting_issue__in=assignments.values("cross_cutting_issue"))
        )
        .order_by("-pk")
        .values_list("mission_id", "pk")
    )
    section["items"] = [
        (
            mission,
            reverse("missions:invitation", args=[mission.pk, invitations[mission.pk]])
            if mission.pk in invitations
            else url,
        )
        for mission, url in section["items"]
    ]
    return section


def waiting_for(user) -> list[dict]:
    """The sections of the home page for the roles `user` holds."""
    roles = user_roles(user)
    visible = missions_visible_to(user)
    missions_url = reverse("missions:list")
    sections = []
    if Role.RC_HC in roles:
        sections.append(
            _section(
                _("Drafts to finish and submit"),
                visible.filter(status=Status.DRAFT),
                f"{missions_url}?status=draft",
                _("No draft is waiting."),
            )
        )
    if Role.RC_HC in roles or Role.HCT_MEMBER in roles:
        since = timezone.now() - datetime.timedelta(days=180)
        sections.append(
            _section(
                _("Decisions on your country's requests"),
                visible.filter(
                    status__in=DECIDED_STATES,
                    decided_at__gte=since,
                ),
                missions_url,
                _("No decision in the last six months."),
            )
        )
    if Role.HCT_MEMBER in roles:
        sections.append(
            _section(
                _("Requests waiting for the HCT's agreement"),
                visible.filter(status__in=REQUEST_STATES, hct_endorsed_on__isnull=True),
                missions_url,
                _("No request of your country is waiting for the HCT's agreement."),
            )
        )
    if Role.HCSS in roles:
        sections.append(
            _section(
                _("Requests to triage"),
                visible.filter(status__in=TRIAGE_QUEUE_STATES),
                reverse("admin:missions_triagerequest_changelist"),
                _("The triage queue is empty."),
            )
        )
    if Role.TASK_TEAM in roles:
        mine = Score.objects.filter(mission=OuterRef("pk"), member=user)
        sections.append(
            _section(
                _("Requests to score"),
                visible.filter(status=Status.WITH_TASK_TEAM).exclude(Exists(mine)),
                reverse("task_team:board"),
                _("You have scored every request on the board."),
            )
        )
        sections.append(
            _section(
                _("Deferred requests due for another look"),
                visible.filter(status=Status.DEFERRED, revisit_on__lte=timezone.localdate()),
                reverse("task_team:board"),
                _("None is due."),
            )
        )
    if Role.GCC in roles:
        sections.append(
            _section(
                _("Missions to organise"),
                visible.filter(status__in=ORGANISING_STATES),
                missions_url,
                _("No mission is being organised."),
            )
        )
    if Role.CLUSTER_FOCAL_POINT in roles or Role.CCI_FOCAL_POINT in roles:
        # A focal point sees only the missions their cluster or issue was invited to.
        invited = _section(
            _("Invitations to nominate participants"),
            visible.filter(status__in=PLANNING_STATES),
            missions_url,
            _("No mission is inviting your cluster or issue just now."),
        )
        sections.append(_straight_to_invitations(invited, user))
    # One look at the user's own permission rows first: most people are on no team.
    if has_served(user):
        sections += _team_sections(user, missions_url)
    points = my_counts(user)
    if points["open"]:
        sections.append(
            {
                "title": _("Your action points"),
                "count": points["open"],
                "items": [],
                "link": reverse("missions:my_points"),
                # Shown under the count, where a mission section lists its missions.
                "empty": _("%(due_soon)s due within a week, %(overdue)s overdue.") % points,
            }
        )
    return sections


def _team_sections(user, missions_url: str) -> list[dict]:
    """The vote to cast, the missions the user is on and those they lead."""
    sections = []
    to_vote = missions_to_vote_in(user)
    if to_vote.exists():
        sections.append(
            _section(
                _("Vote for your team's leader: the vote is open"),
                to_vote,
                "",
                "",
                page="missions:election",
            )
        )
    on_team = missions_served_by(user).filter(status__in=TEAM_STATES)
    if on_team.exists():
        sections.append(_section(_("Missions you are on"), on_team, missions_url, ""))
    leading = missions_led_by(user).filter(status__in=LEADING_STATES)
    if leading.exists():
        sections.append(_section(_("Missions you lead"), leading, missions_url, ""))
    return sections


def commitment_sections(user) -> list[dict]:
    """The partner's self-assessments still to submit and the coordinator's open rounds
    (commitments), each item with its link and what is due when."""
    roles = user_roles(user)
    sections = []
    if Role.PARTNER_REPRESENTATIVE in roles:
        drafts = open_assessments_for(user)
        sections.append(
            {
                "title": _("Self-assessments to submit"),
                "count": drafts.count(),
                "items": [
                    {
                        "label": _("%(cluster)s: %(organisation)s")
                        % {"cluster": a.round.country_cluster, "organisation": a.organisation.name},
                        "url": reverse("commitments:assessment", args=[a.pk]),
                        "hint": _("due by %(date)s")
                        % {"date": formats.date_format(a.round.closes_on)},
                    }
                    for a in drafts[:SHOWN]
                ],
                "link": reverse("commitments:index"),
                "empty": _("Your organisation has no self-assessment open."),
            }
        )
    if Role.CLUSTER_COORDINATOR in roles:
        rounds = open_rounds_for(user)
        sections.append(
            {
                "title": _("Open self-assessment rounds"),
                "count": rounds.count(),
                "items": [
                    {
                        "label": str(r.country_cluster),
                        "url": reverse("commitments:round", args=[r.pk]),
                        "hint": _("%(submitted)s of %(invited)s submitted")
                        % {
                            "submitted": r.submitted,
                            "invited": r.invited,
                        },
                    }
                    for r in rounds[:SHOWN]
                ],
                "link": reverse("commitments:index"),
                "empty": _("No round is open: open one from the cluster's page."),
            }
        )
    if Role.CLUSTER_FOCAL_POINT in roles or Role.HCSS in roles:
        clusters = clusters_across_for(user).filter(commitment_rounds__isnull=False).distinct()
        sections.append(
            {
                "title": _("Clusters' commitments"),
                "count": clusters.count(),
                "items": [],
                "link": reverse("commitments:across"),
                "empty": _("Country clusters that assessed themselves against the commitments."),
            }
        )
    return sections


@login_required
def home(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.select_related("mission")
    context = {
        "sections": waiting_for(request.user),
        "commitment_sections": commitment_sections(request.user),
        "latest": list(notifications.filter(read_at__isnull=True)[:SHOWN]),
    }
    return render(request, "missions/home.html", context)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(request.user.notifications.select_related("mission"), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "missions/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of mine as read."""
    mine = Notification.objects.filter(user=request.user, read_at__isnull=True)
    if "id" in request.POST:
        pk = object_id(request.POST["id"])
        mine = mine.filter(pk=pk) if pk is not None else mine.none()
    mine.update(read_at=timezone.now())
    back = request.POST.get("next", "")
    # Only back to a page of this site: never a redirect to somewhere else.
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("notifications")
    return redirect(back)


def unread_notifications(request: HttpRequest) -> dict:
    """Context processor: the unread count in the header."""
    if not request.user.is_authenticated:
        return {}
    return {
        "unread_count": Notification.objects.filter(
            user=request.user, read_at__isnull=True
        ).count(),
        "user_roles": user_roles(request.user),
    }
