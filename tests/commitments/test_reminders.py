"""Reminders before a round closes: once per window and person, even on a double tick; a
missed tick catches up with the latest window; only drafts are reminded; the task runs it."""

import datetime

import pytest
from django.test import TestCase

from commitments.models import RoundReminder
from commitments.services.rounds import remind_rounds
from commitments.tasks import round_deadlines_task
from missions.models import Notification
from tests.commitments.factories import fill, open_round, partner_of, today


@pytest.fixture
def round_(pakistan):
    # Closes in ten days: the "soon" window opens in three, the last days' in eight.
    return open_round(pakistan.cluster, pakistan.coordinator, closes_in=10)


def reminders():
    return Notification.objects.filter(event__contains=":soon:") | Notification.objects.filter(
        event__contains=":last_days:"
    )


def day(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def test_nothing_before_the_first_window(round_):
    assert remind_rounds(day(2)) == 0
    assert not RoundReminder.objects.exists()


def test_each_window_once_even_on_a_double_tick(round_, pakistan, mailoutbox):
    mailoutbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert remind_rounds(day(3)) == 1
        assert remind_rounds(day(3)) == 0
        assert remind_rounds(day(5)) == 0  # still the same window
    notice = reminders().get()
    assert notice.user == pakistan.partner
    assert "closes on" in notice.subject and "in 7 days" in notice.body
    assert len(mailoutbox) == 1
    assert remind_rounds(day(8)) == 1
    assert remind_rounds(day(10)) == 0
    assert reminders().count() == 2


def test_a_missed_tick_catches_up_with_the_latest_window_only(round_):
    assert remind_rounds(day(9)) == 1  # the soon window slept through
    assert list(RoundReminder.objects.values_list("kind", flat=True)) == ["last_days"]


def test_on_the_closing_day_it_says_today(round_):
    remind_rounds(day(10))
    assert "closes today" in reminders().get().body


def test_submitted_organisations_are_not_reminded(round_, pakistan):
    second = partner_of(pakistan.cluster, pakistan.organisations[1], "partner-pak-2")
    fill(round_.assessments.get(organisation=pakistan.organisations[0]))
    assert remind_rounds(day(3)) == 1
    assert reminders().get().user == second


def test_a_closed_round_is_not_reminded(round_, pakistan):
    from commitments.services.rounds import round_close

    round_close(round_, pakistan.coordinator)
    assert remind_rounds(day(8)) == 0


def test_a_notice_already_written_is_not_written_again_when_the_claim_is_lost(round_, pakistan):
    # Two ticks that both passed the claim's check write one notice: it is unique per event.
    remind_rounds(day(3))
    RoundReminder.objects.all().delete()
    assert remind_rounds(day(3)) == 1  # claimed again ...
    assert reminders().count() == 1  # ... but the outbox holds one notice


def test_the_task_closes_rounds_past_their_date_and_reminds(round_, pakistan, nepal):
    late = open_round(nepal.cluster, nepal.coordinator, on=day(-20), closes_in=5)
    result = round_deadlines_task.delay().get()
    assert result == {"closed": 1, "reminded": 0}
    late.refresh_from_db()
    assert late.status == "closed"
