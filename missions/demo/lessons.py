"""The demo's lessons, recorded on the historical missions."""

from __future__ import annotations

from django.db import transaction

from clusters.models import GlobalCluster
from missions.models import Lesson, Mission
from missions.services.lessons import tags_normalise

# Keyed by the titles of missions.demo.HISTORICAL.
DEMO_LESSONS: list[dict] = [
    {
        "mission": "Sudan 2009: inter-cluster support mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Agree the action points before the team leaves",
        "text": "Recommendations drafted after the team had flown home took weeks to be "
        "agreed and lost their owners on the way. Keep the last two days in the country "
        "for a session with the RC/HC and the HCT that agrees each action point, who owns "
        "it and by when.",
        "tags": "action points, hct, follow-up",
        "clusters": [],
    },
    {
        "mission": "Sudan 2009: inter-cluster support mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "Pair each team member with a national counterpart",
        "text": "Each participant worked alongside a counterpart from the country-level "
        "cluster they supported. Meetings opened doors faster, and the counterparts carried "
        "the cluster improvement plans forward after the mission ended.",
        "tags": "national counterparts, cluster leadership, handover",
        "clusters": ["health", "wash", "protection"],
    },
    {
        "mission": "Pakistan 2009: diagnostic mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Ask for briefing papers on the cross-cutting issues early",
        "text": "Gender, age and environment had no one on the team, and the briefing papers "
        "arrived after departure, so they barely reached the findings. Ask the focal points "
        "for their papers when the ToR is final and read them together before leaving.",
        "tags": "cross-cutting issues, briefing papers, gender, preparation",
        "clusters": [],
    },
    {
        "mission": "Pakistan 2009: diagnostic mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "One improvement plan per cluster, written with the cluster",
        "text": "Drafting each cluster improvement plan with the cluster coordinator and two "
        "or three partners, rather than for them, made the plans realistic. Clusters "
        "reported progress against them at the next HCT meetings without being asked.",
        "tags": "cluster improvement plans, ownership",
        "clusters": ["health", "nutrition", "food-security", "education"],
    },
    {
        "mission": "Pakistan 2010: follow-up mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "A small team is enough for a follow-up",
        "text": "Three people with a view of the whole coordination structure covered the "
        "follow-up better than a large team of cluster specialists would have. The HCT had "
        "time to meet every member, and logistics and visas took a week instead of a month.",
        "tags": "team size, follow-up, logistics",
        "clusters": [],
    },
    {
        "mission": "Pakistan 2010: follow-up mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Map HCT–cluster reporting lines before arriving",
        "text": "The team spent its first days finding out which clusters reported to the "
        "HCT and how. A one-page map of the coordination structure, asked of the OCHA office "
        "beforehand, would have freed those days for the real discussions.",
        "tags": "hct, cluster linkages, preparation",
        "clusters": [],
    },
    {
        "mission": "Colombia June 2010: inter-cluster support mission",
        "kind": Lesson.Kind.LESSON,
        "title": "Hold the meetings in the national language",
        "text": "Partners and government officials spoke far more freely once meetings moved "
        "from English to Spanish. Put at least two Spanish speakers on the team and have "
        "the key documents translated before the mission starts.",
        "tags": "language, national authorities, team composition",
        "clusters": ["protection", "early-recovery"],
    },
    {
        "mission": "Nepal July 2010: inter-cluster support mission",
        "kind": Lesson.Kind.GOOD_PRACTICE,
        "title": "Link the preparedness plan to the government's own",
        "text": "Framing the recommendations on preparedness around the government's "
        "contingency plan, rather than a parallel cluster plan, got the ministries to the "
        "table. The clusters' roles were then written into the plan the government already "
        "used.",
        "tags": "preparedness, national authorities, cluster linkages",
        "clusters": ["shelter", "wash", "logistics"],
    },
]


@transaction.atomic
def lessons_load_demo(author=None) -> int:
    """Create the demo lessons that are missing (matched by mission and title); returns how
    many were created. Missions of DEMO_LESSONS that do not exist are skipped."""
    missions = {
        m.title: m
        for m in Mission.objects.filter(title__in={spec["mission"] for spec in DEMO_LESSONS})
    }
    clusters = {c.code: c for c in GlobalCluster.objects.all()}
    created = 0
    for spec in DEMO_LESSONS:
        mission = missions.get(spec["mission"])
        if mission is None or Lesson.objects.filter(mission=mission, title=spec["title"]).exists():
            continue
        lesson = Lesson.objects.create(
            mission=mission,
            kind=spec["kind"],
            title=spec["title"],
            text=spec["text"],
            tags=tags_normalise(spec["tags"]),
            country_id=mission.country_id,
            author=author,
        )
        lesson.clusters.set([clusters[code] for code in spec["clusters"]])
        created += 1
    return created
