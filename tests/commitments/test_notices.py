"""The notices port (clusters.notices): commitments writes through it, missions' writer puts
the rows in the outbox once per user and event, and with no writer nothing is lost silently."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import TestCase

from clusters import notices
from missions.models import Notification
from missions.services.notices import notify_written
from tests.factories import UserFactory


def test_missions_registers_its_writer_at_start_up():
    assert notices._writer is notify_written


def test_a_notice_is_written_once_per_user_and_event(db, mailoutbox):
    amina, ben = UserFactory(username="amina"), UserFactory(username="ben")
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = notices.notify([amina, ben], "commitments:test:1", "A subject", "A body.")
        again = notices.notify([amina, ben], "commitments:test:1", "A subject", "A body.")
    assert len(first) == 2 and again == []
    assert Notification.objects.filter(event="commitments:test:1").count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["amina@example.org", "ben@example.org"]
    assert Notification.objects.filter(mission__isnull=True, email_state="sent").count() == 2


def test_a_long_subject_is_cut_to_fit(db):
    user = UserFactory(username="amina")
    notices.notify([user], "commitments:test:2", "word " * 100, "Body.")
    assert len(Notification.objects.get(event="commitments:test:2").subject) <= 200


def test_a_rolled_back_change_tells_nobody(db):
    from django.db import transaction

    user = UserFactory(username="amina")
    with pytest.raises(RuntimeError), transaction.atomic():
        notices.notify([user], "commitments:test:3", "S", "B")
        raise RuntimeError
    assert not Notification.objects.filter(event="commitments:test:3").exists()


def test_without_a_writer_notify_refuses(monkeypatch):
    monkeypatch.setattr(notices, "_writer", None)
    with pytest.raises(ImproperlyConfigured):
        notices.notify([], "x", "s", "b")
