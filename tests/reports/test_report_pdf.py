"""The mission report as a PDF, and its public version: asked for on the report's page by
whoever sees the mission, rendered by a worker from one version, read back with pypdf.

Every part of the mission's file that reaches the report carries a marker of its own, so
that a test can tell which parts a PDF printed and, for the public version, that no internal
text got in anywhere.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation
from missions.models import (
    ActionPoint,
    Attachment,
    Election,
    IssueCoverage,
    Mission,
    MissionReport,
    Nomination,
    ReportFinding,
    ReportVersion,
    TermsOfReference,
    ToRVersion,
)
from reports.models import Document
from reports.selectors.document import public_report_context, report_context
from reports.services import document as services
from reports.services.document import document_request
from tests.factories import UserFactory, make_member, make_mission

# The report's text: each public part, each internal part, with a marker of its own.
PUBLIC_TEXT = {
    "summary": "SummaryPublicAlpha: the mission met the HCT and six clusters.",
    "context": "ContextPublicBravo: floods displaced two million people in Sindh.",
    "request": "RequestPublicCharlie: the RC/HC asked for help with district coordination.",
    "places": "PlacesPublicDelta: Karachi, Hyderabad and Sukkur.",
    "conclusions": "ConclusionsPublicEcho: coordination at district level must be staffed.",
}
INTERNAL_TEXT = {
    "programme": "ProgrammeInternalFoxtrot: day 3 cancelled for security reasons.",
    "people_met": "PeopleMetInternalGolf: Ms Nadia Rahman, district health officer.",
}
# (cluster, cross-cutting issue, text): about a cluster, an issue, or the coordination.
PUBLIC_FINDINGS = [
    ("health", None, "FindingHealthPublicHotel: the health cluster has no district focal points."),
    (None, "gender", "FindingGenderPublicIndia: gender analysis is missing from the assessment."),
    (None, None, "FindingCoordinationPublicJuliet: the ICCG meets irregularly."),
]
INTERNAL_FINDINGS = [
    ("wash", None, "FindingWashInternalKilo: the WASH coordinator is leaving in May."),
    (None, None, "FindingCoordinationInternalLima: a donor threatened to withdraw funding."),
]
TOR_TEXT = "TorFocusMike: district coordination and the HCT's linkages."
OWNER_NAME = ("Oscar", "Ownerton")
RESOURCES = "ResourcesInternalNovember: funding from the CERF window."
REMOTE_FOCAL_POINT = "RemoteFocalPointPapa"
BRIEFING_NAME = "BriefingFileQuebec.pdf"
ATTACHMENT_NAME = "HctMinutesRomeo.pdf"
EVERY_INTERNAL_MARKER = [
    *(text.split(":")[0] for text in INTERNAL_TEXT.values()),
    *(text.split(":")[0] for _, _, text in INTERNAL_FINDINGS),
    "TorFocusMike",
    "ResourcesInternalNovember",
    REMOTE_FOCAL_POINT,
    "BriefingFileQuebec",
    "HctMinutesRomeo",
    "Ownerton",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def point(mission, number: int, owner=None, **fields) -> ActionPoint:
    values = {
        "text": f"Recommendation {number} agreed with the country.",
        "addressee_kind": ActionPoint.Addressee.ROLE,
        "addressee_role": "The HCT",
        "due_on": timezone.localdate() + datetime.timedelta(days=30 * number),
        "indicator": f"Indicator {number}",
        "verification": f"Verification {number}",
        "status": "open",
    }
    values.update(fields)
    return ActionPoint.objects.create(
        mission=mission,
        number=number,
        reference=f"PAK-T-{mission.pk}-{number:02d}",
        owner=owner,
        **values,
    )


def reported_mission(
    *,
    final: bool = True,
    title: str = "Pakistan floods: inter-cluster support",
    text: dict | None = None,
    findings: int = 0,
    points: int = 0,
) -> tuple[Mission, ReportVersion]:
    """A mission in reporting with everything its report prints: a final ToR (two
    versions), a team of two (the leader elected), cross-cutting issue coverage with a
    briefing paper, an attachment, a report version with public and internal sections and
    findings, and action points to three addressees. `findings` and `points` add more."""
    mission = make_mission("PAK", status="reporting", title=title)
    start = datetime.date(2026, 3, 2)
    Mission.objects.filter(pk=mission.pk).update(
        in_country_from=start, in_country_to=start + datetime.timedelta(days=12)
    )
    mission.refresh_from_db()
    gender = CrossCuttingIssue.objects.get(code="gender")
    environment = CrossCuttingIssue.objects.get(code="environment")
    age = CrossCuttingIssue.objects.get(code="age")

    tor = TermsOfReference.objects.create(mission=mission)
    ToRVersion.objects.create(tor=tor, number=1, focus="A first draft.", change_note="Started")
    tor.final_version = ToRVersion.objects.create(
        tor=tor, number=2, focus=TOR_TEXT, change_note="Agreed with the HCT"
    )
    tor.save()

    leader = make_member(mission, "amina", cluster="health")
    member = make_member(mission, "boris", cluster="wash")
    Nomination.objects.filter(pk=member.pk).update(
        agency=Organisation.objects.get(acronym="UNICEF")
    )
    member.cross_cutting_issues.add(gender)
    for nomination, last in ((leader, "Achebe"), (member, "Bauer")):
        nomination.participant.last_name = last
        nomination.participant.save()
    Election.objects.create(
        mission=mission,
        tie_rule=Election.TieRule.SENIORITY,
        closed_at=timezone.now(),
        winner=leader.participant,
    )

    IssueCoverage.objects.create(
        mission=mission,
        cross_cutting_issue=gender,
        mode=IssueCoverage.Mode.REPRESENTED,
        member=member,
    )
    IssueCoverage.objects.create(
        mission=mission,
        cross_cutting_issue=environment,
        mode=IssueCoverage.Mode.BRIEFING,
        briefing=ContentFile(b"%PDF-1.4 briefing", name="briefing"),
        briefing_name=BRIEFING_NAME,
        briefing_size=17,
        briefing_uploaded_at=timezone.now(),
    )
    IssueCoverage.objects.create(
        mission=mission,
        cross_cutting_issue=age,
        mode=IssueCoverage.Mode.REMOTE,
        remote_focal_point=REMOTE_FOCAL_POINT,
    )
    Attachment.objects.create(
        mission=mission,
        kind=Attachment.Kind.HCT_MINUTES,
        file=ContentFile(b"%PDF-1.4 minutes", name="minutes"),
        original_name=ATTACHMENT_NAME,
        content_type="application/pdf",
        size=16,
    )

    report = MissionReport.objects.create(mission=mission)
    version = ReportVersion.objects.create(
        report=report,
        number=1,
        internal_sections=["programme"],
        **(text if text is not None else {**PUBLIC_TEXT, **INTERNAL_TEXT}),
    )
    if final:
        report.final_version = version
        report.save()
    position = 0
    for internal, found in ((False, PUBLIC_FINDINGS), (True, INTERNAL_FINDINGS)):
        for cluster, issue, finding in found:
            position += 1
            ReportFinding.objects.create(
                version=version,
                position=position,
                cluster=GlobalCluster.objects.get(code=cluster) if cluster else None,
                issue=CrossCuttingIssue.objects.get(code=issue) if issue else None,
                text=finding,
                internal=internal,
            )
    for extra in range(findings):
        ReportFinding.objects.create(
            version=version,
            position=100 + extra,
            cluster=GlobalCluster.objects.get(code=("health", "wash", "shelter")[extra % 3]),
            text=f"Finding {extra}: " + "The cluster's district presence is thin. " * 8,
        )

    owner = UserFactory(username="owner", first_name=OWNER_NAME[0], last_name=OWNER_NAME[1])
    point(mission, 1, owner, resources=RESOURCES, text="PointHctSierra: meet monthly.")
    point(
        mission,
        2,
        owner,
        addressee_kind=ActionPoint.Addressee.ORGANISATION,
        organisation=Organisation.objects.get(acronym="WHO"),
        text="PointWhoTango: second district officers.",
    )
    point(
        mission,
        3,
        owner,
        addressee_kind=ActionPoint.Addressee.GLOBAL_CLUSTER,
        global_cluster=GlobalCluster.objects.get(code="health"),
        text="PointHealthUniform: support the country cluster.",
    )
    point(mission, 4, owner, status="draft", text="PointDraftVictor: not agreed yet.")
    for extra in range(points):
        point(
            mission,
            10 + extra,
            owner,
            text=f"Recommendation {extra}: " + "Strengthen the district coordination. " * 4,
        )
    return mission, version


def pdf_pages(document: Document) -> list[str]:
    with document.file.open("rb") as handle:
        data = handle.read()
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def squeezed(text: str) -> str:
    """Without any white space: words a table cell wrapped read back whole."""
    return "".join(text.split())


def made(mission, user, kind=Document.Kind.REPORT) -> Document:
    """Ask for the PDF as the page does, and let the worker (eager in tests) make it."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        document = document_request(mission, user, kind)
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    return document


def report_url(mission) -> str:
    return reverse("reports:report", args=[mission.pk])


class TestTheReport:
    def test_every_part_prints_in_order_after_a_cover_and_a_table_of_contents(self, cast):
        mission, _ = reported_mission(final=False)

        document = made(mission, cast["gcc"])

        pages = pdf_pages(document)
        assert document.pages == len(pages)
        cover, toc = pages[0], pages[1]
        for text in ("Pakistan floods: inter-cluster support", "Pakistan", "Version 1", "Draft"):
            assert squeezed(text) in squeezed(cover), text
        # Dates print in the language's own format (en-gb: "2 Mar 2026").
        assert "2 Mar 2026" in cover and "14 Mar 2026" in cover
        headings = [
            "Summary",
            "Context and the request",
            "Terms of Reference",
            "The team",
            "What the mission did",
            "Findings",
            "Conclusions",
            "Action points",
            "Cross-cutting issues: coverage and briefings",
            "Annexes: the documents of the mission",
        ]
        body = "\n".join(pages[2:])
        previous = -1
        for number, heading in enumerate(headings, start=1):
            # The contents give each part's page, and the part starts on that page.
            found = re.search(re.escape(heading) + r"\s*\.{3,}\s*(\d+)", toc)
            assert found, f"{heading} not in the table of contents"
            assert f"{number}. {heading}" in pages[int(found[1]) - 1], heading
            at = body.index(f"{number}. {heading}")
            assert at > previous, f"{heading} out of order"
            previous = at
        # No commitments data yet: its part is left out, not printed empty.
        assert "Commitments" not in toc
        everything = squeezed(body)
        for text in [*PUBLIC_TEXT.values(), *INTERNAL_TEXT.values(), TOR_TEXT]:
            assert squeezed(text) in everything, text
        for _, _, text in [*PUBLIC_FINDINGS, *INTERNAL_FINDINGS]:
            assert squeezed(text) in everything, text
        for name in (ATTACHMENT_NAME, BRIEFING_NAME, REMOTE_FOCAL_POINT):
            assert squeezed(name) in everything, name

    def test_each_page_after_the_cover_has_its_number_and_the_running_header(self, cast):
        mission, _ = reported_mission()

        pages = pdf_pages(made(mission, cast["gcc"]))

        total = len(pages)
        for number, page in enumerate(pages[1:], start=2):
            assert f"Page {number} of {total}" in page
            assert "Pakistan floods: inter-cluster support" in page
            assert "Version 1 (final)" in page
        assert "Final" in pages[0]

    def test_findings_are_grouped_by_area_and_action_points_by_addressee(self, cast):
        mission, _ = reported_mission(final=False)

        body = "\n".join(pdf_pages(made(mission, cast["gcc"])))

        findings = body[body.index("6. Findings") : body.index("7. Conclusions")]
        # The coordination as a whole, then the clusters, then the cross-cutting issues.
        order = ["Inter-cluster coordination", "Health", "Water, Sanitation and Hygiene", "Gender"]
        assert [findings.index(area) for area in order] == sorted(
            findings.index(area) for area in order
        )
        health = findings[findings.index("Health") : findings.index("Water, Sanitation")]
        assert "FindingHealthPublicHotel" in health
        points = squeezed(body[body.index("8. Action points") : body.index("9. Cross-cutting")])
        groups = [squeezed(name) for name in ("WHO", "Health", "The HCT")]
        starts = [points.index(group) for group in groups]
        assert starts == sorted(starts), "groups by addressee: organisations, clusters, roles"
        assert "PointWhoTango" in points[starts[0] : starts[1]]
        assert "PointHealthUniform" in points[starts[1] : starts[2]]
        assert "PointHctSierra" in points[starts[2] :]
        due = timezone.localdate() + datetime.timedelta(days=30)
        assert squeezed(due.strftime("%-d %b %Y")) in points
        for text in ("Indicator1", "Verification1", "Indicator", "Meansofverification"):
            assert text in points, text
        assert squeezed("Owner: Oscar Ownerton") in points

    def test_the_team_shows_the_clusters_each_member_represented_their_agency_and_the_leader(
        self, cast
    ):
        mission, _ = reported_mission()

        body = "\n".join(pdf_pages(made(mission, cast["gcc"])))

        team = squeezed(body[body.index("4. The team") : body.index("5. What the mission did")])
        leader = team.index("AminaAchebe")
        member = team.index("BorisBauer")
        assert leader < member, "the leader first"
        assert team[leader:member].startswith(squeezed("Amina Achebe Mission leader Health"))
        assert squeezed("World Health Organization (WHO)") in team[leader:member]
        after = team[member:]
        assert squeezed("Boris Bauer Team member Water, Sanitation and Hygiene; Gender") in after
        assert squeezed("United Nations Children's Fund (UNICEF)") in after

    def test_the_stored_sha256_is_the_files_and_a_final_version_prints_again(self, cast):
        mission, version = reported_mission(final=False)
        draft = made(mission, cast["rc_hc_pakistan"])
        with draft.file.open("rb") as handle:
            assert draft.sha256 == hashlib.sha256(handle.read()).hexdigest()
        assert len(draft.sha256) == 64
        assert not draft.source_final
        version.report.final_version = version
        version.report.save()

        final = made(mission, cast["rc_hc_pakistan"])

        assert final.pk != draft.pk and final.source_final
        assert "Final" in pdf_pages(final)[0]
        assert final.sha256 != draft.sha256

    def test_anyone_who_sees_the_mission_may_ask_and_others_may_not(self, cast):
        mission, _ = reported_mission()
        for who in ("rc_hc_pakistan", "hct_pakistan", "task_team", "hcss"):
            assert document_request(mission, cast[who], Document.Kind.REPORT).pk
        for who in ("outsider", "rc_hc_nepal"):
            with pytest.raises(PermissionDenied):
                document_request(mission, cast[who], Document.Kind.REPORT)
        assert Document.objects.count() == 1

    def test_no_pdf_before_anyone_wrote_the_report(self, cast):
        mission = make_mission("PAK", status="reporting")
        with pytest.raises(ValidationError, match="no report to make a PDF of yet"):
            document_request(mission, cast["gcc"], Document.Kind.REPORT)


class TestThePublicVersion:
    def test_it_omits_every_internal_section_and_finding_people_met_owners_and_agencies(self, cast):
        mission, _ = reported_mission()

        document = made(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT)

        pages = pdf_pages(document)
        everything = squeezed("\n".join(pages))
        for marker in EVERY_INTERNAL_MARKER:
            assert squeezed(marker) not in everything, marker
        assert "PointDraftVictor" not in everything
        for organisation in ("World Health Organization (WHO)", "UNICEF"):
            assert squeezed(organisation) not in everything
        assert "@" not in everything, "no e-mail addresses"
        assert "People and organisations met" not in "\n".join(pages)
        # What it does hold: the public text, the team's names and roles, the points.
        for text in [*PUBLIC_TEXT.values(), *(text for _, _, text in PUBLIC_FINDINGS)]:
            assert squeezed(text) in everything, text
        for text in ("AminaAchebe", "Missionleader", "BorisBauer", "Teammember"):
            assert text in everything
        for text in ("PointHctSierra", "PointWhoTango", "Indicator1", "Verification1"):
            assert text in everything

    def test_it_says_public_version_on_the_cover_and_in_the_running_header(self, cast):
        mission, _ = reported_mission()

        pages = pdf_pages(made(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT))

        assert "Public version" in pages[0]
        for page in pages[1:]:
            assert "Public version · Version 1 (final)" in page
        assert "Terms of Reference" not in pages[1], "the ToR is not in the public version"

    def test_its_context_never_holds_internal_text(self, db):
        mission, version = reported_mission()

        context = public_report_context(mission, version)

        flat = repr(context)
        for marker in EVERY_INTERNAL_MARKER:
            assert marker not in flat, marker
        internal = report_context(mission, version, final=True)
        for marker in EVERY_INTERNAL_MARKER:
            assert marker in repr(internal), marker

    def test_it_is_made_only_from_the_final_version(self, cast):
        mission, _ = reported_mission(final=False)
        with pytest.raises(ValidationError, match="final"):
            document_request(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT)
        assert not Document.objects.exists()


class TestThePage:
    @pytest.mark.parametrize("who", ["rc_hc_pakistan", "hct_pakistan", "gcc", "hcss"])
    def test_whoever_sees_the_mission_makes_the_pdf_and_sees_its_hash(self, client, cast, who):
        mission, _ = reported_mission()
        client.force_login(cast[who])
        page = client.get(report_url(mission))
        assertContains(page, "Make the PDF of the report")
        assertContains(page, "Make the PDF of the public version")

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(report_url(mission), {"kind": "report"})

        assertRedirects(response, report_url(mission))
        document = Document.objects.get(kind="report")
        page = client.get(report_url(mission))
        assertContains(page, reverse("reports:download", args=[document.pk]))
        assertContains(page, f"<code>{document.sha256}</code>", html=True)
        assertContains(page, "sha256sum")
        assertContains(page, f"{document.pages} pages")
        assert "Refresh" not in page

    def test_the_tor_page_shows_the_sha256_too(self, client, cast):
        mission, _ = reported_mission()
        document = made(mission, cast["gcc"], Document.Kind.TOR)
        client.force_login(cast["hct_pakistan"])

        page = client.get(reverse("reports:tor", args=[mission.pk]))

        assert len(document.sha256) == 64
        assertContains(page, f"<code>{document.sha256}</code>", html=True)
        assertContains(page, "sha256sum")

    def test_a_draft_offers_no_public_version(self, client, cast):
        mission, _ = reported_mission(final=False)
        client.force_login(cast["gcc"])

        page = client.get(report_url(mission))

        assertNotContains(page, "Make the PDF of the public version")
        assertContains(page, "once the leader marks the report final")
        response = client.post(report_url(mission), {"kind": "public_report"}, follow=True)
        assertContains(response, "made from the final report")
        assert not Document.objects.exists()

    @pytest.mark.parametrize(("status", "step"), [("queued", 1), ("rendering", 2)])
    def test_while_on_its_way_it_shows_progress_and_refreshes(self, client, cast, status, step):
        mission, _ = reported_mission()
        document = document_request(mission, cast["gcc"], Document.Kind.REPORT)
        Document.objects.filter(pk=document.pk).update(status=status, started_at=timezone.now())
        client.force_login(cast["rc_hc_pakistan"])

        page = client.get(report_url(mission))

        assertContains(page, "Preparing the PDF…")
        assertContains(page, f'<progress id="pdf-progress-report" max="3" value="{step}">')
        assertContains(page, '<meta http-equiv="refresh" content="3">')
        assert page["Refresh"] == "3"

    def test_a_failed_pdf_can_be_tried_again(self, client, cast, monkeypatch):
        mission, _ = reported_mission()
        real = services.render_pdf
        monkeypatch.setattr(services, "render_pdf", lambda html: 1 / 0)
        client.force_login(cast["gcc"])
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(report_url(mission), {"kind": "public_report"})
        page = client.get(report_url(mission))
        assertContains(page, "The PDF could not be made")
        assertContains(page, "Try again")
        assert "Refresh" not in page

        monkeypatch.setattr(services, "render_pdf", real)
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(report_url(mission), {"kind": "public_report"})

        document = Document.objects.get()
        assert (document.kind, document.status, document.error) == ("public_report", "ready", "")

    @pytest.mark.parametrize("who", ["outsider", "rc_hc_nepal", "hct_nepal", "cci_gender"])
    def test_out_of_scope_gets_404(self, client, cast, who):
        mission, _ = reported_mission()
        client.force_login(cast[who])
        assert client.get(report_url(mission)).status_code == 404
        assert client.post(report_url(mission), {"kind": "report"}).status_code == 404
        assert not Document.objects.exists()

    def test_the_page_reads_a_constant_number_of_queries(self, client, cast):
        small, _ = reported_mission(title="Small")
        big, _ = reported_mission(title="Big", findings=30, points=30)
        for mission in (small, big):
            for kind in ("report", "public_report"):
                Document.objects.create(
                    mission=mission,
                    kind=kind,
                    source_version=1,
                    source_final=True,
                    status="ready",
                    sha256="0" * 64,
                    pages=3,
                    finished_at=timezone.now(),
                )
        client.force_login(cast["gcc"])
        counts = []
        for mission in (small, big):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(report_url(mission)).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestTheCommitmentsContext:
    """A mission to a country whose cluster partners assessed themselves shows the latest
    picture, in the report and on the mission's page; aggregates only, as always."""

    @staticmethod
    def assessed_cluster(partners: int = 3):
        from tests.commitments.factories import (
            coordinator_of,
            fill_round,
            make_cluster,
            open_round,
        )

        cluster, _ = make_cluster("PAK", "health", partners=partners)
        round_ = open_round(cluster, coordinator_of(cluster, "coord-health"))
        # Commitment 1 met by all, 2 partly by all, the rest not met.
        letters = ("MP" + "N" * 9, "M" * 5)
        fill_round(round_, [letters] * partners, obstacles=["language"])
        return cluster

    def test_the_report_prints_the_latest_picture_of_the_countrys_clusters(self, cast):
        self.assessed_cluster()
        mission, _ = reported_mission(final=False)

        pages = pdf_pages(made(mission, cast["gcc"]))

        assert "Commitments of the cluster partners" in pages[1]
        body = squeezed("\n".join(pages[2:]))
        assert squeezed("3 of 3 organisations answered") in body
        assert squeezed("100 %") in body and squeezed("Weak") in body

    def test_below_three_answers_nothing_is_printed(self, cast):
        self.assessed_cluster(partners=2)
        mission, _ = reported_mission(final=False)

        pages = pdf_pages(made(mission, cast["gcc"]))

        assert "Commitments" not in pages[1]

    def test_the_public_version_leaves_it_out(self, cast):
        self.assessed_cluster()
        mission, _ = reported_mission(final=True)

        pages = pdf_pages(made(mission, cast["gcc"], Document.Kind.PUBLIC_REPORT))

        assert "Commitments" not in "\n".join(pages)

    def test_the_mission_page_shows_it(self, client, cast):
        self.assessed_cluster()
        mission, _ = reported_mission(final=False)
        client.force_login(cast["gcc"])

        page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()

        assert "Minimum Commitments" in page and "3 of 3 partner organisations answered" in page
