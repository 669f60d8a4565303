"""The team elects its leader.

The GCC opens a round once the team is confirmed; team members stand as candidates, showing
their experience and seniority; every member casts one vote; the GCC closes the round. A tie
goes to the more senior candidate or to a run-off between the tied ones
(`settings.ICSM_ELECTION_TIE_RULE`, kept on each round). The winner gets the mission leader's
permissions on that mission.

Secrecy by design: a Ballot records only that a member voted; the vote adds one to a
Candidate's count in the same transaction. No row links a voter to a candidate, and counts are
shown only once a round is closed (while it is open they would tell the last voters how the
others voted, and the GCC how each new voter chose).

Integrity in the database, not only in the forms: one Ballot per member and round (a unique
constraint), created for every member when the round opens (for one who joins later, when
they first vote); casting claims it with one conditional update, so an outsider has nothing
to claim and a second vote or a vote after closing claims nothing.

The confirmed team elects its leader: when the team changes while a round is open (a member
joins or leaves, which clears the confirmation), the round waits until the GCC confirms the
team again. Every write locks the round's row first, so that closing sees every
vote counted and no vote is counted after it. A closed round is never changed again.

Services write (`election_open`, `election_stand`, `election_withdraw_candidacy`,
`election_vote`, `election_close`); selectors read (`election_overview`, `election_rounds`,
`election_voters`, `election_options`). The mission a selector receives has already been
scoped by the caller (`get_mission_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from formats.people import person
from missions.models import Ballot, Candidate, Election, Grade, Mission, Nomination
from missions.selectors.missions import mission_for_update
from missions.services.notices import notify, recipients, site_url
from missions.services.permissions import mission_leader_appoint
from missions.workflow import PLANNING_STATES, Status, holds

STATEMENT_MAX_LENGTH = 2000
ACCEPTED = Nomination.Status.ACCEPTED


# Reads ------------------------------------------------------------------------------------------


def election_overview(mission: Mission) -> dict:
    """What the planning overview shows of the election, in one query.

    Keys: state ("not_opened", "open" or "closed"), round (the latest round's number or None),
    candidates, voted and eligible (counts of the latest round: candidates standing, members
    who have voted, members who may vote), winner (a user or None), leader_left (the winner has
    since left the team), outcome (text).
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
    }


@dataclass(frozen=True)
class CandidateRow:
    """A candidate as the page shows them. `votes` is None while the round is open: the
    count is secret until it closes, so the templates never receive it."""

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
    votes_cast: int | None  # None while open

    @property
    def is_open(self) -> bool:
        return self.election.is_open


def _candidate_row(candidate: Candidate, election: Election, total: int) -> CandidateRow:
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
        votes=candidate.votes if closed else None,
        percent=round(100 * candidate.votes / total) if closed and total else 0,
        elected=closed and election.winner_id == member.participant_id,
    )


def election_rounds(mission: Mission) -> list[Round]:
    """Every round, first to last, with its candidates; counts only for closed rounds.

    Four queries whatever the number of rounds and candidates.
    """
    elections = list(
        Election.objects.filter(mission=mission)
        .select_related("winner", "opened_by", "closed_by")
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
        rows = [_candidate_row(candidate, election, total) for candidate in standing]
        if not election.is_open:
            # The tally reads best from the most votes down; who stood first breaks even.
            rows.sort(key=lambda row: -(row.votes or 0))
        rounds.append(Round(election, rows, None if election.is_open else total))
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


def _state_problem(mission: Mission) -> str:
    if mission.status not in PLANNING_STATES:
        return (
            "The leader is elected while the mission is being planned (approved or in "
            f"planning); it is now {Status(mission.status).label.lower()}."
        )
    return ""


TEAM_CHANGED = (
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


def _open_problem(mission: Mission) -> str:
    """Why a round cannot be opened now, in plain words ("" when it can)."""
    problem = _state_problem(mission)
    if problem:
        return problem
    if mission.team_confirmed_at is None:
        return "Confirm the team first: its members elect the leader once the team is confirmed."
    elected = Election.objects.filter(mission=mission).leader_on_team().first()
    if elected is not None:
        return f"The team has elected its leader already: {person(elected.winner)}."
    if Election.objects.filter(mission=mission, closed_at__isnull=True).exists():
        return "The election is open already."
    if not Nomination.objects.filter(mission=mission, status=ACCEPTED).exists():
        return "The team has no members yet."
    return ""


VOTING_BEGAN = (
    "Voting has begun: nobody can stand or withdraw any more, as that would be unfair to the "
    "members who have already voted."
)


def election_options(mission: Mission, user, current: Election | None) -> dict:
    """What `user` may do on the election page now, and why not when it helps to say.

    `current` is the latest round (or None). Keys: is_gcc, may_open, open_problem, may_close,
    close_problem, leader_left (its winner has since left the team), member (their nomination
    or None), candidacy (their Candidate in the open round or None), may_stand, may_withdraw,
    stand_problem, may_vote, has_voted, vote_problem.
    """
    is_gcc = holds(user, "plan_mission", mission)
    member = team_member(mission, user)
    is_open = current is not None and current.is_open
    options = {
        "is_gcc": is_gcc,
        "may_open": False,
        "open_problem": "",
        "may_close": False,
        "close_problem": "",
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
        if not is_open:
            options["open_problem"] = _open_problem(mission)
            options["may_open"] = not options["open_problem"]
        elif state_problem:
            options["close_problem"] = state_problem
        elif not voting_began:
            options["close_problem"] = "Nobody has voted yet: the round can close after a vote."
        else:
            options["may_close"] = True
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
        if state_problem:
            options["vote_problem"] = state_problem
        elif not has_candidates:
            options["vote_problem"] = "Nobody stands yet: you can vote once someone stands."
        else:
            options["may_vote"] = True
    return options


# Writes -----------------------------------------------------------------------------------------


def _gcc_mission(mission: Mission | int, user) -> Mission:
    current = mission_for_update(user, mission)
    if not holds(user, "plan_mission", current):
        raise PermissionDenied("Only the GCC opens and closes the election.")
    return current


def _member_of(mission: Mission, user) -> Nomination:
    member = team_member(mission, user)
    if member is None:
        raise PermissionDenied("Only the members of the mission's team stand and vote.")
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
            raise ValidationError("The election is closed.")
        raise ValidationError("The election has not opened yet.")
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
    mission: Mission, user, number: int, tie_rule: str, candidates: list[Candidate] = ()
) -> Election:
    """Create round `number` with a ballot for every member of the team (and, for a run-off,
    the tied candidates, in the order they first stood)."""
    election = Election.objects.create(
        mission=mission, round=number, tie_rule=tie_rule, opened_by=user
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


def election_open(mission: Mission | int, user) -> Election:
    """The GCC opens the election (round 1) once the team is confirmed.

    Each member of the team gets a ballot; the tie rule is the one set now
    (`ICSM_ELECTION_TIE_RULE`), kept on the round. The team is told.
    """
    with transaction.atomic():
        # Locked: two GCC members opening at once, the second waits, then finds it open.
        current = _gcc_mission(mission, user)
        problem = _open_problem(current)
        if problem:
            raise ValidationError(problem)
        last = Election.objects.filter(mission=current).order_by("-round").first()
        try:
            with transaction.atomic():
                election = _new_round(
                    current,
                    user,
                    last.round + 1 if last else 1,
                    settings.ICSM_ELECTION_TIE_RULE,
                )
        except IntegrityError:
            raise ValidationError("The election is open already.") from None
        _notify(election, _team_users(current), "opened", "election_opened")
    return election


def _clean_statement(value) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > STATEMENT_MAX_LENGTH:
        raise ValidationError(
            {"statement": f"Keep the statement under {STATEMENT_MAX_LENGTH} characters."}
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
            raise ValidationError("You stand already.")
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
        deleted, _ = election.candidates.filter(member=member).delete()
        if not deleted:
            raise ValidationError("You do not stand in this election.")


def election_vote(mission: Mission | int, user, candidate_pk) -> None:
    """A member casts their one secret vote for a candidate of the open round.

    The ballot is claimed and the candidate's count raised in one transaction; nothing
    records for whom the member voted. Refused: outsiders (PermissionDenied), a second vote,
    a vote after closing, a candidate not of this round (ValidationError; nothing changes).
    """
    with transaction.atomic():
        current = mission_for_update(user, mission)
        member = _member_of(current, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        if not election.candidates.exists():
            raise ValidationError("Nobody stands yet: you can vote once someone stands.")
        try:
            candidate_pk = int(candidate_pk)
        except (TypeError, ValueError):
            raise ValidationError({"candidate": "Choose one of the candidates."}) from None
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
            raise ValidationError("You have already voted.")
        counted = Candidate.objects.filter(
            pk=candidate_pk,
            election=election,
            member__in=Nomination.objects.filter(mission=current, status=ACCEPTED),
        ).update(votes=F("votes") + 1)
        if counted != 1:
            # Leaving the block by this error undoes the claim: the member can vote again.
            raise ValidationError({"candidate": "Choose one of this round's candidates."})


@dataclass(frozen=True)
class Decision:
    """How a round ends: a winner with the outcome text, or a further round between
    `next_candidates`."""

    winner: Candidate | None
    outcome: str
    next_candidates: list[Candidate]


def _names(candidates: list[Candidate]) -> str:
    names = [person(candidate.member.participant) for candidate in candidates]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _seniority_text(member: Nomination) -> str:
    years = member.years_in_field
    missions = member.previous_missions
    return (
        f"{Grade(member.grade).label}, {years} year{'s' if years != 1 else ''} in the field, "
        f"{missions} previous mission{'s' if missions != 1 else ''}"
    )


def _by_seniority(tied: list[Candidate], top: int, total: int, again: bool) -> Decision:
    # Most senior first; at equal seniority, who stood first (the lower pk).
    ranked = sorted(tied, key=lambda c: (tuple(-x for x in c.member.seniority), c.pk))
    winner, runner_up = ranked[0], ranked[1]
    name = person(winner.member.participant)
    others = _names(ranked[1:])
    tie = (
        f"tie again after a run-off at {top} of {total} votes"
        if again
        else f"tie at {top} of {total} votes"
    )
    if winner.member.seniority == runner_up.member.seniority:
        return Decision(
            winner,
            f"{name} elected: {tie} with {others}, at equal seniority "
            f"({_seniority_text(winner.member)}); {name} stood first.",
            [],
        )
    return Decision(
        winner,
        f"{name} elected: {tie} with {others}, broken by seniority "
        f"({_seniority_text(winner.member)}).",
        [],
    )


def _decide(election: Election, candidates: list[Candidate]) -> Decision:
    """The rule of the procedure: the most votes wins; a tie goes by the round's tie rule.

    Candidates who left the team meanwhile cannot win. A run-off that ties again between all
    its candidates is decided by seniority, or run-offs could go on for ever.
    """
    total = sum(candidate.votes for candidate in candidates)
    contenders = [c for c in candidates if c.member.status == ACCEPTED]
    top = max((c.votes for c in contenders), default=0)
    if top == 0:
        return Decision(
            None,
            f"No candidate still on the team received a vote ({total} cast): a new round "
            f"opens{' between ' + _names(contenders) if contenders else ''}.",
            contenders,
        )
    tied = [c for c in contenders if c.votes == top]
    if len(tied) == 1:
        winner = tied[0]
        return Decision(
            winner,
            f"{person(winner.member.participant)} elected with {top} of {total} votes.",
            [],
        )
    again = election.round > 1 and len(tied) == len(contenders)
    if election.tie_rule == Election.TieRule.RUN_OFF and not again:
        return Decision(
            None,
            f"Tie at {top} of {total} votes between {_names(tied)}: a run-off between them "
            f"opens as round {election.round + 1}.",
            tied,
        )
    return _by_seniority(tied, top, total, again)


def election_close(mission: Mission | int, user) -> Election:
    """The GCC closes the open round and the tally decides (see `_decide`).

    A winner gets the mission leader's permissions on this mission, and the team and the GCC
    are told. A tie under the run-off rule closes this round without a winner and opens the
    next, between the tied candidates, with a fresh ballot for every member. Returns the
    closed round. Refused while nobody has voted.
    """
    with transaction.atomic():
        current = _gcc_mission(mission, user)
        _require_round_may_go_on(current)
        election = _open_round_locked(current)
        if not election.ballots.filter(cast_at__isnull=False).exists():
            raise ValidationError("Nobody has voted yet: the round stays open.")
        _ballots_for_newcomers(election)
        candidates = list(election.candidates.select_related("member__participant").order_by("pk"))
        decision = _decide(election, candidates)
        election.closed_at = timezone.now()
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
            next_round = _new_round(
                current, user, election.round + 1, election.tie_rule, decision.next_candidates
            )
            _notify(
                next_round,
                _team_users(current),
                "opened",
                "election_opened",
                previous=election,
            )
    return election
