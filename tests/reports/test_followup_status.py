"""The follow-up status report: every action point's status, latest update and evidence on a
date, by addressee and by improvement plan. The leader makes one at will; the schedule makes
one a month for each mission in follow-up, once, whatever the ticks."""

from __future__ import annotations

import datetime
import io

import pypdf
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from clusters.models import Country, CountryCluster, GlobalCluster, Organisation
from missions.models import (
    ActionPoint,
    ActionPointLog,
    Evidence,
    ImprovementPlan,
    Mission,
    ProgressUpdate,
)
from missions.services.permissions import mission_leader_appoint
from reports.models import Document
from reports.selectors.document import followup_status_context
from reports.services.document import followup_status_reports_due, followup_status_request
from reports.tasks import followup_status_reports_task
from tests.factories import UserFactory, make_mission


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def add_point(mission, number: int, **fields) -> ActionPoint:
    values = {
        "text": f"Recommendation {number}.",
        "addressee_kind": ActionPoint.Addressee.ROLE,
        "addressee_role": "The HCT",
        "due_on": timezone.localdate() + datetime.timedelta(days=30),
        "indicator": "An indicator",
        "verification": "A means of verification",
        "status": "open",
    }
    values.update(fields)
    return ActionPoint.objects.create(
        mission=mission, number=number, reference=f"PAK-F-{mission.pk}-{number:02d}", **values
    )


def update(point, text: str, files: int = 0, percent=None, when=None) -> ProgressUpdate:
    progress = ProgressUpdate.objects.create(point=point, text=text, percent=percent)
    if when is not None:
        ProgressUpdate.objects.filter(pk=progress.pk).update(created_at=when)
    for index in range(files):
        Evidence.objects.create(
            update=progress,
            file=ContentFile(b"evidence", name=f"e{index}"),
            original_name=f"minutes-{index}.pdf",
            content_type="application/pdf",
            size=8,
        )
    return progress


@pytest.fixture
def followed(cast):
    """A mission in follow-up led by the cast's leader: five points to three addressees, two
    of them in the health cluster's improvement plan, with updates and evidence."""
    mission = make_mission("PAK", status="follow_up", title="Pakistan follow-up")
    mission_leader_appoint(mission, cast["leader"])
    health = CountryCluster.objects.get_or_create(
        country=Country.objects.get(code="PAK"),
        global_cluster=GlobalCluster.objects.get(code="health"),
    )[0]
    plan = ImprovementPlan.objects.create(mission=mission, country_cluster=health)
    who = Organisation.objects.get(acronym="WHO")
    hct_done = add_point(mission, 1, text="PointHctDoneAlpha", status="done", plan=plan)
    update(hct_done, "UpdateMinutesBravo: the group met twice.", files=2, percent=100)
    overdue = add_point(
        mission,
        2,
        text="PointHctOverdueCharlie",
        due_on=timezone.localdate() - datetime.timedelta(days=5),
    )
    update(overdue, "An old update.", when=timezone.now() - datetime.timedelta(days=20))
    update(overdue, "UpdateLatestDelta: waiting for the HCT.", percent=40)
    add_point(
        mission,
        3,
        text="PointWhoEcho",
        addressee_kind=ActionPoint.Addressee.ORGANISATION,
        organisation=who,
        status="in_progress",
        plan=plan,
    )
    add_point(mission, 4, text="PointDroppedFoxtrot", status="dropped", drop_reason="Overtaken.")
    add_point(mission, 5, text="PointDraftGolf", status="draft")
    ActionPoint.objects.filter(mission=mission).update(
        created_at=timezone.now() - datetime.timedelta(days=60)
    )
    return mission


def status_url(mission) -> str:
    return reverse("reports:followup_status", args=[mission.pk])


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as handle:
        reader = pypdf.PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    return "".join(text.split())


class TestTheReport:
    def test_it_shows_each_points_status_latest_update_and_evidence_by_addressee_and_plan(
        self, followed, cast
    ):
        with TestCase.captureOnCommitCallbacks(execute=True):
            document = followup_status_request(followed, cast["leader"])

        document.refresh_from_db()
        assert document.status == Document.Status.READY, document.error
        assert (document.source_version, document.as_of) == (1, timezone.localdate())
        text = pdf_text(document)
        flat = squeezed(text)
        assert "Follow-up status report" in text
        # Dates print in the language's own format (en-gb: "2 Dec 2026").
        as_of = date_format(timezone.localdate())
        assert squeezed(f"Status report 1, as of {as_of}") in flat
        # Overall: 1 of 4 followed points done; drafts are not followed.
        assert squeezed("1 of 4 action points done (25%)") in flat
        assert "PointDraftGolf" not in flat
        by_addressee = flat[flat.index("Byaddressee") : flat.index("Byimprovementplan")]
        who, hct = by_addressee.index("WHO"), by_addressee.index("TheHCT")
        assert who < hct
        assert "PointWhoEcho" in by_addressee[who:hct]
        hct_part = by_addressee[hct:]
        for text_ in ("PointHctDoneAlpha", "PointHctOverdueCharlie", "PointDroppedFoxtrot"):
            assert text_ in hct_part
        assert squeezed("UpdateMinutesBravo: the group met twice.") in hct_part
        assert "2files" in hct_part
        assert squeezed("UpdateLatestDelta: waiting for the HCT.") in hct_part
        assert "Anoldupdate" not in hct_part, "only the latest update"
        assert "(overdue)" in hct_part
        assert "Noupdateyet" in by_addressee[who:hct]
        by_plan = flat[flat.index("Byimprovementplan") :]
        health, elsewhere = by_plan.index("Health"), by_plan.index("Notinanimprovementplan")
        assert "PAK-F" in by_plan[health:elsewhere]
        assert squeezed("Done: 1 action point") in by_plan[health:elsewhere]
        assert squeezed("In progress: 1 action point") in by_plan[health:elsewhere]
        assert f"PAK-F-{followed.pk}-02" in by_plan[elsewhere:]
        assert "Page 1 of" in text

    def test_a_point_is_shown_as_it_stood_on_the_day_of_the_report(self, followed, cast):
        point = ActionPoint.objects.get(mission=followed, number=3)
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        # Started today: the day before, it was still open, and had no update yet.
        ActionPointLog.objects.create(
            point=point, transition="start", source="open", target="in_progress"
        )
        update(point, "Made today.")

        context = followup_status_context(followed, yesterday)

        rows = {row["number"]: row for group in context["by_addressee"] for row in group["points"]}
        assert rows[3]["status"] == "open"
        assert rows[3]["latest_text"] == ""
        today = followup_status_context(followed, timezone.localdate())
        rows = {row["number"]: row for group in today["by_addressee"] for row in group["points"]}
        assert rows[3]["status"] == "in_progress"
        assert rows[3]["latest_text"] == "Made today."

    def test_it_reads_a_constant_number_of_queries_whatever_the_points(self, followed, cast):
        counts = []
        for extra in (0, 20):
            for number in range(100, 100 + extra):
                update(add_point(followed, number), "More.", files=1)
            mission = Mission.objects.select_related("country").get(pk=followed.pk)
            with CaptureQueriesContext(connection) as queries:
                followup_status_context(mission, timezone.localdate())
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestAtWill:
    def test_each_request_is_a_new_document_the_next_of_the_series(self, followed, cast):
        first = followup_status_request(followed, cast["leader"])
        second = followup_status_request(followed, cast["leader"])

        assert (first.source_version, second.source_version) == (1, 2)
        assert first.kind == second.kind == Document.Kind.FOLLOWUP_STATUS
        assert first.period == second.period == ""

    @pytest.mark.parametrize("who", ["gcc", "hcss", "rc_hc_pakistan"])
    def test_only_the_leader_may_ask(self, followed, cast, who):
        with pytest.raises(PermissionDenied, match="Only the mission's leader"):
            followup_status_request(followed, cast[who])
        assert not Document.objects.exists()


class TestEachMonth:
    def test_one_report_per_mission_in_follow_up_even_when_the_task_runs_twice(
        self, followed, cast
    ):
        other = make_mission("NPL", status="follow_up", title="Nepal follow-up")
        make_mission("PAK", status="reporting", title="Still reporting")
        today = timezone.localdate()

        with TestCase.captureOnCommitCallbacks(execute=True):
            assert followup_status_reports_task.delay().get() == 2
            assert followup_status_reports_task.delay().get() == 0

        documents = Document.objects.filter(kind=Document.Kind.FOLLOWUP_STATUS)
        assert sorted(d.mission_id for d in documents) == sorted([followed.pk, other.pk])
        assert {d.period for d in documents} == {today.strftime("%Y-%m")}
        assert {d.as_of for d in documents} == {today}
        assert {d.status for d in documents} == {Document.Status.READY}

    def test_a_missed_month_is_caught_up_on_the_next_tick_and_numbers_follow_on(
        self, followed, cast
    ):
        followup_status_request(followed, cast["leader"])  # no. 1, at will
        february = followup_status_reports_due(datetime.date(2026, 2, 1))
        # The ticks of the first weeks of March were missed: the next one makes March's.
        march = followup_status_reports_due(datetime.date(2026, 3, 19))
        again = followup_status_reports_due(datetime.date(2026, 3, 19))

        assert len(february) == len(march) == 1 and again == []
        made = Document.objects.filter(period__in=["2026-02", "2026-03"]).order_by("period")
        assert [(d.period, d.source_version, d.as_of) for d in made] == [
            ("2026-02", 2, datetime.date(2026, 2, 1)),
            ("2026-03", 3, datetime.date(2026, 3, 19)),
        ]

    def test_the_tick_reads_a_constant_number_of_queries_whatever_the_missions(self, cast):
        counts = []
        for missions, day in ((1, datetime.date(2026, 4, 1)), (4, datetime.date(2026, 5, 1))):
            for index in range(missions):
                make_mission("PAK", status="follow_up", title=f"Mission {day} {index}")
            with CaptureQueriesContext(connection) as queries:
                followup_status_reports_due(day)
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestThePage:
    def test_the_leader_makes_one_now_and_sees_it_with_its_hash(self, client, followed, cast):
        client.force_login(cast["leader"])
        assertContains(client.get(status_url(followed)), "Make one now")

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(status_url(followed))

        assertRedirects(response, status_url(followed))
        document = Document.objects.get()
        page = client.get(status_url(followed))
        assertContains(page, reverse("reports:download", args=[document.pk]))
        assertContains(page, f"<code>{document.sha256}</code>", html=True)
        assertContains(page, "sha256sum")
        assert "Refresh" not in page

    @pytest.mark.parametrize("who", ["gcc", "hcss", "rc_hc_pakistan", "hct_pakistan"])
    def test_whoever_sees_the_mission_sees_the_list_but_only_the_leader_makes_one(
        self, client, followed, cast, who
    ):
        Document.objects.create(
            mission=followed,
            kind=Document.Kind.FOLLOWUP_STATUS,
            source_version=1,
            as_of=timezone.localdate(),
            period="2026-01",
            status=Document.Status.READY,
            sha256="a" * 64,
            pages=2,
            finished_at=timezone.now(),
        )
        client.force_login(cast[who])

        page = client.get(status_url(followed))

        assertContains(page, "a" * 64)
        assertNotContains(page, "Make one now")
        response = client.post(status_url(followed))
        assert response.status_code == 403
        assertContains(
            response,
            "Only the mission&#x27;s leader makes a follow-up status report.",
            status_code=403,
        )
        assert Document.objects.count() == 1

    def test_while_one_is_on_its_way_the_page_refreshes(self, client, followed, cast):
        followup_status_request(followed, cast["leader"])
        client.force_login(cast["gcc"])

        page = client.get(status_url(followed))

        assertContains(page, "Preparing the PDF…")
        assertContains(page, '<meta http-equiv="refresh" content="3">')
        assert page["Refresh"] == "3"

    @pytest.mark.parametrize("who", ["outsider", "rc_hc_nepal", "focal_health"])
    def test_out_of_scope_gets_404(self, client, followed, cast, who):
        client.force_login(cast[who])
        assert client.get(status_url(followed)).status_code == 404
        assert client.post(status_url(followed)).status_code == 404
        assert not Document.objects.exists()

    def test_the_page_reads_a_constant_number_of_queries(self, client, followed, cast):
        client.force_login(cast["leader"])
        counts = []
        for number in (1, 2, 3, 4, 5):
            Document.objects.create(
                mission=followed,
                kind=Document.Kind.FOLLOWUP_STATUS,
                source_version=number,
                as_of=timezone.localdate(),
                status=Document.Status.READY,
                sha256=f"{number}" * 64,
                pages=2,
                finished_at=timezone.now(),
                requested_by=UserFactory(username=f"asker-{number}"),
            )
            if number in (1, 5):
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(status_url(followed)).status_code == 200
                counts.append(len(queries))
        assert counts[0] == counts[1]
