"""The demo's action points and improvement plans, taken through the follow-up services as
the teams and owners would: drafted in the country, opened before leaving, updated with
evidence, verified, dropped with a reason, carried to a follow-up mission."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from clusters.models import CountryCluster, GlobalCluster
from missions.models import ActionPoint, Mission
from missions.models.followup import LIVE_POINT_STATES, PointStatus
from missions.services.followup import (
    action_point_create,
    plan_create,
    point_transition,
    points_carry,
    points_open_all,
    points_to_carry,
    progress_post,
)


def evidence(name: str) -> SimpleUploadedFile:
    """A small, real PDF standing for the minutes or report an owner attaches."""
    body = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


# Per historical mission: (cluster code or None, addressee, text, indicator, verification,
# months after the mission it was due, what became of it). "carry": still open when the
# follow-up mission took it over.
POINTS = {
    "Sudan 2009: inter-cluster support mission": [
        (
            None,
            "The HCT",
            "Agree terms of reference for inter-cluster coordination in Darfur and Khartoum.",
            "ToR endorsed by the HCT",
            "HCT minutes",
            3,
            "done",
        ),
        (
            "health",
            None,
            "Appoint a dedicated health cluster coordinator in Nyala.",
            "Coordinator in post",
            "Letter of appointment",
            4,
            "done",
        ),
        (
            "wash",
            None,
            "Map WASH partners' presence by locality and share it monthly.",
            "Monthly 3W published",
            "Published 3W maps",
            2,
            "dropped",
        ),
    ],
    "Pakistan 2009: diagnostic mission": [
        (
            "health",
            None,
            "Hold monthly health cluster meetings in each affected district.",
            "Share of districts with a monthly meeting",
            "Meeting minutes",
            3,
            "done",
        ),
        (
            "wash",
            None,
            "Agree a common WASH assessment form with the provincial authorities.",
            "Form agreed and in use",
            "The agreed form; assessment reports using it",
            4,
            "carry",
        ),
        (
            "shelter",
            None,
            "Set up a shelter technical working group with the national disaster authority.",
            "Working group meets",
            "Its terms of reference and minutes",
            3,
            "done",
        ),
        (
            "nutrition",
            None,
            "Train district nutrition focal points in cluster coordination.",
            "Focal points trained",
            "Training attendance lists",
            6,
            "carry",
        ),
        (
            "education",
            None,
            "Include education in emergencies in the provincial response plan.",
            "Chapter in the plan",
            "The published plan",
            5,
            "dropped",
        ),
    ],
    "Pakistan 2010: follow-up mission": [
        (
            None,
            "The HCT",
            "Set the HCT's three coordination priorities for clusters each "
            "quarter and review them.",
            "Quarterly review held",
            "HCT minutes",
            3,
            "done",
        ),
    ],
    "Colombia June 2010: inter-cluster support mission": [
        (
            "protection",
            None,
            "Agree with national authorities how the protection cluster reports to them.",
            "Reporting line agreed",
            "Exchange of letters",
            3,
            "done",
        ),
        (
            None,
            "The RC/HC",
            "Hold a joint workshop on the cluster approach with national authorities.",
            "Workshop held",
            "Workshop report",
            2,
            "done",
        ),
    ],
    "Nepal 2026: earthquake recovery coordination": [
        (
            None,
            "The HCT",
            "Name one contact point for all clusters in each affected province.",
            "Contact points named and known to the provinces",
            "HCT minutes",
            2,
            "open",
        ),
        (
            "shelter",
            None,
            "Hand the shelter cluster's district meetings over to the provincial authority.",
            "Meetings chaired by the province",
            "Minutes of the district meetings",
            4,
            "open",
        ),
    ],
    "Nepal July 2010: inter-cluster support mission": [
        (
            "logistics",
            None,
            "Pre-position a shared logistics capacity for the monsoon season.",
            "Capacity in place by June",
            "Warehouse contracts",
            6,
            "done",
        ),
        (
            "shelter",
            None,
            "Agree a contingency plan for shelter with the WASH cluster.",
            "Plan agreed",
            "The contingency plan",
            4,
            "dropped",
        ),
    ],
}

# The current mission in follow-up: (cluster, addressee, text, indicator, verification,
# days from today it is due, what it is now, high priority?).
CURRENT_POINTS = [
    (
        "wash",
        None,
        "Agree a district-level WASH and health coordination forum in Sindh.",
        "Forum meets every month",
        "Minutes of its meetings",
        -12,
        "in_progress",
        False,
    ),
    (
        "health",
        None,
        "Share the health cluster's disease surveillance data with WASH partners weekly.",
        "Weekly bulletin reaches WASH partners",
        "Bulletin distribution list",
        5,
        "open",
        False,
    ),
    (
        "shelter",
        None,
        "Publish the shelter cluster's winterisation gap analysis.",
        "Gap analysis published",
        "The published analysis",
        -40,
        "open",
        True,
    ),
    (
        None,
        "The HCT",
        "Review the inter-cluster coordination group's terms of reference.",
        "Revised ToR endorsed",
        "HCT minutes",
        -5,
        "done",
        False,
    ),
    (
        "wash",
        None,
        "Train WASH partners' field staff on the common assessment tool.",
        "Share of partners trained",
        "Attendance lists",
        20,
        "done",
        True,
    ),
]


def _addressee(mission: Mission, cluster_code: str | None, role: str | None) -> dict:
    if cluster_code is None:
        return {"addressee_kind": ActionPoint.Addressee.ROLE, "addressee_role": role}
    cluster, _ = CountryCluster.objects.get_or_create(
        country=mission.country, global_cluster=GlobalCluster.objects.get(code=cluster_code)
    )
    return {"addressee_kind": ActionPoint.Addressee.COUNTRY_CLUSTER, "country_cluster": cluster}


def _plans(mission: Mission, leader, codes) -> dict:
    """Improvement plans per cluster, for a diagnostic that produced them."""
    plans = {}
    for code in codes:
        cluster, _ = CountryCluster.objects.get_or_create(
            country=mission.country, global_cluster=GlobalCluster.objects.get(code=code)
        )
        plans[code] = plan_create(mission, leader, cluster, summary=f"The {cluster} plan.")
    return plans


def draft_in_country(mission: Mission, users: dict, today: datetime.date) -> None:
    """The team drafts the mission's points with the country and opens them before leaving."""
    leader, owner = users["mission-leader"], users["owner-wash"]
    current = mission.title not in POINTS
    rows = CURRENT_POINTS if current else POINTS[mission.title]
    codes = sorted({row[0] for row in rows if row[0]})
    plans = (
        _plans(mission, leader, codes)
        if mission.mission_type == Mission.Type.DIAGNOSTIC or current
        else {}
    )
    start = mission.in_country_to or today
    for row in rows:
        code, role, text, indicator, verification, due = row[:6]
        due_on = (
            today + datetime.timedelta(days=due)
            if current
            else start + datetime.timedelta(days=30 * due)
        )
        action_point_create(
            mission,
            leader,
            text=text,
            level=ActionPoint.Level.COUNTRY,
            owner=owner if current else leader,
            due_on=due_on,
            indicator=indicator,
            verification=verification,
            resources="Within the cluster's existing budget." if code else "",
            priority=(
                ActionPoint.Priority.HIGH if current and row[7] else ActionPoint.Priority.NORMAL
            ),
            clusters=GlobalCluster.objects.filter(code=code) if code else [],
            plan=plans.get(code),
            **_addressee(mission, code, role),
        )
    points_open_all(mission, leader)


def progress(mission: Mission, users: dict) -> None:
    """What the owners reported, up to each point's present state."""
    leader, owner = users["mission-leader"], users["owner-wash"]
    current = mission.title not in POINTS
    rows = CURRENT_POINTS if current else POINTS[mission.title]
    points = list(
        ActionPoint.objects.filter(mission=mission, carried_from__isnull=True).order_by("number")
    )
    verifier = users["amina-diallo"]
    # What a follow-up mission took over from its parent, it saw through.
    for point in ActionPoint.objects.filter(
        mission=mission, carried_from__isnull=False, status__in=LIVE_POINT_STATES
    ):
        progress_post(
            point,
            leader,
            text="Completed during the follow-up mission.",
            percent=100,
            files=[evidence(f"{point.reference}-evidence.pdf")],
        )
        point_transition(point, "complete", leader)
        point_transition(point, "verify", verifier)
    for point, row in zip(points, rows, strict=True):
        fate = row[6]
        reporter = owner if current else leader
        if fate in ("in_progress", "done"):
            progress_post(point, reporter, text="Work has started with the partners.", percent=40)
        if fate == "done":
            progress_post(
                point,
                reporter,
                text="Done: the record is attached.",
                percent=100,
                files=[evidence(f"{point.reference}-evidence.pdf")],
            )
            point_transition(point, "complete", reporter)
            point.refresh_from_db()
            if point.needs_verification() and not current:
                point_transition(point, "verify", verifier)
        if fate == "dropped":
            point_transition(
                point,
                "drop",
                leader,
                reason="Overtaken by the authorities' own plan; no longer needed.",
            )


def carry_from_parent(child: Mission, users: dict) -> None:
    """A follow-up mission takes over its parent's open points, as the GCC chooses."""
    offered = points_to_carry(child)
    if offered:
        points_carry(child, users["gcc"], [point.pk for point in offered])


def settle_before_closing(mission: Mission, users: dict) -> None:
    """Nothing of a closed mission is left open (the `close` guard holds)."""
    for point in ActionPoint.objects.filter(
        mission=mission, status__in=(PointStatus.OPEN, PointStatus.IN_PROGRESS)
    ):
        point_transition(point, "drop", users["mission-leader"], reason="Closed with the mission.")
