"""The team elects its leader: integrity (one vote per member, members only, nothing after
closing, enforced by the database), secrecy (no page, no admin page, no row says who voted for
whom; counts only once a round is closed, and only with three ballots or more; a small team
agrees openly), the deadline, the tie rules and the leader's permissions."""

import contextlib
import datetime
import importlib
import re
import threading
from functools import partial

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from missions.models import Ballot, Candidate, Election, Grade, Mission, Nomination, Notification
from missions.models.mission import leader_elected
from missions.services.election import (
    election_agree,
    election_close,
    election_extend,
    election_open,
    election_overview,
    election_stand,
    election_vote,
    election_withdraw_candidacy,
)
from missions.services.team import (
    nomination_create,
    nomination_decide,
    nomination_withdraw,
    team_confirm,
)
from missions.workflow import MissionNotFound
from tests.factories import UserFactory, make_invitation, make_member, make_mission, refusal

ACTIONS = [
    "election_open",
    "election_extend",
    "election_agree",
    "election_stand",
    "election_withdraw",
    "election_vote",
    "election_close",
]


def url(name: str, mission: Mission) -> str:
    return reverse(f"missions:{name}", args=[mission.pk])


def confirmed(mission: Mission) -> Mission:
    Mission.objects.filter(pk=mission.pk).update(team_confirmed_at=timezone.now())
    mission.refresh_from_db()
    return mission


@pytest.fixture
def mission(cast):
    return confirmed(make_mission("PAK", status="in_planning", title="Pakistan floods"))


@pytest.fixture
def team(mission) -> dict[str, Nomination]:
    """Four members. Amina is the most senior; Ben and Carla are equally senior."""
    return {
        "amina": make_member(mission, "amina", grade=Grade.P5, years=12),
        "ben": make_member(mission, "ben", grade=Grade.P4, years=8),
        "carla": make_member(mission, "carla", cluster="wash", grade=Grade.P4, years=8),
        "dev": make_member(mission, "dev", grade=Grade.P3, years=5),
    }


@pytest.fixture
def opened(mission, team, cast) -> Election:
    return election_open(mission, cast["gcc"])


def user(team, name: str):
    return team[name].participant


def stand(mission, team, *names: str) -> dict[str, Candidate]:
    return {
        name: election_stand(mission, user(team, name), f"{name.title()} would lead well.")
        for name in names
    }


def vote(mission, team, voter: str, candidate: Candidate) -> None:
    election_vote(mission, user(team, voter), candidate.pk)


def counts(election: Election) -> dict[str, int]:
    return {
        c.member.participant.username: c.votes
        for c in election.candidates.select_related("member__participant")
    }


def cast_ballots(election: Election) -> int:
    return election.ballots.filter(cast_at__isnull=False).count()


def fresh(user_obj):
    """The user re-read, so that no permission cache hides a change."""
    return get_user_model().objects.get(pk=user_obj.pk)


def deadline_passed(election: Election) -> None:
    """Voting closed a minute ago (the round's deadline, moved into the past)."""
    Election.objects.filter(pk=election.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )


def everyone_votes_for(mission, team, candidate: Candidate) -> None:
    for name in team:
        vote(mission, team, name, candidate)


def withdraw(nomination, gcc) -> Nomination:
    return nomination_withdraw(nomination, gcc, reason="No longer available.")


def in_days(days: float) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


# Opening -----------------------------------------------------------------------------------------


class TestOpening:
    def test_gcc_opens_round_one_with_a_ballot_for_every_member(self, mission, team, cast):
        declined = make_member(mission, "eve", status=Nomination.Status.DECLINED)
        election = election_open(mission, cast["gcc"])
        assert (election.round, election.opened_by, election.closed_at) == (1, cast["gcc"], None)
        assert election.tie_rule == "seniority"
        assert set(election.ballots.values_list("member", flat=True)) == {
            n.pk for n in team.values()
        }
        assert not election.ballots.filter(member=declined).exists()
        assert not election.ballots.filter(cast_at__isnull=False).exists()

    def test_the_round_keeps_the_tie_rule_set_when_it_opened(self, mission, team, cast, settings):
        settings.ICSM_ELECTION_TIE_RULE = "run_off"
        assert election_open(mission, cast["gcc"]).tie_rule == Election.TieRule.RUN_OFF

    def test_opening_before_the_team_is_confirmed_is_refused(self, cast):
        mission = make_mission("PAK", status="in_planning")
        make_member(mission, "amina")
        with pytest.raises(ValidationError, match="Confirm the team first"):
            election_open(mission, cast["gcc"])
        assert not Election.objects.filter(mission=mission).exists()

    @pytest.mark.parametrize("status", ["with_task_team", "ready", "cancelled"])
    def test_opening_outside_planning_is_refused(self, cast, status):
        mission = confirmed(make_mission("PAK", status=status))
        make_member(mission, "amina")
        with pytest.raises(ValidationError, match="while the mission is being planned"):
            election_open(mission, cast["gcc"])
        assert not Election.objects.exists()

    def test_an_approved_mission_may_elect_its_leader(self, cast):
        mission = confirmed(make_mission("PAK", status="approved"))
        for name in ("amina", "ben", "carla"):
            make_member(mission, name)
        assert election_open(mission, cast["gcc"]).round == 1

    @pytest.mark.parametrize("who", ["hcss", "task_team", "rc_hc_pakistan", "rc_hc_nepal"])
    def test_only_the_gcc_opens_the_election(self, mission, team, cast, who):
        with pytest.raises(refusal(who)):
            election_open(mission, cast[who])
        with pytest.raises(PermissionDenied):
            election_open(mission, user(team, "amina"))
        assert not Election.objects.exists()

    def test_opening_twice_is_refused(self, mission, opened, cast):
        with pytest.raises(ValidationError, match="open already"):
            election_open(mission, cast["gcc"])
        assert Election.objects.filter(mission=mission).count() == 1

    def test_the_database_holds_one_open_round_per_mission(self, mission, opened):
        with pytest.raises(IntegrityError), transaction.atomic():
            Election.objects.create(mission=mission, round=2, tie_rule="seniority")

    def test_the_team_is_told_when_the_election_opens(
        self, mission, team, cast, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            election_open(mission, cast["gcc"])
        assert sorted(m.to[0] for m in mailoutbox) == sorted(
            n.participant.email for n in team.values()
        )
        assert "Elect your mission leader: Pakistan floods" in mailoutbox[0].subject
        assert url("election", mission) in mailoutbox[0].body
        assert "secret" in mailoutbox[0].body


class TestDeadline:
    def test_the_round_closes_at_the_deadline_the_gcc_gives(self, mission, team, cast):
        deadline = in_days(5)
        election = election_open(mission, cast["gcc"], closes_at=deadline)
        assert election.closes_at == deadline

    def test_without_a_deadline_voting_stays_open_a_week(self, mission, team, cast):
        election = election_open(mission, cast["gcc"])
        assert in_days(7) <= election.closes_at <= in_days(7.1)

    @pytest.mark.parametrize(
        "days, message",
        [(-1, "at least a day"), (0.5, "at least a day"), (31, "at most 30 days")],
        ids=["past", "too-soon", "too-far"],
    )
    def test_a_deadline_out_of_bounds_is_refused_at_the_field(
        self, mission, team, cast, days, message
    ):
        with pytest.raises(ValidationError) as error:
            election_open(mission, cast["gcc"], closes_at=in_days(days))
        assert message in error.value.message_dict["closes_at"][0]
        assert not Election.objects.exists()

    def test_the_gcc_moves_the_deadline_later_but_not_earlier(self, mission, team, opened, cast):
        later = in_days(10)
        assert election_extend(mission, cast["gcc"], later).closes_at == later
        with pytest.raises(ValidationError) as error:
            election_extend(mission, cast["gcc"], in_days(9))
        assert "later time than the current deadline" in error.value.message_dict["closes_at"][0]
        with pytest.raises(PermissionDenied):
            election_extend(mission, user(team, "amina"), in_days(12))
        opened.refresh_from_db()
        assert opened.closes_at == later

    def test_no_vote_is_taken_after_the_deadline(self, mission, team, opened, cast):
        amina = stand(mission, team, "amina")["amina"]
        deadline_passed(opened)
        with pytest.raises(ValidationError, match="Voting closed on"):
            vote(mission, team, "ben", amina)
        assert cast_ballots(opened) == 0
        # Moved, the team may vote again.
        election_extend(mission, cast["gcc"], in_days(3))
        vote(mission, team, "ben", amina)
        assert counts(opened) == {"amina": 1}

    def test_the_page_says_when_voting_closes_and_the_gcc_may_move_it(
        self, client, mission, team, cast
    ):
        election_open(mission, cast["gcc"], closes_at=in_days(3))
        client.force_login(user(team, "ben"))
        page = client.get(url("election", mission))
        assertContains(page, "Voting closes on")
        assertNotContains(page, "Move the deadline")
        client.force_login(cast["gcc"])
        later = timezone.localtime(in_days(6)).replace(second=0, microsecond=0)
        response = client.post(
            url("election_extend", mission),
            {"closes_at": later.strftime("%Y-%m-%dT%H:%M")},
            follow=True,
        )
        assertContains(response, "Voting now closes on")
        assert Election.objects.get().closes_at == later
        response = client.post(url("election_extend", mission), {"closes_at": "soon"})
        assertContains(response, "Give a date and a time", status_code=400)


# Standing ----------------------------------------------------------------------------------------


class TestStanding:
    def test_a_member_stands_with_a_statement(self, mission, team, opened):
        candidate = election_stand(mission, user(team, "amina"), "  Twelve years in the field. ")
        assert (candidate.election, candidate.member) == (opened, team["amina"])
        assert candidate.statement == "Twelve years in the field."
        assert candidate.votes == 0

    @pytest.mark.parametrize("who", ["gcc", "hcss", "outsider", "rc_hc_nepal"])
    def test_only_members_of_the_team_stand(self, mission, team, opened, cast, who):
        with pytest.raises(refusal(who)):
            election_stand(mission, cast[who])
        assert not Candidate.objects.exists()

    def test_a_proposed_participant_is_not_yet_on_the_team_and_cannot_stand(
        self, mission, team, opened
    ):
        proposed = make_member(mission, "eve", status=Nomination.Status.PROPOSED)
        with pytest.raises(MissionNotFound):
            election_stand(mission, proposed.participant)

    def test_standing_twice_is_refused(self, mission, team, opened):
        stand(mission, team, "amina")
        with pytest.raises(ValidationError, match="stand already"):
            stand(mission, team, "amina")
        assert opened.candidates.count() == 1

    def test_standing_after_voting_began_is_refused_as_unfair(self, mission, team, opened):
        amina = stand(mission, team, "amina")["amina"]
        vote(mission, team, "ben", amina)
        with pytest.raises(ValidationError, match="unfair to the members who have already"):
            stand(mission, team, "carla")
        assert opened.candidates.count() == 1

    def test_a_candidate_withdraws_before_voting_but_not_after(self, mission, team, opened):
        candidates = stand(mission, team, "amina", "ben")
        election_withdraw_candidacy(mission, user(team, "ben"))
        assert list(opened.candidates.all()) == [candidates["amina"]]
        vote(mission, team, "carla", candidates["amina"])
        with pytest.raises(ValidationError, match="Voting has begun"):
            election_withdraw_candidacy(mission, user(team, "amina"))
        assert opened.candidates.count() == 1

    def test_a_too_long_statement_is_refused_with_the_field_named(self, mission, team, opened):
        with pytest.raises(ValidationError) as error:
            election_stand(mission, user(team, "amina"), "x" * 2001)
        assert "statement" in error.value.message_dict
        assert not Candidate.objects.exists()

    def test_standing_before_the_election_opens_is_refused(self, mission, team):
        with pytest.raises(ValidationError, match="not opened yet"):
            stand(mission, team, "amina")


# Voting ------------------------------------------------------------------------------------------


class TestVoting:
    def test_a_vote_adds_one_to_the_candidate_and_records_only_that_the_member_voted(
        self, mission, team, opened
    ):
        candidates = stand(mission, team, "amina", "ben")
        vote(mission, team, "carla", candidates["ben"])
        assert counts(opened) == {"amina": 0, "ben": 1}
        ballot = opened.ballots.get(member=team["carla"])
        assert ballot.cast_at is not None
        assert cast_ballots(opened) == 1

    def test_a_member_may_vote_for_themselves(self, mission, team, opened):
        amina = stand(mission, team, "amina")["amina"]
        vote(mission, team, "amina", amina)
        assert counts(opened) == {"amina": 1}

    def test_a_second_vote_is_refused_and_counts_nothing(self, mission, team, opened):
        candidates = stand(mission, team, "amina", "ben")
        vote(mission, team, "carla", candidates["amina"])
        with pytest.raises(ValidationError, match="You have already voted."):
            vote(mission, team, "carla", candidates["ben"])
        with pytest.raises(ValidationError, match="You have already voted."):
            vote(mission, team, "carla", candidates["amina"])
        assert counts(opened) == {"amina": 1, "ben": 0}

    @pytest.mark.parametrize("who", ["gcc", "hcss", "outsider", "rc_hc_nepal", "focal_health"])
    def test_a_vote_from_outside_the_team_is_refused(self, mission, team, opened, cast, who):
        amina = stand(mission, team, "amina")["amina"]
        with pytest.raises(refusal(who)):
            election_vote(mission, cast[who], amina.pk)
        assert counts(opened) == {"amina": 0}
        assert cast_ballots(opened) == 0

    def test_a_participant_no_longer_on_the_team_cannot_vote(self, mission, team, opened):
        amina = stand(mission, team, "amina")["amina"]
        Nomination.objects.filter(pk=team["dev"].pk).update(status=Nomination.Status.WITHDRAWN)
        with pytest.raises(PermissionDenied):
            vote(mission, team, "dev", amina)
        assert counts(opened) == {"amina": 0}

    def test_the_round_waits_while_the_team_changed_and_is_not_confirmed_again(
        self, client, mission, team, opened, cast
    ):
        amina = stand(mission, team, "amina")["amina"]
        vote(mission, team, "ben", amina)
        # The GCC accepts one more member: the team must be confirmed again.
        late = make_member(mission, "late")
        Mission.objects.filter(pk=mission.pk).update(team_confirmed_at=None)
        attempts = [
            lambda: vote(mission, team, "carla", amina),
            lambda: election_vote(mission, late.participant, amina.pk),
            lambda: stand(mission, team, "dev"),
            lambda: election_close(mission, cast["gcc"]),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError, match="confirms the team again"):
                attempt()
        client.force_login(late.participant)
        assertContains(client.get(url("election", mission)), "confirms the team again")

        confirmed(mission)
        election_vote(mission, late.participant, amina.pk)
        assert counts(opened) == {"amina": 2}
        assert opened.ballots.get(member=late).cast_at is not None
        with pytest.raises(ValidationError, match="You have already voted."):
            election_vote(mission, late.participant, amina.pk)
        assert election_overview(mission)["eligible"] == 5

    def test_a_member_who_joined_and_did_not_vote_is_on_the_closed_record(
        self, mission, team, opened, cast
    ):
        amina = stand(mission, team, "amina")["amina"]
        for voter in ("amina", "ben", "carla"):
            vote(mission, team, voter, amina)
        late = make_member(mission, "late")
        deadline_passed(opened)
        election_close(mission, cast["gcc"])
        assert opened.ballots.filter(member=late, cast_at__isnull=True).exists()
        assert election_overview(mission)["eligible"] == 5

    def test_a_vote_after_closing_is_refused(self, mission, team, opened, cast):
        amina = stand(mission, team, "amina")["amina"]
        for voter in ("amina", "ben", "carla"):
            vote(mission, team, voter, amina)
        deadline_passed(opened)
        election_close(mission, cast["gcc"])
        with pytest.raises(ValidationError, match="The election is closed."):
            vote(mission, team, "dev", amina)
        assert counts(opened) == {"amina": 3}
        assert not opened.ballots.get(member=team["dev"]).cast_at

    def test_a_vote_needs_a_candidate(self, mission, team, opened):
        with pytest.raises(ValidationError, match="Nobody stands yet"):
            election_vote(mission, user(team, "amina"), 1)
        assert cast_ballots(opened) == 0

    def test_a_vote_for_someone_not_standing_in_this_round_changes_nothing(
        self, mission, team, opened, cast
    ):
        stand(mission, team, "amina")
        other = confirmed(make_mission("PAK", status="in_planning", title="Elsewhere"))
        for name in ("zoe", "yann", "xena"):
            make_member(other, name)
        election_open(other, cast["gcc"])
        elsewhere = election_stand(other, get_user_model().objects.get(username="zoe"))
        for bad in (elsewhere.pk, 999999, "not a number", None):
            with pytest.raises(ValidationError) as error:
                election_vote(mission, user(team, "ben"), bad)
            assert "candidate" in error.value.message_dict
        # The ballot's claim was undone with the rest: Ben can still vote.
        assert cast_ballots(opened) == 0
        assert Candidate.objects.get(pk=elsewhere.pk).votes == 0
        vote(mission, team, "ben", opened.candidates.get())
        assert cast_ballots(opened) == 1

    def test_the_database_refuses_a_second_ballot_for_the_same_member(self, team, opened):
        with pytest.raises(IntegrityError), transaction.atomic():
            Ballot.objects.create(election=opened, member=team["amina"])
        assert opened.ballots.filter(member=team["amina"]).count() == 1

    def test_the_database_refuses_a_second_candidacy_of_the_same_member(
        self, mission, team, opened
    ):
        stand(mission, team, "amina")
        with pytest.raises(IntegrityError), transaction.atomic():
            Candidate.objects.create(election=opened, member=team["amina"])


# Closing and the tie rules -----------------------------------------------------------------------


class TestClosing:
    def test_the_most_voted_candidate_is_elected_and_leads_this_mission_only(
        self, mission, team, opened, cast
    ):
        candidates = stand(mission, team, "amina", "ben")
        for voter in ("amina", "carla", "dev"):
            vote(mission, team, voter, candidates["ben"])
        other = make_mission("PAK", status="in_planning", title="Another mission")
        deadline_passed(opened)
        closed = election_close(mission, cast["gcc"])
        assert closed.winner == user(team, "ben")
        assert closed.closed_by == cast["gcc"]
        assert closed.outcome == "Ben elected with 3 of 3 votes."
        ben = fresh(user(team, "ben"))
        assert ben.has_perm("missions.lead_mission", mission)
        assert not ben.has_perm("missions.lead_mission", other)
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)

    def test_closing_while_nobody_voted_is_refused(self, mission, team, opened, cast):
        stand(mission, team, "amina")
        with pytest.raises(ValidationError, match="Nobody has voted yet"):
            election_close(mission, cast["gcc"])
        opened.refresh_from_db()
        assert opened.is_open

    @pytest.mark.parametrize("who", ["hcss", "task_team", "rc_hc_pakistan", "outsider"])
    def test_only_the_gcc_closes(self, mission, team, opened, cast, who):
        amina = stand(mission, team, "amina")["amina"]
        everyone_votes_for(mission, team, amina)
        with pytest.raises(refusal(who)):
            election_close(mission, cast[who])
        with pytest.raises(PermissionDenied):
            election_close(mission, user(team, "amina"))
        opened.refresh_from_db()
        assert opened.is_open and opened.winner is None

    def test_a_tie_goes_to_the_more_senior_under_the_seniority_rule(
        self, mission, team, cast, settings
    ):
        settings.ICSM_ELECTION_TIE_RULE = "seniority"
        election_open(mission, cast["gcc"])
        candidates = stand(mission, team, "ben", "amina")
        vote(mission, team, "amina", candidates["ben"])
        vote(mission, team, "ben", candidates["amina"])
        vote(mission, team, "carla", candidates["ben"])
        vote(mission, team, "dev", candidates["amina"])
        closed = election_close(mission, cast["gcc"])
        assert closed.winner == user(team, "amina")
        assert closed.outcome == (
            "Amina elected: tie at 2 of 4 votes with Ben, broken by seniority "
            "(P-5 or equivalent, 12 years in the field, 1 previous mission)."
        )
        assert Election.objects.filter(mission=mission).count() == 1

    def test_at_equal_seniority_the_one_who_stood_first_wins(self, mission, team, cast, settings):
        settings.ICSM_ELECTION_TIE_RULE = "seniority"
        election_open(mission, cast["gcc"])
        candidates = stand(mission, team, "carla", "ben")
        vote(mission, team, "amina", candidates["ben"])
        vote(mission, team, "dev", candidates["carla"])
        vote(mission, team, "ben", candidates["ben"])
        vote(mission, team, "carla", candidates["carla"])
        closed = election_close(mission, cast["gcc"])
        assert closed.winner == user(team, "carla")
        assert "at equal seniority" in closed.outcome
        assert closed.outcome.endswith("Carla stood first.")

    def test_a_tie_opens_a_run_off_between_the_tied_under_the_run_off_rule(
        self, mission, team, cast, settings, mailoutbox, django_capture_on_commit_callbacks
    ):
        settings.ICSM_ELECTION_TIE_RULE = "run_off"
        first = election_open(mission, cast["gcc"])
        candidates = stand(mission, team, "amina", "ben", "dev")
        vote(mission, team, "amina", candidates["amina"])
        vote(mission, team, "ben", candidates["ben"])
        vote(mission, team, "carla", candidates["amina"])
        vote(mission, team, "dev", candidates["ben"])
        with django_capture_on_commit_callbacks(execute=True):
            closed = election_close(mission, cast["gcc"])
        assert closed.pk == first.pk and closed.winner is None
        assert closed.outcome == (
            "Tie at 2 of 4 votes between Amina and Ben: a run-off between them opens as round 2."
        )
        run_off = Election.objects.get(mission=mission, closed_at__isnull=True)
        assert (run_off.round, run_off.tie_rule) == (2, "run_off")
        assert counts(run_off) == {"amina": 0, "ben": 0}
        assert run_off.candidates.get(member=team["ben"]).statement == "Ben would lead well."
        assert run_off.ballots.count() == 4 and cast_ballots(run_off) == 0
        assert {m.to[0] for m in mailoutbox} == {n.participant.email for n in team.values()}
        assert "Run-off" in mailoutbox[0].subject
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)

        # As long to vote as round 1 had.
        length = first.closes_at - first.opened_at
        assert abs(run_off.closes_at - run_off.opened_at - length) < datetime.timedelta(seconds=5)
        round_two = {c.member.participant.username: c for c in run_off.candidates.all()}
        for voter, choice in [("amina", "amina"), ("ben", "amina"), ("carla", "ben")]:
            vote(mission, team, voter, round_two[choice])
        deadline_passed(run_off)
        closed = election_close(mission, cast["gcc"])
        assert (closed.round, closed.winner) == (2, user(team, "amina"))
        assert closed.outcome == "Amina elected with 2 of 3 votes."
        assert fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)

    def test_a_run_off_that_ties_again_is_decided_by_seniority(self, mission, team, cast, settings):
        settings.ICSM_ELECTION_TIE_RULE = "run_off"
        election_open(mission, cast["gcc"])
        for _ in range(2):
            current = Election.objects.get(mission=mission, closed_at__isnull=True)
            if current.round == 1:
                stand(mission, team, "ben", "amina")
            choice = {c.member.participant.username: c for c in current.candidates.all()}
            vote(mission, team, "amina", choice["ben"])
            vote(mission, team, "ben", choice["amina"])
            vote(mission, team, "carla", choice["ben"])
            vote(mission, team, "dev", choice["amina"])
            closed = election_close(mission, cast["gcc"])
        assert (closed.round, closed.winner) == (2, user(team, "amina"))
        assert closed.outcome.startswith("Amina elected: tie again after a run-off at 2 of 4")
        assert "broken by seniority (P-5 or equivalent" in closed.outcome

    def test_a_candidate_who_left_the_team_cannot_win(self, mission, team, opened, cast):
        candidates = stand(mission, team, "amina", "ben")
        vote(mission, team, "carla", candidates["amina"])
        vote(mission, team, "dev", candidates["amina"])
        vote(mission, team, "ben", candidates["ben"])
        Nomination.objects.filter(pk=team["amina"].pk).update(status=Nomination.Status.WITHDRAWN)
        closed = election_close(mission, cast["gcc"])
        assert closed.winner == user(team, "ben")

    def test_a_closed_round_refuses_every_change(self, mission, team, opened, cast):
        candidates = stand(mission, team, "amina", "ben")
        for voter in ("amina", "carla"):
            vote(mission, team, voter, candidates["amina"])
        vote(mission, team, "ben", candidates["ben"])
        deadline_passed(opened)
        election_close(mission, cast["gcc"])
        before = Election.objects.values().get(pk=opened.pk)
        attempts = [
            lambda: vote(mission, team, "dev", candidates["ben"]),
            lambda: stand(mission, team, "dev"),
            lambda: election_withdraw_candidacy(mission, user(team, "ben")),
            lambda: election_close(mission, cast["gcc"]),
        ]
        for attempt in attempts:
            with pytest.raises(ValidationError, match="The election is closed."):
                attempt()
        with pytest.raises(ValidationError, match="elected its leader already: Amina"):
            election_open(mission, cast["gcc"])
        assert Election.objects.values().get(pk=opened.pk) == before
        assert counts(opened) == {"amina": 2, "ben": 1}
        assert cast_ballots(opened) == 3

    def test_the_team_and_the_gcc_are_told_who_leads(
        self, mission, team, opened, cast, mailoutbox, django_capture_on_commit_callbacks
    ):
        amina = stand(mission, team, "amina")["amina"]
        everyone_votes_for(mission, team, amina)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            election_close(mission, cast["gcc"])
        told = {m.to[0] for m in mailoutbox}
        assert told == {n.participant.email for n in team.values()} | {cast["gcc"].email}
        assert "Mission leader elected: Pakistan floods" in mailoutbox[0].subject
        assert "Amina elected with 4 of 4 votes." in mailoutbox[0].body
        assert Notification.objects.filter(user=cast["gcc"], mission=mission).count() == 1


class TestWhenARoundCloses:
    """A round closes once every member has voted or its deadline has passed, and never with
    fewer than three ballots: with one or two, the tally beside "who has voted" says who voted
    for whom."""

    def test_before_every_member_voted_and_before_the_deadline_it_stays_open(
        self, mission, team, opened, cast
    ):
        amina = stand(mission, team, "amina")["amina"]
        for voter in ("amina", "ben", "carla"):
            vote(mission, team, voter, amina)
        with pytest.raises(ValidationError, match="1 of 4 members have not voted yet"):
            election_close(mission, cast["gcc"])
        opened.refresh_from_db()
        assert opened.is_open and opened.winner is None
        deadline_passed(opened)
        assert election_close(mission, cast["gcc"]).outcome == "Amina elected with 3 of 3 votes."

    def test_once_every_member_has_voted_it_closes_before_the_deadline(
        self, mission, team, opened, cast
    ):
        amina = stand(mission, team, "amina")["amina"]
        everyone_votes_for(mission, team, amina)
        assert opened.closes_at > timezone.now()
        assert election_close(mission, cast["gcc"]).winner == user(team, "amina")

    @pytest.mark.parametrize("ballots", [1, 2])
    def test_fewer_than_three_ballots_are_never_counted_even_after_the_deadline(
        self, mission, team, opened, cast, ballots
    ):
        amina = stand(mission, team, "amina")["amina"]
        for voter in ("ben", "carla")[:ballots]:
            vote(mission, team, voter, amina)
        deadline_passed(opened)
        with pytest.raises(ValidationError) as error:
            election_close(mission, cast["gcc"])
        assert "counted only with at least 3 ballots" in error.value.messages[0]
        assert "move the deadline" in error.value.messages[0]
        opened.refresh_from_db()
        assert opened.is_open and opened.outcome == ""

    def test_the_page_tells_the_gcc_why_the_round_cannot_close_yet(
        self, client, mission, team, opened, cast
    ):
        amina = stand(mission, team, "amina")["amina"]
        vote(mission, team, "ben", amina)
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertNotContains(page, "Close the round and count the votes")
        assertContains(page, "counted only with at least 3 ballots")


class TestLeaderLeavesTheTeam:
    """A leader whose nomination the GCC withdraws no longer leads; the closed record stays,
    and the team elects a new leader in a further round."""

    @pytest.fixture
    def amina_elected(self, mission, team, opened, cast) -> Election:
        amina = stand(mission, team, "amina")["amina"]
        everyone_votes_for(mission, team, amina)
        return election_close(mission, cast["gcc"])

    def test_the_post_falls_vacant_and_the_record_stays(
        self, client, mission, team, amina_elected, cast
    ):
        before = Election.objects.values().get(pk=amina_elected.pk)
        withdraw(team["amina"], cast["gcc"])

        amina = fresh(user(team, "amina"))
        assert not amina.has_perm("missions.lead_mission", mission)
        assert not amina.has_perm("missions.view_mission", mission)
        assert [m.message for m in leader_elected.missing(mission)] == [
            "The elected leader has left the team: elect a new leader."
        ]
        assert Election.objects.values().get(pk=amina_elected.pk) == before
        assert election_overview(mission)["leader_left"] is True
        client.force_login(cast["gcc"])
        assertContains(client.get(url("election", mission)), "has since left the team")
        assertContains(client.get(url("planning", mission)), "has left the team")

    def test_the_team_elects_a_new_leader_in_a_further_round(
        self, mission, team, amina_elected, cast
    ):
        withdraw(team["amina"], cast["gcc"])
        with pytest.raises(ValidationError, match="Confirm the team first"):
            election_open(mission, cast["gcc"])
        team_confirm(mission, cast["gcc"])
        second = election_open(mission, cast["gcc"])
        assert second.round == 2
        assert team["amina"].pk not in set(second.ballots.values_list("member", flat=True))
        ben = election_stand(mission, user(team, "ben"))
        for voter in ("ben", "carla", "dev"):
            vote(mission, team, voter, ben)
        assert election_close(mission, cast["gcc"]).winner == user(team, "ben")
        assert fresh(user(team, "ben")).has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)
        assert election_overview(mission)["leader_left"] is False

    def test_another_member_leaving_changes_nothing_for_the_leader(
        self, mission, team, amina_elected, cast
    ):
        withdraw(team["dev"], cast["gcc"])
        assert fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)


def renominate(mission: Mission, nomination: Nomination, gcc) -> Nomination:
    """The GCC nominates the same person again and accepts them onto the team."""
    participant = nomination.participant
    again = nomination_create(
        mission,
        make_invitation(mission, "health"),
        gcc,
        full_name=participant.get_full_name(),
        email=participant.email,
        agency=nomination.agency,
        clusters=[nomination.invitation.global_cluster],
        years_in_field=nomination.years_in_field,
        languages=nomination.languages,
        grade=nomination.grade,
        available_from=nomination.available_from,
        available_to=nomination.available_to,
    )
    return nomination_decide(again, gcc, accept=True, reason="Available again after all.")


class TestLeaderReturns:
    """A leader withdrawn and accepted again leads again when nothing else happened since,
    as the team elected them; once a further round has opened, that round decides."""

    @pytest.fixture
    def amina_withdrawn(self, mission, team, opened, cast) -> Election:
        amina = stand(mission, team, "amina")["amina"]
        everyone_votes_for(mission, team, amina)
        elected = election_close(mission, cast["gcc"])
        withdraw(team["amina"], cast["gcc"])
        return elected

    def test_accepted_again_before_a_new_round_she_leads_again(
        self, client, mission, team, amina_withdrawn, cast
    ):
        renominate(mission, team["amina"], cast["gcc"])
        amina = fresh(user(team, "amina"))
        assert amina.has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)
        assert election_overview(mission)["leader_left"] is False
        team_confirm(mission, cast["gcc"])
        with pytest.raises(ValidationError, match="elected its leader already: Amina"):
            election_open(mission, cast["gcc"])
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertNotContains(page, "has since left the team")
        assertContains(page, "elected its leader already: Amina")

    def test_the_gcc_is_told_on_the_page_that_she_leads_again(
        self, client, mission, team, amina_withdrawn, cast
    ):
        participant = user(team, "amina")
        again = nomination_create(
            mission,
            make_invitation(mission, "health"),
            cast["gcc"],
            full_name="Amina",
            email=participant.email,
            agency=team["amina"].agency,
            clusters=[team["amina"].invitation.global_cluster],
            years_in_field=12,
            languages="English",
            grade=Grade.P5,
            available_from=team["amina"].available_from,
            available_to=team["amina"].available_to,
        )
        client.force_login(cast["gcc"])
        response = client.post(
            reverse("missions:nomination_decide", args=[mission.pk, again.pk]),
            {"decision": "accept", "reason": "Back on the team."},
            follow=True,
        )
        assertContains(response, "Amina leads the mission again, as the team chose them.")

    def test_once_a_further_round_opened_that_round_decides(
        self, mission, team, amina_withdrawn, cast
    ):
        team_confirm(mission, cast["gcc"])
        second = election_open(mission, cast["gcc"])
        renominate(mission, team["amina"], cast["gcc"])
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        assert leader_elected.missing(mission)
        team_confirm(mission, cast["gcc"])
        ben = election_stand(mission, user(team, "ben"))
        for name in ("ben", "carla", "dev", "amina"):
            election_vote(mission, user(team, name), ben.pk)
        assert election_close(mission, cast["gcc"]).pk == second.pk
        assert fresh(user(team, "ben")).has_perm("missions.lead_mission", mission)
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)

    def test_a_new_round_follows_the_newest_and_a_returning_old_winner_is_not_the_leader(
        self, mission, team, amina_withdrawn, cast
    ):
        team_confirm(mission, cast["gcc"])
        election_open(mission, cast["gcc"])
        ben = election_stand(mission, user(team, "ben"))
        for name in ("ben", "carla", "dev"):
            election_vote(mission, user(team, name), ben.pk)
        election_close(mission, cast["gcc"])
        renominate(mission, team["amina"], cast["gcc"])
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        assert list(Election.objects.filter(mission=mission).leader_on_team()) == [
            Election.objects.get(mission=mission, round=2)
        ]

    def test_the_migration_gives_back_what_re_acceptance_did_not(
        self, mission, team, amina_withdrawn, cast
    ):
        # As before the fix: accepted again, without the leader's permissions.
        make_member(mission, "amina")
        assert not fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)
        from django.apps import apps

        migration = importlib.import_module(
            "missions.migrations.0009_election_agreement_and_withdrawal"
        )
        migration.leaders_back(apps, None)
        assert fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)


class TestSmallTeamAgreesOpenly:
    """A team of fewer than three agrees its leader openly; the GCC records who and how."""

    @pytest.fixture
    def pair(self, mission) -> dict[str, Nomination]:
        return {
            "amina": make_member(mission, "amina", grade=Grade.P5, years=12),
            "ben": make_member(mission, "ben"),
        }

    AGREED = "On the team call of 3 March, Ben and Amina agreed that Amina leads."

    @pytest.mark.parametrize("size", [1, 2])
    def test_a_team_of_fewer_than_three_cannot_open_a_secret_ballot(self, mission, cast, size):
        for index in range(size):
            make_member(mission, f"member{index}")
        with pytest.raises(ValidationError, match="a secret ballot needs at least 3"):
            election_open(mission, cast["gcc"])
        assert not Election.objects.exists()

    def test_the_gcc_records_the_leader_and_it_appoints_them(self, mission, pair, cast):
        election = election_agree(
            mission, cast["gcc"], member=pair["amina"], agreement=f"  {self.AGREED} "
        )
        assert election.mode == Election.Mode.AGREED
        assert (election.round, election.winner, election.closed_by) == (
            1,
            user(pair, "amina"),
            cast["gcc"],
        )
        assert election.closed_at is not None and election.agreement == self.AGREED
        assert "agreed openly by the team (2 members)" in election.outcome
        assert not election.ballots.exists() and not election.candidates.exists()
        assert fresh(user(pair, "amina")).has_perm("missions.lead_mission", mission)
        assert leader_elected(mission)
        overview = election_overview(mission)
        assert (overview["agreed"], overview["winner"]) == (True, user(pair, "amina"))
        with pytest.raises(ValidationError, match="agreed its leader already: Amina"):
            election_agree(mission, cast["gcc"], member=pair["ben"], agreement="Again.")

    def test_the_team_and_the_gcc_are_told(
        self, mission, pair, cast, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            election_agree(mission, cast["gcc"], member=pair["amina"], agreement=self.AGREED)
        assert {m.to[0] for m in mailoutbox} == {n.participant.email for n in pair.values()} | {
            cast["gcc"].email
        }
        assert "agreed openly" in mailoutbox[0].body

    def test_it_needs_a_note_and_a_member_of_the_team(self, mission, pair, cast):
        outsider = make_member(make_mission("PAK", title="Other"), "zoe")
        for member, agreement, field in [
            (pair["amina"], "  ", "agreement"),
            (pair["amina"], "x" * 2001, "agreement"),
            (outsider, self.AGREED, "member"),
            (999999, self.AGREED, "member"),
        ]:
            with pytest.raises(ValidationError) as error:
                election_agree(mission, cast["gcc"], member=member, agreement=agreement)
            assert field in error.value.message_dict
        assert not Election.objects.filter(mission=mission).exists()

    def test_only_the_gcc_records_it(self, mission, pair, cast):
        for who in (cast["hcss"], user(pair, "amina")):
            with pytest.raises(PermissionDenied):
                election_agree(mission, who, member=pair["amina"], agreement=self.AGREED)
        assert not Election.objects.exists()

    def test_a_team_of_three_elects_by_secret_ballot(self, mission, team, cast):
        with pytest.raises(ValidationError, match="elects its leader by secret ballot"):
            election_agree(mission, cast["gcc"], member=team["amina"], agreement=self.AGREED)

    def test_through_the_pages_it_shows_as_agreed_openly(self, client, mission, pair, cast):
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertNotContains(page, "Open the election")
        assertContains(page, "Record the leader the team agreed openly")
        response = client.post(url("election_agree", mission), {"member": pair["amina"].pk})
        assertContains(response, "Say how and when the team agreed", status_code=400)
        response = client.post(
            url("election_agree", mission),
            {"member": pair["amina"].pk, "agreement": self.AGREED},
            follow=True,
        )
        assertContains(response, "agreed openly by the team")
        for viewer in (user(pair, "ben"), cast["rc_hc_pakistan"]):
            client.force_login(viewer)
            page = client.get(url("election", mission))
            assertContains(page, "Agreed openly")
            assertContains(page, self.AGREED)
            assertNotContains(page, "Who has voted")
            assertContains(client.get(url("planning", mission)), "agreed openly")

    def test_a_round_the_team_can_no_longer_count_is_set_aside_unread(self, client, mission, cast):
        members = [make_member(mission, name) for name in ("amina", "ben", "carla")]
        opened = election_open(mission, cast["gcc"])
        amina = election_stand(mission, members[0].participant)
        election_vote(mission, members[1].participant, amina.pk)
        withdraw(members[2], cast["gcc"])
        team_confirm(mission, cast["gcc"])
        with pytest.raises(ValidationError, match="counted only with at least 3 ballots"):
            election_close(mission, cast["gcc"])
        agreed = election_agree(mission, cast["gcc"], member=members[1], agreement="Ben leads.")
        opened.refresh_from_db()
        assert opened.closed_at is not None and opened.winner is None
        assert opened.outcome.startswith("Set aside without a count")
        assert counts(opened) == {"amina": 0}  # discarded unread
        assert (agreed.round, agreed.winner) == (2, members[1].participant)
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertContains(page, "Set aside without a count")
        assertNotContains(page, "Votes in round 1")


# The overview ------------------------------------------------------------------------------------


class TestOverview:
    def test_before_opening(self, mission, team):
        assert election_overview(mission) == {
            "state": "not_opened",
            "round": None,
            "candidates": 0,
            "voted": 0,
            "eligible": 0,
            "winner": None,
            "leader_left": False,
            "outcome": "",
            "agreed": False,
            "closes_at": None,
        }

    def test_open_then_closed(self, mission, team, opened, cast):
        candidates = stand(mission, team, "amina", "ben")
        vote(mission, team, "carla", candidates["amina"])
        overview = election_overview(mission)
        assert (overview["state"], overview["round"], overview["winner"]) == ("open", 1, None)
        assert (overview["candidates"], overview["voted"], overview["eligible"]) == (2, 1, 4)
        assert overview["closes_at"] == opened.closes_at
        for voter in ("amina", "ben", "dev"):
            vote(mission, team, voter, candidates["amina"])
        election_close(mission, cast["gcc"])
        overview = election_overview(mission)
        assert (overview["state"], overview["winner"]) == ("closed", user(team, "amina"))
        assert overview["outcome"] == "Amina elected with 4 of 4 votes."
        assert (overview["agreed"], overview["closes_at"]) == (False, None)

    @pytest.mark.parametrize("size", [3, 30])
    def test_runs_one_query_whatever_the_team_size(self, cast, size):
        mission = confirmed(make_mission("PAK", status="in_planning"))
        members = [make_member(mission, f"m{i}") for i in range(size)]
        election_open(mission, cast["gcc"])
        for member in members:
            election_stand(mission, member.participant)
        with CaptureQueriesContext(connection) as queries:
            overview = election_overview(mission)
        assert len(queries) == 1
        assert (overview["candidates"], overview["eligible"]) == (size, size)


# The page ----------------------------------------------------------------------------------------


class TestPage:
    def test_anyone_who_sees_the_mission_sees_the_election(self, client, mission, team, cast):
        for who in ("gcc", "hcss", "rc_hc_pakistan", "hct_pakistan", "focal_health"):
            client.force_login(cast[who])
            response = client.get(url("election", mission))
            assert response.status_code == 200
            assertContains(response, "Not opened")

    @pytest.mark.parametrize("who", ["rc_hc_nepal", "hct_nepal", "outsider", "cci_gender"])
    def test_out_of_scope_users_get_404_on_every_url(self, client, mission, team, cast, who):
        amina = stand_after_open(mission, team, cast)
        client.force_login(cast[who])
        assert client.get(url("election", mission)).status_code == 404
        for name in ACTIONS:
            response = client.post(url(name, mission), {"candidate": amina.pk, "statement": "x"})
            assert response.status_code == 404, name
        election = Election.objects.get()
        assert election.is_open and cast_ballots(election) == 0
        assert election.candidates.count() == 1

    @pytest.mark.parametrize("who", ["hcss", "rc_hc_pakistan", "focal_health", "gcc"])
    def test_those_who_see_the_mission_but_are_not_on_the_team_may_not_stand_or_vote(
        self, client, mission, team, cast, who
    ):
        amina = stand_after_open(mission, team, cast)
        client.force_login(cast[who])
        refused = escape("Only the members of the mission's team stand and vote.")
        for name in ("election_stand", "election_vote", "election_withdraw"):
            response = client.post(url(name, mission), {"candidate": amina.pk})
            assertContains(response, refused, status_code=403, msg_prefix=name)
        assert cast_ballots(Election.objects.get()) == 0

    def test_members_may_not_open_close_or_move_the_deadline(self, client, mission, team, cast):
        amina = stand_after_open(mission, team, cast)
        everyone_votes_for(mission, team, amina)
        client.force_login(user(team, "amina"))
        for name in ("election_open", "election_close", "election_extend", "election_agree"):
            data = {"closes_at": in_days(20).strftime("%Y-%m-%dT%H:%M"), "confirm": "on"}
            response = client.post(url(name, mission), data)
            assertContains(
                response,
                "Only the GCC opens and closes the election.",
                status_code=403,
                msg_prefix=name,
            )
        assert Election.objects.get().is_open

    def test_actions_answer_only_to_post(self, client, mission, team, cast):
        client.force_login(cast["gcc"])
        for name in ACTIONS:
            assert client.get(url(name, mission)).status_code == 405

    def test_the_whole_election_through_the_pages(self, client, mission, team, cast):
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertContains(page, "Open the election")
        assertContains(page, "Voting closes")
        deadline = in_days(10).replace(second=0, microsecond=0)
        response = client.post(
            url("election_open", mission),
            {"closes_at": timezone.localtime(deadline).strftime("%Y-%m-%dT%H:%M")},
            follow=True,
        )
        assertContains(response, "The election is open until")
        assert Election.objects.get().closes_at == deadline

        client.force_login(user(team, "amina"))
        page = client.get(url("election", mission))
        assertContains(page, "Stand as candidate")
        assertContains(page, "Nobody stands yet")
        response = client.post(
            url("election_stand", mission), {"statement": "I led two missions."}, follow=True
        )
        assertContains(response, "You stand as a candidate.")
        assertContains(response, "I led two missions.")
        assertContains(response, "P-5 or equivalent")
        assertContains(response, "12 years")
        assertContains(response, "English, French")
        assertContains(response, "Health")

        client.force_login(user(team, "ben"))
        page = client.get(url("election", mission))
        assertContains(page, "Cast my vote")
        assertContains(page, "secret")
        assertContains(page, "final")
        candidate = Candidate.objects.get()
        response = client.post(
            url("election_vote", mission), {"candidate": candidate.pk}, follow=True
        )
        assertContains(response, "Your vote is cast.")
        assertContains(response, "You have voted.")
        assertNotContains(response, "Cast my vote")
        # Standing after the first vote: the form is gone and the page says why.
        assertNotContains(response, 'action="' + url("election_stand", mission))
        assertContains(response, "unfair to the members who have already voted")
        response = client.post(
            url("election_vote", mission), {"candidate": candidate.pk}, follow=True
        )
        assertContains(response, "You have already voted.")
        assert Candidate.objects.get().votes == 1

        # One ballot: the GCC cannot count it (the tally would say how Ben voted).
        client.force_login(cast["gcc"])
        page = client.get(url("election", mission))
        assertNotContains(page, "Close the round and count the votes")
        assertContains(page, "Only 1 ballot is cast.")
        response = client.post(url("election_close", mission), follow=True)
        assertContains(response, "Only 1 ballot is cast.")
        assert Election.objects.get().is_open

        for voter in ("amina", "carla"):
            vote(mission, team, voter, candidate)
        # Three of four have voted, the deadline is days away: the round stays open.
        response = client.post(url("election_close", mission), follow=True)
        assertContains(response, "1 of 4 members have not voted yet")
        assert Election.objects.get().is_open
        vote(mission, team, "dev", candidate)

        # Everyone has voted before the deadline: closing early asks first.
        page = client.get(url("election", mission))
        assertContains(page, "Closing now ends the round early.")
        response = client.post(url("election_close", mission))
        assertContains(response, "Tick the box to close the round early.", status_code=400)
        assert Election.objects.get().is_open
        response = client.post(url("election_close", mission), {"confirm": "on"}, follow=True)
        assertContains(response, "Amina elected with 4 of 4 votes.")
        assertContains(response, "Result")
        assert fresh(user(team, "amina")).has_perm("missions.lead_mission", mission)

        late = make_member(mission, "late")
        client.force_login(late.participant)
        response = client.post(
            url("election_vote", mission), {"candidate": candidate.pk}, follow=True
        )
        assertContains(response, "The election is closed.")
        assertContains(response, "Votes in round 1: 4 cast.")

    def test_a_vote_without_a_choice_is_asked_again_and_casts_nothing(
        self, client, mission, team, cast
    ):
        stand_after_open(mission, team, cast)
        client.force_login(user(team, "ben"))
        response = client.post(url("election_vote", mission), {})
        assert response.status_code == 400
        assertContains(response, "Choose a candidate.", status_code=400)
        response = client.post(url("election_vote", mission), {"candidate": "999999"})
        assertContains(response, "Choose a candidate.", status_code=400)
        assert cast_ballots(Election.objects.get()) == 0

    def test_opening_refused_says_why_on_the_page(self, client, cast):
        mission = make_mission("PAK", status="in_planning")
        make_member(mission, "amina")
        client.force_login(cast["gcc"])
        assertContains(client.get(url("election", mission)), "Confirm the team first")
        response = client.post(url("election_open", mission), follow=True)
        assertContains(response, "Confirm the team first")
        assert not Election.objects.exists()

    def test_earlier_rounds_are_listed_with_their_tally_and_outcome(
        self, client, mission, team, cast, settings
    ):
        settings.ICSM_ELECTION_TIE_RULE = "run_off"
        election_open(mission, cast["gcc"])
        candidates = stand(mission, team, "amina", "ben")
        vote(mission, team, "carla", candidates["amina"])
        vote(mission, team, "dev", candidates["ben"])
        vote(mission, team, "amina", candidates["amina"])
        vote(mission, team, "ben", candidates["ben"])
        election_close(mission, cast["gcc"])
        client.force_login(cast["hcss"])
        response = client.get(url("election", mission))
        assertContains(response, "Earlier rounds")
        assertContains(response, "Round 1")
        assertContains(response, "a run-off between them opens as round 2")
        assertContains(response, "Votes in round 1: 4 cast.")
        assertNotContains(response, "Votes in round 2")

    def test_the_page_runs_the_same_number_of_queries_whatever_the_team_size(
        self, client, cast, settings
    ):
        settings.ICSM_ELECTION_TIE_RULE = "run_off"

        def page_queries(size: int) -> int:
            mission = confirmed(make_mission("PAK", status="in_planning", title=f"{size}"))
            members = [make_member(mission, f"s{size}m{i}", cluster="wash") for i in range(size)]
            election_open(mission, cast["gcc"])
            for member in members:
                election_stand(mission, member.participant, "Statement.")
            candidates = list(Candidate.objects.filter(election__mission=mission).order_by("pk"))
            # A tie between the first three: round 1 closes into a run-off, round 2 is open.
            for member, candidate in zip(members[:3], candidates, strict=False):
                election_vote(mission, member.participant, candidate.pk)
            deadline_passed(Election.objects.get(mission=mission))
            election_close(mission, cast["gcc"])
            run_off = Election.objects.get(mission=mission, round=2)
            election_vote(mission, members[0].participant, run_off.candidates.first().pk)
            client.force_login(members[1].participant)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url("election", mission))
            assert response.status_code == 200
            assert len(response.context["voters"]) == size
            assert len(response.context["earlier"][0].candidates) == size
            return len(queries)

        assert page_queries(3) == page_queries(30)


def stand_after_open(mission, team, cast) -> Candidate:
    election_open(mission, cast["gcc"])
    return stand(mission, team, "amina")["amina"]


# Secrecy -----------------------------------------------------------------------------------------


def test_no_row_links_a_voter_to_a_candidate():
    """By design: a ballot knows its round and its member, a candidate its round, member
    and count; nothing else refers to either."""

    def relations(model):
        return {
            field.name: field.related_model
            for field in model._meta.get_fields()
            if field.is_relation and field.concrete
        }

    assert relations(Ballot) == {"election": Election, "member": Nomination}
    assert relations(Candidate) == {"election": Election, "member": Nomination}
    for model in (Ballot, Candidate):
        assert not [f for f in model._meta.get_fields() if f.auto_created and f.is_relation]
    assert {f.name for f in Ballot._meta.concrete_fields} == {"id", "election", "member", "cast_at"}


def test_a_vote_updates_every_candidate_of_the_round_in_one_statement(mission, team, opened):
    candidates = stand(mission, team, "amina", "ben", "carla")
    with CaptureQueriesContext(connection) as queries:
        vote(mission, team, "dev", candidates["ben"])
    updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "missions_candidate"')
    ]
    assert len(updates) == 1, updates
    # The rows it touches are chosen by their round alone, never by the candidate voted for.
    where = updates[0].split(" WHERE ", 1)[1]
    assert '"missions_candidate"."id"' not in where, updates[0]
    assert counts(opened) == {"amina": 0, "ben": 1, "carla": 0}


def test_a_round_closed_with_fewer_than_three_ballots_shows_no_count(client, mission, team, cast):
    """Rounds closed before the three-ballot rule keep their count to themselves."""
    election = Election.objects.create(
        mission=mission,
        tie_rule="seniority",
        closed_at=timezone.now(),
        winner=user(team, "amina"),
        outcome="Amina elected with 1 of 1 votes.",
    )
    Candidate.objects.create(election=election, member=team["amina"], votes=1)
    Ballot.objects.create(election=election, member=team["ben"], cast_at=timezone.now())
    client.force_login(cast["hcss"])
    page = client.get(url("election", mission))
    assertNotContains(page, "Votes in round")
    assertNotContains(page, "1 of 1 votes")
    assertContains(page, "Amina elected (the count is not shown: too few ballots).")
    assert all(row.votes is None for row in page.context["current"].candidates)


def _normalise(html: str) -> str:
    """What may differ between two renderings of the same facts: tokens, ids, times."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    html = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", html)
    return re.sub(r"\d+", "<n>", html)


# Two ways the same four members give Amina 3 votes and Ben 1, in the same order: Amina and
# Ben swap their choices. Nothing anyone can see may tell the two apart.
SCENARIOS = [
    [("amina", "amina"), ("ben", "ben"), ("carla", "amina"), ("dev", "amina")],
    [("amina", "ben"), ("ben", "amina"), ("carla", "amina"), ("dev", "amina")],
]


def test_no_page_and_no_admin_page_tells_who_voted_for_whom(client, mission, team, cast):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    viewers = {name: nomination.participant for name, nomination in team.items()}
    viewers.update(gcc=cast["gcc"], hcss=cast["hcss"], superuser=superuser)
    election = election_open(mission, cast["gcc"])
    candidates = stand(mission, team, "amina", "ben")
    admin_pages = [
        reverse("admin:missions_ballot_changelist"),
        reverse("admin:missions_election_change", args=[election.pk]),
    ]
    # Candidates are shown inside their round; should they get a list of their own, it is
    # checked too.
    with contextlib.suppress(NoReverseMatch):
        admin_pages.append(reverse("admin:missions_candidate_changelist"))

    def look() -> dict[str, str]:
        seen = {}
        for name, viewer in viewers.items():
            client.force_login(viewer)
            response = client.get(url("election", mission))
            assert response.status_code == 200
            seen[name] = _normalise(response.content.decode())
        client.force_login(superuser)
        for path in admin_pages:
            response = client.get(path)
            assert response.status_code == 200, path
            seen[path] = _normalise(response.content.decode())
        return seen

    renderings = []
    for scenario in SCENARIOS:
        with transaction.atomic():
            for voter, choice in scenario:
                vote(mission, team, voter, candidates[choice])
            while_open = look()
            assert "Amina for Pakistan floods" in while_open[admin_pages[0]]
            assert while_open["gcc"].count('<td data-label="Voted">Voted</td>') == 4
            for name, html in while_open.items():
                # No count while the round is open, for anyone.
                assert "Votes in round" not in html, name
                assert "<n> votes" not in html.lower(), name
            client.force_login(cast["hcss"])
            response = client.get(url("election", mission))
            assert all(row.votes is None for row in response.context["current"].candidates)
            election_close(mission, cast["gcc"])
            after_close = look()
            assert "Votes in round <n>: <n> cast." in after_close["hcss"]
            renderings.append((while_open, after_close))
            transaction.set_rollback(True)

    assert renderings[0] == renderings[1]
    assert Candidate.objects.get(pk=candidates["amina"].pk).votes == 0  # rolled back


# Races (PostgreSQL: real threads with their own connections) -------------------------------------


def _race(*calls) -> list:
    """Run each call in its own thread, released together; return each result or error."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except BaseException as error:  # reported by the test
            results[index] = ("error", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


RACES = 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_votes_of_the_same_member_count_once(on_postgres, cast):
    for attempt in range(RACES):
        mission = confirmed(make_mission("PAK", status="in_planning", title=f"Race {attempt}"))
        amina = make_member(mission, f"amina{attempt}")
        ben = make_member(mission, f"ben{attempt}")
        make_member(mission, f"carla{attempt}")
        election = election_open(mission, cast["gcc"])
        first = election_stand(mission, amina.participant)
        second = election_stand(mission, ben.participant)
        voter = get_user_model().objects.get(pk=ben.participant_id)
        results = _race(
            partial(election_vote, mission.pk, voter, first.pk),
            partial(election_vote, mission.pk, voter, second.pk),
        )
        won = [r for r in results if r[0] == "ok"]
        lost = [r for r in results if r[0] == "error"]
        assert len(won) == 1, results
        assert isinstance(lost[0][1], ValidationError), results
        assert lost[0][1].messages == ["You have already voted."]
        assert sum(counts(election).values()) == 1
        assert cast_ballots(election) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_last_vote_racing_the_close_is_counted_in_the_tally_or_the_close_waits(
    on_postgres, cast
):
    for attempt in range(RACES):
        mission = confirmed(make_mission("PAK", status="in_planning", title=f"Close {attempt}"))
        amina = make_member(mission, f"amina{attempt}")
        ben = make_member(mission, f"ben{attempt}")
        others = [make_member(mission, f"{name}{attempt}") for name in ("carla", "dev")]
        election = election_open(mission, cast["gcc"])
        candidate = election_stand(mission, amina.participant)
        for member in (amina, *others):
            election_vote(mission, member.participant, candidate.pk)
        # Ben's is the last vote: the round may close once it is in, not before.
        results = _race(
            partial(election_vote, mission.pk, ben.participant, candidate.pk),
            partial(election_close, mission.pk, cast["gcc"]),
        )
        assert results[0][0] == "ok", results
        election.refresh_from_db()
        assert counts(election)[amina.participant.username] == 4
        assert cast_ballots(election) == 4
        if results[1][0] == "ok":
            assert election.outcome.endswith("with 4 of 4 votes."), election.outcome
        else:
            assert "1 of 4 members have not voted yet" in results[1][1].messages[0], results
            assert election.is_open


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_vote_every_candidate_row_of_the_round_has_the_same_row_version(on_postgres, cast):
    """PostgreSQL stamps each row version with the transaction that wrote it (xmin). A vote
    that updated the chosen candidate's row alone would give it, and it alone, the ballot's
    transaction id: the database would link the ballot to the candidate."""
    mission = confirmed(make_mission("PAK", status="in_planning", title="Row versions"))
    members = [make_member(mission, name) for name in ("amina", "ben", "carla", "dev")]
    election = election_open(mission, cast["gcc"])
    # Each stands in a transaction of their own: their rows start with different versions.
    candidates = [election_stand(mission, m.participant) for m in members[:3]]

    def versions() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, xmin::text FROM missions_candidate WHERE election_id = %s",
                [election.pk],
            )
            return dict(cursor.fetchall())

    assert len(set(versions().values())) == 3
    election_vote(mission, members[3].participant, candidates[1].pk)
    after = versions()
    assert set(after) == {c.pk for c in candidates}
    assert len(set(after.values())) == 1, after
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM missions_ballot WHERE election_id = %s AND cast_at IS NOT NULL",
            [election.pk],
        )
        (ballot_version,) = cursor.fetchone()
    # The ballot's transaction touched every candidate alike: it singles out none.
    assert set(after.values()) == {ballot_version}
    election_vote(mission, members[0].participant, candidates[2].pk)
    assert len(set(versions().values())) == 1
    assert counts(election) == {"amina": 0, "ben": 1, "carla": 1}
