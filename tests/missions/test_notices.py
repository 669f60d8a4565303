"""Notices and the outbox: who is told; each notice written with what it tells of, e-mailed
after commit, exactly once, whatever fails on the way (broker, worker, mail server)."""

import datetime
import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from clusters.models import LanguagePreference
from missions.models import Notification, ReminderSent
from missions.services import prioritisation
from missions.services.mission import mission_transition
from missions.services.notices import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    SWEEP_AFTER,
    notification_send,
    notify_transition,
    outbox_due,
)
from missions.services.prioritisation import remind_deferred
from missions.tasks import outbox_sweep_task, send_notification_task
from missions.workflow import TransitionRefused
from tests.factories import make_mission

State = Notification.EmailState


def failing(error: Exception):
    """A stand-in for a send or a queueing that raises `error` each time it is called."""

    def fail(*args, **kwargs):
        raise error

    return fail


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


def test_each_recipient_reads_the_notice_in_their_language(
    cast, django_capture_on_commit_callbacks
):
    """The HCT member of Pakistan chose French, the RC/HC did not: one decision, two
    languages, in the app and in the e-mail around it."""
    LanguagePreference.objects.create(user=cast["hct_pakistan"], language="fr")
    mission = make_mission("PAK", status="with_task_team")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "approve", cast["task_team"])
    english = Notification.objects.get(user=cast["rc_hc_pakistan"])
    french = Notification.objects.get(user=cast["hct_pakistan"])
    assert french.subject != english.subject
    with translation.override("fr"):
        in_french = gettext("[ICSM] Mission approved: %(title)s") % {"title": mission.title}
    assert french.subject == in_french
    by_address = {message.to[0]: message for message in mail.outbox}
    assert 'lang="fr"' in by_address["hct-pak@example.org"].alternatives[0][0]
    assert 'lang="en-gb"' in by_address["rchc-pak@example.org"].alternatives[0][0]


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


def test_the_notices_are_written_with_the_transition_whatever_the_broker_does(
    cast, django_capture_on_commit_callbacks
):
    mission = make_mission("PAK")
    # No on-commit callback runs here: as if the broker were unreachable at commit.
    log = mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    notification = Notification.objects.get()
    assert notification.event == f"log:{log.pk}"
    assert notification.email_state == State.PENDING
    assert mail.outbox == []


def test_a_notice_is_written_once_even_if_asked_twice(cast):
    mission = make_mission("PAK")
    log = mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    assert notify_transition(log) == []
    assert Notification.objects.count() == 1


def test_an_email_is_sent_once_even_if_its_task_runs_twice(
    cast, django_capture_on_commit_callbacks
):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    notification = Notification.objects.get()
    assert notification.email_state == State.SENT and notification.emailed_at is not None
    assert send_notification_task(notification.pk) is False
    assert len(mail.outbox) == 1


class TestBrokerDown:
    def test_queueing_that_fails_at_commit_breaks_nothing_and_the_sweep_sends_later(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        monkeypatch.setattr(send_notification_task, "delay", failing(ConnectionError("down")))
        mission = make_mission("PAK")
        with django_capture_on_commit_callbacks(execute=True):
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        mission.refresh_from_db()
        assert mission.status == "submitted"
        assert mail.outbox == []
        notification = Notification.objects.get()
        # Too early for the sweep: the queueing may still be on its way.
        assert outbox_due() == []
        later = timezone.now() + SWEEP_AFTER + datetime.timedelta(seconds=1)
        assert outbox_due(later) == [notification.pk]
        monkeypatch.undo()
        Notification.objects.update(created_at=timezone.now() - SWEEP_AFTER * 2)
        assert outbox_sweep_task() == 1
        assert recipients_of(mail.outbox) == ["hcss@example.org"]
        assert outbox_sweep_task() == 0
        assert len(mail.outbox) == 1

    def test_approval_with_the_broker_down_still_lets_planning_start_once_notices_go(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
    ):
        monkeypatch.setattr(send_notification_task, "delay", failing(OSError("broker down")))
        mission = make_mission("PAK", status="with_task_team")
        with django_capture_on_commit_callbacks(execute=True):
            mission_transition(mission, "approve", cast["task_team"])
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "start_planning", cast["gcc"])
        assert "not been communicated" in refused.value.missing[0].message
        monkeypatch.undo()
        Notification.objects.update(created_at=timezone.now() - SWEEP_AFTER * 2)
        assert outbox_sweep_task() == 2  # the RC/HC office and the HCT member
        mission.refresh_from_db()
        assert mission.decision_communicated_at is not None
        mission_transition(mission, "start_planning", cast["gcc"])
        assert recipients_of(mail.outbox) == ["hct-pak@example.org", "rchc-pak@example.org"]


class TestWorkerKilled:
    def test_a_notice_claimed_by_a_worker_that_died_is_sent_once_after_the_timeout(self, cast):
        mission = make_mission("PAK")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        notification = Notification.objects.get()
        # A worker claimed it, then was killed before sending.
        claimed_at = timezone.now()
        Notification.objects.update(
            email_claimed_at=claimed_at, email_attempts=1, created_at=claimed_at - SWEEP_AFTER
        )
        # acks_late redelivers the task at once: the live claim keeps it from sending.
        assert notification_send(notification.pk) is False
        assert outbox_due(claimed_at + datetime.timedelta(seconds=10)) == []
        # Once the claim is stale, the sweep takes it up, and it goes exactly once.
        stale = claimed_at + CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
        assert outbox_due(stale) == [notification.pk]
        Notification.objects.update(email_claimed_at=timezone.now() - CLAIM_TIMEOUT * 2)
        assert outbox_sweep_task() == 1
        assert outbox_sweep_task() == 0
        assert notification_send(notification.pk) is False
        assert len(mail.outbox) == 1
        notification.refresh_from_db()
        assert notification.email_state == State.SENT and notification.email_attempts == 2


class TestMailServerFails:
    def test_an_smtp_error_is_retried_and_never_breaks_the_transition(
        self, cast, django_capture_on_commit_callbacks, monkeypatch
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
        # Still to send, and free for the retry to claim.
        assert notification.email_state == State.PENDING
        assert notification.email_claimed_at is None
        assert "SMTPServerDisconnected" in notification.email_error
        # The task asks to be retried (a worker waits with backoff; eager mode stops here).
        with pytest.raises(Retry):
            send_notification_task.apply(args=[notification.pk])
        assert len(attempts) == 2
        assert send_notification_task.retry_backoff == 30
        assert send_notification_task.max_retries == 8
        # The server recovers: the next attempt sends it, once.
        monkeypatch.undo()
        assert notification_send(notification.pk) is True
        assert notification_send(notification.pk) is False
        assert len(mail.outbox) == 1

    def test_a_notice_is_given_up_after_the_last_attempt(self, cast, monkeypatch):
        monkeypatch.setattr(
            "django.core.mail.EmailMultiAlternatives.send",
            lambda self, fail_silently=False: (_ for _ in ()).throw(
                smtplib.SMTPDataError(554, b"no")
            ),
        )
        mission = make_mission("PAK")
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        notification = Notification.objects.get()
        Notification.objects.update(email_attempts=MAX_ATTEMPTS - 1)
        with pytest.raises(smtplib.SMTPDataError):
            notification_send(notification.pk)
        notification.refresh_from_db()
        assert notification.email_state == State.FAILED
        assert outbox_due(timezone.now() + CLAIM_TIMEOUT * 2) == []


class TestTwoSweepsAtOnce:
    def test_every_notice_goes_exactly_once(self, cast):
        missions = [make_mission("PAK") for _ in range(5)]
        for mission in missions:
            mission_transition(mission, "submit", cast["rc_hc_pakistan"])
        Notification.objects.update(created_at=timezone.now() - SWEEP_AFTER * 2)
        # Two schedulers list the same due notices, then their tasks run interleaved.
        first, second = outbox_due(), outbox_due()
        assert sorted(first) == sorted(second) and len(first) == 5
        results = [notification_send(pk) for pair in zip(first, second, strict=True) for pk in pair]
        assert results.count(True) == 5
        assert len(mail.outbox) == 5
        assert not Notification.objects.exclude(email_state=State.SENT).exists()


def test_a_user_without_an_address_is_told_in_the_app_only(cast):
    cast["hcss"].email = ""
    cast["hcss"].save()
    mission = make_mission("PAK")
    mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    notification = Notification.objects.get()
    assert notification_send(notification.pk) is False
    notification.refresh_from_db()
    assert notification.email_state == State.SKIPPED
    assert mail.outbox == []


def test_a_subject_made_from_a_long_title_fits_its_column(cast):
    mission = make_mission("PAK", title="T" * 200)
    mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    subject = Notification.objects.get().subject
    assert len(subject) <= Notification._meta.get_field("subject").max_length
    assert subject.endswith("…")


def test_unread_count_and_mark_as_read(client, cast, django_capture_on_commit_callbacks):
    mission = make_mission("PAK")
    with django_capture_on_commit_callbacks(execute=True):
        mission_transition(mission, "submit", cast["rc_hc_pakistan"])
    client.force_login(cast["hcss"])
    page = client.get("/notifications/")
    assert '<span class="visually-hidden">1 unread</span>' in page.content.decode()
    assert mission.title in page.content.decode()
    notification = Notification.objects.get()
    client.post("/notifications/read/", {"id": notification.pk})
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "1 unread" not in client.get("/notifications/").content.decode()


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

    def test_one_missions_failure_does_not_stop_the_others_and_it_is_tried_again(
        self, cast, monkeypatch
    ):
        revisit = timezone.localdate() + datetime.timedelta(days=5)
        broken, fine = self.deferred(cast, revisit), self.deferred(cast, revisit)
        real_notify = prioritisation.notify

        def notify_failing_for_broken(users, mission, *args, **kwargs):
            if mission.pk == broken.pk:
                raise RuntimeError("template error")
            return real_notify(users, mission, *args, **kwargs)

        monkeypatch.setattr(prioritisation, "notify", notify_failing_for_broken)
        assert remind_deferred(today=revisit) == 1
        # The failed one's claim rolled back with it: the next tick reminds it.
        assert not ReminderSent.objects.filter(mission=broken).exists()
        assert ReminderSent.objects.filter(mission=fine).count() == 1
        monkeypatch.undo()
        assert remind_deferred(today=revisit) == 1
        assert remind_deferred(today=revisit) == 0
        assert Notification.objects.filter(mission=broken).count() == 1
