"""Distribution of the final report: `distribute_report` sends each address on the list one
e-mail with a personal, expiring download link, through the outbox, exactly once per address
and version, whatever runs twice; the distribution page shows how each one fared and sends a
correction; the link serves the PDF and records the first download."""

import datetime
import re
import smtplib
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from missions.models import MissionReport, Notification, ReportRecipient, ReportVersion
from missions.selectors.report import recipients_of
from missions.services.mission import mission_transition
from missions.services.notices import SWEEP_AFTER, notification_send, outbox_due
from missions.services.permissions import mission_leader_appoint
from missions.tasks import outbox_sweep_task, send_notification_task
from reports.admin.distribution import DeliveryAdmin
from reports.models import Delivery, Document
from reports.selectors.distribution import LINK_SALT
from reports.services import distribution as services
from reports.services.distribution import (
    deliveries_on_distribution,
    deliveries_send,
    delivery_token,
)
from reports.tasks import render_document_task
from tests.factories import make_final_report, make_mission

State = Notification.EmailState
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LINK = re.compile(r"https?://[^\s\"<>]+/documents/report/[^\s\"<>/]+/")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def no_rendering(monkeypatch):
    """The PDFs are not rendered here (their content is the renderers' tests'): the queueing
    is dropped, and a test that needs a file stores one (`ready`)."""
    monkeypatch.setattr(render_document_task, "delay", lambda pk: None)


@pytest.fixture
def mission(cast):
    mission = make_mission("PAK", status="reporting", title="Pakistan flood coordination")
    mission_leader_appoint(mission, cast["leader"])
    cast["leader"].first_name, cast["leader"].last_name = "Lena", "Leader"
    cast["leader"].save()
    make_final_report(mission, recipients=3)
    return mission


def distribute(mission, user, capture):
    with capture(execute=True):
        return mission_transition(mission, "distribute_report", user)


def ready(document: Document) -> Document:
    """Store a PDF for the document, as the worker would."""
    document.file.save("report.pdf", ContentFile(PDF), save=False)
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.READY, file=document.file.name, finished_at=timezone.now()
    )
    document.refresh_from_db()
    return document


def new_final_version(mission, number: int = 2) -> ReportVersion:
    report = MissionReport.objects.get(mission=mission)
    version = ReportVersion.objects.create(report=report, number=number, summary="Corrected.")
    report.final_version = version
    report.save(update_fields=["final_version"])
    return version


def page_url(mission) -> str:
    return reverse("reports:distribution", args=[mission.pk])


def link_url(delivery) -> str:
    return reverse("reports:delivery", args=[delivery_token(delivery)])


def links_in(message) -> list[str]:
    return LINK.findall(message.body)


class TestDistributing:
    def test_each_address_gets_one_email_with_its_own_link(
        self, mission, cast, django_capture_on_commit_callbacks
    ):
        log = distribute(mission, cast["leader"], django_capture_on_commit_callbacks)

        mission.refresh_from_db()
        assert mission.status == "follow_up" and log.transition == "distribute_report"
        deliveries = list(Delivery.objects.order_by("email"))
        assert [d.email for d in deliveries] == sorted(
            recipients_of(mission).values_list("email", flat=True)
        )
        assert {d.version for d in deliveries} == {1}
        document = Document.objects.get(mission=mission, kind=Document.Kind.REPORT)
        assert document.source_version == 1 and document.source_final
        assert {d.document_id for d in deliveries} == {document.pk}
        assert all(d.notification.email_state == State.SENT for d in deliveries)
        assert sorted(address for m in mail.outbox for address in m.to) == [
            d.email for d in deliveries
        ]
        message = mail.outbox[0]
        assert "Pakistan flood coordination" in message.subject
        assert message.alternatives[0][1] == "text/html"
        assert "30 days" in message.body
        assert "Lena Leader" in message.body  # whom to ask for a new link
        links = [links_in(m)[0] for m in mail.outbox]
        assert len(set(links)) == 3
        assert links_in(message)[0] in message.alternatives[0][0]

    def test_nothing_is_written_when_the_step_is_refused(self, mission, cast):
        ReportRecipient.objects.filter(mission=mission).delete()
        with pytest.raises(Exception, match="needs more first"):
            mission_transition(mission, "distribute_report", cast["leader"])
        assert not Delivery.objects.exists() and not Notification.objects.exists()

    def test_the_hook_or_the_sending_run_twice_add_nothing(
        self, mission, cast, django_capture_on_commit_callbacks
    ):
        log = distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        version = ReportVersion.objects.get(report__mission=mission, number=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_on_distribution(log) == []
            assert deliveries_send(mission, version, cast["leader"]) == []
        assert Delivery.objects.count() == 3
        assert Notification.objects.filter(event__startswith="delivery:").count() == 3
        assert len(mail.outbox) == 3

    def test_a_run_that_read_the_list_before_another_committed_adds_nothing(
        self, mission, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        # As a second run at the same moment would: it saw nobody sent yet.
        monkeypatch.setattr(services, "recipients_without", lambda m, n: recipients_of(m))
        version = ReportVersion.objects.get(report__mission=mission, number=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert deliveries_send(mission, version, cast["hcss"]) == []
        assert Delivery.objects.count() == 3
        assert Notification.objects.count() == 3
        assert len(mail.outbox) == 3

    def test_the_sending_task_run_again_or_retried_sends_nothing_more(
        self, mission, cast, django_capture_on_commit_callbacks
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        for delivery in Delivery.objects.all():
            assert send_notification_task(delivery.notification_id) is False
            assert send_notification_task.apply(args=[delivery.notification_id]).get() is False
        assert len(mail.outbox) == 3

    def test_with_the_broker_down_two_sweeps_send_each_once(
        self, mission, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        def down(*args, **kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr(send_notification_task, "delay", down)
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        assert mail.outbox == [] and Delivery.objects.count() == 3
        monkeypatch.undo()
        monkeypatch.setattr(render_document_task, "delay", lambda pk: None)
        later = timezone.now() + SWEEP_AFTER + datetime.timedelta(seconds=1)
        first, second = outbox_due(later), outbox_due(later)
        assert sorted(first) == sorted(second) and len(first) == 3
        sent = [notification_send(pk) for pair in zip(first, second, strict=True) for pk in pair]
        assert sent.count(True) == 3
        Notification.objects.update(created_at=timezone.now() - SWEEP_AFTER * 2)
        assert outbox_sweep_task() == 0
        assert len(mail.outbox) == 3
        assert not Notification.objects.exclude(email_state=State.SENT).exists()

    def test_a_failed_send_is_retried_and_shown_failed_then_sent(
        self, mission, cast, client, django_capture_on_commit_callbacks, monkeypatch
    ):
        def broken(self, fail_silently=False):
            raise smtplib.SMTPServerDisconnected("mail server went away")

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        mission.refresh_from_db()
        assert mission.status == "follow_up"
        client.force_login(cast["leader"])
        page = client.get(page_url(mission))
        assertContains(page, 'data-state="retrying"', count=3)
        assertContains(page, "SMTPServerDisconnected: mail server went away", count=3)
        assertContains(page, "1 attempt")

        monkeypatch.undo()
        monkeypatch.setattr(render_document_task, "delay", lambda pk: None)
        for delivery in Delivery.objects.all():
            assert notification_send(delivery.notification_id) is True
        assert len(mail.outbox) == 3
        page = client.get(page_url(mission))
        assertContains(page, 'data-state="sent"', count=3)
        assertContains(page, "2 attempts")
        assertContains(page, "retried")
        assertNotContains(page, "SMTPServerDisconnected")

    def test_a_send_given_up_shows_as_failed(
        self, mission, cast, client, django_capture_on_commit_callbacks
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        Notification.objects.update(email_state=State.FAILED, email_attempts=8, email_error="554")
        client.force_login(cast["hcss"])
        assertContains(client.get(page_url(mission)), 'data-state="failed"', count=3)


class TestSendingAgain:
    def test_a_recipient_added_later_gets_exactly_one_delivery(
        self, mission, cast, client, django_capture_on_commit_callbacks
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        ReportRecipient.objects.create(
            mission=mission, name="NGO consortium", email="consortium@example.org"
        )
        client.force_login(cast["leader"])
        page = client.get(page_url(mission))
        assertContains(page, "consortium@example.org")
        assertContains(page, "Send version 1 to everyone not yet sent it")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(page_url(mission))
            again = client.post(page_url(mission), follow=True)
        assertRedirects(response, page_url(mission))
        assertContains(again, "Everyone on the list has had this version already.")
        assert Delivery.objects.filter(email="consortium@example.org").count() == 1
        assert Delivery.objects.count() == 4
        assert [m.to for m in mail.outbox[3:]] == [["consortium@example.org"]]

    def test_a_newer_final_version_in_follow_up_goes_to_everyone_once(
        self, mission, cast, client, django_capture_on_commit_callbacks
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        new_final_version(mission)
        client.force_login(cast["hcss"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post(page_url(mission))
            client.post(page_url(mission))
        assert Delivery.objects.filter(version=2).count() == 3
        for recipient in recipients_of(mission):
            assert sorted(
                Delivery.objects.filter(email=recipient.email).values_list("version", flat=True)
            ) == [1, 2]
        assert len(mail.outbox) == 6
        assert Document.objects.filter(kind=Document.Kind.REPORT, source_version=2).exists()

    def test_a_draft_after_the_final_version_is_not_sent(
        self, mission, cast, client, django_capture_on_commit_callbacks
    ):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        report = MissionReport.objects.get(mission=mission)
        ReportVersion.objects.create(report=report, number=2, summary="A draft.")
        client.force_login(cast["leader"])
        response = client.post(page_url(mission), follow=True)
        assertContains(response, "Mark the report&#x27;s current version final first")
        assert not Delivery.objects.filter(version=2).exists()

    def test_before_the_distribution_the_page_sends_nothing(self, mission, cast, client):
        client.force_login(cast["leader"])
        response = client.post(page_url(mission), follow=True)
        assertContains(response, "Distribute the report")
        assert not Delivery.objects.exists()


class TestThePage:
    @pytest.mark.parametrize("who", ["leader", "hcss"])
    def test_the_leader_and_hcss_see_it(self, mission, cast, client, who):
        client.force_login(cast[who])
        assertContains(client.get(page_url(mission)), "Distribution of the report")

    @pytest.mark.parametrize("who", ["rc_hc_pakistan", "hct_pakistan", "gcc", "task_team"])
    def test_others_who_see_the_mission_are_refused_with_a_message(
        self, mission, cast, client, who
    ):
        client.force_login(cast[who])
        for response in (client.get(page_url(mission)), client.post(page_url(mission))):
            assertContains(response, "Only the mission&#x27;s leader and HCSS", status_code=403)
        assert not Delivery.objects.exists()

    @pytest.mark.parametrize("who", ["outsider", "rc_hc_nepal"])
    def test_out_of_scope_is_not_found(self, mission, cast, client, who):
        client.force_login(cast[who])
        assert client.get(page_url(mission)).status_code == 404
        assert client.post(page_url(mission)).status_code == 404

    def test_anonymous_users_are_sent_to_log_in(self, mission, client):
        assert "/login/" in client.get(page_url(mission))["Location"]

    def test_downloads_are_shown(self, mission, cast, client, django_capture_on_commit_callbacks):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        delivery = Delivery.objects.order_by("pk").first()
        ready(delivery.document)
        client.get(link_url(delivery))
        client.get(link_url(delivery))
        client.force_login(cast["leader"])
        page = client.get(page_url(mission))
        assertContains(page, "First on")
        assertContains(page, "2 downloads")
        assertContains(page, "Not yet", count=2)


class TestTheLink:
    @pytest.fixture
    def delivery(self, mission, cast, django_capture_on_commit_callbacks):
        distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
        return Delivery.objects.select_related("document").order_by("pk").first()

    def test_the_link_in_the_email_serves_the_pdf_and_records_the_first_download(
        self, delivery, client
    ):
        ready(delivery.document)
        message = next(m for m in mail.outbox if m.to == [delivery.email])
        path = links_in(message)[0].split("://", 1)[1].split("/", 1)[1]
        response = client.get("/" + path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Referrer-Policy"] == "no-referrer"
        assert b"".join(response.streaming_content) == PDF
        delivery.refresh_from_db()
        first = delivery.first_downloaded_at
        assert first is not None and delivery.downloads == 1

        client.get(link_url(delivery))
        delivery.refresh_from_db()
        assert delivery.first_downloaded_at == first and delivery.downloads == 2

    def test_a_pdf_not_ready_yet_shows_a_page_that_refreshes(self, delivery, client):
        response = client.get(link_url(delivery))
        assertContains(response, "Try again in a minute")
        assert response["Refresh"] == "60"
        delivery.refresh_from_db()
        assert delivery.downloads == 0 and delivery.first_downloaded_at is None

    def test_a_failed_rendering_is_asked_for_again(self, delivery, client):
        Document.objects.filter(pk=delivery.document_id).update(status=Document.Status.FAILED)
        assertContains(client.get(link_url(delivery)), "being prepared")
        delivery.document.refresh_from_db()
        assert delivery.document.status == Document.Status.QUEUED

    def test_the_link_works_until_it_expires_then_says_whom_to_ask(
        self, delivery, client, settings
    ):
        ready(delivery.document)
        url = link_url(delivery)
        lifetime = settings.ICSM_REPORT_LINK_DAYS * 86400
        with mock.patch("django.core.signing.time.time", return_value=time.time() + lifetime - 60):
            assert client.get(url).status_code == 200
        with mock.patch("django.core.signing.time.time", return_value=time.time() + lifetime + 60):
            response = client.get(url)
        assertContains(response, "This link has expired", status_code=410)
        assertContains(response, "Lena Leader", status_code=410)
        assertContains(response, "leader@example.org", status_code=410)
        delivery.refresh_from_db()
        assert delivery.downloads == 1

    def test_the_leader_sends_a_new_link_when_the_old_one_expired(
        self, delivery, mission, cast, client, settings, django_capture_on_commit_callbacks
    ):
        ready(delivery.document)
        old = link_url(delivery)
        client.force_login(cast["leader"])
        later = time.time() + settings.ICSM_REPORT_LINK_DAYS * 86400 + 60
        with mock.patch("django.core.signing.time.time", return_value=later):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(page_url(mission), {"resend": delivery.pk}, follow=True)
            assertContains(response, f"A new link goes to {delivery.name}")
            assert client.get(old).status_code == 410
            message = mail.outbox[-1]
            assert message.to == [delivery.email]
            new = "/" + links_in(message)[0].split("://", 1)[1].split("/", 1)[1]
            assert new != old
            assert client.get(new).status_code == 200
        delivery.refresh_from_db()
        assert delivery.notification.event.startswith(f"delivery:{delivery.pk}:again:")
        assert Delivery.objects.count() == 3 and len(mail.outbox) == 4

    def test_a_new_link_only_for_the_missions_own_deliveries_and_by_its_keepers(
        self, delivery, mission, cast, client
    ):
        other = make_mission("PAK", status="reporting")
        client.force_login(cast["hcss"])
        response = client.post(page_url(other), {"resend": delivery.pk}, follow=True)
        assertContains(response, "This delivery is not one of this mission")
        client.force_login(cast["rc_hc_pakistan"])
        response = client.post(page_url(mission), {"resend": delivery.pk})
        assert response.status_code == 403
        assert Notification.objects.count() == 3

    def test_tampered_and_foreign_links_are_not_found(self, delivery, client, mission):
        ready(delivery.document)
        other = Delivery.objects.exclude(pk=delivery.pk).order_by("pk").first()
        token = delivery_token(delivery)
        value, stamp, signature = token.split(":")
        flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
        foreign = [
            f"{value}:{stamp}:{flipped}",  # the signature altered
            f"{other.pk}:{stamp}:{signature}",  # another delivery's pk with this signature
            f"{value}:{stamp}",  # no signature
            signing.TimestampSigner(salt="another.salt").sign(str(delivery.pk)),
            signing.TimestampSigner().sign(str(delivery.pk)),
            signing.dumps(delivery.pk),
            signing.TimestampSigner(salt=LINK_SALT).sign("not-a-number"),
            "nonsense",
        ]
        for bad in foreign:
            url = reverse("reports:delivery", args=[bad])
            assert client.get(url).status_code == 404, bad
        delivery.refresh_from_db()
        assert delivery.downloads == 0

    def test_a_link_to_a_delivery_removed_is_not_found(self, delivery, client):
        url = link_url(delivery)
        Delivery.objects.filter(pk=delivery.pk).delete()
        assert client.get(url).status_code == 404

    def test_a_delivery_removed_before_its_email_went_sends_nothing(self, mission, cast):
        mission_transition(mission, "distribute_report", cast["leader"])
        delivery = Delivery.objects.order_by("pk").first()
        pk = delivery.notification_id
        delivery.delete()
        assert notification_send(pk) is False
        assert Notification.objects.get(pk=pk).email_state == State.SKIPPED


def test_the_admin_lists_deliveries_read_only(
    cast, mission, rf, django_capture_on_commit_callbacks
):
    distribute(mission, cast["leader"], django_capture_on_commit_callbacks)
    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    from django.contrib import admin

    model_admin = DeliveryAdmin(Delivery, admin.site)
    request = rf.get("/admin/reports/delivery/")
    request.user = admin_user
    assert model_admin.get_queryset(request).count() == 3
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)
    delivery = Delivery.objects.first()
    assert model_admin.email_state(delivery) == "Sent"
