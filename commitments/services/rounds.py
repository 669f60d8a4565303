"""Rounds: the coordinator opens one for the cluster's partners and closes it; the daily tick
closes the rounds whose date has passed and reminds the partners who have not submitted.

Opening tells each invited organisation's representatives (through the outbox, once per
person and round). The reminders are decided from the current state at each tick and each is
claimed with a unique row before its notice is written: two ticks at once, a retried task or
a killed worker never send one twice, and a missed tick catches up (the latest window reached
is the one sent).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clusters.language import languages_of
from clusters.models import CountryCluster, Organisation, Role, RoleAssignment
from clusters.notices import notify
from commitments.models import (
    AssessmentStatus,
    FrameworkVersion,
    Round,
    RoundEvent,
    RoundReminder,
    RoundStatus,
    SelfAssessment,
)
from commitments.selectors.rounds import (
    clusters_visible_to,
    may_coordinate,
    round_for_update,
)
from commitments.services.checks import clean_text

logger = logging.getLogger(__name__)

# A round is open for at most this long: a later date is a typing error.
LONGEST_ROUND = datetime.timedelta(days=366)
# Reminder windows: how many days before the closing date each begins.
REMINDER_DAYS = {RoundReminder.Kind.SOON: 7, RoundReminder.Kind.LAST_DAYS: 2}


def render_notice(template: str, context: dict, language: str) -> tuple[str, str]:
    """The subject and body of a notice from `commitments/email/<template>`, in `language`
    (the recipients')."""
    with translation.override(language):
        subject = render_to_string(f"commitments/email/{template}_subject.txt", context)
        body = render_to_string(f"commitments/email/{template}.txt", context).strip()
    return " ".join(subject.split()), body


def site_url(path: str) -> str:
    """The address of a page of the site, for links in e-mails."""
    return settings.ICSM_SITE_URL.rstrip("/") + path


def representatives(country_cluster_id: int, organisation_ids) -> dict[int, list]:
    """The active partner representatives of each organisation in a cluster (one query)."""
    found: dict[int, list] = {}
    rows = (
        RoleAssignment.objects.filter(
            role=Role.PARTNER_REPRESENTATIVE,
            country_cluster=country_cluster_id,
            organisation__in=list(organisation_ids),
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__pk")
    )
    for row in rows:
        found.setdefault(row.organisation_id, []).append(row.user)
    return found


def _check_dates(errors: dict, period_start, period_end, closes_on, today: datetime.date) -> None:
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    if closes_on:
        if closes_on < today:
            errors["closes_on"] = _("The closing date has passed: choose today or a later day.")
        elif closes_on > today + LONGEST_ROUND:
            errors["closes_on"] = _("A round is open for a year at most: choose an earlier day.")
    for name, value in (
        ("period_start", period_start),
        ("period_end", period_end),
        ("closes_on", closes_on),
    ):
        if not value:
            errors.setdefault(name, _("Give the date."))


def round_open(
    country_cluster: CountryCluster | int,
    user,
    *,
    framework: FrameworkVersion | None,
    period_start: datetime.date | None,
    period_end: datetime.date | None,
    closes_on: datetime.date | None,
    organisations,
    today: datetime.date | None = None,
) -> Round:
    """The cluster's coordinator opens a round for the period, against `framework`, and
    invites `organisations` (partners of the cluster): each gets a draft self-assessment and
    its representatives are told. Refused while another round of the cluster is open."""
    today = today or timezone.localdate()
    pk = country_cluster.pk if isinstance(country_cluster, CountryCluster) else country_cluster
    cluster = clusters_visible_to(user).filter(pk=pk).first()
    if cluster is None:
        raise Http404("No such cluster.")
    if not may_coordinate(user, cluster):
        raise PermissionDenied(_("Only the cluster's coordinator opens a round."))
    errors: dict[str, str] = {}
    _check_dates(errors, period_start, period_end, closes_on, today)
    if framework is None:
        errors["framework"] = _("Choose the framework version.")
    chosen = {org.pk if isinstance(org, Organisation) else int(org) for org in organisations}
    partners = set(cluster.partners.filter(pk__in=chosen).values_list("pk", flat=True))
    if not chosen:
        errors["organisations"] = _("Invite at least one partner organisation.")
    elif chosen - partners:
        errors["organisations"] = _("Only the cluster's partners can be invited.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # The cluster row is locked so that two coordinators opening at once take turns.
        CountryCluster.objects.select_for_update().filter(pk=cluster.pk).first()
        _close_due(Round.objects.filter(country_cluster=cluster), today)
        if Round.objects.filter(country_cluster=cluster, status=RoundStatus.OPEN).exists():
            raise ValidationError(
                _("This cluster has an open round already: close it before opening another.")
            )
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    country_cluster=cluster,
                    framework=framework,
                    period_start=period_start,
                    period_end=period_end,
                    closes_on=closes_on,
                    opened_by=user,
                )
        except IntegrityError:
            # Another coordinator's round won the race (the one-open-round constraint).
            raise ValidationError(
                _("This cluster has an open round already: close it before opening another.")
            ) from None
        RoundEvent.objects.create(round=round_, action=RoundEvent.Action.OPENED, user=user)
        SelfAssessment.objects.bulk_create(
            SelfAssessment(round=round_, organisation_id=org_pk) for org_pk in sorted(partners)
        )
        _tell_opened(round_)
    return round_


def _tell_opened(round_: Round) -> None:
    cluster = round_.country_cluster
    assessments = SelfAssessment.objects.filter(round=round_).select_related("organisation")
    people = representatives(cluster.pk, [a.organisation_id for a in assessments])
    for assessment in assessments:
        users = people.get(assessment.organisation_id, [])
        if not users:
            continue
        languages = languages_of(users)
        for language in sorted(set(languages.values())):
            subject, body = render_notice(
                "round_opened",
                {
                    "round": round_,
                    "cluster": cluster,
                    "organisation": assessment.organisation,
                    "assessment_url": site_url(
                        reverse("commitments:assessment", args=[assessment.pk])
                    ),
                },
                language,
            )
            readers = [user for user in users if languages[user.pk] == language]
            notify(readers, f"commitments:round:{round_.pk}:opened", subject, body)


def round_close(round_: Round | int, user, comment: str = "") -> Round:
    """The coordinator closes the round: from now on no answer changes."""
    pk = round_.pk if isinstance(round_, Round) else round_
    errors: dict[str, str] = {}
    comment = clean_text(comment, errors, "comment")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = round_for_update(user, pk)
        if not may_coordinate(user, current.country_cluster_id):
            raise PermissionDenied(_("Only the cluster's coordinator closes the round."))
        if current.status == RoundStatus.CLOSED:
            raise ValidationError(_("The round is closed already."))
        _close(current, user, comment)
    return current


def _close(round_: Round, user, comment: str) -> None:
    now = timezone.now()
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED, closed_at=now)
    round_.status, round_.closed_at = RoundStatus.CLOSED, now
    RoundEvent.objects.create(
        round=round_, action=RoundEvent.Action.CLOSED, user=user, comment=comment
    )


def _close_due(rounds, today: datetime.date) -> int:
    closed = 0
    due = rounds.filter(status=RoundStatus.OPEN, closes_on__lt=today)
    for round_ in due.select_for_update().order_by("pk"):
        _close(round_, None, _("Closed on its closing date."))
        closed += 1
    return closed


def rounds_close_due(today: datetime.date | None = None) -> int:
    """Close every open round whose closing date has passed. Returns how many closed now."""
    today = today or timezone.localdate()
    closed = 0
    for pk in Round.objects.filter(status=RoundStatus.OPEN, closes_on__lt=today).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            # Re-read and locked: a coordinator may be closing it at the same moment.
            closed += _close_due(Round.objects.filter(pk=pk), today)
    return closed


# Reminders ----------------------------------------------------------------------------------


def reminder_windows(today: datetime.date) -> dict[str, Q]:
    """Each reminder's window as a range of closing dates (of a self-assessment's round): a
    round closing in a window is
    reminded of once. The latest window reached is the one sent, so a missed tick catches up
    without sending the windows it slept through."""
    soon = today + datetime.timedelta(days=REMINDER_DAYS[RoundReminder.Kind.SOON])
    last = today + datetime.timedelta(days=REMINDER_DAYS[RoundReminder.Kind.LAST_DAYS])
    return {
        RoundReminder.Kind.SOON: Q(round__closes_on__gt=last, round__closes_on__lte=soon),
        RoundReminder.Kind.LAST_DAYS: Q(round__closes_on__gte=today, round__closes_on__lte=last),
    }


def remind_rounds(today: datetime.date | None = None) -> int:
    """Remind the representatives of each organisation whose self-assessment is still a draft
    in a round about to close, once per window. Returns how many were told now."""
    today = today or timezone.localdate()
    sent = 0
    for kind, window in reminder_windows(today).items():
        drafts = (
            SelfAssessment.objects.filter(
                status=AssessmentStatus.DRAFT, round__status=RoundStatus.OPEN
            )
            .filter(window)
            .select_related(
                "organisation",
                "round__country_cluster__country",
                "round__country_cluster__global_cluster",
            )
            .order_by("round__closes_on", "pk")
        )
        for assessment in drafts:
            sent += _remind(assessment, kind, today)
    return sent


def _remind(assessment: SelfAssessment, kind: str, today: datetime.date) -> int:
    round_ = assessment.round
    users = representatives(round_.country_cluster_id, [assessment.organisation_id]).get(
        assessment.organisation_id, []
    )
    languages = languages_of(users)
    told = 0
    for user in users:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    RoundReminder.objects.create(
                        round=round_, kind=kind, closes_on=round_.closes_on, recipient=user
                    )
            except IntegrityError:
                continue  # claimed by an earlier (or a parallel) tick
            subject, body = render_notice(
                "round_reminder",
                {
                    "round": round_,
                    "cluster": round_.country_cluster,
                    "organisation": assessment.organisation,
                    "days": (round_.closes_on - today).days,
                    "assessment_url": site_url(
                        reverse("commitments:assessment", args=[assessment.pk])
                    ),
                },
                languages[user.pk],
            )
            notify(
                [user],
                f"commitments:round:{round_.pk}:{kind}:{round_.closes_on.isoformat()}",
                subject,
                body,
            )
            told += 1
    return told
