"""The mission report's text and its distribution list, written from the day the team leaves
the country.

The text is kept like the Terms of Reference: version 1 is drawn from the request and the
ToR (`report_start`), each save that changes something is a new numbered version with who
changed what (`report_save`), the leader marks the current one final (`report_mark_final`),
and any later version is a draft again. Each section is public or internal, and so is each
finding: what the public version may show is decided in missions.selectors.report.

The distribution list is pre-filled once in a mission's life, with the transition that takes
it out of the country (`leave_country`, written in its transaction), so it is there when the
reporting starts: the lead agencies of the clusters involved (or, where a lead agency has no
address, the cluster's global focal points), every cross-cutting issue focal point, the NGO
consortia, and the country's RC/HC office and HCT members. Since that transition happens once,
an address the leader or HCSS removed by hand never comes back. A mission that reached
reporting without it (set up before this list existed) is pre-filled when its report is
started. The leader and HCSS then keep the list (`recipient_add`, `recipient_remove`).

Every write re-reads and locks the mission in the user's scope (out of scope is
`MissionNotFound`, a 404); who sees the mission but may not act gets PermissionDenied with a
plain message; a change that is not possible now, or not valid, is a ValidationError and
saves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clusters.models import CrossCuttingIssue, Organisation, Role, RoleAssignment
from formats.people import person
from formats.text import DiffLine, SectionDiff, clean_text, line_diff, sections_diff
from missions.models import Mission, MissionReport, ReportFinding, ReportRecipient, ReportVersion
from missions.selectors.missions import mission_for_update
from missions.selectors.report import (
    SECTIONS,
    edits_distribution,
    finding_clusters,
    findings_of,
    leads_report,
    mission_clusters,
    on_report_team,
    section_label,
)
from missions.services.tor import tor_for
from missions.workflow import NUL_MESSAGE, REPORT_STATES, MissionNotFound, on_transition

ALWAYS_INTERNAL: tuple[str, ...] = ReportVersion.ALWAYS_INTERNAL
# The sections a writer may mark internal or public (the others are always internal).
CHOOSABLE_SECTIONS: tuple[str, ...] = tuple(s for s in SECTIONS if s not in ALWAYS_INTERNAL)

# Limits of what is typed: generous for a report of 40 pages, small enough for one PDF.
SECTION_MAX_LENGTH = 20_000
FINDING_MAX_LENGTH = 5_000
FINDINGS_MAX = 150
CHANGE_NOTE_MAX_LENGTH = ReportVersion._meta.get_field("change_note").max_length
NAME_MAX_LENGTH = ReportRecipient._meta.get_field("name").max_length
ORGANISATION_MAX_LENGTH = ReportRecipient._meta.get_field("organisation").max_length
EMAIL_MAX_LENGTH = ReportRecipient._meta.get_field("email").max_length

Source = ReportRecipient.Source


def _status(mission: Mission) -> str:
    return mission.status_in_sentence


def _not_now(mission: Mission, what: str) -> ValidationError:
    return ValidationError(
        _(
            "%(what)s can only be changed while the mission is reporting or in follow-up; it is "
            "now %(status)s."
        )
        % {"what": what, "status": _status(mission)}
    )


def _locked(mission: Mission | int, user, *, allowed, refusal: str, what: str) -> Mission:
    """Re-read and lock the mission in `user`'s scope; refuse unless `allowed(user, mission)`
    and the mission is reporting or in follow-up."""
    current = mission_for_update(user, mission)
    if not allowed(user, current):
        raise PermissionDenied(refusal)
    if current.status not in REPORT_STATES:
        raise _not_now(current, what)
    return current


def writers_refusal() -> str:
    return _("Only the mission's leader and its team write the report.")


def leader_refusal() -> str:
    return _("Only the mission leader marks the report final.")


def list_refusal() -> str:
    return _("Only the mission leader and HCSS keep the distribution list.")


def _for_writing(mission: Mission | int, user) -> Mission:
    return _locked(
        mission, user, allowed=on_report_team, refusal=writers_refusal(), what=_("The report")
    )


# Version 1 --------------------------------------------------------------------------------------


def _period(start, end) -> str:
    return _("%(start)s to %(end)s") % {
        "start": date_format(start, "j F Y"),
        "end": date_format(end, "j F Y"),
    }


def _request_summary(mission: Mission) -> str:
    """The request in a few plain paragraphs, as the report recalls it."""
    parts = [_("Type of mission: %(type)s.") % {"type": mission.get_mission_type_display()}]
    if mission.parent_id:
        parts[0] += " " + _("It follows the mission “%(title)s”.") % {"title": mission.parent.title}
    clusters = ", ".join(c.name for c in mission.requested_clusters.order_by("name"))
    if clusters:
        parts.append(_("Clusters wanted: %(names)s.") % {"names": clusters})
    issues = ", ".join(i.name for i in mission.requested_issues.order_by("name"))
    if issues:
        parts.append(_("Cross-cutting issues wanted: %(names)s.") % {"names": issues})
    if mission.objectives.strip():
        parts.append(_("Objectives:") + "\n" + mission.objectives.strip())
    if mission.deliverables.strip():
        parts.append(_("Expected deliverables:") + "\n" + mission.deliverables.strip())
    if mission.preferred_start and mission.preferred_end:
        window = _period(mission.preferred_start, mission.preferred_end)
        parts.append(_("Preferred window: %(window)s.") % {"window": window})
    elif mission.preferred_start:
        start = date_format(mission.preferred_start, "j F Y")
        parts.append(_("Preferred start: %(start)s.") % {"start": start})
    if mission.hct_endorsed_on:
        on = date_format(mission.hct_endorsed_on, "j F Y")
        parts.append(_("The HCT agreed to the request on %(date)s.") % {"date": on})
    return "\n\n".join(parts)


def _context(mission: Mission) -> str:
    """The request's issues and the ToR's background (the final ToR's, else the current)."""
    issues = clean_text(mission.issues)
    tor = tor_for(mission)
    background = ""
    if tor is not None:
        version = tor.final_version or tor.versions.order_by("-number").first()
        background = clean_text(version.background) if version else ""
    # The ToR's first version starts from the request's issues: say them once.
    if issues and issues in background:
        return background
    return "\n\n".join(part for part in (issues, background) if part)


def _first_sections(mission: Mission) -> dict[str, str]:
    programme = ""
    if mission.in_country_from and mission.in_country_to:
        period = _period(mission.in_country_from, mission.in_country_to)
        programme = _("In the country from %(period)s.") % {"period": period}
    elif mission.in_country_from:
        start = date_format(mission.in_country_from, "j F Y")
        programme = _("In the country from %(start)s.") % {"start": start}
    return {
        "context": _context(mission),
        "request": clean_text(_request_summary(mission)),
        "programme": programme,
    }


def start_note() -> str:
    return _("Started from the request and the Terms of Reference")


def report_start(mission: Mission | int, user) -> MissionReport:
    """Start the mission's report: version 1 recalls the request and its context, and the
    programme's dates in the country; the team writes the rest. Idempotent: a report that
    exists is returned unchanged."""
    with transaction.atomic():
        current = _for_writing(mission, user)
        report, _created = MissionReport.objects.get_or_create(mission=current)
        if report.versions.exists():
            return report
        ReportVersion.objects.create(
            report=report,
            number=1,
            author=user,
            change_note=start_note(),
            internal_sections=list(ALWAYS_INTERNAL),
            **_first_sections(current),
        )
        # The list is filled when the mission leaves the country; one that left before the
        # list existed gets it now (once: the report is started once).
        if not current.log.filter(transition="leave_country").exists():
            recipients_prefill(current)
    return report


# Saving a version -------------------------------------------------------------------------------


def _stale(number: int) -> ValidationError:
    return ValidationError(
        _(
            "Someone saved version %(number)s of the report while you were editing. Nothing "
            "was saved: your text is still in the form. Compare it with the current version, "
            "then save again."
        )
        % {"number": number}
    )


def _internal(names: Iterable[str]) -> list[str]:
    """The internal sections as stored: known names, in print order, with those always
    internal."""
    chosen = set(names) | set(ALWAYS_INTERNAL)
    return [name for name in SECTIONS if name in chosen]


def _pk(value) -> int | None:
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    try:
        return int(pk)
    except (TypeError, ValueError):
        return -1  # no such row: refused below


@dataclass(frozen=True)
class _Finding:
    cluster_id: int | None
    issue_id: int | None
    text: str
    internal: bool


def _clean_findings(
    mission: Mission, rows: Iterable[Mapping], errors: dict[str, list[str]]
) -> list[_Finding]:
    """The findings typed, in their order; rows with no text are blank rows and dropped."""
    findings, problems = [], []
    clusters = set(finding_clusters(mission).values_list("pk", flat=True))
    issues = set(CrossCuttingIssue.objects.values_list("pk", flat=True))
    for index, row in enumerate(rows, start=1):
        text = clean_text(row.get("text"))
        if not text:
            continue
        cluster, issue = _pk(row.get("cluster")), _pk(row.get("issue"))
        where = _("Finding %(number)s") % {"number": index}
        if "\x00" in text:
            problems.append(
                _("%(where)s: %(problem)s") % {"where": where, "problem": _(NUL_MESSAGE)}
            )
        elif len(text) > FINDING_MAX_LENGTH:
            problems.append(
                _("%(where)s is too long: keep it under %(limit)s characters (it has %(length)s).")
                % {"where": where, "limit": f"{FINDING_MAX_LENGTH:,}", "length": f"{len(text):,}"}
            )
        if cluster is not None and issue is not None:
            problems.append(
                _(
                    "%(where)s: a finding is about one cluster, one cross-cutting issue, or the "
                    "inter-cluster coordination; choose one."
                )
                % {"where": where}
            )
        elif cluster is not None and cluster not in clusters:
            problems.append(
                _(
                    "%(where)s: choose one of the mission's clusters (those the request wanted "
                    "and those its team members represent)."
                )
                % {"where": where}
            )
        elif issue is not None and issue not in issues:
            problems.append(_("%(where)s: choose a cross-cutting issue.") % {"where": where})
        findings.append(_Finding(cluster, issue, text, bool(row.get("internal"))))
    if len(findings) > FINDINGS_MAX:
        problems.append(
            _("A report holds at most %(limit)s findings: merge some.") % {"limit": FINDINGS_MAX}
        )
    if problems:
        errors["findings"] = problems
    return findings


def _clean_sections(sections: Mapping, errors: dict[str, list[str]]) -> dict[str, str]:
    text = {}
    for name, value in sections.items():
        text[name] = clean_text(value)
        if "\x00" in text[name]:
            errors[name] = [_(NUL_MESSAGE)]
        elif len(text[name]) > SECTION_MAX_LENGTH:
            errors[name] = [
                _("Keep this section under %(limit)s characters (it has %(length)s).")
                % {"limit": f"{SECTION_MAX_LENGTH:,}", "length": f"{len(text[name]):,}"}
            ]
    return text


def report_save(
    mission: Mission | int,
    user,
    *,
    base_number: int,
    change_note: str,
    internal_sections: Iterable[str] | None = None,
    findings: Iterable[Mapping] | None = None,
    **sections,
) -> ReportVersion | None:
    """Save the edited report as a new version, or return None when nothing changed.

    `base_number` is the version the user started from: when someone saved a newer one
    meanwhile, nothing is saved (ValidationError). Sections left out keep their text;
    `internal_sections` (names) replaces which sections are kept out of the public version,
    None keeps them; `findings` (mappings with text, cluster, issue, internal; a row without
    text is dropped) replaces the findings, None keeps them. A change of visibility or of a
    finding is a change. A new version is no longer final. Refusals name their field:
    a section, "internal_sections", "findings" or "change_note".
    """
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValidationError(_("Unknown sections: %(names)s.") % {"names": ", ".join(unknown)})
    with transaction.atomic():
        current = _for_writing(mission, user)
        report = MissionReport.objects.select_for_update().filter(mission=current).first()
        latest = report.versions.order_by("-number").first() if report else None
        if latest is None:
            raise ValidationError(_("Start the report first."))
        if base_number != latest.number:
            raise _stale(latest.number)

        errors: dict[str, list[str]] = {}
        text = {name: getattr(latest, name) for name in SECTIONS}
        text.update(_clean_sections(sections, errors))
        before_internal = _internal(latest.internal_sections)
        if internal_sections is None:
            internal = before_internal
        else:
            internal_sections = list(internal_sections)
            if set(internal_sections) - set(SECTIONS):
                errors["internal_sections"] = [_("Choose sections of the report.")]
            internal = _internal(internal_sections)
        before_findings = [
            _Finding(f.cluster_id, f.issue_id, f.text, f.internal) for f in latest.findings.all()
        ]
        after_findings = (
            before_findings if findings is None else _clean_findings(current, findings, errors)
        )
        if errors:
            raise ValidationError(errors)
        if (
            all(text[name] == getattr(latest, name) for name in SECTIONS)
            and internal == before_internal
            and after_findings == before_findings
        ):
            return None

        change_note = clean_text(change_note)
        if not change_note:
            raise ValidationError({"change_note": _("Say in a few words what you changed.")})
        if "\x00" in change_note:
            raise ValidationError({"change_note": _(NUL_MESSAGE)})
        if len(change_note) > CHANGE_NOTE_MAX_LENGTH:
            raise ValidationError(
                {
                    "change_note": _("Keep the note under %(limit)s characters.")
                    % {"limit": CHANGE_NOTE_MAX_LENGTH}
                }
            )
        try:
            # The savepoint lets a concurrent save of the same number fail cleanly.
            with transaction.atomic():
                version = ReportVersion.objects.create(
                    report=report,
                    number=latest.number + 1,
                    author=user,
                    change_note=change_note,
                    internal_sections=internal,
                    **text,
                )
        except IntegrityError:
            raise _stale(latest.number + 1) from None
        ReportFinding.objects.bulk_create(
            ReportFinding(
                version=version,
                position=position,
                cluster_id=finding.cluster_id,
                issue_id=finding.issue_id,
                text=finding.text,
                internal=finding.internal,
            )
            for position, finding in enumerate(after_findings, start=1)
        )
        if report.final_version_id is not None:
            report.final_version = None
            report.finalised_by = None
            report.finalised_at = None
            report.save(update_fields=["final_version", "finalised_by", "finalised_at"])
    return version


def report_mark_final(mission: Mission | int, user, *, number: int) -> ReportVersion:
    """Mark version `number` final; it must be the current one (the leader read the latest).

    Marking the version that is already final again changes nothing.
    """
    with transaction.atomic():
        current = _locked(
            mission, user, allowed=leads_report, refusal=leader_refusal(), what=_("The report")
        )
        report = MissionReport.objects.select_for_update().filter(mission=current).first()
        latest = report.versions.order_by("-number").first() if report else None
        if latest is None:
            raise ValidationError(_("Start the report first."))
        if number != latest.number:
            raise ValidationError(
                _(
                    "Version %(number)s is no longer the current one: someone saved version "
                    "%(latest)s. Read it, then mark it final."
                )
                % {"number": number, "latest": latest.number}
            )
        if report.final_version_id != latest.pk:
            report.final_version = latest
            report.finalised_by = user
            report.finalised_at = timezone.now()
            report.save(update_fields=["final_version", "finalised_by", "finalised_at"])
    return latest


# Comparing versions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VisibilityChange:
    """A section that became internal, or public."""

    name: str
    label: str
    public: bool  # what it is now


@dataclass(frozen=True)
class ReportDiff:
    sections: list[SectionDiff]
    visibility: list[VisibilityChange]
    # One line per finding: its area, whether it is internal, and its text.
    findings: list[DiffLine]

    @property
    def changed(self) -> bool:
        return bool(self.visibility or self.findings or any(s.changed for s in self.sections))


def finding_line(finding: ReportFinding) -> str:
    """A finding as one line of the comparison."""
    if finding.cluster_id:
        area = finding.cluster.name
    elif finding.issue_id:
        area = finding.issue.name
    else:
        area = _("Inter-cluster coordination")
    if finding.internal:
        return _("%(area)s (internal): %(text)s") % {"area": area, "text": finding.text}
    return _("%(area)s: %(text)s") % {"area": area, "text": finding.text}


def report_diff(previous: ReportVersion | None, version: ReportVersion) -> ReportDiff:
    """What `version` changed against `previous` (None: everything is new): each section
    line by line, the sections whose visibility changed, and the findings, one line each."""
    labels = [(name, section_label(name)) for name in SECTIONS]
    visibility = []
    if previous is not None:
        visibility = [
            VisibilityChange(name, label, version.is_public(name))
            for name, label in labels
            if previous.is_public(name) != version.is_public(name)
        ]
    before = [finding_line(f) for f in findings_of(previous)] if previous is not None else []
    after = [finding_line(f) for f in findings_of(version)]
    return ReportDiff(
        sections=sections_diff(previous, version, labels),
        visibility=visibility,
        findings=line_diff(before, after),
    )


# The distribution list --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Address:
    name: str
    organisation: str
    email: str
    source: str


def _users_by_role(role: str, **scope) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(role=role, user__is_active=True, **scope)
        .exclude(user__email="")
        .select_related("user", "global_cluster", "cross_cutting_issue", "country")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def default_recipients(mission: Mission) -> list[_Address]:
    """Where the mission's report goes by default, in the list's order (an address may come
    twice: the first wins)."""
    addresses: list[_Address] = []
    without_address = []
    for cluster in mission_clusters(mission).prefetch_related("lead_agencies"):
        agencies = sorted(cluster.lead_agencies.all(), key=lambda org: org.name)
        for agency in agencies:
            if agency.report_email:
                addresses.append(
                    _Address(agency.name, agency.acronym, agency.report_email, Source.LEAD_AGENCY)
                )
        if not agencies or any(not agency.report_email for agency in agencies):
            without_address.append(cluster)
    if without_address:
        for assignment in _users_by_role(
            Role.CLUSTER_FOCAL_POINT, global_cluster__in=without_address
        ):
            cluster = _("Global %(cluster)s cluster") % {"cluster": assignment.global_cluster}
            addresses.append(
                _Address(
                    person(assignment.user),
                    cluster,
                    assignment.user.email,
                    Source.CLUSTER_FOCAL_POINT,
                )
            )
    for assignment in _users_by_role(Role.CCI_FOCAL_POINT):
        addresses.append(
            _Address(
                person(assignment.user),
                assignment.cross_cutting_issue.name,
                assignment.user.email,
                Source.CCI_FOCAL_POINT,
            )
        )
    consortia = Organisation.objects.filter(kind=Organisation.Kind.NGO_CONSORTIUM).exclude(
        report_email=""
    )
    for consortium in consortia.order_by("name"):
        addresses.append(
            _Address(
                consortium.name,
                consortium.acronym,
                consortium.report_email,
                Source.NGO_CONSORTIUM,
            )
        )
    for role in (Role.RC_HC, Role.HCT_MEMBER):
        for assignment in _users_by_role(role, country=mission.country_id):
            where = _("%(role)s, %(country)s") % {
                "role": Role(role).label,
                "country": assignment.country.name,
            }
            addresses.append(
                _Address(person(assignment.user), where, assignment.user.email, Source.COUNTRY)
            )
    return addresses


def recipients_prefill(mission: Mission) -> list[ReportRecipient]:
    """Add the mission's default addresses (`default_recipients`) to its distribution list,
    those not on it yet; returns the rows added. Safe to run again: it adds nothing twice.

    The caller holds the mission's lock (the transition's runner, or `report_start`): it is
    not for pages to call, since it would bring back addresses removed by hand.
    """
    on_list = set(ReportRecipient.objects.filter(mission=mission).values_list("email", flat=True))
    rows = []
    for address in default_recipients(mission):
        email = address.email.strip().lower()
        if not email or email in on_list:
            continue
        on_list.add(email)
        rows.append(
            ReportRecipient(
                mission=mission,
                name=address.name[:NAME_MAX_LENGTH],
                organisation=address.organisation[:ORGANISATION_MAX_LENGTH],
                email=email,
                source=address.source,
            )
        )
    return ReportRecipient.objects.bulk_create(rows)


@on_transition("leave_country")
def recipients_prefill_on_leaving(log) -> list[ReportRecipient]:
    """The list exists when the reporting starts: filled with the transition out of the
    country, in its transaction."""
    return recipients_prefill(log.mission)


def _for_the_list(mission: Mission | int, user) -> Mission:
    return _locked(
        mission,
        user,
        allowed=edits_distribution,
        refusal=list_refusal(),
        what=_("The distribution list"),
    )


def _one_line(value) -> str:
    return " ".join(str(value or "").split())


def recipient_add(
    mission: Mission | int, user, *, name: str, email: str, organisation: str = ""
) -> ReportRecipient:
    """Put one address on the mission's distribution list (once: addresses are compared in
    lower case). Refusals name their field: name, email or organisation."""
    with transaction.atomic():
        current = _for_the_list(mission, user)
        name, organisation = _one_line(name), _one_line(organisation)
        email = str(email or "").strip().lower()
        errors: dict[str, list[str]] = {}
        for field, value, limit in (
            ("name", name, NAME_MAX_LENGTH),
            ("organisation", organisation, ORGANISATION_MAX_LENGTH),
            ("email", email, EMAIL_MAX_LENGTH),
        ):
            if "\x00" in value:
                errors[field] = [_(NUL_MESSAGE)]
            elif len(value) > limit:
                errors[field] = [
                    _("Keep this under %(limit)s characters.") % {"limit": limit},
                ]
        if not name and "name" not in errors:
            errors["name"] = [_("Give the name of the person or office.")]
        if "email" not in errors:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Give a valid e-mail address.")]
        if errors:
            raise ValidationError(errors)
        listed = ReportRecipient.objects.filter(mission=current, email=email).first()
        if listed is not None:
            raise ValidationError({"email": _already_listed(listed)})
        try:
            with transaction.atomic():
                return ReportRecipient.objects.create(
                    mission=current,
                    name=name,
                    organisation=organisation,
                    email=email,
                    source=Source.ADDED,
                    added_by=user,
                )
        except IntegrityError:
            listed = ReportRecipient.objects.filter(mission=current, email=email).first()
            raise ValidationError({"email": _already_listed(listed)}) from None


def _already_listed(listed: ReportRecipient | None) -> str:
    if listed is None:
        return _("This address is on the distribution list already.")
    return _("This address is on the distribution list already, as %(name)s.") % {
        "name": listed.name
    }


def recipient_remove(mission: Mission | int, user, recipient_pk: int) -> ReportRecipient:
    """Take one address off the mission's distribution list; returns the row removed (without
    its pk). What was sent to it stays on record. Pre-filling never brings it back."""
    with transaction.atomic():
        current = _for_the_list(mission, user)
        recipient = ReportRecipient.objects.filter(mission=current, pk=recipient_pk).first()
        if recipient is None:
            raise MissionNotFound(_("No such address on the distribution list."))
        recipient.delete()
    return recipient
