"""Demo data: one user per role, the five historical missions and current requests.

Every mission reaches its state through the transition runner, so each has a true log.
Idempotent: users are matched by user name and missions by title.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clusters.models import Country, CrossCuttingIssue, GlobalCluster, Organisation, Role
from clusters.services import role_grant
from commitments.demo import load_demo_commitments
from missions.demo import followup as demo_followup
from missions.demo import report as demo_report
from missions.demo.lessons import lessons_load_demo
from missions.models import (
    ChecklistItem,
    Grade,
    IssueCoverage,
    LogisticsEntry,
    Mission,
    Notification,
)
from missions.models.mission import relevant_issues
from missions.services.election import (
    MIN_BALLOTS,
    election_agree,
    election_close,
    election_open,
    election_stand,
    election_vote,
)
from missions.services.followup import remind_action_points
from missions.services.intake import comment_add
from missions.services.mission import mission_create, mission_transition
from missions.services.notices import decision_communicate
from missions.services.preparation import coverage_set, logistics_set_dates, logistics_update
from missions.services.prioritisation import active_criteria, mission_decide, score_record
from missions.services.team import (
    invitations_send,
    nomination_create,
    nomination_decide,
    team_confirm,
)
from missions.services.tor import tor_mark_final, tor_save, tor_start
from missions.workflow import Status

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
    "amina-diallo": ("Amina Diallo", None, {}),
    "ben-okafor": ("Ben Okafor", None, {}),
    "sofia-reyes": ("Sofia Reyes", None, {}),
    # An NGO's WASH coordinator in Pakistan who owns action points and reports on them.
    "owner-wash": ("Wasim Khan (WASH coordinator, NGO)", None, {}),
}

# The people the demo puts on teams: agency, grade, years in the field, languages.
ROSTER = {
    "mission-leader": ("OCHA", Grade.P5, 14, "English, Spanish, French"),
    "amina-diallo": ("WFP", Grade.P4, 9, "English, French"),
    "ben-okafor": ("UNICEF", Grade.P4, 7, "English"),
    "sofia-reyes": ("ICVA", Grade.P3, 6, "Spanish, English"),
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
    "reporting": 8,
    "follow_up": 9,
    "closed": 10,
}


TRIAGE_NOTE = "Request complete; HCT agreement on record."
DECISION = {
    "agreed_focus": "Relations between the HCT and the clusters, and inter-cluster coordination.",
    "draft_tor": "Review how clusters report to the HCT; propose practical steps to "
    "strengthen inter-cluster coordination, with the RC/HC and HCT.",
}


def _complete_request(start: datetime.date, agreed_on: datetime.date, **extra) -> dict:
    fields = {
        "preferred_start": start,
        "preferred_end": start + datetime.timedelta(days=12),
        "suggested_team_size": 5,
        "security_constraints": "Movement outside the capital needs clearance a week ahead.",
        "planned_evaluations": "None planned in the mission's window.",
        "hct_endorsement_record": "HCT meeting minutes, item 3: members agreed to ask for "
        "a mission and on its purpose.",
        "hct_endorsed_on": agreed_on,
        "country_contacts": "Head of the OCHA office; inter-cluster coordinator.",
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
        # Closed only once its follow-up mission has taken over its open points.
        "closes_after_follow_up": True,
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
        # Two members: too few for a secret ballot, they agreed their leader openly.
        "team": ["mission-leader", "amina-diallo"],
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
            "title": "Pakistan 2026: monsoon floods support mission",
            "waiting_days": 200,
            "country": "PAK",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "WASH and health partners work side by side in the same districts "
            "without a common forum.",
            "objectives": "Agree how WASH, health and shelter coordinate at district level.",
            "deliverables": "Action points with owners, dates and indicators.",
            "clusters": ["wash", "health", "shelter"],
            "issues_wanted": ["gender"],
            "start": today - datetime.timedelta(days=100),
            "state": "follow_up",
        },
        {
            "title": "Nepal 2026: earthquake recovery coordination",
            "waiting_days": 160,
            "country": "NPL",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "How the clusters hand over to the provincial recovery structures.",
            "objectives": "Agree the steps and timing of the hand-over with each province.",
            "deliverables": "A hand-over plan per province, agreed with the HCT.",
            "clusters": ["shelter", "wash"],
            "issues_wanted": ["age"],
            "start": today - datetime.timedelta(days=40),
            "state": "reporting",
        },
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
            "waiting_days": 14,
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
            "comments": [
                (
                    "hct-pakistan",
                    "The HCT discussed this on Monday: WASH and health partners are keen to "
                    "take part in the mission's district visits.",
                )
            ],
        },
        {
            "title": "Pakistan 2026: information management between clusters",
            "waiting_days": 20,
            "country": "PAK",
            "mission_type": Mission.Type.SPECIFIC_ISSUES,
            "issues": "Clusters publish figures that do not add up across sectors.",
            "objectives": "Agree common data standards between clusters.",
            "deliverables": "A shared 3W and a data-sharing protocol.",
            "clusters": ["logistics"],
            "issues_wanted": [],
            "start": soon,
            "state": "submitted",
            "returned_with": "Which clusters publish the figures that disagree, and has the "
            "inter-cluster coordination group already looked at this?",
        },
        {
            "title": "Colombia 2026: mixed migration and cluster linkages",
            "waiting_days": 6,
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
            "waiting_days": 35,
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
            "waiting_days": 60,
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
            "waiting_days": 50,
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
            "waiting_days": 80,
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
            "waiting_days": 120,
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


def _history_sent() -> None:
    """The demo's notices are history: their e-mails went out when each thing happened, so
    the outbox does not send them again when `make run` starts its worker."""
    Notification.objects.filter(email_state=Notification.EmailState.PENDING).update(
        email_state=Notification.EmailState.SENT, emailed_at=F("created_at")
    )


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
        # The HCT agreed a week before the request went in, as the request form asks.
        submitted = spec.get("submitted") or _submitted(spec, today)
        fields |= _complete_request(
            spec["start"], agreed_on=submitted.date() - datetime.timedelta(days=7)
        )
        consulted_on = spec["start"] + datetime.timedelta(days=10)
        if consulted_on <= today:
            fields["country_consultation_on"] = consulted_on
    mission = mission_create(
        country=country,
        title=spec["title"],
        mission_type=spec["mission_type"],
        requested_by=rc_hc,
        **fields,
    )
    state = spec["state"]
    if state in ("deferred", "declined"):
        steps = ROAD[: STEPS_TO["with_task_team"]]
    else:
        steps = ROAD[: STEPS_TO[state]]
    for name, who in steps:
        user = rc_hc if who == "rc_hc" else users[who]
        if name == "leave_country":
            # The team drafts its action points with the country before it leaves.
            demo_followup.draft_in_country(mission, users, today)
        if name == "distribute_report":
            demo_report.write_report(mission, users["mission-leader"], final=True)
        if name == "close":
            if spec.get("closes_after_follow_up"):
                break  # closed when its follow-up mission takes over (below)
            demo_followup.progress(mission, users)
            demo_followup.settle_before_closing(mission, users)
        if name == "forward":
            # HCSS writes the triage note on the request's admin page before forwarding.
            Mission.objects.filter(pk=mission.pk).update(triage_note=TRIAGE_NOTE)
        if name == "approve":
            _score(mission, user)
            log = mission_decide(mission, user, "approve", **DECISION)
            # OCHA's notices of the decision went out when it was taken.
            _history_sent()
            decision_communicate(log.pk)
            _take_over_from_parent(mission, users)
            continue
        if name == "confirm_ready":
            _plan_completely(mission, users, spec.get("team", HISTORICAL_TEAM))
        mission_transition(mission, name, user)
    if state == "in_planning":
        _plan_halfway(mission, users)
    if state == "reporting":
        demo_report.write_report(mission, users["mission-leader"], final=False)
    if state == "follow_up":
        demo_followup.progress(mission, users)
    if spec.get("returned_with"):
        mission_transition(
            mission, "return_for_revision", users["hcss"], reason=spec["returned_with"]
        )
    for username, text in spec.get("comments", []):
        comment_add(mission, users[username], text)
    if state in ("with_task_team", "deferred", "declined"):
        _score(mission, users["taskteam"])
    if state == "deferred":
        mission_decide(
            mission,
            users["taskteam"],
            "defer",
            reason="Capacity is committed elsewhere this quarter; to be looked at again.",
            revisit_on=today + datetime.timedelta(days=30),
        )
    elif state == "declined":
        mission_decide(
            mission,
            users["taskteam"],
            "decline",
            reason="Training is better served by the global clusters' regular courses.",
        )
    if mission.log.exists():
        _spread_history(mission, spec.get("submitted") or _submitted(spec, today))
    return mission


def _take_over_from_parent(child: Mission, users: dict) -> None:
    """An approved follow-up mission takes over its parent's open points; a parent that was
    waiting for it then settles the rest and closes."""
    parent = child.parent
    if parent is None:
        return
    waiting = parent.status == Status.FOLLOW_UP
    if waiting:
        demo_followup.progress(parent, users)  # what was done or dropped meanwhile
    demo_followup.carry_from_parent(child, users)
    if waiting:
        demo_followup.settle_before_closing(parent, users)
        mission_transition(parent, "close", users["mission-leader"])


def _submitted(spec: dict, today: datetime.date) -> datetime.datetime:
    """When the demo says a request was submitted: historical ones months before their start,
    current ones over the past weeks (the first of them beyond HCSS's service target)."""
    if spec["state"] == "closed":
        day = spec["start"] - datetime.timedelta(days=90)
    else:
        day = today - datetime.timedelta(days=spec.get("waiting_days", 30))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 30)))


# Days each step took on the way, for spreading a demo mission's history over time.
STEP_DAYS = {
    "submit": 0,
    "start_triage": 3,
    "return_for_revision": 4,
    "forward": 6,
    "approve": 16,
    "decline": 16,
    "defer": 16,
    "start_planning": 5,
    "confirm_ready": 38,
    "deploy": 21,
    "leave_country": 12,
    "distribute_report": 35,
    "close": 150,
}


def _spread_history(mission: Mission, submitted: datetime.datetime) -> None:
    """Give the demo's log the rhythm of a real one, starting on `submitted`.

    The runner stamps every step with the moment it ran, so a freshly loaded demo would
    have years of history in one second; the HCSS dashboard's months and medians need more.
    """
    at = submitted
    for entry in mission.log.order_by("at", "pk"):
        at += datetime.timedelta(days=STEP_DAYS.get(entry.transition, 2))
        entry.at = at
        entry.save(update_fields=["at"])
    stamps = {entry.transition: entry.at for entry in mission.log.all()}
    Mission.objects.filter(pk=mission.pk).update(
        created_at=submitted - datetime.timedelta(days=9),
        submitted_at=stamps.get("submit"),
        decided_at=next((stamps[t] for t in ("approve", "decline", "defer") if t in stamps), None),
        decision_communicated_at=next(
            (stamps[t] for t in ("approve", "decline", "defer") if t in stamps), None
        ),
    )


def _invite(mission: Mission, gcc) -> list:
    clusters = list(mission.requested_clusters.all()) or list(
        GlobalCluster.objects.filter(code__in=["health", "protection"])
    )
    return invitations_send(
        mission,
        gcc,
        clusters=clusters,
        issues=list(mission.requested_issues.all()),
        message="Please nominate a participant with field coordination experience.",
    )


def _nominate(mission: Mission, invitation, username: str, users: dict, nominated_by):
    user = users[username]
    agency, grade, years, languages = ROSTER[username]
    start, end = mission.preferred_start, mission.preferred_end
    return nomination_create(
        mission,
        invitation,
        nominated_by,
        full_name=user.get_full_name(),
        email=user.email,
        agency=Organisation.objects.get(acronym=agency),
        clusters=[invitation.global_cluster] if invitation.global_cluster_id else [],
        cross_cutting_issues=[],
        years_in_field=years,
        previous_missions=2,
        languages=languages,
        grade=grade,
        available_from=start,
        available_to=end,
        experience="Cluster coordination in several emergencies.",
    )


def _tor(mission: Mission, gcc, *, final: bool) -> None:
    tor_start(mission, gcc)
    tor_save(
        mission,
        gcc,
        base_number=1,
        change_note="Added the field visits agreed with the RC/HC office.",
        timing="Ten days in the country, with two days of field visits outside the capital.",
    )
    if final:
        tor_mark_final(mission, gcc, number=2)


# The team of a historical mission, unless its spec says otherwise.
HISTORICAL_TEAM = ["mission-leader", "amina-diallo", "ben-okafor"]


def _plan_completely(mission: Mission, users: dict, members: list[str]) -> None:
    """What `confirm_ready` asks for, done through the planning services: the historical
    missions went all the way, each led by Leila Mendes: elected by secret ballot, where every
    member voted, or agreed openly by a team too small for a ballot."""
    gcc = users["gcc"]
    _tor(mission, gcc, final=True)
    invitations = [i for i in _invite(mission, gcc) if i.global_cluster_id]
    team = [
        _nominate(mission, invitations[index % len(invitations)], username, users, gcc)
        for index, username in enumerate(members)
    ]
    for nomination in team:
        nomination_decide(nomination, gcc, accept=True, reason="Experience fits the ToR.")
    team_confirm(mission, gcc)
    if len(team) < MIN_BALLOTS:
        election_agree(
            mission,
            gcc,
            member=team[0],
            agreement="On the team's first call, both members agreed that Leila Mendes leads.",
        )
    else:
        election_open(mission, gcc)
        leila = election_stand(mission, users["mission-leader"], "I led two earlier missions.")
        election_stand(mission, users["amina-diallo"])
        # Every member votes: the round can then be counted before its deadline.
        for username in members:
            election_vote(mission, users[username], leila.pk)
        election_close(mission, gcc)
    for issue in relevant_issues(mission):
        coverage_set(
            mission,
            gcc,
            issue,
            mode=IssueCoverage.Mode.REMOTE,
            remote_focal_point=f"{issue.name} adviser, regional office",
        )
    logistics_set_dates(
        mission, gcc, mission.preferred_start, mission.preferred_start + datetime.timedelta(10)
    )
    for item in ChecklistItem.objects.filter(active=True):
        for member in team if item.per_participant else [None]:
            logistics_update(mission, gcc, item, member, status=LogisticsEntry.Status.DONE)


def _plan_halfway(mission: Mission, users: dict) -> None:
    """A mission being organised now: a draft ToR, a team of three confirmed after one
    nomination was declined, the vote under way (one of three has voted, the deadline a week
    away), some issues and logistics still open."""
    gcc = users["gcc"]
    _tor(mission, gcc, final=False)
    invitations = {i.global_cluster.code: i for i in _invite(mission, gcc) if i.global_cluster_id}
    health = _nominate(mission, invitations["health"], "ben-okafor", users, users["focal-health"])
    logistics = _nominate(mission, invitations["logistics"], "amina-diallo", users, gcc)
    protection = _nominate(mission, invitations["protection"], "sofia-reyes", users, gcc)
    nomination_decide(health, gcc, accept=True, reason="Health cluster experience in Darfur.")
    nomination_decide(logistics, gcc, accept=True, reason="Runs the logistics hub in Nyala.")
    nomination_decide(
        protection, gcc, accept=False, reason="Not available for the whole window; sorry."
    )
    leader = _nominate(mission, invitations["protection"], "mission-leader", users, gcc)
    nomination_decide(leader, gcc, accept=True, reason="Led earlier missions; free throughout.")
    team_confirm(mission, gcc)
    election_open(mission, gcc)
    amina = election_stand(mission, users["amina-diallo"], "I know the hubs well.")
    election_stand(mission, users["ben-okafor"])
    election_vote(mission, users["amina-diallo"], amina.pk)
    issues = list(relevant_issues(mission))
    coverage_set(
        mission,
        gcc,
        issues[0],
        mode=IssueCoverage.Mode.REMOTE,
        remote_focal_point=f"{issues[0].name} adviser, regional office",
    )
    start = mission.preferred_start
    logistics_set_dates(mission, gcc, start, start + datetime.timedelta(days=12))
    for item in ChecklistItem.objects.filter(active=True, per_participant=True)[:2]:
        logistics_update(mission, gcc, item, logistics, status=LogisticsEntry.Status.DONE)
        logistics_update(mission, gcc, item, health, status=LogisticsEntry.Status.IN_PROGRESS)


@transaction.atomic
def load_demo() -> dict:
    """Create whatever part of the demo is missing. Returns the demo users by name."""
    users = _users()
    demo_report.set_report_desks()
    today = timezone.localdate()
    for spec in [*HISTORICAL, *_current(today)]:
        _mission(spec, users, today)
    lessons_load_demo(author=users["mission-leader"])
    # Pakistan's clusters assess themselves against the Minimum Commitments.
    users |= load_demo_commitments(DEMO_PASSWORD)
    # The reminders of the current follow-up went out as beat would have sent them.
    remind_action_points(today)
    _history_sent()
    # What the historical missions sent out was read long ago.
    Notification.objects.filter(mission__status=Status.CLOSED, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return users
