"""The demo's mission reports, written through the report services as a team would: started
from the request, filled in section by section with findings, and marked final by the leader.

The historical missions' reports are final (they were distributed and published); the current
mission in `reporting` has a draft.
"""

from __future__ import annotations

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation
from missions.models import Mission
from missions.selectors.report import report_current
from missions.services.report import report_mark_final, report_save, report_start

# The global desks reports go to, as an administrator would give them (demo addresses).
REPORT_DESKS = {
    "WHO": "health-cluster@example.org",
    "UNICEF": "wash-nutrition-clusters@example.org",
    "WFP": "logistics-cluster@example.org",
    "ICVA": "secretariat@icva.example.org",
    "InterAction": "coordination@interaction.example.org",
}

# title: summary, conclusions, places, people met, findings (cluster, issue, text, internal)
REPORTS = {
    "Sudan 2009: inter-cluster support mission": (
        "Clusters in Darfur and Khartoum worked apart, with no agreed forum to settle questions "
        "that cut across them. The team proposed one, with clear links to the HCT.",
        "Set up an inter-cluster coordination group with agreed terms of reference; fill the "
        "vacant cluster coordinator posts in the field hubs.",
        "Khartoum; Nyala and El Fasher (South and North Darfur).",
        "Cluster coordinators in Khartoum and Darfur; the HCT; two national NGO forums.",
        [
            (
                None,
                None,
                "There is no forum where clusters settle questions that cut across "
                "them; the HCT hears each cluster separately.",
                False,
            ),
            (
                "health",
                None,
                "The health cluster in Nyala has had no dedicated coordinator for five months.",
                False,
            ),
            (
                "wash",
                None,
                "WASH partners in two camps report access incidents that they "
                "do not share with other clusters.",
                True,
            ),
        ],
    ),
    "Pakistan 2009: diagnostic mission": (
        "A diagnostic of every active cluster: strengths, gaps and an improvement plan for "
        "each, agreed with the clusters and the HCT.",
        "Each cluster keeps an improvement plan and reports on it to the HCT every quarter.",
        "Islamabad; Peshawar; Mardan.",
        "The RC/HC; the HCT; the coordinators of nine clusters; provincial authorities.",
        [
            (
                None,
                None,
                "Clusters report to the HCT in different formats and at different "
                "times, so the HCT cannot compare them.",
                False,
            ),
            ("health", None, "Health partners share no common list of who works where.", False),
            (None, "gender", "Few clusters collect data by sex and age.", False),
            (
                None,
                None,
                "One cluster lead agency's country director questioned the value "
                "of the mission in front of partners.",
                True,
            ),
        ],
    ),
    "Pakistan 2010: follow-up mission": (
        "A small team looked at the links between the HCT and the clusters, and between the "
        "clusters, a year after the diagnostic.",
        "Give the inter-cluster group a standing place on the HCT's agenda.",
        "Islamabad; Peshawar.",
        "The RC/HC; the HCT; the inter-cluster coordination group.",
        [
            (
                None,
                None,
                "The inter-cluster group meets, but its advice rarely reaches the HCT's decisions.",
                False,
            ),
            (
                None,
                None,
                "Two HCT members asked not to be quoted on the lead agencies' performance.",
                True,
            ),
        ],
    ),
    "Colombia June 2010: inter-cluster support mission": (
        "Clusters and the national coordination system run side by side; the team looked at "
        "how they can support each other.",
        "Agree with national authorities which cluster functions they will take over, and when.",
        "Bogotá; Pasto; Quibdó.",
        "The RC/HC; the HCT; national and departmental authorities; local NGOs.",
        [
            (
                None,
                None,
                "National authorities and clusters hold separate meetings on the "
                "same displaced families.",
                False,
            ),
            (
                "protection",
                None,
                "Protection partners need a shared referral route for survivors of violence.",
                False,
            ),
            (None, None, "Named community leaders in one department face threats.", True),
        ],
    ),
    "Nepal July 2010: inter-cluster support mission": (
        "Preparedness: which clusters to keep ready for the next monsoon and earthquake, and "
        "how they hand over to government-led sectors.",
        "Keep four clusters on standby with contingency plans updated each year.",
        "Kathmandu; Nepalgunj.",
        "The RC/HC; the HCT; line ministries; cluster coordinators.",
        [
            (None, None, "Contingency plans were last updated two years ago.", False),
            ("logistics", None, "Stocks are pre-positioned in one place only.", False),
        ],
    ),
    "Pakistan 2026: monsoon floods support mission": (
        "WASH, health and shelter partners work in the same flooded districts without a "
        "common forum; the team agreed one per district with the clusters and the HCT.",
        "Hold one district forum for WASH, health and shelter, chaired in turn, reporting "
        "to the inter-cluster group every month.",
        "Islamabad; Sukkur; Dadu; Jacobabad.",
        "The RC/HC; the HCT; district authorities; the WASH, health and shelter clusters.",
        [
            (
                "wash",
                None,
                "WASH and health partners run separate assessments of the same water points.",
                False,
            ),
            (
                "shelter",
                None,
                "Shelter partners have no shared list of families still in temporary sites.",
                False,
            ),
            (
                None,
                "gender",
                "Women-headed households are missed by door-to-door "
                "distributions in two districts.",
                False,
            ),
            (
                None,
                None,
                "A district official asked that the team's notes on local "
                "politics stay out of any public text.",
                True,
            ),
        ],
    ),
}

CURRENT_REPORT = (
    "Nepal 2026: earthquake recovery coordination",
    (
        "Draft. The team is writing up its findings on how the clusters hand over to the "
        "provincial recovery structures.",
        "",
        "Kathmandu; Gorkha; Dhading.",
        "The RC/HC; provincial authorities; cluster coordinators.",
        [
            (
                None,
                None,
                "Provincial authorities ask for a single contact for all clusters.",
                False,
            ),
        ],
    ),
)


def set_report_desks() -> None:
    """The demo's report addresses of lead agencies and NGO consortia (pre-fill the lists)."""
    for acronym, email in REPORT_DESKS.items():
        Organisation.objects.filter(acronym=acronym, report_email="").update(report_email=email)


def _findings(rows) -> list[dict]:
    clusters = dict(GlobalCluster.objects.values_list("code", "pk"))
    issues = dict(CrossCuttingIssue.objects.values_list("code", "pk"))
    return [
        {
            "cluster": clusters.get(cluster),
            "issue": issues.get(issue),
            "text": text,
            "internal": internal,
        }
        for cluster, issue, text, internal in rows
    ]


def write_report(mission: Mission, leader, *, final: bool) -> None:
    """Write the mission's report as its team would; mark it final if `final`."""
    spec = REPORTS.get(mission.title)
    if spec is None and mission.title == CURRENT_REPORT[0]:
        spec = CURRENT_REPORT[1]
    if spec is None:
        return
    summary, conclusions, places, people_met, findings = spec
    report_start(mission, leader)
    current = report_current(mission)
    version = report_save(
        mission,
        leader,
        base_number=current.number,
        change_note="Findings and conclusions from the team's notes.",
        internal_sections=["people_met"],
        findings=_findings(findings),
        summary=summary,
        conclusions=conclusions,
        places=places,
        people_met=people_met,
    )
    if final:
        report_mark_final(mission, leader, number=(version or current).number)
