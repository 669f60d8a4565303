"""Demo data: one user per role, the five historical missions and current requests.

Every mission reaches its state through the transition runner, so each has a true log.
Idempotent: users are matched by user name and missions by title.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from clusters.models import Country, CrossCuttingIssue, GlobalCluster, Role
from clusters.services import role_grant
from missions.models import Mission
from missions.permissions import mission_leader_appoint
from missions.prioritisation import active_criteria, score_record
from missions.services import mission_create, mission_transition

DEMO_PASSWORD = "icsm-demo-2026"

# user name: (full name, role, scope)
DEMO_USERS = {
    "hcss": ("Hana Castell (OCHA HCSS)", Role.HCSS, {}),
    "taskteam": ("Tomas Teague (IASC Task Team)", Role.TASK_TEAM, {}),
    "gcc": ("Grace Chukwu (GCC)", Role.GCC, {}),
    "rchc-pakistan": ("RC/HC office, Pakistan", Role.RC_HC, {"country": "PAK"}),
    "rchc-nepal": ("RC/HC office, Nepal", Role.RC_HC, {"country": "NPL"}),
    "rchc-sudan": ("RC/HC office, Sudan", Role.RC_HC, {"country": "SDN"}),
    "rchc-colombia": ("RC/HC office, Colombia", Role.RC_HC, {"country": "COL"}),
    "hct-pakistan": ("HCT member, Pakistan", Role.HCT_MEMBER, {"country": "PAK"}),
    "focal-health": (
        "Global Health Cluster focal point",
        Role.CLUSTER_FOCAL_POINT,
        {"global_cluster": "health"},
    ),
    "cci-gender": ("Gender focal point", Role.CCI_FOCAL_POINT, {"cross_cutting_issue": "gender"}),
    "mission-leader": ("Leila Mendes (mission leader)", None, {}),
}

RC_HC_OF = {
    "PAK": "rchc-pakistan",
    "NPL": "rchc-nepal",
    "SDN": "rchc-sudan",
    "COL": "rchc-colombia",
}

# The road from draft to each state, and who takes each step.
ROAD = [
    ("submit", "rc_hc"),
    ("start_triage", "hcss"),
    ("forward", "hcss"),
    ("approve", "taskteam"),
    ("start_planning", "gcc"),
    ("confirm_ready", "gcc"),
    ("deploy", "gcc"),
    ("leave_country", "mission-leader"),
    ("distribute_report", "mission-leader"),
    ("close", "mission-leader"),
]
STEPS_TO = {
    "draft": 0,
    "submitted": 1,
    "in_triage": 2,
    "with_task_team": 3,
    "approved": 4,
    "in_planning": 5,
    "closed": 10,
}


def _complete_request(start: datetime.date, **extra) -> dict:
    fields = {
        "preferred_start": start,
        "preferred_end": start + datetime.timedelta(days=12),
        "suggested_team_size": 5,
        "security_constraints": "Movement outside the capital needs clearance a week ahead.",
        "planned_evaluations": "None planned in the mission's window.",
        "hct_endorsement_record": "HCT meeting minutes, item 3: members agreed to ask for "
        "a mission and on its purpose.",
        "hct_endorsed_on": start - datetime.timedelta(days=45),
        "country_contacts": "Head of the OCHA office; inter-cluster coordinator.",
        "triage_note": "Request complete; HCT agreement on record.",
        "priority_score": 3.6,
        "priority_rank": 1,
        "agreed_focus": "Relations between the HCT and the clusters, and inter-cluster "
        "coordination.",
        "draft_tor": "Review how clusters report to the HCT; propose practical steps to "
        "strengthen inter-cluster coordination, with the RC/HC and HCT.",
    }
    fields.update(extra)
    return fields


HISTORICAL = [
    {
        "title": "Sudan 2009: inter-cluster support mission",
        "country": "SDN",
        "mission_type": Mission.Type.SPECIFIC_ISSUES,
        "issues": "Cluster leadership capacity and coordination between clusters.",
        "objectives": "Strengthen cluster coordination and leadership at country level.",
        "deliverables": "Recommendations per cluster and for inter-cluster coordination.",
        "clusters": ["health", "wash", "protection", "food-security"],
        "issues_wanted": ["gender"],
        "start": datetime.date(2009, 3, 1),
        "state": "closed",
    },
    {
        "title": "Pakistan 2009: diagnostic mission",
        "country": "PAK",
        "mission_type": Mission.Type.DIAGNOSTIC,
        "issues": "How each cluster works, its strengths and weaknesses.",
        "objectives": "Diagnose cluster performance across the response and draw up cluster "
        "improvement plans.",
        "deliverables": "A cluster improvement plan for each cluster; a diagnostic report.",
        "clusters": ["health", "wash", "shelter", "food-security", "nutrition", "education"],
        "issues_wanted": ["gender", "age", "environment"],
        "start": datetime.date(2009, 11, 1),
        "state": "closed",
    },
    {
        "title": "Pakistan 2010: follow-up mission",
        "country": "PAK",
        "mission_type": Mission.Type.FOLLOW_UP,
        "parent": "Pakistan 2009: diagnostic mission",
        "issues": "Links between the HCT and the clusters, and between clusters.",
        "objectives": "Improve linkages between the HCT and clusters and among clusters.",
        "deliverables": "Recommendations on the coordination structure as a whole.",
        "clusters": [],
        "issues_wanted": [],
        "composition_notes": "A small team with an overview of the response structure; "
        "no need for every cluster to be represented.",
        "start": datetime.date(2010, 3, 1),
        "state": "closed",
    },
    {
        "title": "Colombia June 2010: inter-cluster support mission",
        "country": "COL",
        "mission_type": Mission.Type.SPECIFIC_ISSUES,
        "issues": "Cluster roles in a protracted crisis alongside national authorities.",
        "objectives": "A common understanding of the cluster approach with national "
        "authorities and partners.",
        "deliverables": "Agreed roles and responsibilities; recommendations to the HCT.",
        "clusters": ["protection", "early-recovery", "health"],
        "issues_wanted": ["gender", "environment"],
        "start": datetime.date(2010, 6, 7),
        "state": "closed",
    },
    {
        "title": "Nepal July 2010: inter-cluster support mission",
        "country": "NPL",
        "mission_type": Mission.Type.SPECIFIC_ISSUES,
        "issues": "Links between strategic and operational coordination; preparedness.",
        "objectives": "Strengthen the link between strategic and operational coordination.",
        "deliverables": "Recommendations on inter-cluster coordination and preparedness.",
        "clusters": ["shelter", "wash", "logistics"],
        "issues_wanted": ["hiv-aids", "age"],
        "start": datetime.date(2010, 7, 12),
        "state": "closed",
    },
]


def _current(today: datetime.date) -> list[dict]:
    soon = today + datetime.timedelta(days=60)
    return [
        {
            "title": "Nepal 2026: preparedness and cluster transition",
            "country": "NPL",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Which clusters to keep active as the response winds down.",
            "objectives": "",
            "deliverables": "",
            "clusters": [],
            "issues_wanted": [],
            "start": soon,
            "state": "draft",
            "incomplete": True,
        },
        {
            "title": "Pakistan 2026: flood response coordination",
            "country": "PAK",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Overlaps between shelter, WASH and health in flood-affected districts.",
            "objectives": "Clarify cluster roles at district level and improve inter-cluster "
            "coordination.",
            "deliverables": "A short action plan agreed with the HCT.",
            "clusters": ["shelter", "wash", "health"],
            "issues_wanted": ["gender", "age"],
            "start": soon,
            "state": "submitted",
        },
        {
            "title": "Colombia 2026: mixed migration and cluster linkages",
            "country": "COL",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Coordination between the refugee and migrant platform and clusters.",
            "objectives": "Propose how the two coordination systems can work together.",
            "deliverables": "Options paper for the HCT.",
            "clusters": ["protection", "health"],
            "issues_wanted": ["protection", "gender"],
            "start": soon,
            "state": "in_triage",
        },
        {
            "title": "Sudan 2026: coordination in the displacement crisis",
            "country": "SDN",
            "mission_type": Mission.Type.DIAGNOSTIC,
            "issues": "Cluster performance across a fast-growing displacement response.",
            "objectives": "Assess cluster performance and draw up cluster improvement plans.",
            "deliverables": "Cluster improvement plans; a diagnostic report.",
            "clusters": ["cccm", "shelter", "wash", "health", "food-security"],
            "issues_wanted": ["gender", "psea", "aap"],
            "start": soon,
            "state": "with_task_team",
        },
        {
            "title": "Nepal 2026: cluster deactivation review",
            "country": "NPL",
            "mission_type": Mission.Type.FOLLOW_UP,
            "parent": "Nepal July 2010: inter-cluster support mission",
            "issues": "Whether the remaining clusters can hand over to national systems.",
            "objectives": "Review handover readiness of each active cluster.",
            "deliverables": "A handover checklist per cluster.",
            "clusters": ["shelter", "education"],
            "issues_wanted": ["environment"],
            "start": soon,
            "state": "deferred",
        },
        {
            "title": "Colombia 2026: cluster approach refresher",
            "country": "COL",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Training of new cluster coordinators.",
            "objectives": "Train new cluster coordinators in the cluster approach.",
            "deliverables": "Two workshops.",
            "clusters": ["education"],
            "issues_wanted": [],
            "start": soon,
            "state": "declined",
        },
        {
            "title": "Pakistan 2026: HCT and cluster linkages",
            "country": "PAK",
            "mission_type": Mission.Type.FOLLOW_UP,
            "parent": "Pakistan 2010: follow-up mission",
            "issues": "How the HCT sets priorities for clusters and follows them up.",
            "objectives": "Strengthen the link between strategic and operational coordination.",
            "deliverables": "Recommendations with owners, dates and indicators.",
            "clusters": ["food-security", "nutrition"],
            "issues_wanted": ["gender", "aap"],
            "start": soon,
            "state": "approved",
        },
        {
            "title": "Sudan 2026: Darfur inter-cluster support",
            "country": "SDN",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Sub-national coordination hubs and their links to the capital.",
            "objectives": "Improve how sub-national hubs and national clusters work together.",
            "deliverables": "A hub coordination model agreed with the HCT.",
            "clusters": ["logistics", "health", "protection"],
            "issues_wanted": ["protection", "mhpss"],
            "start": soon,
            "state": "in_planning",
        },
    ]


def _users() -> dict:
    User = get_user_model()
    users = {}
    for username, (full_name, role, scope) in DEMO_USERS.items():
        first, _, last = full_name.partition(" ")
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"},
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if role:
            resolved = {
                "country": lambda v: Country.objects.get(code=v),
                "global_cluster": lambda v: GlobalCluster.objects.get(code=v),
                "cross_cutting_issue": lambda v: CrossCuttingIssue.objects.get(code=v),
            }
            role_grant(user, role, **{k: resolved[k](v) for k, v in scope.items()})
        users[username] = user
    return users


def _score(mission: Mission, member) -> None:
    """A plausible scorecard: the demo's requests lean towards the middle of the scale."""
    values = {c.pk: max(0, c.scale_max - 1 - (mission.pk + c.pk) % 3) for c in active_criteria()}
    score_record(mission, member, values)


def _mission(spec: dict, users: dict, today: datetime.date) -> Mission | None:
    if Mission.objects.filter(title=spec["title"]).exists():
        return None
    country = Country.objects.get(code=spec["country"])
    rc_hc = users[RC_HC_OF[spec["country"]]]
    fields = {
        "issues": spec["issues"],
        "objectives": spec["objectives"],
        "deliverables": spec["deliverables"],
        "composition_notes": spec.get("composition_notes", ""),
        "requested_clusters": GlobalCluster.objects.filter(code__in=spec["clusters"]),
        "requested_issues": CrossCuttingIssue.objects.filter(code__in=spec["issues_wanted"]),
    }
    if spec.get("parent"):
        fields["parent"] = Mission.objects.get(title=spec["parent"])
    if not spec.get("incomplete"):
        fields |= _complete_request(spec["start"])
        fields["country_consultation_on"] = spec["start"] + datetime.timedelta(days=10)
    mission = mission_create(
        country=country,
        title=spec["title"],
        mission_type=spec["mission_type"],
        requested_by=rc_hc,
        **fields,
    )
    state = spec["state"]
    if state == "closed":
        mission_leader_appoint(mission, users["mission-leader"])
    if state in ("deferred", "declined"):
        steps = ROAD[: STEPS_TO["with_task_team"]]
    else:
        steps = ROAD[: STEPS_TO[state]]
    for name, who in steps:
        user = rc_hc if who == "rc_hc" else users[who]
        if name == "approve":
            _score(mission, users["taskteam"])
        mission_transition(mission, name, user)
    if state in ("with_task_team", "deferred", "declined"):
        _score(mission, users["taskteam"])
    if state == "deferred":
        mission_transition(
            mission,
            "defer",
            users["taskteam"],
            reason="Capacity is committed elsewhere this quarter; to be looked at again.",
            revisit_on=today + datetime.timedelta(days=30),
        )
    elif state == "declined":
        mission_transition(
            mission,
            "decline",
            users["taskteam"],
            reason="Training is better served by the global clusters' regular courses.",
        )
    return mission


@transaction.atomic
def load_demo() -> dict:
    """Create whatever part of the demo is missing. Returns the demo users by name."""
    users = _users()
    today = timezone.localdate()
    for spec in [*HISTORICAL, *_current(today)]:
        _mission(spec, users, today)
    return users
