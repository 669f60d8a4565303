"""Reads of documents. Scope comes from the missions: a document is visible to whoever sees
its mission (missions.selectors.missions_visible_to), and to nobody else.

A page shows each PDF in the language it is read in (`in_language`): while that one is not
ready, one ready in another language is offered meanwhile.

Also what each PDF prints (`report_context`, `public_report_context`,
`followup_status_context`): read from the mission's file, for the renderer in a worker.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from commitments.selectors.picture import country_picture
from formats.people import person
from missions.models import (
    ActionPoint,
    ActionPointLog,
    Attachment,
    Evidence,
    IssueCoverage,
    Mission,
    ProgressUpdate,
    ReportFinding,
    ReportVersion,
    TermsOfReference,
    ToRVersion,
)
from missions.models.followup import LIVE_POINT_STATES, PointStatus
from missions.selectors.missions import missions_visible_to
from missions.selectors.report import (
    findings_of,
    is_final,
    public_findings,
    public_sections,
    report_current,
    report_sections,
)
from missions.services.election import mission_leader
from missions.services.permissions import mission_leader_ids
from missions.services.team import team_members
from missions.services.tor import SECTIONS as TOR_SECTIONS
from missions.services.tor import section_label as tor_section_label
from reports.models import Document


def documents_visible_to(user) -> QuerySet[Document]:
    return Document.objects.filter(mission__in=missions_visible_to(user))


def in_language(
    documents: Iterable[Document], language: str
) -> tuple[Document | None, Document | None]:
    """Of the renderings of one text in its languages: the one in `language` (in any state),
    and, while that one is not ready, one that is ready in another language to offer
    meanwhile (the site's language first)."""
    documents = list(documents)
    mine = next((d for d in documents if d.language == language), None)
    if mine is not None and mine.status == Document.Status.READY:
        return mine, None
    others = sorted(
        (d for d in documents if d.status == Document.Status.READY and d.language != language),
        key=lambda d: (d.language != settings.LANGUAGE_CODE, d.pk),
    )
    return mine, others[0] if others else None


def document_translations(document: Document) -> QuerySet[Document]:
    """The renderings of the same text as `document` in each language, itself included."""
    return Document.objects.filter(
        mission=document.mission_id,
        kind=document.kind,
        source_version=document.source_version,
        source_final=document.source_final,
    )


def tor_current_version(mission: Mission) -> ToRVersion | None:
    """The ToR as it stands (its newest version), with the ToR row to tell if it is final."""
    return (
        ToRVersion.objects.filter(tor__mission=mission)
        .select_related("tor", "author")
        .order_by("-number")
        .first()
    )


def tor_document(
    mission: Mission, language: str = settings.LANGUAGE_CODE
) -> tuple[ToRVersion | None, Document | None, Document | None]:
    """The current ToR version, the PDF made (or being made) of it in `language`, if any,
    and one ready in another language while that one is not (`in_language`)."""
    version = tor_current_version(mission)
    if version is None:
        return None, None, None
    documents = Document.objects.filter(
        mission=mission,
        kind=Document.Kind.TOR,
        source_version=version.number,
        source_final=version.tor.final_version_id == version.pk,
    )
    return version, *in_language(documents, language)


def report_documents(mission: Mission, language: str = settings.LANGUAGE_CODE) -> dict:
    """The report as it stands and the PDFs made (or being made) of it in `language`:
    `version` (None before anyone wrote it), `final`, `report` (the PDF of that version) and
    `public` (the public version's PDF, only once the version is final); `report_other` and
    `public_other`, one ready in another language while that one is not. Two queries."""
    if (version := report_current(mission)) is None:
        return {
            "version": None,
            "final": False,
            "report": None,
            "report_other": None,
            "public": None,
            "public_other": None,
        }
    final = is_final(version)
    documents = list(
        Document.objects.filter(
            mission=mission, source_version=version.number, source_final=final
        ).filter(
            Q(kind=Document.Kind.REPORT) | Q(kind=Document.Kind.PUBLIC_REPORT, source_final=True)
        )
    )
    report, report_other = in_language(
        (d for d in documents if d.kind == Document.Kind.REPORT), language
    )
    public, public_other = in_language(
        (d for d in documents if final and d.kind == Document.Kind.PUBLIC_REPORT), language
    )
    return {
        "version": version,
        "final": final,
        "report": report,
        "report_other": report_other,
        "public": public,
        "public_other": public_other,
    }


def followup_status_documents(mission: Mission) -> QuerySet[Document]:
    """The mission's follow-up status reports in every language, newest first."""
    return Document.objects.filter(mission=mission, kind=Document.Kind.FOLLOWUP_STATUS).order_by(
        "-source_version", "-pk"
    )


def followup_status_rows(mission: Mission, language: str = settings.LANGUAGE_CODE) -> list[dict]:
    """The status reports' list, newest first: each one's `number`, `as_of`, whether the
    schedule made it (`monthly`), its PDF in `language` (`document`, None if not made in it)
    and, while that one is not ready, one ready in another language (`other`). One query."""
    by_number: dict[int, list[Document]] = {}
    for document in followup_status_documents(mission):
        by_number.setdefault(document.source_version, []).append(document)
    rows = []
    for number, documents in by_number.items():
        document, other = in_language(documents, language)
        rows.append(
            {
                "number": number,
                "as_of": documents[0].as_of,
                "monthly": any(d.period for d in documents),
                "document": document,
                "other": other,
            }
        )
    return rows


# What the PDFs print ------------------------------------------------------------------------
#
# The builders below give the templates plain values (dicts, strings, dates), never a model
# instance: a template can print only what its builder chose. The public version's builder
# reads the report's text only through `public_sections` and `public_findings`, so no
# internal section or finding is ever in its context.


def _cover(mission: Mission, version: ReportVersion, *, final: bool, public: bool) -> dict:
    return {
        "title": mission.title,
        "country": mission.country.name,
        "mission_type": mission.get_mission_type_display(),
        "in_country_from": mission.in_country_from,
        "in_country_to": mission.in_country_to,
        "version": version.number,
        "version_date": version.created_at,
        "final": final,
        "public": public,
    }


def _section(section: dict | None) -> dict | None:
    if section is None:
        return None
    return {"name": section["name"], "label": section["label"], "text": section["text"]}


def findings_by_area(findings: Iterable[ReportFinding]) -> list[dict]:
    """The findings grouped by what they are about: the coordination as a whole first, then
    each cluster, then each cross-cutting issue (by name), each in the report's order."""
    groups: dict[tuple, dict] = {}
    for finding in findings:
        if finding.cluster_id:
            key = (1, finding.cluster.name)
        elif finding.issue_id:
            key = (2, finding.issue.name)
        else:
            key = (0, "")
        group = groups.setdefault(key, {"area": finding.area, "findings": []})
        group["findings"].append(finding.text)
    return [groups[key] for key in sorted(groups)]


def _leader_ids(mission: Mission) -> set[int]:
    """The leader the team elected (while on the team), or else whoever holds the mission's
    lead (appointed)."""
    leader = mission_leader(mission)
    return {leader.pk} if leader is not None else mission_leader_ids(mission)


def report_team(mission: Mission, *, public: bool) -> list[dict]:
    """The team, its leader first: each member's name, role, the clusters and cross-cutting
    issues they represented and, except in the public version, their agency."""
    leader_ids = _leader_ids(mission)
    rows = []
    seen = set()
    for member in team_members(mission):
        seen.add(member.participant_id)
        leads = member.participant_id in leader_ids
        rows.append(
            {
                "name": person(member.participant),
                "leads": leads,
                "role": _("Mission leader") if leads else _("Team member"),
                "clusters": [cluster.name for cluster in member.clusters.all()],
                "issues": [issue.name for issue in member.cross_cutting_issues.all()],
                "agency": "" if public else _agency(member.agency),
            }
        )
    # A leader appointed without a nomination (rare) is listed all the same.
    missing = leader_ids - seen
    if missing:
        for user in get_user_model().objects.filter(pk__in=missing).order_by("pk"):
            rows.append(
                {
                    "name": person(user),
                    "leads": True,
                    "role": _("Mission leader"),
                    "clusters": [],
                    "issues": [],
                    "agency": "",
                }
            )
    rows.sort(key=lambda row: not row["leads"])
    return rows


def _agency(organisation) -> str:
    if organisation.acronym and organisation.acronym != organisation.name:
        return f"{organisation.name} ({organisation.acronym})"
    return organisation.name


# Points a public reader sees: agreed and followed (not drafts, not dropped).
PUBLIC_POINT_STATES = (
    PointStatus.OPEN,
    PointStatus.IN_PROGRESS,
    PointStatus.DONE,
    PointStatus.CARRIED,
)
# The order of the addressee groups: organisations, clusters, then roles.
ADDRESSEE_ORDER = {
    ActionPoint.Addressee.ORGANISATION: 0,
    ActionPoint.Addressee.GLOBAL_CLUSTER: 1,
    ActionPoint.Addressee.COUNTRY_CLUSTER: 2,
    ActionPoint.Addressee.ROLE: 3,
}


def _points(mission: Mission) -> QuerySet[ActionPoint]:
    return ActionPoint.objects.filter(mission=mission).select_related(
        "organisation",
        "global_cluster",
        "country_cluster__global_cluster",
        "country_cluster__country",
        "owner",
    )


def _by_addressee(points: Iterable[ActionPoint], row) -> list[dict]:
    groups: dict[tuple, dict] = {}
    for point in points:
        addressee = point.addressee
        key = (ADDRESSEE_ORDER.get(point.addressee_kind, 9), addressee.casefold())
        group = groups.setdefault(key, {"addressee": addressee, "points": []})
        group["points"].append(row(point))
    for group in groups.values():
        group["points"].sort(key=lambda p: (p["due_on"] is None, p["due_on"], p["number"]))
    return [groups[key] for key in sorted(groups)]


def action_points_by_addressee(mission: Mission, *, public: bool) -> list[dict]:
    """The mission's action points grouped by addressee, each by due date: the
    recommendation, due date, indicator and means of verification; the public version
    leaves out drafts and dropped points, owners and resource notes."""
    points = _points(mission).order_by("number")
    if public:
        points = points.filter(status__in=PUBLIC_POINT_STATES)

    def row(point: ActionPoint) -> dict:
        values = {
            "number": point.number,
            "reference": point.reference,
            "text": point.text,
            "level": point.get_level_display(),
            "due_on": point.due_on,
            "indicator": point.indicator,
            "verification": point.verification,
            "status": point.get_status_display(),
        }
        if not public:
            values["owner"] = person(point.owner) if point.owner_id else ""
            values["resources"] = point.resources
        return values

    return _by_addressee(points, row)


def issue_coverage(mission: Mission, *, public: bool) -> list[dict]:
    """How each relevant cross-cutting issue was covered, and its briefing paper. The public
    version names only members of the team (not a remote focal point) and no file."""
    rows = []
    for coverage in IssueCoverage.objects.filter(mission=mission).select_related(
        "cross_cutting_issue", "member__participant"
    ):
        by = person(coverage.member.participant) if coverage.member_id else ""
        if not by and not public:
            by = coverage.remote_focal_point
        rows.append(
            {
                "issue": coverage.cross_cutting_issue.name,
                "mode": coverage.get_mode_display() if coverage.mode else _("Not covered"),
                "by": by,
                "briefing": bool(coverage.briefing),
                "briefing_name": "" if public else coverage.briefing_name,
                "briefing_at": None if public else coverage.briefing_uploaded_at,
            }
        )
    return rows


def commitments_context(mission: Mission) -> list[dict]:
    """The latest picture of the country's clusters against the Minimum Commitments, as the
    partners assessed themselves (commitments.selectors.picture.country_picture: aggregates
    only, hidden below three answers). One dict per cluster with a picture to show, plain
    values only; empty when no cluster of the country has one."""
    clusters = []
    for entry in country_picture(mission.country_id):
        picture = entry.picture
        if picture is None or not picture.shown:
            continue
        rows = []
        for figure in picture.commitments:
            shares = figure.shares
            rows.append(
                {
                    "commitment": f"{figure.item.number}. {figure.item.title}",
                    "key": figure.item.key,
                    "met": f"{shares[0]} %" if shares else "—",
                    "partly": f"{shares[1]} %" if shares else "—",
                    "not_met": f"{shares[2]} %" if shares else "—",
                    "band": figure.band.label if figure.band else "—",
                }
            )
        clusters.append(
            {
                "cluster": entry.cluster.global_cluster.name,
                "period": picture.round.period_label,
                "answered": picture.submitted,
                "invited": picture.invited,
                "score": picture.score,
                "band": picture.band.label if picture.band else "",
                "rows": rows,
                "obstacles": ", ".join(
                    f"{obstacle.label} ({obstacle.organisations})"
                    for obstacle in picture.obstacles[:5]
                ),
            }
        )
    return clusters


def tor_for_report(mission: Mission) -> dict | None:
    """The ToR the report includes: its final version, or else its current one."""
    tor = TermsOfReference.objects.select_related("final_version").filter(mission=mission).first()
    if tor is None:
        return None
    version = tor.final_version or tor.versions.order_by("-number").first()
    if version is None:
        return None
    return {
        "number": version.number,
        "created_at": version.created_at,
        "final": tor.final_version_id == version.pk,
        "sections": [
            {"label": tor_section_label(name), "text": getattr(version, name)}
            for name in TOR_SECTIONS
        ],
    }


def report_annexes(mission: Mission) -> dict:
    """The documents of the mission's file the report lists: the request's attachments, the
    ToR's versions and the cross-cutting issues' briefing papers."""
    return {
        "attachments": [
            {
                "name": attachment.original_name,
                "kind": attachment.get_kind_display(),
                "size": attachment.size,
                "at": attachment.uploaded_at,
            }
            for attachment in Attachment.objects.filter(mission=mission).order_by(
                "uploaded_at", "pk"
            )
        ],
        "tor_versions": [
            {
                "number": version.number,
                "at": version.created_at,
                "final": version.tor.final_version_id == version.pk,
                "note": version.change_note,
            }
            for version in ToRVersion.objects.filter(tor__mission=mission)
            .select_related("tor")
            .order_by("number")
        ],
        "briefings": [
            {
                "issue": coverage.cross_cutting_issue.name,
                "name": coverage.briefing_name,
                "size": coverage.briefing_size,
                "at": coverage.briefing_uploaded_at,
            }
            for coverage in IssueCoverage.objects.filter(mission=mission)
            .exclude(briefing="")
            .select_related("cross_cutting_issue")
        ],
    }


def _with_contents(context: dict) -> dict:
    """Add `contents`: the report's parts in print order, those it has, each with its anchor
    and heading (the table of contents and the body both follow it)."""
    public = context["cover"]["public"]
    parts = [
        ("summary", context["summary"] is not None, _("Summary")),
        ("background", bool(context["background"]), _("Context and the request")),
        ("tor", not public, _("Terms of Reference")),
        ("team", True, _("The team")),
        ("done", bool(context["done"]), _("What the mission did")),
        ("findings", True, _("Findings")),
        ("conclusions", context["conclusions"] is not None, _("Conclusions")),
        ("action_points", True, _("Action points")),
        ("coverage", True, _("Cross-cutting issues: coverage and briefings")),
        ("commitments", bool(context["commitments"]), _("Commitments of the cluster partners")),
        ("annexes", context["annexes"] is not None, _("Annexes: the documents of the mission")),
    ]
    context["contents"] = [
        {"anchor": anchor, "title": title} for anchor, present, title in parts if present
    ]
    return context


def report_context(mission: Mission, version: ReportVersion, *, final: bool) -> dict:
    """Everything the mission report prints, from one version of its text."""
    sections = {section["name"]: section for section in report_sections(version)}
    return _with_contents(
        {
            "cover": _cover(mission, version, final=final, public=False),
            "summary": _section(sections["summary"]),
            "background": [_section(sections["context"]), _section(sections["request"])],
            "tor": tor_for_report(mission),
            "team": report_team(mission, public=False),
            "done": [_section(sections[name]) for name in ("programme", "places", "people_met")],
            "findings": findings_by_area(findings_of(version)),
            "conclusions": _section(sections["conclusions"]),
            "addressees": action_points_by_addressee(mission, public=False),
            "coverage": issue_coverage(mission, public=False),
            "commitments": commitments_context(mission),
            "annexes": report_annexes(mission),
        }
    )


def public_report_context(mission: Mission, version: ReportVersion) -> dict:
    """What the public version prints: only the public sections and findings, the team's
    names and roles, the action points without their owners. No ToR, people met, annexes."""
    sections = {
        section["name"]: section
        for section in public_sections(version)
        if section["name"] not in ReportVersion.ALWAYS_INTERNAL
    }
    background = [sections.get("context"), sections.get("request")]
    done = [sections.get("programme"), sections.get("places")]
    return _with_contents(
        {
            "cover": _cover(mission, version, final=True, public=True),
            "summary": _section(sections.get("summary")),
            "background": [_section(s) for s in background if s],
            "tor": None,
            "team": report_team(mission, public=True),
            "done": [_section(s) for s in done if s],
            "findings": findings_by_area(public_findings(version)),
            "conclusions": _section(sections.get("conclusions")),
            "addressees": action_points_by_addressee(mission, public=True),
            "coverage": issue_coverage(mission, public=True),
            "commitments": [],
            "annexes": None,
        }
    )


# The follow-up status report ----------------------------------------------------------------


def _end_of(day: datetime.date) -> datetime.datetime:
    """The first instant after `day`, in the site's time zone."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def _bar(counts: dict[str, int], total: int) -> list[dict]:
    """The segments of a progress bar: one per status that has points, its share in %."""
    return [
        {
            "status": status,
            "label": label,
            "count": counts[status],
            "share": 100 * counts[status] / total,
        }
        for status, label in PointStatus.choices
        if counts.get(status)
    ]


def _progress(points: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for point in points:
        counts[point["status"]] = counts.get(point["status"], 0) + 1
    total = len(points)
    done = counts.get(PointStatus.DONE, 0)
    settled = sum(
        counts.get(s, 0) for s in (PointStatus.DONE, PointStatus.DROPPED, PointStatus.CARRIED)
    )
    return {
        "total": total,
        "done": done,
        "done_share": round(100 * done / total) if total else 0,
        "settled_share": round(100 * settled / total) if total else 0,
        "by_status": [
            (status, label, counts.get(status, 0))
            for status, label in PointStatus.choices
            if status != PointStatus.DRAFT
        ],
        "bar": _bar(counts, total) if total else [],
    }


def followup_status_context(mission: Mission, as_of: datetime.date) -> dict:
    """Each action point as it stood at the end of `as_of`: its status, latest progress
    update and how much evidence it had, by addressee and by improvement plan, with the
    overall progress. Four queries, whatever the number of points.

    A point's status then is the source of its first transition after that day (its current
    status when there is none); drafts and points created later are left out.
    """
    end = _end_of(as_of)
    latest = ProgressUpdate.objects.filter(point=OuterRef("pk"), created_at__lt=end).order_by(
        "-created_at", "-pk"
    )
    evidence = (
        Evidence.objects.filter(update__point=OuterRef("pk"), update__created_at__lt=end)
        .order_by()
        .values("update__point")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    points = list(
        _points(mission)
        .filter(created_at__lt=end)
        .select_related("plan__country_cluster__global_cluster")
        .annotate(
            latest_text=Subquery(latest.values("text")[:1]),
            latest_at=Subquery(latest.values("created_at")[:1]),
            latest_percent=Subquery(latest.values("percent")[:1]),
            evidence_count=Coalesce(Subquery(evidence), 0),
        )
        .order_by("number")
    )
    then: dict[int, str] = {}
    for point_id, source in (
        ActionPointLog.objects.filter(point__mission=mission, at__gte=end)
        .order_by("point_id", "at", "pk")
        .values_list("point_id", "source")
    ):
        then.setdefault(point_id, source)
    labels = dict(PointStatus.choices)
    rows: dict[int, dict] = {}
    reported = []
    for point in points:
        status = then.get(point.pk, point.status)
        if status == PointStatus.DRAFT:
            continue
        reported.append(point)
        rows[point.pk] = {
            "number": point.number,
            "reference": point.reference,
            "text": point.text,
            "addressee": point.addressee,
            "owner": person(point.owner) if point.owner_id else "",
            "due_on": point.due_on,
            "overdue": status in LIVE_POINT_STATES
            and point.due_on is not None
            and point.due_on < as_of,
            "status": status,
            "status_label": labels.get(status, status),
            "latest_text": point.latest_text or "",
            "latest_at": point.latest_at,
            "latest_percent": point.latest_percent,
            "evidence_count": point.evidence_count,
        }
    by_addressee = _by_addressee(reported, lambda point: rows[point.pk])
    for group in by_addressee:
        group["progress"] = _progress(group["points"])
    plans: dict[tuple, dict] = {}
    for point in reported:
        plan = point.plan
        cluster = plan.country_cluster.global_cluster.name if plan else ""
        group = plans.setdefault(
            (plan is None, cluster, plan.pk if plan else 0),
            {"name": cluster or _("Not in an improvement plan"), "points": []},
        )
        group["points"].append(rows[point.pk])
    by_plan = [plans[key] for key in sorted(plans)]
    for group in by_plan:
        group["progress"] = _progress(group["points"])
    return {
        "mission": {
            "title": mission.title,
            "country": mission.country.name,
            "status": mission.get_status_display(),
        },
        "as_of": as_of,
        "overall": _progress(list(rows.values())),
        "by_addressee": by_addressee,
        "by_plan": by_plan,
    }
