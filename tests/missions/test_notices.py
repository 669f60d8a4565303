"""Notices: who is told, by e-mail after commit, once; failures retried, never breaking."""

import datetime
import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.utils import timezone

from missions.models import Notification, ReminderSent
from missions.services.mission import mission_transition
from missions.services.notices import notify_transition
from missions.tasks import remind_deferred, send_notification_email_task
from tests.factories import make_mission


def recipients_of(outbox):
    return sorted(address for message in outbox for address in message.to)


@pytest.mark.parametrize(
    "name, source, actor, told, inputs",
    [
        ("submit", "draft", "rc_hc_pakistan", ["hcss"], {}),
        ("return_for_revision", "in_triage", "hcss", ["rchc-pak"], {"reason": "Which dates?"}),
        ("forward", "in_triage", "hcss", ["taskteam"], {}),
        ("approve", "with_task_team", "task_team", ["hct-pak", "rchc-pak"], {}),
        ("decline", "with_task_team", "task_team", ["hct-pak", "rchc-pak"], {"reason": "No."}),
        (
            "defer",
            "with_task_team",
            "task_team",
            ["hct-pak", "rchc-pak"],
            {"reason": "Later.", "revisit_on": "2099-01-01"},
        ),
    ],
)
def test_each_notice_reaches_the_right_people(
    cast, django_capture_on_commit_callbacks, name, source, actor, told, inputs
):
    mission = make_mission("PAK", status=source)
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, name, cast[actor], **inputs)
    assert recipients_of(mail.outbox) == [f"{u}@example.org" for u in told]
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == told
    message = mail.outbox[0]
    assert mission.title in message.subject
    assert message.alternatives[0][1] == "text/html"
    assert f"/missions/{mission.pk}/" in message.body
    if "reason" in inputs:
        assert inputs["reason"] in message.body


def test_other_countries_hear_nothing(cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK", status="with_task_team")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "decline", cast["task_team"], reason="No.")
    assert "rchc-npl@example.org" not in recipients_of(mail.outbox)
    assert "hct-npl@example.org" not in recipients_of(mail.outbox)


def test_no_email_when_the_transaction_rolls_back(cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
            raise RuntimeError("a later step failed")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_notice_task_run_twice_tells_each_person_once(cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        log = mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    assert notify_transition(log.pk) == []
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_an_email_is_sent_once_even_if_its_task_runs_twice(
    cast, django_capture_on_commit_callbacks
):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    notification = Notification.objects.get()
    assert send_notification_email_task(notification.pk) is False
    assert len(mail.outbox) == 1


def test_mail_failure_is_retried_and_never_breaks_the_transition(
    cast, django_capture_on_commit_callbacks, monkeypatch
):
    attempts = []

    def broken_send(self, fail_silently=False):
        attempts.append(1)
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken_send)
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    mission.refresh_from_db()
    assert mission.status == "submitted"
    assert mission.log.count() == 1
    assert attempts == [1]
    notification = Notification.objects.get()
    assert notification.emailed_at is None  # still to send: not marked as sent
    # The task asks to be retried (a worker waits with backoff; eager mode stops here).
    with pytest.raises(Retry):
        send_notification_email_task.apply(args=[notification.pk])
    assert len(attempts) == 2
    assert send_notification_email_task.retry_backoff == 30
    assert send_notification_email_task.max_retries == 8


def test_unread_count_and_mark_as_read(client, cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    client.force_login(cast["hcss"])
    page = client.get("/notifications/")
    assert 'aria-label="1 unread"' in page.content.decode()
    assert mission.title in page.content.decode()
    notification = Notification.objects.get()
    client.post("/notifications/read/", {"id": notification.pk})
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'aria-label="1 unread"' not in client.get("/notifications/").content.decode()


def test_nobody_marks_someone_elses_notification(client, cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    client.force_login(cast["outsider"])
    client.post("/notifications/read/", {"id": Notification.objects.get().pk})
    client.post("/notifications/read/")
    assert Notification.objects.get().read_at is None


class TestDeferralReminder:
    def deferred(self, cast, revisit_on):
        mission = make_mission("PAK", status="with_task_team")
        mission_transition(
            mission, "defer", cast["task_team"], reason="Later.", revisit_on=revisit_on
        )
        mail.outbox.clear()
        Notification.objects.all().delete()
        return mission

    def test_reminds_the_task_team_on_the_date_and_only_once(
        self, cast, django_capture_on_commit_callbacks
    ):
        revisit = timezone.localdate() + datetime.timedelta(days=5)
        mission = self.deferred(cast, revisit)
        assert remind_deferred(today=revisit - datetime.timedelta(days=1)) == 0
        assert mail.outbox == []
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_deferred(today=revisit) == 1
        assert recipients_of(mail.outbox) == ["taskteam@example.org"]
        assert "deferred" in mail.outbox[0].body
        # The scheduler runs again (same day, next day): nothing more.
        assert remind_deferred(today=revisit) == 0
        assert remind_deferred(today=revisit + datetime.timedelta(days=1)) == 0
        assert len(mail.outbox) == 1
        assert ReminderSent.objects.filter(mission=mission).count() == 1

    def test_a_new_deferral_date_gets_its_own_reminder(self, cast):
        revisit = timezone.localdate() + datetime.timedelta(days=5)
        mission = self.deferred(cast, revisit)
        remind_deferred(today=revisit)
        mission_transition(mission, "reconsider", cast["task_team"])
        later = revisit + datetime.timedelta(days=30)
        mission_transition(mission, "defer", cast["task_team"], reason="Again.", revisit_on=later)
        assert remind_deferred(today=later) == 1

    def test_a_reconsidered_request_is_not_reminded(self, cast):
        revisit = timezone.localdate() + datetime.timedelta(days=5)
        mission = self.deferred(cast, revisit)
        mission_transition(mission, "reconsider", cast["task_team"])
        assert remind_deferred(today=revisit) == 0
