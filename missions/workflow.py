"""The mission's states and how any state machine of this app moves.

The bottom layer of `missions`: it knows no model of its own. Here are the mission's states
and their named groups (each rule that asks "is the mission in one of these states?" asks one
of them), the guards' vocabulary (`Guard`, `Missing`), the transition permission (`may`),
the one runner every transition of every FSM model goes through (`Machine.run`), and the
registry of side effects run after commit (`after_transition`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django_fsm import ConcurrentTransition

from clusters.models import ChoiceLabels


# The mission's states. Their labels are the names users read (badges, lists, "it is now
# approved"); the "mission state" context lets a language agree them with "mission".
class Status(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("mission state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("mission state", "Submitted")
    IN_TRIAGE = "in_triage", pgettext_lazy("mission state", "In triage")
    WITH_TASK_TEAM = "with_task_team", pgettext_lazy("mission state", "With the Task Team")
    APPROVED = "approved", pgettext_lazy("mission state", "Approved")
    DECLINED = "declined", pgettext_lazy("mission state", "Declined")
    DEFERRED = "deferred", pgettext_lazy("mission state", "Deferred")
    IN_PLANNING = "in_planning", pgettext_lazy("mission state", "In planning")
    READY = "ready", pgettext_lazy("mission state", "Ready to deploy")
    IN_COUNTRY = "in_country", pgettext_lazy("mission state", "In country")
    REPORTING = "reporting", pgettext_lazy("mission state", "Reporting")
    FOLLOW_UP = "follow_up", pgettext_lazy("mission state", "Follow-up")
    CLOSED = "closed", pgettext_lazy("mission state", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("mission state", "Cancelled")


# How a state reads inside a sentence ("the mission is now %(status)s"): not the label
# lower-cased, which would read "with the task team".
IN_A_SENTENCE = {
    Status.DRAFT: pgettext_lazy("mission state in a sentence", "a draft"),
    Status.SUBMITTED: pgettext_lazy("mission state in a sentence", "submitted"),
    Status.IN_TRIAGE: pgettext_lazy("mission state in a sentence", "in triage"),
    Status.WITH_TASK_TEAM: pgettext_lazy("mission state in a sentence", "with the Task Team"),
    Status.APPROVED: pgettext_lazy("mission state in a sentence", "approved"),
    Status.DECLINED: pgettext_lazy("mission state in a sentence", "declined"),
    Status.DEFERRED: pgettext_lazy("mission state in a sentence", "deferred"),
    Status.IN_PLANNING: pgettext_lazy("mission state in a sentence", "in planning"),
    Status.READY: pgettext_lazy("mission state in a sentence", "ready to deploy"),
    Status.IN_COUNTRY: pgettext_lazy("mission state in a sentence", "in the country"),
    Status.REPORTING: pgettext_lazy("mission state in a sentence", "reporting"),
    Status.FOLLOW_UP: pgettext_lazy("mission state in a sentence", "in follow-up"),
    Status.CLOSED: pgettext_lazy("mission state in a sentence", "closed"),
    Status.CANCELLED: pgettext_lazy("mission state in a sentence", "cancelled"),
}
# A draft the HCSS sent back with questions is not a draft like any other: it reads so.
RETURNED = pgettext_lazy("mission state", "Returned for revision")
RETURNED_IN_A_SENTENCE = pgettext_lazy("mission state in a sentence", "returned for revision")


def status_in_sentence(status: str) -> str:
    return str(IN_A_SENTENCE[Status(status)])


# The named groups of states. A rule that depends on "where the mission is" uses one of these.
ENDED_STATES = (Status.DECLINED, Status.CLOSED, Status.CANCELLED)
# Everything not already ended: a mission can still be cancelled from these.
OPEN_STATES = tuple(s for s in Status if s not in ENDED_STATES)
# HCSS's triage queue.
TRIAGE_QUEUE_STATES = (Status.SUBMITTED, Status.IN_TRIAGE)
# Still a request being written or checked, not yet with the Task Team: the HCT may still
# record its agreement, and it has taught nobody anything yet (no lessons on it).
REQUEST_STATES = (Status.DRAFT, *TRIAGE_QUEUE_STATES)
# On the Task Team's board.
BOARD_STATES = (Status.WITH_TASK_TEAM, Status.DEFERRED)
# The Task Team's decisions, which OCHA communicates to the country.
DECIDED_STATES = (Status.APPROVED, Status.DECLINED, Status.DEFERRED)
# Planning: the ToR, invitations, the team, the election, issues and logistics change only here.
PLANNING_STATES = (Status.APPROVED, Status.IN_PLANNING)
# The GCC organises the mission until it deploys (briefing reminders run until then too).
ORGANISING_STATES = (*PLANNING_STATES, Status.READY)
# The team is together, from approval until it leaves the country.
TEAM_STATES = (*ORGANISING_STATES, Status.IN_COUNTRY)
# The leader leads from the country to the end of the follow-up.
LEADING_STATES = (Status.IN_COUNTRY, Status.REPORTING, Status.FOLLOW_UP)
# A mission that has taken place (or is taking place): it can be followed up, it teaches.
TOOK_PLACE_STATES = (*LEADING_STATES, Status.CLOSED)
# The team writes its report from the day it leaves the country; a correction after the
# distribution is a new version, sent to the list again once final.
REPORT_STATES = (Status.REPORTING, Status.FOLLOW_UP)

# The Task Team's decisions (transitions), which OCHA communicates to the country.
DECISION_TRANSITIONS = ("approve", "decline", "defer")

# The main road of the lifecycle, for the picture on the mission page.
LIFECYCLE = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.IN_TRIAGE,
    Status.WITH_TASK_TEAM,
    Status.APPROVED,
    Status.IN_PLANNING,
    Status.READY,
    Status.IN_COUNTRY,
    Status.REPORTING,
    Status.FOLLOW_UP,
    Status.CLOSED,
]


def lifecycle_steps(status: str) -> list[dict]:
    """The main road with each step marked done, current or to come.

    A mission off the road (declined, deferred, cancelled) shows where it left it.
    """
    off_road = {Status.DECLINED: Status.WITH_TASK_TEAM, Status.DEFERRED: Status.WITH_TASK_TEAM}
    anchor = off_road.get(status, status)
    position = LIFECYCLE.index(anchor) if anchor in LIFECYCLE else -1
    steps = []
    for index, step in enumerate(LIFECYCLE):
        if status == Status.CANCELLED:
            state = "todo"
        elif index < position or (index == position and status != anchor):
            state = "done"
        elif index == position:
            state = "current"
        else:
            state = "todo"
        steps.append({"value": step, "label": step.label, "state": state})
    return steps


# Guards and permissions -----------------------------------------------------------------------


class Missing(NamedTuple):
    """One thing a guard found missing: the form field it belongs to, and a plain sentence."""

    field: str
    message: str


class Guard:
    """A transition condition that can also say what is missing.

    `check(obj)` returns a list of Missing; django-fsm sees a callable that is true when
    nothing is missing. Adding a rule to a transition is adding one Guard to its list.
    """

    def __init__(self, check):
        self.check = check
        self.__name__ = check.__name__

    def __call__(self, obj) -> bool:
        return not self.check(obj)

    def missing(self, obj) -> list[Missing]:
        return list(self.check(obj))


# Reads shared by a page's guards and overviews ---------------------------------------------

_SHARED_READS: ContextVar[dict | None] = ContextVar("icsm_shared_reads", default=None)
T = TypeVar("T")


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, what is read through `read_once` under one key is read once: a page
    that shows a transition's guards beside overviews of the same rows (the planning page)
    reads them once. A page that only reads opens it; outside it, every read goes to the
    database, so the guards of a transition taken under its lock see the rows as they are."""
    token = _SHARED_READS.set({})
    try:
        yield
    finally:
        _SHARED_READS.reset(token)


def read_once(key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or within `shared_reads` what it returned the first time for `key`."""
    memo = _SHARED_READS.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def may(codename: str, app_label: str = "missions"):
    """A transition permission: the user holds `codename` on this very object.

    Every "may this user do X here?" of the app asks through this (or `holds`), so that an
    inactive user or a model-wide permission never widens what someone may do.
    """

    def has_permission(obj, user) -> bool:
        return holds(user, codename, obj, app_label)

    has_permission.__name__ = f"may_{codename}"
    has_permission.codename = codename
    return has_permission


def holds(user, codename: str, obj, app_label: str = "missions") -> bool:
    """Whether an active `user` holds permission `codename` on `obj`."""
    return bool(
        user.is_authenticated and user.is_active and user.has_perm(f"{app_label}.{codename}", obj)
    )


# The log ----------------------------------------------------------------------------------------


class TransitionLogBase(ChoiceLabels, models.Model):
    """What the log row of any state machine of this app records: which transition, from
    and to which state, who, when, their comment and the reason the transition asked for.
    A concrete log adds the foreign key to its machine's model (`Machine.log_fk`) and the
    choices of its states."""

    transition = models.CharField(max_length=40)
    source = models.CharField(max_length=20)
    target = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    comment = models.TextField(blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


# Errors ---------------------------------------------------------------------------------------


class TransitionError(Exception):
    """A transition (or another change) that did not happen. `message` is for the user;
    nothing was changed. `missing` lists what guards or inputs lacked, by form field."""

    def __init__(self, message: str, missing: list[Missing] | None = None):
        super().__init__(message)
        self.message = message
        self.missing = missing or []


class MissionNotFound(TransitionError, Http404):
    """The object does not exist or is outside the user's scope: a 404 wherever it is not
    caught, whether or not the object exists."""


class TransitionNotPermitted(TransitionError):
    pass


class TransitionRefused(TransitionError):
    """Not possible from the current state, or a guard failed (see `missing`)."""


class StaleTransition(TransitionError):
    """Someone else changed the object first."""


# What a transition writes with it, and its side effects after commit ---------------------------

# (machine, transition name or "*") -> writes. Each receives the log row inside the
# transition's own transaction (e.g. the rows of its notices, the outbox): they commit or roll
# back with it.
_within: dict[tuple[str, str], list[Callable]] = defaultdict(list)
# (machine, transition name or "*") -> effects. Each receives the log row's pk and runs only
# after the transaction commits: a rolled-back transition has no effect.
_after_commit: dict[tuple[str, str], list[Callable[[int], None]]] = defaultdict(list)


def on_transition(*names: str, machine: str = "mission"):
    """Register a write to make, with the log row, in the same transaction as each `names`
    transition of `machine` ("*" for every transition)."""

    def register(write: Callable):
        for name in names:
            _within[(machine, name)].append(write)
        return write

    return register


def after_transition(*names: str, machine: str = "mission"):
    """Register a function to call, after commit, with the log pk of each `names` transition
    of `machine` ("*" for every transition)."""

    def register(effect: Callable[[int], None]):
        for name in names:
            _after_commit[(machine, name)].append(effect)
        return effect

    return register


class Hook:
    """Work a lower layer asks for and a higher one does, after the current transaction
    commits: services ask (e.g. "e-mail these notices"), `missions.tasks` queues it. So
    services never import tasks, and nothing is queued for a write that rolled back."""

    def __init__(self, name: str):
        self.name = name
        self._receivers: list[Callable] = []

    def connect(self, receiver: Callable) -> Callable:
        self._receivers.append(receiver)
        return receiver

    def fire_on_commit(self, *args) -> None:
        for receiver in self._receivers:
            transaction.on_commit(partial(receiver, *args))


# The runner -----------------------------------------------------------------------------------


# A character PostgreSQL cannot store in text, and nobody types on purpose. Marked here and
# translated where it is used (gettext(NUL_MESSAGE)), so that it stays a plain string.
NUL_MESSAGE = gettext_noop("Remove the invisible control character (NUL) from the text.")


def _clean_inputs(required: tuple[str, ...], inputs: dict, comment: str) -> dict:
    cleaned, missing = {}, []
    if "\x00" in comment:
        missing.append(Missing("comment", gettext(NUL_MESSAGE)))
    if "reason" in required:
        reason = (inputs.get("reason") or "").strip()
        if not reason:
            missing.append(Missing("reason", gettext("Give a reason.")))
        elif "\x00" in reason:
            missing.append(Missing("reason", gettext(NUL_MESSAGE)))
        cleaned["reason"] = reason
    if "revisit_on" in required:
        value = inputs.get("revisit_on")
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, datetime.date):
            missing.append(Missing("revisit_on", gettext("Give the date to revisit (YYYY-MM-DD).")))
        elif value <= timezone.localdate():
            missing.append(
                Missing("revisit_on", gettext("The date to revisit must be in the future."))
            )
        cleaned["revisit_on"] = value
    if missing:
        raise TransitionRefused(gettext("Some information is missing."), missing)
    return cleaned


# The runner's refusals, as whole sentences for each kind of record a machine runs (its
# `noun`), so that each language can agree its words with the noun. Placeholders: `state`,
# the record's state as users read it (lower case); `label`, the step's label.
RUNNER_MESSAGES: dict[str, dict[str, str]] = {
    "mission": {
        "not_found": gettext_noop("No such mission."),
        "stale": gettext_noop(
            "Someone changed this mission while you were looking at it: it is now %(state)s. "
            "Nothing was changed; check the page and try again."
        ),
        "impossible": gettext_noop("That step is not possible while the mission is %(state)s."),
        "not_permitted": gettext_noop("You may not take the step '%(label)s' on this mission."),
        "concurrent": gettext_noop(
            "Someone changed this mission at the same moment. Nothing was changed; check the "
            "page and try again."
        ),
    },
    "action point": {
        "not_found": gettext_noop("No such action point."),
        "stale": gettext_noop(
            "Someone changed this action point while you were looking at it: it is now "
            "%(state)s. Nothing was changed; check the page and try again."
        ),
        "impossible": gettext_noop(
            "That step is not possible while the action point is %(state)s."
        ),
        "not_permitted": gettext_noop(
            "You may not take the step '%(label)s' on this action point."
        ),
        "concurrent": gettext_noop(
            "Someone changed this action point at the same moment. Nothing was changed; check "
            "the page and try again."
        ),
    },
    # The reports app's machine (reports.models.publication).
    "publication": {
        "not_found": gettext_noop("No such publication."),
        "stale": gettext_noop(
            "Someone changed this publication while you were looking at it: it is now "
            "%(state)s. Nothing was changed; check the page and try again."
        ),
        "impossible": gettext_noop("That step is not possible while the publication is %(state)s."),
        "not_permitted": gettext_noop("You may not take the step '%(label)s' on this publication."),
        "concurrent": gettext_noop(
            "Someone changed this publication at the same moment. Nothing was changed; check "
            "the page and try again."
        ),
    },
}
# Any other noun: the same sentences around it (`noun`, as the machine names it).
GENERIC_RUNNER_MESSAGES = {
    "not_found": gettext_noop("No such %(noun)s."),
    "stale": gettext_noop(
        "Someone changed this %(noun)s while you were looking at it: it is now %(state)s. "
        "Nothing was changed; check the page and try again."
    ),
    "impossible": gettext_noop("That step is not possible while the %(noun)s is %(state)s."),
    "not_permitted": gettext_noop("You may not take the step '%(label)s' on this %(noun)s."),
    "concurrent": gettext_noop(
        "Someone changed this %(noun)s at the same moment. Nothing was changed; check the "
        "page and try again."
    ),
}


@dataclass(frozen=True)
class Machine:
    """One FSM model as the runner sees it: its transitions in the order pages show them,
    the model of its log rows and the log's foreign key to it."""

    name: str
    model: type[models.Model]
    transitions: tuple[str, ...]
    log_model: type[models.Model]
    log_fk: str
    noun: str = "record"
    field: str = "status"

    def say(self, key: str, **values) -> str:
        """The runner's refusal `key` about this machine's records, in the user's language."""
        messages = RUNNER_MESSAGES.get(self.noun)
        if messages is None:
            return gettext(GENERIC_RUNNER_MESSAGES[key]) % {"noun": self.noun, **values}
        return gettext(messages[key]) % values

    def meta(self, obj, name: str):
        """django-fsm's description of transition `name` from `obj`'s current state."""
        if name not in self.transitions:
            return None
        return getattr(self.model, name)._django_fsm.get_transition(getattr(obj, self.field))

    def missing(self, obj, name: str) -> list[Missing]:
        """What the guards of `name` find missing on `obj` now (empty when all hold)."""
        meta = self.meta(obj, name)
        if meta is None:
            return []
        return [item for guard in meta.conditions for item in guard.missing(obj)]

    def options(self, obj, user, known_missing: dict | None = None) -> list[dict]:
        """The transitions `user` may take from `obj`'s state, with what each still lacks.
        `known_missing` holds what the caller's page has already found missing for some
        transitions, so that their guards are not evaluated twice."""
        known_missing = known_missing or {}
        options = []
        for name in self.transitions:
            meta = self.meta(obj, name)
            if meta is None or not meta.has_perm(obj, user):
                continue
            missing = known_missing[name] if name in known_missing else self.missing(obj, name)
            options.append(
                {
                    "name": name,
                    "label": meta.custom.get("label", name),
                    "inputs": meta.custom.get("inputs", ()),
                    "missing": missing,
                }
            )
        return options

    def run(
        self,
        visible: QuerySet,
        obj,
        name: str,
        user,
        *,
        comment: str = "",
        expected_status: str | None = None,
        **inputs,
    ):
        """Take transition `name` on `obj` (an instance or a pk) as `user`, or raise
        TransitionError. `visible` is the user's scope: outside it, the object is not found.

        In one transaction: re-read and lock the object, check it is still in the state the
        user saw (`expected_status`), check the user's permission on it and the guards, apply
        the transition, save (optimistically locked on the status), write the log row, and
        schedule the side effects for after commit. Returns the log row.
        """
        pk = obj.pk if isinstance(obj, self.model) else obj
        with transaction.atomic():
            # Only this row is locked: a scope may join other tables (LEFT JOINs, which
            # PostgreSQL will not lock).
            current = visible.select_for_update(of=("self",)).filter(pk=pk).first()
            if current is None:
                raise MissionNotFound(self.say("not_found"))
            state_label = current._get_FIELD_display(current._meta.get_field(self.field))
            state_label = str(state_label).lower()
            if expected_status and getattr(current, self.field) != expected_status:
                raise StaleTransition(self.say("stale", state=state_label))
            meta = self.meta(current, name)
            if meta is None:
                raise TransitionRefused(self.say("impossible", state=state_label))
            label = meta.custom.get("label", name)
            if not meta.has_perm(current, user):
                raise TransitionNotPermitted(self.say("not_permitted", label=label))
            cleaned = _clean_inputs(meta.custom.get("inputs", ()), inputs, comment)
            missing = self.missing(current, name)
            if missing:
                raise TransitionRefused(
                    gettext("'%(label)s' needs more first.") % {"label": label}, missing
                )

            source = getattr(current, self.field)
            getattr(current, name)(**cleaned)
            try:
                current.save()
            except ConcurrentTransition:
                raise StaleTransition(self.say("concurrent")) from None
            log = self.log_model.objects.create(
                **{self.log_fk: current},
                transition=name,
                source=source,
                target=getattr(current, self.field),
                user=user,
                comment=comment.strip(),
                reason=cleaned.get("reason", ""),
            )
            for write in [*_within[(self.name, name)], *_within[(self.name, "*")]]:
                write(log)
            for effect in [
                *_after_commit[(self.name, name)],
                *_after_commit[(self.name, "*")],
            ]:
                transaction.on_commit(partial(effect, log.pk))
        if isinstance(obj, self.model):
            obj.refresh_from_db()
        return log
