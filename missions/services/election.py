"""The team elects its leader.

The GCC opens a round once the team is confirmed, with a deadline; team members stand as
candidates, showing their experience and seniority; every member casts one vote; the GCC
closes the round once every member has voted or the deadline has passed. A tie goes to the
more senior candidate or to a run-off between the tied ones (`settings.ICSM_ELECTION_TIE_RULE`,
kept on each round). The winner gets the mission leader's permissions on that mission.

Secrecy by design: a Ballot records only that a member voted. The vote adds to the count of
every Candidate of the round in one statement (one to the chosen, nothing to the others), so
the database keeps no link between a ballot and a candidate: no shared row, no row version or
transaction id that singles out the chosen candidate. Counts are shown only once a round is
closed (while it is open they would tell the last voters how the others voted, and the GCC
how each new voter chose), and a round is counted only with at least `MIN_BALLOTS` ballots:
with one or two, the tally beside "who has voted" would say who voted for whom. A team of
fewer than three members therefore agrees its leader openly, and the GCC records it
(`election_agree`, `Election.Mode.AGREED`).

Integrity in the database, not only in the forms: one Ballot per member and round (a unique
constraint), created for every member when the round opens (for one who joins later, when
they first vote); casting claims it with one conditional update, so an outsider has nothing
to claim and a second vote or a vote after closing claims nothing.

The confirmed team elects its leader: when the team changes while a round is open (a member
joins or leaves, which clears the confirmation), the round waits until the GCC confirms the
team again. Every write locks the round's row first, so that closing sees every
vote counted and no vote is counted after it. A closed round is never changed again.

The leader is the winner of the mission's latest round while they are on the team
(`ElectionQuerySet.leader_on_team`): withdrawn, the post falls vacant; accepted onto the team
again before any further round opened, they lead again (`election_leader_rejoins`).

Services write (`election_open`, `election_extend`, `election_agree`, `election_stand`,
`election_withdraw_candidacy`, `election_vote`, `election_close`, `election_leader_rejoins`);
selectors read (`election_overview`, `election_rounds`, `election_voters`, `election_options`,
`mission_leader`, `withdrawal_undoes`). The mission a selector receives has already been
scoped by the caller (`get_mission_for`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clusters.models import Role
from formats.people import person
from missions.models import Ballot, Candidate, Election, Grade, Mission, Nomination
from missions.selectors.missions import mission_for_update
from missions.services.notices import notify, recipients, site_url
from missions.services.permissions import mission_leader_appoint
from missions.workflow import PLANNING_STATES, holds

STATEMENT_MAX_LENGTH = 2000
AGREEMENT_MAX_LENGTH = 2000
ACCEPTED = Nomination.Status.ACCEPTED
# A round is counted only with this many ballots or more: with fewer, the tally beside the
# list of who has voted tells who voted for whom.
MIN_BALLOTS = 3
# How long voting stays open: the GCC sets the deadline when it opens a round.
VOTING_DEFAULT = datetime.timedelta(days=7)
VOTING_MIN = datetime.timedelta(days=1)
VOTING_MAX = datetime.timedelta(days=30)


def when(moment: datetime.datetime) -> str:
    """A deadline as the pages and messages say it, in the site's time zone."""
    local = timezone.localtime(moment)
    return _("%(moment)s (%(zone)s)") % {
        "moment": date_format(local, "j F Y, H:i"),
        "zone": local.tzname(),
    }


# Reads ------------------------------------------------------------------------------------------


def election_overview(mission: Mission) -> dict:
    """What the planning overview shows of the election, in one query.

    Keys: state ("not_opened", "open" or "closed"), round (the latest round's number or None),
    candidates, voted and eligible (counts of the latest round: candidates standing, members
    who have voted, members who may vote), winner (a user or None), leader_left (the winner has
    since left the team), outcome (text), agreed (the team agreed its leader openly),
    closes_at (the open round's deadline, or None).
    """
    latest = (
        Election.objects.filter(mission=mission)
        .select_related("winner")
        .annotate(
            candidate_count=Count("candidates", distinct=True),
            eligible_count=Count(
                "ballots",
                filter=Q(ballots__member__status=ACCEPTED) | Q(ballots__cast_at__isnull=False),
                distinct=True,
            ),
            team_size=Subquery(
                Nomination.objects.filter(mission=OuterRef("mission"), status=ACCEPTED)
                .values("mission")
                .annotate(size=Count("pk"))
                .values("size")
            ),
            voted_count=Count("ballots", filter=Q(ballots__cast_at__isnull=False), distinct=True),
            winner_on_team=Exists(
                Nomination.objects.filter(
                    mission=OuterRef("mission"), participant=OuterRef("winner"), status=ACCEPTED
                )
            ),
        )
        .order_by("-round")
        .first()
    )
    if latest is None:
        return {
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
    return {
        "state": "open" if latest.is_open else "closed",
        "round": latest.round,
        "candidates": latest.candidate_count,
        "voted": latest.voted_count,
        # While open, the team as it is now (a newcomer's ballot is made when they vote).
        "eligible": (latest.team_size or 0) if latest.is_open else latest.eligible_count,
        "winner": latest.winner,
        # The elected leader has since left the team: the post is vacant until a new round.
        "leader_left": latest.winner_id is not None and not latest.winner_on_team,
        "outcome": latest.outcome,
        "agreed": latest.is_agreed,
        "closes_at": latest.closes_at if latest.is_open else None,
    }


@dataclass(frozen=True)
class CandidateRow:
    """A candidate as the page shows them. `votes` is None while the round is open, and for
    a round not counted (fewer than MIN_BALLOTS ballots): the templates never receive it."""

    pk: int
    name: str
    agency: str
    grade: str
    years_in_field: int
    previous_missions: int
    languages: str
    clusters: list[str]
    issues: list[str]
    experience: str
    statement: str
    on_team: bool
    votes: int | None
    percent: int
    elected: bool

    @property
    def represents(self) -> str:
        """The clusters and cross-cutting issues the candidate represents on the team."""
        return ", ".join([*self.clusters, *self.issues])


@dataclass(frozen=True)
class Round:
    election: Election
    candidates: list[CandidateRow]
    votes_cast: int | None  # None while open, for an open agreement and a round not counted

    @property
    def is_open(self) -> bool:
        return self.election.is_open

    @property
    def agreed(self) -> bool:
        return self.election.is_agreed

    @property
    def counted(self) -> bool:
        return self.votes_cast is not None

    @property
    def summary(self) -> str:
        """The round's outcome as the page says it. A round closed with a winner but fewer
        than MIN_BALLOTS ballots (before that rule) keeps its numbers to itself."""
        election = self.election
        if self.counted or election.is_agreed or election.winner_id is None:
            return election.outcome
        return _("%(name)s elected (the count is not shown: too few ballots).") % {
            "name": person(election.winner)
        }


def _candidate_row(
    candidate: Candidate, election: Election, total: int, counted: bool
) -> CandidateRow:
    member = candidate.member
    closed = not election.is_open
    return CandidateRow(
        pk=candidate.pk,
        name=person(member.participant),
        agency=member.agency.acronym or member.agency.name,
        grade=member.get_grade_display(),
        years_in_field=member.years_in_field,
        previous_missions=member.previous_missions,
        languages=member.languages,
        clusters=[cluster.name for cluster in member.clusters.all()],
        issues=[issue.name for issue in member.cross_cutting_issues.all()],
        experience=member.experience,
        statement=candidate.statement,
        on_team=member.status == ACCEPTED,
        votes=candidate.votes if counted else None,
        percent=round(100 * candidate.votes / total) if counted and total else 0,
        elected=closed and election.winner_id == member.participant_id,
    )


def election_rounds(mission: Mission) -> list[Round]:
    """Every round, first to last, with its candidates; counts only for closed rounds with
    at least MIN_BALLOTS ballots (a round set aside, or closed with fewer before that rule,
    keeps its count to itself).

    Four queries whatever the number of rounds and candidates.
    """
    elections = list(
        Election.objects.filter(mission=mission)
        .select_related("winner", "opened_by", "closed_by")
        .annotate(cast=Count("ballots", filter=Q(ballots__cast_at__isnull=False)))
        .order_by("round")
    )
    candidates = (
        Candidate.objects.filter(election__mission=mission)
        .select_related("member__participant", "member__agency")
        .prefetch_related("member__clusters", "member__cross_cutting_issues")
        .order_by("pk")
    )
    by_round: dict[int, list[Candidate]] = {election.pk: [] for election in elections}
    for candidate in candidates:
        by_round.setdefault(candidate.election_id, []).append(candidate)
    rounds = []
    for election in elections:
        standing = by_round[election.pk]
        total = sum(candidate.votes for candidate in standing)
        counted = not election.is_open and not election.is_agreed and election.cast >= MIN_BALLOTS
        rows = [_candidate_row(candidate, election, total, counted) for candidate in standing]
        if counted:
            # The tally reads best from the most votes down; who stood first breaks even.
            rows.sort(key=lambda row: -(row.votes or 0))
        rounds.append(Round(election, rows, total if counted else None))
    return rounds


@dataclass(frozen=True)
class VoterRow:
    """A member of the team and whether they have voted in a round (public: never for whom)."""

    name: str
    voted: bool


def election_voters(election: Election) -> list[VoterRow]:
    """Who may vote in `election`, by name, each with whether they have voted.

    While the round is open: the team as it is now. Once closed: the members it had then
    (those still on the team, and any who voted before leaving). One query.
    """
    if election.is_open:
        cast = Ballot.objects.filter(
            election=election, member=OuterRef("pk"), cast_at__isnull=False
        )
        members = (
            Nomination.objects.filter(mission=election.mission_id, status=ACCEPTED)
            .select_related("participant")
            .annotate(voted=Exists(cast))
        )
        rows = [VoterRow(person(m.participant), m.voted) for m in members]
    else:
        ballots = Ballot.objects.filter(
            Q(member__status=ACCEPTED) | Q(cast_at__isnull=False), election=election
        ).select_related("member__participant")
        rows = [VoterRow(person(b.member.participant), b.cast_at is not None) for b in ballots]
    return sorted(rows, key=lambda row: row.name.casefold())


def team_member(mission: Mission, user) -> Nomination | None:
    """The user's accepted nomination on this mission: they are on its team."""
    if not user.is_authenticated:
        return None
    return Nomination.objects.filter(mission=mission, participant=user, status=ACCEPTED).first()


def team_size(mission: Mission) -> int:
    return Nomination.objects.filter(mission=mission, status=ACCEPTED).count()


def mission_leader(mission: Mission):
    """The mission's leader now (a user), or None: the winner of its latest round, while on
    the team."""
    elected = (
        Election.objects.filter(mission=mission).leader_on_team().select_related("winner").first()
    )
    return elected.winner if elected else None


def withdrawal_undoes(mission: Mission, nomination: Nomination) -> list[str]:
    """What withdrawing `nomination` would undo in the election, in plain sentences (for the
    page that asks first)."""
    if nomination.status != ACCEPTED:
        return []
    undoes = []
    name = person(nomination.participant)
    if mission_leader(mission) == nomination.participant:
        undoes.append(
            _(
                "%(name)s is the mission's leader, chosen by the team: they lose the leader's "
                "rights and the post falls vacant. The election's record stays as it is. If "
                "they are accepted onto the team again before a new round opens, they lead "
                "again; otherwise the team elects a new leader in a further round."
            )
            % {"name": name}
        )
    open_round = Election.objects.filter(mission=mission, closed_at__isnull=True).first()
    if open_round is not None:
        if open_round.candidates.filter(member=nomination).exists():
            undoes.append(
                _("%(name)s stands in the open round: they can no longer be elected.")
                % {"name": name}
            )
        undoes.append(_("The open round waits until the GCC confirms the team again."))
        if open_round.ballots.filter(member=nomination, cast_at__isnull=False).exists():
            undoes.append(
                _(
                    "The vote %(name)s has cast stays counted: it is secret, so nobody can "
                    "take it out."
                )
                % {"name": name}
            )
    return undoes


def _state_problem(mission: Mission) -> str:
    if mission.status not in PLANNING_STATES:
        return _(
            "The leader is elected while the mission is being planned (approved or in "
            "planning); it is now %(status)s."
        ) % {"status": mission.status_in_sentence}
    return ""


TEAM_CHANGED = gettext_lazy(
    "The team has changed since it was confirmed: the election goes on once the GCC confirms "
    "the team again."
)


def _round_problem(mission: Mission) -> str:
    """Why an open round cannot go on now ("" when it can): the mission left planning, or
    the team changed and is not confirmed again (the confirmed team elects its leader)."""
    problem = _state_problem(mission)
    if problem:
        return problem
    if mission.team_confirmed_at is None:
        return TEAM_CHANGED
    return ""


def _open_problem(mission: Mission, *, while_open: bool = False) -> str:
    """Why the team cannot choose its leader now, in plain words ("" when it can). With
    `while_open`, an open round is no obstacle (an open agreement sets it aside)."""
    problem = _state_problem(mission)
    if problem:
        return problem
    if mission.team_confirmed_at is None:
        return _("Confirm the team first: its members elect the leader once the team is confirmed.")
    elected = Election.objects.filter(mission=mission).leader_on_team().first()
    if elected is not None:
        if elected.is_agreed:
            return _("The team has agreed its leader already: %(name)s.") % {
                "name": person(elected.winner)
            }
        return _("The team has elected its leader already: %(name)s.") % {
            "name": person(elected.winner)
        }
    if not while_open and Election.objects.filter(mission=mission, closed_at__isnull=True).exists():
        return _("The election is open already.")
    if not Nomination.objects.filter(mission=mission, status=ACCEPTED).exists():
        return _("The team has no members yet.")
    return ""


def _too_small(size: int) -> str:
    return ngettext(
        "The team has %(size)d member: a secret ballot needs at least %(min)d, so that the "
        "count cannot show how anyone voted. Record the leader the team agreed openly instead.",
        "The team has %(size)d members: a secret ballot needs at least %(min)d, so that the "
        "count cannot show how anyone voted. Record the leader the team agreed openly instead.",
        size,
    ) % {"size": size, "min": MIN_BALLOTS}


def _cast(election: Election) -> int:
    return election.ballots.filter(cast_at__isnull=False).count()


def _agree_problem(mission: Mission) -> str:
    """Why the GCC cannot record an open agreement now ("" when it can): only a team too
    small for a secret ballot agrees openly; an open round it can no longer count is set
    aside by the agreement."""
    problem = _open_problem(mission, while_open=True)
    if problem:
        return problem
    if team_size(mission) >= MIN_BALLOTS:
        return _(
            "A team of %(min)d members or more elects its leader by secret ballot: open the "
            "election."
        ) % {"min": MIN_BALLOTS}
    open_round = Election.objects.filter(mission=mission, closed_at__isnull=True).first()
    if open_round is not None and _cast(open_round) >= MIN_BALLOTS:
        return _("The open round has enough ballots to be counted: close it.")
    return ""


def _close_problem(election: Election, now: datetime.datetime | None = None) -> str:
    """Why the open round cannot be counted now ("" when it can): it closes once every
    member of the team has voted or its deadline has passed, and never with fewer than
    MIN_BALLOTS ballots."""
    now = now or timezone.now()
    cast = _cast(election)
    members = Nomination.objects.filter(mission=election.mission_id, status=ACCEPTED)
    size = members.count()
    waiting = members.exclude(
        Exists(
            Ballot.objects.filter(election=election, member=OuterRef("pk"), cast_at__isnull=False)
        )
    ).count()
    passed = election.closes_at is not None and now >= election.closes_at
    deadline = when(election.closes_at) if election.closes_at else ""
    if cast < MIN_BALLOTS:
        if cast == 0:
            text = _("Nobody has voted yet: the round stays open.")
        else:
            text = ngettext(
                "Only %(cast)d ballot is cast.", "Only %(cast)d ballots are cast.", cast
            ) % {"cast": cast}
        text += " " + _(
            "A round is counted only with at least %(min)d ballots, so that the count cannot "
            "show how anyone voted."
        ) % {"min": MIN_BALLOTS}
        if size < MIN_BALLOTS:
            text += " " + _too_small(size)
        elif passed:
            text += " " + _(
                "Voting closed on %(deadline)s: move the deadline to give the team more time."
            ) % {"deadline": deadline}
        return text
    if waiting and not passed:
        text = _(
            "%(waiting)d of %(size)d members have not voted yet: the round closes once every "
            "member has voted"
        ) % {"waiting": waiting, "size": size}
        if election.closes_at:
            return text + _(", or once voting closes on %(deadline)s.") % {"deadline": deadline}
        return text + _(". Set a deadline to close it without them.")
    return ""


def _voting_closed(election: Election, now: datetime.datetime | None = None) -> str:
    """Why no vote is taken any more in the open round ("" while voting is open): its
    deadline has passed, and the GCC counts the votes or moves the deadline."""
    now = now or timezone.now()
    if election.closes_at is None or now < election.closes_at:
        return ""
    return _(
        "Voting closed on %(deadline)s. The GCC counts the votes, or moves the deadline to give "
        "the team more time."
    ) % {"deadline": when(election.closes_at)}


def election_closes_early(election: Election | None) -> bool:
    """Whether closing `election` now would end it before its deadline: it could be counted
    (every member has voted) while voting is still open. Closing early asks first."""
    return bool(
        election is not None
        and election.is_open
        and election.closes_at
        and timezone.now() < election.closes_at
        and not _close_problem(election)
    )


VOTING_BEGAN = gettext_lazy(
    "Voting has begun: nobody can stand or withdraw any more, as that would be unfair to the "
    "members who have already voted."
)


def election_options(mission: Mission, user, current: Election | None) -> dict:
    """What `user` may do on the election page now, and why not when it helps to say.

    `current` is the latest round (or None). Keys: is_gcc, team_size, may_open, open_problem,
    may_agree (record the leader a small team agreed openly), may_close, close_problem,
    close_early (closing now comes before the deadline: ask first), may_extend (move the
    deadline), leader_left (its winner has since left the team), member (their nomination or
    None), candidacy (their Candidate in the open round or None), may_stand, may_withdraw,
    stand_problem, may_vote, has_voted, vote_problem.
    """
    is_gcc = holds(user, "plan_mission", mission)
    member = team_member(mission, user)
    is_open = current is not None and current.is_open
    options = {
        "is_gcc": is_gcc,
        "team_size": 0,
        "may_open": False,
        "open_problem": "",
        "may_agree": False,
        "may_close": False,
        "close_problem": "",
        "close_early": False,
        "may_extend": False,
        "member": member,
        "candidacy": None,
        "may_stand": False,
        "may_withdraw": False,
        "stand_problem": "",
        "may_vote": False,
        "has_voted": False,
        "vote_problem": "",
        "leader_left": bool(
            current is not None
            and current.winner_id
            and not Election.objects.filter(pk=current.pk).leader_on_team().exists()
        ),
    }
    state_problem = _round_problem(mission)
    voting_began = is_open and current.ballots.filter(cast_at__isnull=False).exists()
    if is_gcc:
        size = options["team_size"] = team_size(mission)
        if not is_open:
            problem = _open_problem(mission)
            if problem:
                options["open_problem"] = problem
            elif size < MIN_BALLOTS:
                options["open_problem"] = _too_small(size)
                options["may_agree"] = True
            else:
                options["may_open"] = True
        else:
            options["may_extend"] = not _state_problem(mission)
            options["close_problem"] = state_problem or _close_problem(current)
            options["may_close"] = not options["close_problem"]
            options["close_early"] = options["may_close"] and election_closes_early(current)
            if size < MIN_BALLOTS and not options["may_close"]:
                options["may_agree"] = not _agree_problem(mission)
    if member is None or not is_open:
        return options
    candidacy = current.candidates.filter(member=member).first()
    ballot = current.ballots.filter(member=member).first()
    has_candidates = candidacy is not None or current.candidates.exists()
    options["candidacy"] = candidacy
    options["has_voted"] = ballot is not None and ballot.cast_at is not None
    options["stand_problem"] = state_problem or (VOTING_BEGAN if voting_began else "")
    options["may_stand"] = candidacy is None and not options["stand_problem"]
    options["may_withdraw"] = candidacy is not None and not options["stand_problem"]
    if not options["has_voted"]:
        closed = _voting_closed(current)
        if state_problem or closed:
            options["vote_problem"] = state_problem or closed
        elif not has_candidates:
            options["vote_problem"] = _("Nobody stands yet: you can vote once someone stands.")
        else:
            options["may_vote"] = True
    return options


# Writes -----------------------------------------------------------------------------------------


def _gcc_mission(mission: Mission | int, user) -> Mission:
    current = mission_for_update(user, mission)
    if not holds(user, "plan_mission", current):
        raise PermissionDenied(_("Only the GCC opens and closes the election."))
    return current


def _member_of(mission: Mission, user) -> Nomination:
    member = team_member(mission, user)
    if member is None:
        raise PermissionDenied(_("Only the members of the mission's team stand and vote."))
    return member


def _require_round_may_go_on(mission: Mission) -> None:
    problem = _round_problem(mission)
    if problem:
        raise ValidationError(problem)


def _open_round_locked(mission: Mission) -> Election:
    """The open round, its row locked until the end of the transaction.

    Every write takes this lock first: a vote and the closing of its round never interleave.
    """
    election = (
        Election.objects.select_for_update().filter(mission=mission, closed_at__isnull=True).first()
    )
    if election is None:
        if Election.objects.filter(mission=mission).exists():
            raise ValidationError(_("The election is closed."))
        raise ValidationError(_("The election has not opened yet."))
    return election


def _team_users(mission: Mission) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(nominations__mission=mission, nominations__status=ACCEPTED, is_active=True)
        .distinct()
        .order_by("pk")
    )


def _notify(election: Election, users, what: str, template: str, **context) -> None:
    """In-app notices now (in the transaction), their e-mails once it commits."""
    url = reverse("missions:election", args=[election.mission_id])
    notify(
        users,
        election.mission,
        f"election:{election.pk}:{what}",
        f"missions/email/{template}",
        {
            "election": election,
            "election_url": site_url(url),
            **context,
        },
    )


def _ballots_for_newcomers(election: Election) -> None:
    """A ballot for each member who joined the team after the round opened, so that the
    closed round records them as members who did not vote."""
    Ballot.objects.bulk_create(
        [
            Ballot(election=election, member_id=pk)
            for pk in Nomination.objects.filter(mission=election.mission_id, status=ACCEPTED)
            .exclude(ballots__election=election)
            .values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )


def _new_round(
    mission: Mission,
    user,
    number: int,
    tie_rule: str,
    closes_at: datetime.datetime,
    candidates: list[Candidate] = (),
) -> Election:
    """Create round `number` with a ballot for every member of the team (and, for a run-off,
    the tied candidates, in the order they first stood)."""
    election = Election.objects.create(
        mission=mission, round=number, tie_rule=tie_rule, opened_by=user, closes_at=closes_at
    )
    members = Nomination.objects.filter(mission=mission, status=ACCEPTED).values_list(
        "pk", flat=True
    )
    Ballot.objects.bulk_create(Ballot(election=election, member_id=pk) for pk in members)
    Candidate.objects.bulk_create(
        Candidate(election=election, member_id=candidate.member_id, statement=candidate.statement)
        for candidate in candidates
    )
    return election


def default_deadline(now: datetime.datetime | None = None) -> datetime.datetime:
    """When voting closes unless the GCC says otherwise: a week on, on the hour."""
    moment = (now or timezone.now()) + VOTING_DEFAULT
    return moment.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)


def _clean_deadline(value, now: datetime.datetime) -> datetime.datetime:
    """The deadline the GCC gave, within bounds: at least VOTING_MIN away (the team needs time
    to read the candidates and vote), at most VOTING_MAX (a mission is being planned)."""
    if not isinstance(value, datetime.datetime):
        raise ValidationError({"closes_at": _("Give the date and time voting closes.")})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value < now + VOTING_MIN:
        raise ValidationError(
            {
                "closes_at": _(
                    "Give the team at least a day to vote: voting can close on %(earliest)s "
                    "at the earliest."
                )
                % {"earliest": when(now + VOTING_MIN)}
            }
        )
    if value > now + VOTING_MAX:
        raise ValidationError(
            {
                "closes_at": _(
                    "Voting stays open for at most %(days)d days: until %(latest)s at the latest."
                )
                % {"days": VOTING_MAX.days, "latest": when(now + VOTING_MAX)}
            }
        )
    return value


def _run_off_deadline(previous: Election, now: datetime.datetime) -> datetime.datetime:
    """A run-off gets as long as the round before it had (within the bounds)."""
    if previous.closes_at and previous.opened_at:
        length = previous.closes_at - previous.opened_at
    else:
        length = VOTING_DEFAULT
    return now + min(max(length, VOTING_MIN), VOTING_MAX)


def election_open(
    mission: Mission | int, user, *, closes_at: datetime.datetime | None = None
) -> Election:
    """The GCC opens the election (round 1) once the team is confirmed, with the deadline by
    which members vote (`closes_at`; a week by default).

    A team of fewer than MIN_BALLOTS members cannot open a secret ballot: it agrees its
    leader openly (`election_agree`). Each member of the team gets a ballot; the tie rule is
    the one set now (`ICSM_ELECTION_TIE_RULE`), kept on the round. The team is told.
    """
    with transaction.atomic():
        # Locked: two GCC members opening at once, the second waits, then finds it open.
        current = _gcc_mission(mission, user)
        problem = _open_problem(current)
        if problem:
            raise ValidationError(problem)
        size = team_size(current)
        if size < MIN_BALLOTS:
            raise ValidationError(_too_small(size))
        now = timezone.now()
        deadline = _clean_deadline(closes_at or default_deadline(now), now)
        last = Election.objects.filter(mission=current).order_by("-round").first()
        try:
            with transaction.atomic():
                election = _new_round(
                    current,
                    user,
                    last.round + 1 if last else 1,
                    settings.ICSM_ELECTION_TIE_RULE,
                    deadline,
                )
        except IntegrityError:
            raise ValidationError(_("The election is open already.")) from None
        _notify(election, _team_users(current), "opened", "election_opened", closes=when(deadline))
    return election


def election_extend(mission: Mission | int, user, closes_at: datetime.datetime) -> Election:
    """The GCC moves the open round's deadline later (within the bounds from now): the team
    needs more time, or too few have voted for the round to be counted."""
    with transaction.atomic():
        current = _gcc_mission(mission, user)
        problem = _state_problem(current)
        if problem:
            raise ValidationError(problem)
        election = _open_round_locked(current)
        deadline = _clean_deadline(closes_at, timezone.now())
        if election.closes_at and deadline <= election.closes_at:
            raise ValidationError(
                {
                    "closes_at": _("Give a later time than the current deadline, %(deadline)s.")
                    % {"deadline": when(election.closes_at)}
                }
            )
        election.closes_at = deadline
        election.save(update_fields=["closes_at"])
    return election


def _clean_agreement(value) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError(
            {"agreement": _("Say how and when the team agreed: the team and the GCC read it.")}
        )
    if len(text) > AGREEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "agreement": _("Keep the note to at most %(max)d characters (it has %(n)d).")
                % {"max": AGREEMENT_MAX_LENGTH, "n": len(text)}
            }
        )
    return text


def election_agree(
    mission: Mission | int, user, *, member: Nomination | int, agreement: str
) -> Election:
    """The GCC records the leader a team of fewer than MIN_BALLOTS members agreed openly:
    `member` (an accepted nomination) and a note of how and when (`agreement`).

    It is a closed round of its own (`Mode.AGREED`), and appoints the leader as an election
    does; the team and the GCC are told. An open round that can no longer be counted (the
    team fell below MIN_BALLOTS members) is set aside first: closed without a winner, its
    votes discarded unread.
    """
    agreement = _clean_agreement(agreement)
    member_pk = getattr(member, "pk", member)
    with transaction.atomic():
        current = _gcc_mission(mission, user)
        problem = _agree_problem(current)
        if problem:
            raise ValidationError(problem)
        try:
            leader = (
                Nomination.objects.select_related("participant")
                .filter(pk=int(member_pk), mission=current, status=ACCEPTED)
                .first()
            )
        except (TypeError, ValueError):
            leader = None
        if leader is None:
            raise ValidationError({"member": _("Choose the member the team agreed on.")})
        size = team_size(current)
        now = timezone.now()
        last = Election.objects.filter(mission=current).order_by("-round").first()
        number = last.round + 1 if last else 1
        open_round = (
            Election.objects.select_for_update().filter(mission=current, closed_at__isnull=True)
        ).first()
        if open_round is not None:
            # Never counted, never to be: its few votes would tell who voted for whom.
            Candidate.objects.filter(election=open_round).update(votes=0)
            open_round.closed_at = now
            open_round.closed_by = user
            open_round.outcome = _(
                "Set aside without a count: the team has fewer than %(min)d members, too few "
                "for a secret ballot, and agreed its leader openly in round %(next)d."
            ) % {"min": MIN_BALLOTS, "next": number}
            open_round.save(update_fields=["closed_at", "closed_by", "outcome"])
        name = person(leader.participant)
        election = Election.objects.create(
            mission=current,
            round=number,
            tie_rule=last.tie_rule if last else settings.ICSM_ELECTION_TIE_RULE,
            mode=Election.Mode.AGREED,
            opened_by=user,
            closed_by=user,
            closed_at=now,
            winner=leader.participant,
            agreement=agreement,
            outcome=ngettext(
                "%(name)s leads the mission: agreed openly by the team (%(size)d member), "
                "as recorded by the GCC.",
                "%(name)s leads the mission: agreed openly by the team (%(size)d members), "
                "as recorded by the GCC.",
                size,
            )
            % {"name": name, "size": size},
        )
        mission_leader_appoint(current, leader.participant)
        told = {u.pk: u for u in _team_users(current)}
        told.update({u.pk: u for u in recipients(current, (Role.GCC,))})
        _notify(
            election,
            list(told.values()),
            "elected",
            "election_elected",
            leader=leader.participant,
            leader_name=name,
        )
    return election


def election_leader_rejoins(mission: Mission, nomination: Nomination) -> bool:
    """A participant just accepted onto the team (again) who won the mission's latest round
    leads again, as the team chose them: their nomination was withdrawn, and no round has
    opened since. Returns True when the leadership is given back.

    Called inside the acceptance's transaction, the mission locked.
    """
    if nomination.status != ACCEPTED:
        return False
    if not (
        Election.objects.filter(mission=mission, winner=nomination.participant_id)
        .leader_on_team()
        .exists()
    ):
        return False
    mission_leader_appoint(mission, nomination.participant)
    return True


def _clean_statement(value) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "statement": _("Keep the statement under %(limit)d characters.")
                % {"limit": STATEMENT_MAX_LENGTH}
            }
        )
    return text


def election_stand(mission: Mission | int, user, statement: str = "") -> Candidate:
    """A member of the team stands as a candidate in the open round, with a statement.

    Only until the first vote is cast: standing after voting began would be unfair to those
    who already voted.
    """
    statement = _clean_statement(statement)
    with transaction.atomic():
        current = mission_for_update(user, mission)
        member = _member_of(current, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        if election.ballots.filter(cast_at__isnull=False).exists():
            raise ValidationError(VOTING_BEGAN)
        if election.candidates.filter(member=member).exists():
            raise ValidationError(_("You stand already."))
        return Candidate.objects.create(election=election, member=member, statement=statement)


def election_withdraw_candidacy(mission: Mission | int, user) -> None:
    """A candidate stands down, while no vote has been cast."""
    with transaction.atomic():
        current = mission_for_update(user, mission)
        member = _member_of(current, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        if election.ballots.filter(cast_at__isnull=False).exists():
            raise ValidationError(VOTING_BEGAN)
        deleted, _kinds = election.candidates.filter(member=member).delete()
        if not deleted:
            raise ValidationError(_("You do not stand in this election."))


def election_vote(mission: Mission | int, user, candidate_pk) -> None:
    """A member casts their one secret vote for a candidate of the open round.

    The ballot is claimed, then one statement updates every candidate row of the round,
    adding one to the chosen and nothing to the others: nothing records for whom the member
    voted, and in the database every candidate's row carries the same new version and
    transaction id, so none singles out the chosen. Refused: outsiders (PermissionDenied), a
    second vote, a vote after the deadline or after closing, a candidate not of this round
    (ValidationError; nothing changes).
    """
    with transaction.atomic():
        current = mission_for_update(user, mission)
        member = _member_of(current, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        problem = _voting_closed(election)
        if problem:
            raise ValidationError(problem)
        if not election.candidates.exists():
            raise ValidationError(_("Nobody stands yet: you can vote once someone stands."))
        try:
            candidate_pk = int(candidate_pk)
        except (TypeError, ValueError):
            raise ValidationError({"candidate": _("Choose one of the candidates.")}) from None
        standing = Candidate.objects.filter(
            pk=candidate_pk,
            election=election,
            member__in=Nomination.objects.filter(mission=current, status=ACCEPTED),
        )
        if not standing.exists():
            raise ValidationError({"candidate": _("Choose one of this round's candidates.")})
        # A member who joined after the round opened (the team then confirmed again) gets
        # their ballot now; the unique constraint keeps it one.
        Ballot.objects.get_or_create(election=election, member=member)
        # The claim. Its conditions are on the ballot's own row or in subqueries, never in a
        # join: PostgreSQL re-checks a row's own conditions when a concurrent vote of the same
        # member updated it first, and then finds it cast and claims nothing.
        claimed = Ballot.objects.filter(
            election__in=Election.objects.filter(pk=election.pk, closed_at__isnull=True),
            member__in=Nomination.objects.filter(
                mission=current, participant=user, status=ACCEPTED
            ),
            cast_at__isnull=True,
        ).update(cast_at=timezone.now())
        if claimed != 1:
            raise ValidationError(_("You have already voted."))
        # The count: every candidate row of the round in one statement. Updating the chosen
        # row alone would give it, and it alone, the ballot's transaction id (PostgreSQL's
        # xmin) and a new row version, which links the ballot to the candidate.
        Candidate.objects.filter(election=election).update(
            votes=F("votes")
            + Case(
                When(pk=candidate_pk, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )


@dataclass(frozen=True)
class Decision:
    """How a round ends: a winner with the outcome text, or a further round between
    `next_candidates`."""

    winner: Candidate | None
    outcome: str
    next_candidates: list[Candidate]


def _names(candidates: list[Candidate]) -> str:
    names = [person(candidate.member.participant) for candidate in candidates]
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _seniority_text(member: Nomination) -> str:
    years = member.years_in_field
    missions = member.previous_missions
    return _("%(grade)s, %(years)s, %(missions)s") % {
        "grade": Grade(member.grade).label,
        "years": ngettext("%(count)d year in the field", "%(count)d years in the field", years)
        % {"count": years},
        "missions": ngettext("%(count)d previous mission", "%(count)d previous missions", missions)
        % {"count": missions},
    }


def _by_seniority(tied: list[Candidate], top: int, total: int, again: bool) -> Decision:
    # Most senior first; at equal seniority, who stood first (the lower pk).
    ranked = sorted(tied, key=lambda c: (tuple(-x for x in c.member.seniority), c.pk))
    winner, runner_up = ranked[0], ranked[1]
    name = person(winner.member.participant)
    others = _names(ranked[1:])
    values = {
        "name": name,
        "top": top,
        "total": total,
        "others": others,
        "seniority": _seniority_text(winner.member),
    }
    if winner.member.seniority == runner_up.member.seniority:
        if again:
            outcome = ngettext(
                "%(name)s elected: tie again after a run-off at %(top)d of %(total)d vote with "
                "%(others)s, at equal seniority (%(seniority)s); %(name)s stood first.",
                "%(name)s elected: tie again after a run-off at %(top)d of %(total)d votes with "
                "%(others)s, at equal seniority (%(seniority)s); %(name)s stood first.",
                total,
            )
        else:
            outcome = ngettext(
                "%(name)s elected: tie at %(top)d of %(total)d vote with %(others)s, at equal "
                "seniority (%(seniority)s); %(name)s stood first.",
                "%(name)s elected: tie at %(top)d of %(total)d votes with %(others)s, at equal "
                "seniority (%(seniority)s); %(name)s stood first.",
                total,
            )
    elif again:
        outcome = ngettext(
            "%(name)s elected: tie again after a run-off at %(top)d of %(total)d vote with "
            "%(others)s, broken by seniority (%(seniority)s).",
            "%(name)s elected: tie again after a run-off at %(top)d of %(total)d votes with "
            "%(others)s, broken by seniority (%(seniority)s).",
            total,
        )
    else:
        outcome = ngettext(
            "%(name)s elected: tie at %(top)d of %(total)d vote with %(others)s, broken by "
            "seniority (%(seniority)s).",
            "%(name)s elected: tie at %(top)d of %(total)d votes with %(others)s, broken by "
            "seniority (%(seniority)s).",
            total,
        )
    return Decision(winner, outcome % values, [])


def _decide(election: Election, candidates: list[Candidate]) -> Decision:
    """The rule of the procedure: the most votes wins; a tie goes by the round's tie rule.

    Candidates who left the team meanwhile cannot win. A run-off that ties again between all
    its candidates is decided by seniority, or run-offs could go on for ever.
    """
    total = sum(candidate.votes for candidate in candidates)
    contenders = [c for c in candidates if c.member.status == ACCEPTED]
    top = max((c.votes for c in contenders), default=0)
    if top == 0:
        if contenders:
            outcome = _(
                "No candidate still on the team received a vote (%(total)d cast): a new round "
                "opens between %(names)s."
            ) % {"total": total, "names": _names(contenders)}
        else:
            outcome = _(
                "No candidate still on the team received a vote (%(total)d cast): a new round "
                "opens."
            ) % {"total": total}
        return Decision(None, outcome, contenders)
    tied = [c for c in contenders if c.votes == top]
    if len(tied) == 1:
        winner = tied[0]
        return Decision(
            winner,
            ngettext(
                "%(name)s elected with %(top)d of %(total)d vote.",
                "%(name)s elected with %(top)d of %(total)d votes.",
                total,
            )
            % {"name": person(winner.member.participant), "top": top, "total": total},
            [],
        )
    again = election.round > 1 and len(tied) == len(contenders)
    if election.tie_rule == Election.TieRule.RUN_OFF and not again:
        return Decision(
            None,
            ngettext(
                "Tie at %(top)d of %(total)d vote between %(names)s: a run-off between them "
                "opens as round %(round)d.",
                "Tie at %(top)d of %(total)d votes between %(names)s: a run-off between them "
                "opens as round %(round)d.",
                total,
            )
            % {"top": top, "total": total, "names": _names(tied), "round": election.round + 1},
            tied,
        )
    return _by_seniority(tied, top, total, again)


def election_close(mission: Mission | int, user) -> Election:
    """The GCC closes the open round and the tally decides (see `_decide`).

    Only once every member of the team has voted or the round's deadline has passed, and
    never with fewer than MIN_BALLOTS ballots (see `_close_problem`). A winner gets the
    mission leader's permissions on this mission, and the team and the GCC are told. A tie
    under the run-off rule closes this round without a winner and opens the next, between the
    tied candidates, with a fresh ballot for every member and as long to vote as this round
    had. Returns the closed round.
    """
    with transaction.atomic():
        current = _gcc_mission(mission, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        now = timezone.now()
        problem = _close_problem(election, now)
        if problem:
            raise ValidationError(problem)
        _ballots_for_newcomers(election)
        candidates = list(election.candidates.select_related("member__participant").order_by("pk"))
        decision = _decide(election, candidates)
        election.closed_at = now
        election.closed_by = user
        election.winner = decision.winner.member.participant if decision.winner else None
        election.outcome = decision.outcome
        election.save(update_fields=["closed_at", "closed_by", "winner", "outcome"])
        if election.winner is not None:
            mission_leader_appoint(current, election.winner)
            told = {u.pk: u for u in _team_users(current)}
            told.update({u.pk: u for u in recipients(current, (Role.GCC,))})
            _notify(
                election,
                list(told.values()),
                "elected",
                "election_elected",
                leader=election.winner,
                leader_name=person(election.winner),
            )
        else:
            deadline = _run_off_deadline(election, now)
            next_round = _new_round(
                current,
                user,
                election.round + 1,
                election.tie_rule,
                deadline,
                decision.next_candidates,
            )
            _notify(
                next_round,
                _team_users(current),
                "opened",
                "election_opened",
                previous=election,
                closes=when(deadline),
            )
    return election
