"""The public face of the reports, with no login: the list of published reports (filtered by
country and year, paginated, in a constant number of queries), each one's page and public PDF,
and the Atom feed. Only published reports appear, and only their public text: no internal
section, internal finding or people met reaches the pages, the feed or the public PDF."""

import datetime
import html
import io

import feedparser
import pypdf
import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from clusters.models import CrossCuttingIssue, GlobalCluster
from missions.models import Mission, ReportFinding
from missions.services.permissions import mission_leader_appoint
from reports.models import Document, Publication
from reports.services import document as document_services
from reports.services.publication import publication_publish, publication_withdraw
from reports.tasks import render_document_task
from tests.factories import make_final_report, make_mission, make_open_point

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LIST = reverse("public:list")
FEED = reverse("public:feed")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def no_rendering(monkeypatch):
    monkeypatch.setattr(render_document_task, "delay", lambda pk: None)


def publish(
    cast,
    title: str,
    *,
    country: str = "PAK",
    year: int = 2025,
    summary: str = "",
    findings: tuple = (),
    **sections,
) -> Publication:
    """A mission in follow-up with a final report (version 1), published by its leader."""
    mission = make_mission(country, status="follow_up", title=title)
    Mission.objects.filter(pk=mission.pk).update(in_country_from=datetime.date(year, 3, 2))
    mission_leader_appoint(mission, cast["leader"])
    version = make_final_report(mission, summary=summary or f"Summary of {title}.", **sections)
    for position, (text, internal) in enumerate(findings):
        ReportFinding.objects.create(
            version=version, position=position, text=text, internal=internal
        )
    publication_publish(mission, cast["leader"])
    return Publication.objects.select_related("mission", "document").get(mission=mission)


def ready(publication: Publication) -> Publication:
    document = publication.document
    document.file.save("public.pdf", ContentFile(PDF), save=False)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.READY, file=document.file.name
    )
    publication.refresh_from_db()
    return publication


def titles(response) -> list[str]:
    return [p.mission.title for p in response.context["page"].object_list]


class TestTheList:
    def test_only_published_reports_newest_first(self, cast, client):
        older = publish(cast, "Older mission")
        newer = publish(cast, "Newer mission")
        Publication.objects.filter(pk=older.pk).update(
            published_at=timezone.now() - datetime.timedelta(days=3)
        )
        withdrawn = publish(cast, "Withdrawn mission")
        publication_withdraw(withdrawn.mission, cast["leader"], "Names in a finding.")
        make_final_report(make_mission("PAK", status="follow_up", title="Unpublished mission"))

        response = client.get(LIST)
        assert response.status_code == 200
        assert titles(response) == ["Newer mission", "Older mission"]
        assertContains(response, "Summary of Newer mission.")
        assertContains(response, "Pakistan")
        assertContains(response, "2025")
        assertNotContains(response, "Withdrawn mission")
        assertNotContains(response, "Unpublished mission")
        assertContains(response, reverse("public:detail", args=[newer.pk]))

    def test_the_pdf_is_linked_once_it_is_ready(self, cast, client):
        publication = publish(cast, "A mission")
        pdf = reverse("public:pdf", args=[publication.pk])
        assertNotContains(client.get(LIST), pdf)
        ready(publication)
        assertContains(client.get(LIST), pdf)

    def test_filters_by_country_and_year(self, cast, client):
        publish(cast, "Pakistan 2024", year=2024)
        publish(cast, "Pakistan 2025", year=2025)
        publish(cast, "Nepal 2025", country="NPL", year=2025)

        assert titles(client.get(LIST, {"country": "PAK"})) == ["Pakistan 2025", "Pakistan 2024"]
        assert titles(client.get(LIST, {"year": "2025"})) == ["Nepal 2025", "Pakistan 2025"]
        assert titles(client.get(LIST, {"country": "NPL", "year": "2025"})) == ["Nepal 2025"]
        assert titles(client.get(LIST, {"country": "NPL", "year": "2024"})) == []
        assert len(titles(client.get(LIST, {"country": "", "year": "nonsense"}))) == 3
        page = client.get(LIST)
        # The filter offers the countries and years that have a published report.
        assert [c.code for c in page.context["countries"]] == ["NPL", "PAK"]
        assert page.context["years"] == [2025, 2024]
        assertContains(page, '<option value="NPL">Nepal</option>', html=True)

    def test_paginated(self, cast, client):
        for n in range(22):
            publish(cast, f"Mission {n:02d}")
        first = client.get(LIST)
        assert len(titles(first)) == 20
        assertContains(first, "Page 1 of 2")
        second = client.get(LIST, {"page": "2"})
        assert len(titles(second)) == 2
        assert set(titles(first)).isdisjoint(titles(second))

    def test_the_number_of_queries_does_not_grow_with_the_reports(
        self, cast, client, django_assert_num_queries
    ):
        for n in range(5):
            ready(publish(cast, f"Mission {n}"))
        with CaptureQueriesContext(connection) as five:
            assert len(titles(client.get(LIST))) == 5
        for n in range(5, 30):
            ready(publish(cast, f"Mission {n}"))
        # The count, the page of reports, the countries and the years of the filter.
        assert len(five) == 4
        with django_assert_num_queries(4):
            assert len(titles(client.get(LIST))) == 20
        with django_assert_num_queries(4):
            assert len(titles(client.get(LIST, {"country": "PAK", "year": "2025"}))) == 20


class TestTheReport:
    def test_its_page_shows_the_public_version(self, cast, client):
        publication = publish(
            cast,
            "A mission",
            places="Sindh and Balochistan.",
            findings=(("Clusters meet weekly.", False),),
        )
        response = client.get(reverse("public:detail", args=[publication.pk]))
        assertContains(response, "Public version")
        assertContains(response, "A mission")
        assertContains(response, "Sindh and Balochistan.")
        assertContains(response, "Clusters meet weekly.")

    def test_the_public_pdf_is_served_while_published_and_ready(self, cast, client):
        publication = publish(cast, "A mission")
        url = reverse("public:pdf", args=[publication.pk])
        assert client.get(url).status_code == 404  # not ready yet
        ready(publication)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF

    def test_a_withdrawn_report_is_gone_from_every_public_place(self, cast, client):
        publication = ready(publish(cast, "A withdrawn mission"))
        publication_withdraw(publication.mission, cast["leader"], "Security details.")
        for name in ("public:detail", "public:pdf"):
            assert client.get(reverse(name, args=[publication.pk])).status_code == 404
        assertNotContains(client.get(LIST), "A withdrawn mission")
        assert feedparser.parse(client.get(FEED).content).entries == []

    def test_an_unpublished_or_unknown_report_is_not_found(self, cast, client):
        mission = make_mission("PAK", status="follow_up")
        unpublished = Publication.objects.create(mission=mission)
        for pk in (unpublished.pk, 999_999):
            assert client.get(reverse("public:detail", args=[pk])).status_code == 404
            assert client.get(reverse("public:pdf", args=[pk])).status_code == 404


class TestTheFeed:
    def test_it_holds_exactly_the_published_reports_with_their_summaries(self, cast, client):
        first = publish(cast, "First mission", summary="First summary & more.")
        second = publish(cast, "Second mission", country="NPL", summary="Second summary.")
        withdrawn = publish(cast, "Withdrawn mission")
        publication_withdraw(withdrawn.mission, cast["leader"], "A reason.")

        response = client.get(FEED)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.content)
        assert feed.version == "atom10"
        entries = {entry.title: entry for entry in feed.entries}
        assert set(entries) == {"First mission", "Second mission"}
        # Atom's summary is HTML: the plain-text summary is escaped in it, and reads back.
        assert entries["First mission"].summary_detail.type == "text/html"
        assert html.unescape(entries["First mission"].summary) == "First summary & more."
        assert entries["Second mission"].summary == "Second summary."
        assert entries["First mission"].link.endswith(reverse("public:detail", args=[first.pk]))
        assert [tag.term for tag in entries["Second mission"].tags] == ["Nepal"]
        assert (
            entries["Second mission"].published_parsed[:3]
            == (second.published_at.utctimetuple()[:3])
        )


# Internal text never reaches the public ---------------------------------------------------------

MARKERS = {
    "context": "MARKER-INTERNAL-CONTEXT-4b1f",
    "programme": "MARKER-INTERNAL-PROGRAMME-9c2e",
    "conclusions": "MARKER-INTERNAL-CONCLUSIONS-7d3a",
    "people_met": "MARKER-PEOPLE-MET-5e6b",
    "finding": "MARKER-INTERNAL-FINDING-2a8c",
    "cluster_finding": "MARKER-INTERNAL-CLUSTER-FINDING-3f9d",
    "issue_finding": "MARKER-INTERNAL-ISSUE-FINDING-8b4e",
    "summary": "MARKER-INTERNAL-SUMMARY-1c7f",
}
PUBLIC_TEXT = {
    "summary": "Public summary of the coordination review.",
    "request": "Public text of the request from the RC/HC.",
    "places": "Public list of places: Sindh, Balochistan.",
    "finding": "Public finding: clusters meet weekly.",
}


@pytest.fixture(params=["public summary", "internal summary"])
def secretive(request, cast):
    """A published report whose final version has internal text in every place it can: three
    internal sections, the people met (always internal), and internal findings (on the
    coordination, a cluster and a cross-cutting issue); the summary too, in one variant."""
    internal_summary = request.param == "internal summary"
    mission = make_mission("PAK", status="follow_up", title="Coordination review in Pakistan")
    Mission.objects.filter(pk=mission.pk).update(in_country_from=datetime.date(2025, 3, 2))
    mission_leader_appoint(mission, cast["leader"])
    make_open_point(mission)
    version = make_final_report(
        mission,
        summary=MARKERS["summary"] if internal_summary else PUBLIC_TEXT["summary"],
        context=MARKERS["context"],
        request=PUBLIC_TEXT["request"],
        programme=MARKERS["programme"],
        places=PUBLIC_TEXT["places"],
        people_met=MARKERS["people_met"],
        conclusions=MARKERS["conclusions"],
        internal_sections=["context", "programme", "conclusions"]
        + (["summary"] if internal_summary else []),
    )
    ReportFinding.objects.create(version=version, position=1, text=PUBLIC_TEXT["finding"])
    ReportFinding.objects.create(
        version=version, position=2, text=MARKERS["finding"], internal=True
    )
    ReportFinding.objects.create(
        version=version,
        position=3,
        text=MARKERS["cluster_finding"],
        internal=True,
        cluster=GlobalCluster.objects.get(code="health"),
    )
    ReportFinding.objects.create(
        version=version,
        position=4,
        text=MARKERS["issue_finding"],
        internal=True,
        issue=CrossCuttingIssue.objects.get(code="gender"),
    )
    publication_publish(mission, cast["leader"])
    publication = Publication.objects.select_related("document").get(mission=mission)
    return publication, internal_summary


def leaked(text: str) -> list[str]:
    return [marker for marker in MARKERS.values() if marker in text]


def expected_public(internal_summary: bool) -> list[str]:
    return [
        text for name, text in PUBLIC_TEXT.items() if not (internal_summary and name == "summary")
    ]


def test_no_internal_text_on_the_public_pages_or_in_the_feed(secretive, client):
    publication, internal_summary = secretive
    detail = client.get(reverse("public:detail", args=[publication.pk])).content.decode()
    listing = client.get(LIST).content.decode()
    feed = client.get(FEED).content.decode()
    assert "Coordination review in Pakistan" in listing and "MARKER" not in listing
    for text in expected_public(internal_summary):
        assert text in detail
    assert leaked(detail) == []
    assert leaked(listing) == []
    assert leaked(feed) == []
    entries = feedparser.parse(feed).entries
    assert [entry.title for entry in entries] == ["Coordination review in Pakistan"]
    assert leaked(entries[0].summary) == []
    assert leaked(publication.summary) == []


def test_no_internal_text_in_the_public_pdf(secretive):
    publication, internal_summary = secretive
    if Document.Kind.PUBLIC_REPORT not in document_services.RENDERERS:
        pytest.skip("the public version's renderer is not there yet")
    assert document_services.document_render(publication.document_id) is True
    document = Document.objects.get(pk=publication.document_id)
    assert document.status == Document.Status.READY, document.error
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Words may be broken across lines in a PDF's text: compare without white space.
    flat = "".join(text.split())
    assert [m for m in MARKERS.values() if m.replace("-", "") in flat.replace("-", "")] == []
    for public in expected_public(internal_summary):
        assert "".join(public.split()) in flat
