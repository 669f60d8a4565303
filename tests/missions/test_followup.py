"""Follow-up: action points drafted in the country, their own state machine through the one
runner, progress with evidence, verification, improvement plans, carrying to a follow-up
mission, the mission's guards, and reminders that go exactly once."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django_fsm import ConcurrentTransition

from clusters.models import Country, CountryCluster, GlobalCluster
from missions.models import (
    ActionPoint,
    ActionPointLog,
    Nomination,
    Notification,
    PointReminder,
    PointTally,
)
from missions.models.followup import PointStatus
from missions.selectors.followup import action_points_visible_to, plans_visible_to
from missions.services.followup import (
    action_point_create,
    action_point_update,
    plan_comment,
    plan_create,
    point_tally_fold,
    point_transition,
    points_carry,
    points_to_carry,
    progress_post,
    remind_action_points,
    send_digests,
)
from missions.services.mission import mission_transition
from missions.services.notices import notification_send
from missions.services.permissions import mission_leader_appoint, team_member_grant
from missions.workflow import MissionNotFound, TransitionNotPermitted, TransitionRefused
from tests.factories import UserFactory, make_mission, point_fields

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def today() -> datetime.date:
    return timezone.localdate()


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def owner(db):
    user = UserFactory(username="owner-wash")
    return user


@pytest.fixture
def mission(cast):
    """A mission in the country, led by the cast's leader, with a team member."""
    mission = make_mission("PAK", status="in_country", in_country_from=datetime.date(2026, 3, 1))
    mission_leader_appoint(mission, cast["leader"])
    member = UserFactory(username="member")
    cast["member"] = member
    team_member_grant(Nomination(mission=mission, participant=member))
    return mission


def opened(mission, cast, owner, **overrides):
    point = action_point_create(mission, cast["member"], **point_fields(owner, **overrides))
    point_transition(point, "open", cast["leader"])
    point.refresh_from_db()
    return point


class TestDrafting:
    def test_the_team_drafts_a_point_with_a_stable_reference(self, cast, mission, owner):
        first = action_point_create(mission, cast["member"], **point_fields(owner))
        second = action_point_create(mission, cast["leader"], **point_fields(owner))
        assert (first.reference, second.reference) == ("PAK-2026-01", "PAK-2026-02")
        assert first.status == PointStatus.DRAFT
        action_point_update(first, cast["member"], text="Another text.")
        first.refresh_from_db()
        assert first.reference == "PAK-2026-01"

    def test_a_second_mission_to_the_country_that_year_gets_its_own_references(
        self, cast, mission, owner
    ):
        action_point_create(mission, cast["member"], **point_fields(owner))
        other = make_mission("PAK", status="in_country", in_country_from=datetime.date(2026, 9, 1))
        mission_leader_appoint(other, cast["leader"])
        point = action_point_create(other, cast["leader"], **point_fields(owner))
        assert point.reference == "PAK-2026/2-01"

    @pytest.mark.parametrize("who", ["gcc", "hct_pakistan", "rc_hc_pakistan", "outsider"])
    def test_only_the_team_drafts(self, cast, mission, owner, who):
        with pytest.raises((PermissionDenied, MissionNotFound)):
            action_point_create(mission, cast[who], **point_fields(owner))
        assert not ActionPoint.objects.exists()

    def test_an_addressee_of_the_chosen_kind_is_needed(self, cast, mission, owner):
        with pytest.raises(ValidationError) as refused:
            action_point_create(mission, cast["member"], **point_fields(owner, addressee_role=""))
        assert "addressee_role" in refused.value.message_dict

    def test_opening_needs_an_owner_a_date_and_a_measure(self, cast, mission):
        point = action_point_create(
            mission, cast["member"], **point_fields(None, due_on=None, indicator="")
        )
        with pytest.raises(TransitionRefused) as refused:
            point_transition(point, "open", cast["leader"])
        assert {m.field for m in refused.value.missing} == {"owner", "due_on", "indicator"}


class TestTransitions:
    def test_each_transition_is_logged(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        log = ActionPointLog.objects.get(point=point)
        assert (log.transition, log.source, log.target, log.user) == (
            "open",
            "draft",
            "open",
            cast["leader"],
        )

    def test_the_status_cannot_be_set_by_hand(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        with pytest.raises(AttributeError):
            point.status = PointStatus.DONE

    @pytest.mark.parametrize(
        "who, expected",
        [
            ("owner", TransitionNotPermitted),
            ("member", TransitionNotPermitted),
            ("hct_pakistan", TransitionNotPermitted),
            ("rc_hc_nepal", MissionNotFound),
            ("outsider", MissionNotFound),
        ],
    )
    def test_only_the_leader_drops_a_point(self, cast, mission, owner, who, expected):
        point = opened(mission, cast, owner)
        actor = owner if who == "owner" else cast[who]
        with pytest.raises(expected):
            point_transition(point, "drop", actor, reason="No longer relevant.")
        point.refresh_from_db()
        assert point.status == PointStatus.OPEN

    def test_dropping_needs_a_reason(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        with pytest.raises(TransitionRefused):
            point_transition(point, "drop", cast["leader"], reason=" ")
        point_transition(point, "drop", cast["leader"], reason="Overtaken by events.")
        point.refresh_from_db()
        assert (point.status, point.drop_reason) == ("dropped", "Overtaken by events.")


class TestProgress:
    def test_the_owners_first_update_puts_the_point_in_progress(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        progress_post(point, owner, text="First meeting held.", percent=20)
        point.refresh_from_db()
        assert point.status == PointStatus.IN_PROGRESS
        assert point.log.last().transition == "start"

    def test_done_needs_an_update_with_evidence(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        progress_post(point, owner, text="Meeting held.")
        with pytest.raises(TransitionRefused) as refused:
            point_transition(point, "complete", owner)
        assert refused.value.missing[0].field == "evidence"
        progress_post(point, owner, text="Minutes attached.", files=[pdf()])
        point_transition(point, "complete", owner)
        point.refresh_from_db()
        assert point.status == PointStatus.DONE and point.settled()

    def test_evidence_that_is_not_what_it_claims_is_refused_and_nothing_is_saved(
        self, cast, mission, owner
    ):
        point = opened(mission, cast, owner)
        fake = SimpleUploadedFile("minutes.pdf", b"<html>not a pdf</html>")
        with pytest.raises(ValidationError) as refused:
            progress_post(point, owner, text="Minutes.", files=[fake])
        assert "files" in refused.value.message_dict
        assert not point.updates.exists()

    @pytest.mark.parametrize("who", ["member", "hct_pakistan"])
    def test_only_the_owner_or_the_leader_reports(self, cast, mission, owner, who):
        point = opened(mission, cast, owner)
        with pytest.raises(PermissionDenied):
            progress_post(point, cast[who], text="Not mine.")

    def test_a_high_priority_point_counts_as_done_only_once_verified(self, cast, mission, owner):
        point = opened(mission, cast, owner, priority=ActionPoint.Priority.HIGH)
        progress_post(point, owner, text="Done.", files=[pdf()])
        point_transition(point, "complete", owner)
        point.refresh_from_db()
        assert point.status == "done" and not point.settled()
        with pytest.raises(TransitionNotPermitted):
            point_transition(point, "verify", owner)  # never one's own work
        point_transition(point, "verify", cast["member"])
        point.refresh_from_db()
        assert point.settled()

    def test_the_verifier_reopens_with_a_comment(self, cast, mission, owner):
        point = opened(mission, cast, owner, priority=ActionPoint.Priority.HIGH)
        progress_post(point, owner, text="Done.", files=[pdf()])
        point_transition(point, "complete", owner)
        point_transition(point, "reopen", cast["leader"], reason="The minutes are unsigned.")
        point.refresh_from_db()
        assert point.status == "in_progress"
        assert point.log.last().reason == "The minutes are unsigned."

    def test_a_team_member_who_owns_a_point_does_not_verify_it(self, cast, mission):
        point = opened(mission, cast, cast["member"])
        assert point.needs_verification()
        progress_post(point, cast["leader"], text="Done.", files=[pdf()])
        point_transition(point, "complete", cast["member"])
        with pytest.raises(TransitionNotPermitted):
            point_transition(point, "verify", cast["member"])
        point_transition(point, "verify", cast["leader"])


class TestScope:
    def test_who_sees_which_points(self, cast, mission, owner):
        point = opened(mission, cast, owner)
        nepal = make_mission("NPL", status="in_country")
        sees = {
            who: action_points_visible_to(user).filter(pk=point.pk).exists()
            for who, user in {**cast, "owner": owner}.items()
        }
        assert sees == {
            "rc_hc_pakistan": True,
            "rc_hc_nepal": False,
            "hct_pakistan": True,
            "hct_nepal": False,
            "hcss": True,
            "task_team": False,
            "gcc": True,
            "focal_health": False,
            "cci_gender": False,
            "leader": True,
            "outsider": False,
            "member": True,
            "owner": True,
        }
        assert nepal  # another country's mission exists, and changes nothing above

    def test_the_supporting_focal_point_sees_their_clusters_plan(self, cast, mission, owner):
        health = CountryCluster.objects.create(
            country=Country.objects.get(code="PAK"),
            global_cluster=GlobalCluster.objects.get(code="health"),
        )
        plan = plan_create(mission, cast["leader"], health)
        assert plan.supported_by == cast["focal_health"]
        point = opened(mission, cast, owner, plan=plan)
        assert action_points_visible_to(cast["focal_health"]).filter(pk=point.pk).exists()
        assert plans_visible_to(cast["focal_health"]).filter(pk=plan.pk).exists()
        assert not plans_visible_to(cast["cci_gender"]).exists()
        comment = plan_comment(plan, cast["focal_health"], "We will send a coordinator.")
        assert comment.plan == plan
        with pytest.raises(MissionNotFound):
            plan_comment(plan, cast["cci_gender"], "Not mine.")


class TestGuards:
    def test_leaving_the_country_needs_an_open_point_and_the_consultation(
        self, cast, mission, owner
    ):
        type(mission).objects.filter(pk=mission.pk).update(country_consultation_on=None)
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "leave_country", cast["leader"])
        assert {m.field for m in refused.value.missing} == {
            "action_points",
            "country_consultation_on",
        }
        action_point_create(mission, cast["member"], **point_fields(owner))
        type(mission).objects.filter(pk=mission.pk).update(country_consultation_on=today())
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "leave_country", cast["leader"])
        assert [m.field for m in refused.value.missing] == ["action_points"]  # a draft only
        point_transition(ActionPoint.objects.get(), "open", cast["leader"])
        mission_transition(mission, "leave_country", cast["leader"])

    def test_closing_needs_every_point_settled(self, cast, mission, owner):
        point = opened(mission, cast, owner, priority=ActionPoint.Priority.HIGH)
        type(mission).objects.filter(pk=mission.pk).update(status="follow_up")
        with pytest.raises(TransitionRefused) as refused:
            mission_transition(mission, "close", cast["leader"])
        assert point.reference in refused.value.missing[0].message
        progress_post(point, owner, text="Done.", files=[pdf()])
        point_transition(point, "complete", owner)
        with pytest.raises(TransitionRefused, match="needs more"):
            mission_transition(mission, "close", cast["leader"])  # not yet verified
        point_transition(point, "verify", cast["member"])
        mission_transition(mission, "close", cast["leader"])


class TestCarrying:
    def test_a_follow_up_mission_takes_over_the_open_points(self, cast, mission, owner):
        live = opened(mission, cast, owner)
        done = opened(mission, cast, owner)
        progress_post(done, owner, text="Done.", files=[pdf()])
        point_transition(done, "complete", owner)
        child = make_mission("PAK", status="approved", parent=mission)
        assert [p.pk for p in points_to_carry(child)] == [live.pk]
        (successor,) = points_carry(child, cast["gcc"], [live.pk, done.pk])
        live.refresh_from_db()
        assert live.status == PointStatus.CARRIED and live.carried_to == successor
        assert successor.status == PointStatus.OPEN and successor.mission == child
        assert successor.carried_from == live and successor.text == live.text
        assert successor.log.get().comment == f"Carried over from {live.reference}."

    def test_only_the_gcc_carries(self, cast, mission, owner):
        live = opened(mission, cast, owner)
        child = make_mission("PAK", status="approved", parent=mission)
        with pytest.raises(PermissionDenied):
            points_carry(child, cast["hcss"], [live.pk])


class TestReminders:
    """Each reminder goes once per point, window and due date, whatever the scheduler does."""

    def point_due_in(self, cast, mission, owner, days):
        point = opened(mission, cast, owner, due_on=today() + datetime.timedelta(days=days))
        Notification.objects.all().delete()
        mail.outbox.clear()
        return point

    def sent_kinds(self, point):
        return sorted(point.reminders.values_list("kind", flat=True))

    def test_before_on_the_day_and_overdue_each_once(self, cast, mission, owner):
        point = self.point_due_in(cast, mission, owner, 7)
        day = today()
        assert remind_action_points(day - datetime.timedelta(days=1)) == 0
        assert remind_action_points(day) == 1
        assert remind_action_points(day) == 0
        assert remind_action_points(day + datetime.timedelta(days=7)) == 1
        assert remind_action_points(day + datetime.timedelta(days=8)) == 0
        assert remind_action_points(day + datetime.timedelta(days=14)) == 1
        assert remind_action_points(day + datetime.timedelta(days=20)) == 0
        assert self.sent_kinds(point) == ["before", "due", "overdue"]
        notices = Notification.objects.filter(user=owner)
        assert notices.count() == 3
        assert all(point.reference in n.subject for n in notices)

    def test_a_missed_tick_catches_up_with_the_latest_window(self, cast, mission, owner):
        point = self.point_due_in(cast, mission, owner, 3)
        # Beat slept through the week before and the day itself.
        assert remind_action_points(today() + datetime.timedelta(days=4)) == 1
        assert self.sent_kinds(point) == ["due"]

    def test_a_moved_due_date_opens_new_windows(self, cast, mission, owner):
        point = self.point_due_in(cast, mission, owner, 5)
        assert remind_action_points(today()) == 1
        action_point_update(point, cast["leader"], due_on=today() + datetime.timedelta(days=6))
        assert remind_action_points(today()) == 1
        assert point.reminders.count() == 2

    def test_a_sweep_reads_in_one_query_and_a_second_sends_nothing(
        self, cast, mission, owner, django_assert_num_queries
    ):
        due = [self.point_due_in(cast, mission, owner, days) for days in (3, 0, -10, -40)]
        mission_leader_appoint(mission, cast["leader"])
        assert remind_action_points(today()) == 5  # four windows, the last one twice
        assert {kind for point in due for kind in self.sent_kinds(point)} == {
            "before",
            "due",
            "overdue",
            "escalation",
        }
        # Every window and the escalation in one statement: nothing due is nothing else.
        with django_assert_num_queries(1):
            assert remind_action_points(today()) == 0

    def test_a_done_point_gets_nothing(self, cast, mission, owner):
        point = self.point_due_in(cast, mission, owner, 2)
        progress_post(point, owner, text="Done.", files=[pdf()])
        point_transition(point, "complete", owner)
        assert remind_action_points(today() + datetime.timedelta(days=10)) == 0

    def test_the_leader_is_told_when_it_is_overdue_for_long(self, cast, mission, owner):
        point = self.point_due_in(cast, mission, owner, -31)
        assert remind_action_points(today()) == 2  # the owner (overdue) and the leader
        assert sorted(point.reminders.values_list("kind", "recipient__username")) == [
            ("escalation", "leader"),
            ("overdue", "owner-wash"),
        ]
        assert remind_action_points(today()) == 0

    def test_two_sweeps_at_once_send_each_reminder_once(self, cast, mission, owner):
        points = [self.point_due_in(cast, mission, owner, 0) for _ in range(3)]
        first = remind_action_points(today())
        second = remind_action_points(today())
        assert (first, second) == (3, 0)
        assert PointReminder.objects.count() == 3
        for notice in Notification.objects.all():
            notification_send(notice.pk)
            notification_send(notice.pk)
        assert len(mail.outbox) == 3
        assert sorted(r.point_id for r in PointReminder.objects.all()) == [p.pk for p in points]

    def test_a_reminder_whose_email_fails_is_kept_and_sent_later(
        self, cast, mission, owner, monkeypatch
    ):
        import smtplib

        self.point_due_in(cast, mission, owner, 0)
        remind_action_points(today())
        notice = Notification.objects.get()

        def broken(self, fail_silently=False):
            raise smtplib.SMTPServerDisconnected("gone")

        monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            notification_send(notice.pk)
        monkeypatch.undo()
        assert remind_action_points(today()) == 0  # claimed: not written again
        assert notification_send(notice.pk) is True
        assert len(mail.outbox) == 1


class TestDigest:
    def test_the_leader_gets_one_digest_a_week(self, cast, mission, owner):
        monday = today() - datetime.timedelta(days=today().weekday())
        # Due two days before the Monday: it became overdue in the week the digest tells of.
        opened(mission, cast, owner, due_on=monday - datetime.timedelta(days=2))
        Notification.objects.all().delete()
        assert send_digests(monday) == 1
        assert send_digests(monday + datetime.timedelta(days=3)) == 0
        assert send_digests(monday + datetime.timedelta(days=7)) == 1
        digest = Notification.objects.get(
            user=cast["leader"], event=f"digest:{cast['leader'].pk}:{monday.isoformat()}"
        )
        assert "Open: 1" in digest.body
        assert "Became overdue" in digest.body


def test_a_stale_copy_of_a_point_cannot_overwrite_its_newer_status(cast, mission, owner):
    """The optimistic lock holds for points as for missions."""
    point = opened(mission, cast, owner)
    old_copy = ActionPoint.objects.get(pk=point.pk)
    point_transition(point, "drop", cast["leader"], reason="No longer relevant.")
    old_copy.text = "Overwritten"
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        old_copy.save()
    point.refresh_from_db()
    assert point.status == PointStatus.DROPPED
    assert point.text != "Overwritten"


def test_a_point_is_carried_only_by_taking_it_over(cast, mission, owner):
    point = opened(mission, cast, owner)
    with pytest.raises(TransitionNotPermitted):
        point_transition(point, "carry", cast["gcc"])
    point.refresh_from_db()
    assert point.status == PointStatus.OPEN


# The action point's transition matrix: who (role) × transition × own/other country.
# "owner" owns the point; "member" is on the team; a Nepal mission's point is "other".
POINT_ROUTES = {
    # transition: (the state it starts from, set-up, inputs)
    "open": ("draft", None, {}),
    "start": ("open", None, {}),
    "complete": ("in_progress", "evidence", {}),
    "verify": ("done", "high", {}),
    "reopen": ("done", None, {"reason": "The minutes are unsigned."}),
    "drop": ("open", None, {"reason": "Overtaken by events."}),
}
POINT_ALLOWED = {
    "open": {"leader", "gcc"},
    "start": {"leader", "owner"},
    "complete": {"leader", "owner"},
    "verify": {"leader", "member"},
    "reopen": {"leader", "member"},
    "drop": {"leader"},
}
POINT_SEES = {
    "own": {"leader", "member", "owner", "rc_hc_pakistan", "hct_pakistan", "hcss", "gcc"},
    # Another country's mission, with its own leader, team and owner.
    "other": {"rc_hc_nepal", "hct_nepal", "hcss", "gcc"},
}
POINT_ACTORS = sorted(
    {
        "leader",
        "member",
        "owner",
        "rc_hc_pakistan",
        "rc_hc_nepal",
        "hct_pakistan",
        "hct_nepal",
        "hcss",
        "gcc",
        "task_team",
        "focal_health",
        "outsider",
    }
)


def test_every_point_transition_has_a_row():
    from missions.models.followup import POINT_TRANSITIONS

    assert set(POINT_ROUTES) | {"carry"} == set(POINT_TRANSITIONS) == set(POINT_ALLOWED) | {"carry"}


def _point_in(state: str, mission, leader, owner, setup) -> ActionPoint:
    priority = ActionPoint.Priority.HIGH if setup == "high" else ActionPoint.Priority.NORMAL
    point = action_point_create(mission, leader, **point_fields(owner, priority=priority))
    if state == "draft":
        return point
    point_transition(point, "open", leader)
    if state in ("in_progress", "done") or setup == "evidence":
        progress_post(point, owner, text="Minutes.", files=[pdf()])
    if state == "done":
        point_transition(point, "complete", owner)
    point.refresh_from_db()
    return point


@pytest.mark.parametrize("name", sorted(POINT_ROUTES))
@pytest.mark.parametrize("scope", ["own", "other"])
def test_point_transition_matrix(cast, owner, name, scope):
    """Each cell: the step is taken, refused as "may not" (TransitionNotPermitted) or as
    "cannot see" (MissionNotFound); a refused step changes nothing."""
    people = {**cast, "owner": owner, "member": UserFactory(username="member-matrix")}
    if scope == "own":
        mission = make_mission("PAK", status="in_country")
        leader, member, point_owner = people["leader"], people["member"], owner
    else:
        mission = make_mission("NPL", status="in_country")
        leader, member = UserFactory(username="leader-npl"), UserFactory(username="member-npl")
        point_owner = UserFactory(username="owner-npl")
    mission_leader_appoint(mission, leader)
    team_member_grant(Nomination(mission=mission, participant=member))
    source, setup, inputs = POINT_ROUTES[name]
    outcomes = {}
    for who in POINT_ACTORS:
        point = _point_in(source, mission, leader, point_owner, setup)
        try:
            point_transition(point, name, people[who], **inputs)
        except (TransitionNotPermitted, MissionNotFound) as refused:
            outcomes[who] = type(refused).__name__
            point.refresh_from_db()
            assert point.status == source, (who, name)
        else:
            outcomes[who] = "taken"
    expected = {
        who: "taken"
        if who in POINT_ALLOWED[name] and (scope == "own" or who == "gcc")
        else ("TransitionNotPermitted" if who in POINT_SEES[scope] else "MissionNotFound")
        for who in POINT_ACTORS
    }
    assert outcomes == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_the_same_moment_send_each_reminder_once(on_postgres):
    """Two beats (or a retried task) sweep the same points at once, in two connections:
    every reminder is claimed by exactly one of them, and written once to the outbox."""
    import threading

    from django.db import connection

    leader, owner = UserFactory(username="leader-race"), UserFactory(username="owner-race")
    mission = make_mission("PAK", status="in_country", in_country_from=datetime.date(2026, 3, 1))
    mission_leader_appoint(mission, leader)
    for number in range(40):
        point = action_point_create(
            mission,
            leader,
            **point_fields(owner, due_on=today() + datetime.timedelta(days=number % 3)),
        )
        point_transition(point, "open", leader)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def sweep(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = remind_action_points(today())
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 40
    assert PointReminder.objects.count() == 40
    assert Notification.objects.filter(event__startswith="point:").count() == 40


def test_an_owner_new_to_icsm_is_invited_to_set_a_password(cast, mission):
    point = action_point_create(
        mission, cast["member"], **point_fields("new.owner@ngo.example", text="A point.")
    )
    owner = point.owner
    assert owner.email == "new.owner@ngo.example" and not owner.has_usable_password()
    invitation = Notification.objects.get(user=owner, builder="account_invitation")
    assert notification_send(invitation.pk) is True
    (message,) = mail.outbox
    assert message.to == ["new.owner@ngo.example"]
    assert "owner of an action point" in message.body
    assert "/account/set-password/" in message.body


# The tally of points (kept by the database) --------------------------------------------------


def _counted() -> dict:
    rows = ActionPoint.objects.values("addressee_kind", "status").annotate(n=Count("*"))
    return {(row["addressee_kind"], row["status"]): row["n"] for row in rows.order_by()}


def _tallied() -> dict:
    rows = PointTally.objects.values("addressee_kind", "status").annotate(n=Sum("points"))
    return {(row["addressee_kind"], row["status"]): row["n"] for row in rows.exclude(n=0)}


def test_the_tally_follows_the_points_whatever_writes_them(cast, mission, owner):
    """The runner, the services, a bulk insert, an UPDATE of many rows and a cascade: the
    database keeps the tally equal to a count of the points after each."""
    point = opened(mission, cast, owner)
    draft = action_point_create(mission, cast["member"], **point_fields(owner))
    assert _tallied() == _counted() == {("role", "open"): 1, ("role", "draft"): 1}
    point_transition(point, "start", owner)
    action_point_update(
        draft,
        cast["member"],
        addressee_kind=ActionPoint.Addressee.GLOBAL_CLUSTER,
        global_cluster=GlobalCluster.objects.get(code="health"),
        addressee_role="",
    )
    assert _tallied() == _counted() == {("role", "in_progress"): 1, ("global_cluster", "draft"): 1}
    ActionPoint.objects.bulk_create(
        ActionPoint(
            mission=mission,
            number=100 + n,
            reference=f"PAK-2026-B{n}",
            text="A bulk point.",
            addressee_kind=ActionPoint.Addressee.ROLE,
            addressee_role="The HCT",
            status=PointStatus.OPEN,
        )
        for n in range(5)
    )
    assert _tallied() == _counted()
    # One statement moving many points, some of them not at all.
    ActionPoint.objects.filter(number__gte=100).update(status=PointStatus.DONE)
    ActionPoint.objects.update(text="Same state, another text.")
    assert _tallied() == _counted()
    assert _tallied()[("role", "done")] == 5
    ActionPoint.objects.filter(number__in=[100, 101]).delete()
    assert _tallied() == _counted()
    mission.delete()  # its points go with it
    assert _tallied() == _counted() == {}


def test_folding_the_tally_keeps_its_sums_in_a_row_a_kind_and_state(cast, mission, owner):
    point = opened(mission, cast, owner)
    point_transition(point, "start", owner)
    for _ in range(3):
        action_point_create(mission, cast["member"], **point_fields(owner))
    before = _tallied()
    assert PointTally.objects.count() > len(before)  # a row for each move

    assert point_tally_fold() > len(before)

    assert _tallied() == before == _counted()
    assert PointTally.objects.count() == len(before)  # in_progress 1, draft 3
    assert point_tally_fold() == len(before)  # folding again changes nothing
    assert _tallied() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_point_written_while_the_tally_is_folded_is_counted_once(
    on_postgres, cast, mission, owner
):
    """A writer's rows committed after the fold began are neither folded nor lost."""
    import threading

    from django.db import connections

    action_point_create(mission, cast["member"], **point_fields(owner))
    written, folding = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            action_point_create(mission, cast["member"], **point_fields(owner))
            written.set()
            folding.wait(5)  # commits once the fold has run (and committed)
        connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    written.wait(5)
    point_tally_fold()
    folding.set()
    thread.join(5)
    assert _tallied() == _counted() == {("role", "draft"): 2}
    point_tally_fold()
    assert _tallied() == _counted() and PointTally.objects.count() == 1
