"""Reads of the mission report's text and its distribution list.

One place decides what the public version holds (`public_sections`, `public_findings`): the
public PDF, the public page and the feed all read through it, so an internal section or
finding can reach none of them. The mission a selector receives is already scoped by the caller.
"""

from __future__ import annotations

from django.db.models import QuerySet

from missions.models import Mission, MissionReport, ReportFinding, ReportRecipient, ReportVersion
from missions.workflow import REPORT_STATES, holds

SECTIONS: tuple[str, ...] = ReportVersion.SECTIONS


def section_label(name: str) -> str:
    """The section's heading as people read it ("Places visited")."""
    label = str(ReportVersion._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


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


def writes_report(user, mission: Mission) -> bool:
    """The leader and the team write the report while the mission is reporting or followed up."""
    return mission.status in REPORT_STATES and (
        holds(user, "lead_mission", mission) or holds(user, "serve_on_mission", mission)
    )


def finalises_report(user, mission: Mission) -> bool:
    """Only the leader marks the report final."""
    return mission.status in REPORT_STATES and holds(user, "lead_mission", mission)


def edits_distribution(user, mission: Mission) -> bool:
    """The leader and HCSS keep the distribution list."""
    return holds(user, "lead_mission", mission) or holds(user, "triage_mission", mission)


def recipients_of(mission: Mission) -> QuerySet[ReportRecipient]:
    return ReportRecipient.objects.filter(mission=mission).select_related("added_by")
