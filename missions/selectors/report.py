"""Reads of the mission report's text and its distribution list.

One place decides what the public version holds (`public_sections`, `public_findings`): the
public PDF, the public page and the feed all read through it, so an internal section or
finding can reach none of them. The mission a selector receives is already scoped by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusters.models import GlobalCluster
from missions.models import (
    Mission,
    MissionReport,
    Nomination,
    ReportFinding,
    ReportRecipient,
    ReportVersion,
)
from missions.workflow import REPORT_STATES, holds

SECTIONS: tuple[str, ...] = ReportVersion.SECTIONS
# The sections' headings as people read them, in the reader's language.
SECTION_LABELS = {
    "summary": gettext_lazy("Summary"),
    "context": gettext_lazy("Context"),
    "request": gettext_lazy("The request"),
    "programme": gettext_lazy("Programme of the mission"),
    "places": gettext_lazy("Places visited"),
    "people_met": gettext_lazy("People and organisations met"),
    "conclusions": gettext_lazy("Conclusions and recommendations"),
}


def section_label(name: str) -> str:
    """The section's heading as people read it ("Places visited")."""
    return str(SECTION_LABELS[name])


def report_for(mission: Mission) -> MissionReport | None:
    """The mission's report, or None before anyone started it."""
    return (
        MissionReport.objects.select_related("final_version", "finalised_by")
        .filter(mission=mission)
        .first()
    )


def report_versions(mission: Mission) -> QuerySet[ReportVersion]:
    """Every version, newest first, with its author."""
    return (
        ReportVersion.objects.filter(report__mission=mission)
        .select_related("author", "report")
        .order_by("-number")
    )


def report_current(mission: Mission) -> ReportVersion | None:
    """The newest version: the report as it stands."""
    return report_versions(mission).first()


def report_final(mission: Mission) -> ReportVersion | None:
    """The version the leader marked final, if it is still the current one."""
    current = report_current(mission)
    if current is None or current.report.final_version_id != current.pk:
        return None
    return current


def is_final(version: ReportVersion) -> bool:
    return version.report.final_version_id == version.pk


def findings_of(version: ReportVersion) -> QuerySet[ReportFinding]:
    return version.findings.select_related("cluster", "issue").order_by("position", "pk")


def report_sections(version: ReportVersion, *, public: bool = False) -> list[dict]:
    """The version's sections in print order: name, label, text and whether it is public.
    With `public`, only the public ones."""
    sections = [
        {
            "name": name,
            "label": section_label(name),
            "text": getattr(version, name),
            "public": version.is_public(name),
        }
        for name in SECTIONS
    ]
    return [s for s in sections if s["public"]] if public else sections


def public_sections(version: ReportVersion) -> list[dict]:
    return report_sections(version, public=True)


def public_findings(version: ReportVersion) -> list[ReportFinding]:
    return [finding for finding in findings_of(version) if not finding.internal]


def public_summary(version: ReportVersion) -> str:
    """The summary the public page and the feed show: empty when the summary is internal."""
    return version.summary if version.is_public("summary") else ""


def on_report_team(user, mission: Mission) -> bool:
    """The leader or a member of the team: who write the report, whatever the mission's state
    (`writes_report` says whether they may now)."""
    return holds(user, "lead_mission", mission) or holds(user, "serve_on_mission", mission)


def leads_report(user, mission: Mission) -> bool:
    """The leader, whatever the mission's state (`finalises_report` says whether now)."""
    return holds(user, "lead_mission", mission)


def writes_report(user, mission: Mission) -> bool:
    """The leader and the team write the report while the mission is reporting or followed up."""
    return mission.status in REPORT_STATES and on_report_team(user, mission)


def finalises_report(user, mission: Mission) -> bool:
    """Only the leader marks the report final."""
    return mission.status in REPORT_STATES and leads_report(user, mission)


def edits_distribution(user, mission: Mission) -> bool:
    """The leader and HCSS keep the distribution list."""
    return holds(user, "lead_mission", mission) or holds(user, "triage_mission", mission)


def recipients_of(mission: Mission) -> QuerySet[ReportRecipient]:
    return ReportRecipient.objects.filter(mission=mission).select_related("added_by")


def version_of(mission: Mission, number: int) -> ReportVersion | None:
    """Version `number` of the mission's report, with its author and report."""
    return report_versions(mission).filter(number=number).first()


def previous_version(version: ReportVersion) -> ReportVersion | None:
    """The version saved just before `version` (None for the first)."""
    return (
        ReportVersion.objects.select_related("author")
        .filter(report_id=version.report_id, number=version.number - 1)
        .first()
    )


def mission_clusters(mission: Mission) -> QuerySet[GlobalCluster]:
    """The clusters the mission is about: those the request wanted and those its team members
    represent. A finding about a cluster is about one of these."""
    represented = Nomination.clusters.through.objects.filter(
        nomination__mission=mission, nomination__status=Nomination.Status.ACCEPTED
    ).values("globalcluster_id")
    return (
        GlobalCluster.objects.filter(Q(requested_in=mission) | Q(pk__in=represented))
        .distinct()
        .order_by("name")
    )


def finding_clusters(mission: Mission) -> QuerySet[GlobalCluster]:
    """The clusters a finding of the mission's report may be about: the mission's, and those a
    finding already names (its team member may have left the team since)."""
    named = ReportFinding.objects.filter(
        version__report__mission=mission, cluster__isnull=False
    ).values("cluster_id")
    return (
        GlobalCluster.objects.filter(
            Q(pk__in=mission_clusters(mission).values("pk")) | Q(pk__in=named)
        )
        .distinct()
        .order_by("name")
    )


def findings_by_area(findings: Iterable[ReportFinding]) -> list[dict]:
    """Findings grouped as the report reads them: the inter-cluster coordination first, then
    each cluster, then each cross-cutting issue (by name), each group in the findings' order.

    Each group: kind ("coordination", "cluster" or "issue"), area (its name) and findings.
    The findings must come with their cluster and issue (`findings_of` does).
    """
    groups: dict[tuple, dict] = {}
    for finding in findings:
        if finding.cluster_id:
            key, kind, area = (1, finding.cluster.name), "cluster", finding.cluster.name
        elif finding.issue_id:
            key, kind, area = (2, finding.issue.name), "issue", finding.issue.name
        else:
            key, kind, area = (0, ""), "coordination", _("Inter-cluster coordination")
        groups.setdefault(key, {"kind": kind, "area": area, "findings": []})
        groups[key]["findings"].append(finding)
    return [groups[key] for key in sorted(groups)]
