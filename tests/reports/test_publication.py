"""Publication of the report's public version: the leader publishes the final version once the
report has gone to its list, and may withdraw it with a reason that stays in the log; both
through the publication's runner. The publication page shows the status and log to the leader
and HCSS."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from missions.models import Mission, MissionReport, ReportVersion
from missions.services.permissions import mission_leader_appoint
from missions.workflow import MissionNotFound, TransitionNotPermitted, TransitionRefused
from reports.admin.publication import PublicationAdmin
from reports.models import Document, Publication, PublicationLog, PublicationStatus
from reports.services.publication import publication_publish, publication_withdraw
from reports.tasks import render_document_task
from tests.factories import make_final_report, make_mission


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def no_rendering(monkeypatch):
    monkeypatch.setattr(render_document_task, "delay", lambda pk: None)


@pytest.fixture
def mission(cast):
    mission = make_mission("PAK", status="follow_up", title="Pakistan flood coordination")
    Mission.objects.filter(pk=mission.pk).update(in_country_from=datetime.date(2025, 3, 2))
    mission.refresh_from_db()
    mission_leader_appoint(mission, cast["leader"])
    make_final_report(mission, summary="What the mission found, in short.")
    return mission


def page_url(mission) -> str:
    return reverse("reports:publication", args=[mission.pk])


class TestPublishing:
    def test_the_leader_publishes_the_final_public_version(self, mission, cast):
        log = publication_publish(mission, cast["leader"])

        publication = Publication.objects.get(mission=mission)
        assert publication.status == PublicationStatus.PUBLISHED
        assert publication.version == 1
        assert publication.summary == "What the mission found, in short."
        assert publication.year == 2025
        assert publication.published_by == cast["leader"]
        assert publication.published_at is not None
        document = publication.document
        assert document.kind == Document.Kind.PUBLIC_REPORT
        assert document.source_version == 1 and document.source_final
        assert log.transition == "publish" and log.user == cast["leader"]
        assert PublicationLog.objects.get().version == 1

    def test_an_internal_summary_is_not_copied(self, mission, cast):
        ReportVersion.objects.filter(report__mission=mission).update(internal_sections=["summary"])
        publication_publish(mission, cast["leader"])
        assert Publication.objects.get().summary == ""

    def test_without_dates_in_the_country_the_year_is_the_decisions(self, mission, cast):
        decided = timezone.make_aware(datetime.datetime(2024, 11, 20, 12))
        Mission.objects.filter(pk=mission.pk).update(in_country_from=None, decided_at=decided)
        publication_publish(mission, cast["leader"])
        assert Publication.objects.get().year == 2024

    def test_a_draft_version_is_not_published(self, mission, cast):
        report = MissionReport.objects.get(mission=mission)
        ReportVersion.objects.create(report=report, number=2, summary="A draft.")
        with pytest.raises(ValidationError, match="Only a final report is published"):
            publication_publish(mission, cast["leader"])
        assert not Publication.objects.exists() and not PublicationLog.objects.exists()

    def test_a_report_not_yet_distributed_is_not_published(self, mission, cast):
        Mission.objects.filter(pk=mission.pk).update(status="reporting")
        with pytest.raises(ValidationError, match="distribute it first"):
            publication_publish(mission, cast["leader"])
        assert not Publication.objects.exists() and not Document.objects.exists()

    def test_a_closed_missions_report_may_be_published(self, mission, cast):
        Mission.objects.filter(pk=mission.pk).update(status="closed")
        publication_publish(mission, cast["leader"])
        assert Publication.objects.get().status == PublicationStatus.PUBLISHED

    def test_only_the_leader_publishes(self, mission, cast):
        with pytest.raises(TransitionNotPermitted):
            publication_publish(mission, cast["hcss"])
        for who in ("outsider", "rc_hc_nepal"):
            with pytest.raises(MissionNotFound):
                publication_publish(mission, cast[who])
        assert not Publication.objects.exists()

    def test_publishing_twice_is_refused(self, mission, cast):
        publication_publish(mission, cast["leader"])
        with pytest.raises(TransitionRefused):
            publication_publish(mission, cast["leader"])
        assert PublicationLog.objects.count() == 1


class TestWithdrawing:
    def test_a_withdrawal_needs_a_reason_which_stays_in_the_log(self, mission, cast):
        publication_publish(mission, cast["leader"])
        with pytest.raises(TransitionRefused) as refused:
            publication_withdraw(mission, cast["leader"], "  ")
        assert refused.value.missing[0].field == "reason"
        assert Publication.objects.get().status == PublicationStatus.PUBLISHED

        log = publication_withdraw(mission, cast["leader"], "Names of people in a finding.")
        assert log.reason == "Names of people in a finding."
        assert Publication.objects.get().status == PublicationStatus.WITHDRAWN
        row = PublicationLog.objects.get(transition="withdraw")
        assert (row.reason, row.version, row.user) == (
            "Names of people in a finding.",
            1,
            cast["leader"],
        )

    def test_nothing_unpublished_is_withdrawn(self, mission, cast):
        with pytest.raises(TransitionRefused):
            publication_withdraw(mission, cast["leader"], "Why not.")
        assert not PublicationLog.objects.exists()

    def test_only_the_leader_withdraws(self, mission, cast):
        publication_publish(mission, cast["leader"])
        with pytest.raises(TransitionNotPermitted):
            publication_withdraw(mission, cast["hcss"], "A reason.")
        assert Publication.objects.get().status == PublicationStatus.PUBLISHED

    def test_republished_after_a_withdrawal_with_a_corrected_final_version(self, mission, cast):
        publication_publish(mission, cast["leader"])
        publication_withdraw(mission, cast["leader"], "A finding named a person.")
        report = MissionReport.objects.get(mission=mission)
        corrected = ReportVersion.objects.create(report=report, number=2, summary="Corrected.")
        report.final_version = corrected
        report.save(update_fields=["final_version"])

        publication_publish(mission, cast["leader"])
        publication = Publication.objects.get()
        assert publication.status == PublicationStatus.PUBLISHED
        assert publication.version == 2 and publication.summary == "Corrected."
        assert publication.document.source_version == 2
        assert list(PublicationLog.objects.values_list("transition", "version", "reason")) == [
            ("publish", 1, ""),
            ("withdraw", 1, "A finding named a person."),
            ("publish", 2, ""),
        ]


class TestThePage:
    def test_the_leader_publishes_and_withdraws_from_the_page(self, mission, cast, client):
        client.force_login(cast["leader"])
        page = client.get(page_url(mission))
        assertContains(page, "Not published")
        assertContains(page, 'value="publish"')
        assertNotContains(page, 'value="withdraw"')

        response = client.post(page_url(mission), {"action": "publish"})
        assertRedirects(response, page_url(mission), fetch_redirect_response=False)
        page = client.get(page_url(mission))
        assertContains(page, "The public version is published.")
        assertContains(page, 'value="withdraw"')
        assertContains(page, reverse("public:detail", args=[Publication.objects.get().pk]))

        refused = client.post(page_url(mission), {"action": "withdraw"}, follow=True)
        assertContains(refused, "Give a reason.")
        client.post(page_url(mission), {"action": "withdraw", "reason": "Sensitive remark."})
        page = client.get(page_url(mission))
        assertContains(page, "Withdrawn")
        assertContains(page, "Sensitive remark.")
        assert Publication.objects.get().status == PublicationStatus.WITHDRAWN

    def test_a_refusal_is_a_message_on_the_page(self, mission, cast, client):
        Mission.objects.filter(pk=mission.pk).update(status="reporting")
        client.force_login(cast["leader"])
        response = client.post(page_url(mission), {"action": "publish"}, follow=True)
        assertContains(response, "distribute it first")
        assert not Publication.objects.exists()

    def test_hcss_reads_the_log_but_has_no_buttons(self, mission, cast, client):
        publication_publish(mission, cast["leader"])
        publication_withdraw(mission, cast["leader"], "Security details in a finding.")
        client.force_login(cast["hcss"])
        page = client.get(page_url(mission))
        assertContains(page, "Security details in a finding.")
        assertContains(page, "leader")
        assertNotContains(page, 'name="action"')
        response = client.post(page_url(mission), {"action": "publish"})
        assertContains(response, "Only the mission&#x27;s leader publishes", status_code=403)
        assert Publication.objects.get().status == PublicationStatus.WITHDRAWN

    @pytest.mark.parametrize("who", ["rc_hc_pakistan", "hct_pakistan", "gcc", "task_team"])
    def test_others_who_see_the_mission_are_refused(self, mission, cast, client, who):
        client.force_login(cast[who])
        for response in (
            client.get(page_url(mission)),
            client.post(page_url(mission), {"action": "publish"}),
        ):
            assertContains(response, "Only the mission&#x27;s leader", status_code=403)
        assert not Publication.objects.exists()

    @pytest.mark.parametrize("who", ["outsider", "rc_hc_nepal"])
    def test_out_of_scope_is_not_found(self, mission, cast, client, who):
        client.force_login(cast[who])
        assert client.get(page_url(mission)).status_code == 404
        assert client.post(page_url(mission), {"action": "publish"}).status_code == 404


def test_the_admin_shows_publications_and_their_log_read_only(mission, cast, rf):
    publication_publish(mission, cast["leader"])
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    model_admin = PublicationAdmin(Publication, admin.site)
    request = rf.get("/admin/reports/publication/")
    request.user = root
    assert model_admin.get_queryset(request).count() == 1
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)
