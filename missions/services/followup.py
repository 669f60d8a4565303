"""Follow-up writes: drafting action points in the country, their transitions, progress and
evidence, improvement plans, carrying points to a follow-up mission, and the reminders.

Every point's status changes through `point_transition` (the one runner, as for missions).
The reminders are decided from the current state at each tick of beat and claimed with a
unique row before their notice is written to the outbox: two sweeps, a retried task or a
killed worker never send one twice, and a missed tick catches up.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections import Counter

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, Exists, Max, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from clusters.language import languages_of
from clusters.models import CountryCluster, Role
from formats.text import fit
from formats.uploads import UploadRejected, check_upload, clean_filename
from missions.models import (
    ACTION_POINT,
    ActionPoint,
    ActionPointLog,
    CalendarToken,
    DigestSent,
    Evidence,
    ImprovementPlan,
    Mission,
    MissionUserObjectPermission,
    PlanComment,
    PointReminder,
    PointTally,
    ProgressUpdate,
)
from missions.models.followup import LIVE_POINT_STATES, PointStatus
from missions.selectors.followup import action_points_visible_to, plans_visible_to
from missions.selectors.missions import mission_for_update
from missions.services.notices import notify, notify_many, site_url
from missions.services.team import account_invitation_send, person_for_email
from missions.workflow import StaleTransition, Status, TransitionNotPermitted, holds

logger = logging.getLogger(__name__)

# Action points are drafted while the team is in the country (and finished while it
# writes the report); from then on the leader follows them up.
DRAFTING_STATES = (Status.IN_COUNTRY, Status.REPORTING)
FOLLOWED_STATES = (Status.IN_COUNTRY, Status.REPORTING, Status.FOLLOW_UP)
TEXT_MAX_LENGTH = 5000
EVIDENCE_MAX_FILES = 5
# The procedure began in 2009: an earlier due date is a typing error.
EARLIEST_DUE = datetime.date(2009, 1, 1)

POINT_FIELDS = (
    "text",
    "addressee_kind",
    "organisation",
    "global_cluster",
    "country_cluster",
    "addressee_role",
    "level",
    "owner",
    "due_on",
    "indicator",
    "verification",
    "resources",
    "priority",
    "clusters",
    "plan",
)


def may_draft(mission: Mission, user) -> bool:
    """The leader and the team draft the action points while in the country."""
    return mission.status in DRAFTING_STATES and (
        holds(user, "lead_mission", mission) or holds(user, "serve_on_mission", mission)
    )


def may_edit_point(point: ActionPoint, user) -> bool:
    """A draft: its team; after that: the leader (a new due date, a new owner)."""
    if point.status == PointStatus.DRAFT:
        return may_draft(point.mission, user)
    return point.status in LIVE_POINT_STATES and holds(user, "lead_mission", point.mission)


def point_reference(mission: Mission, number: int) -> str:
    """Country, year and number: PAK-2009-03. A second mission to the same country in the
    same year adds its order (PAK-2010/2-01), so references never collide."""
    year = (mission.in_country_from or mission.created_at.date()).year
    base = f"{mission.country.code}-{year}"
    earlier = (
        ActionPoint.objects.filter(reference__startswith=f"{base}-")
        .exclude(mission=mission)
        .values("mission")
        .distinct()
        .count()
    )
    same_year = ActionPoint.objects.filter(mission=mission).exclude(number=number).first()
    if same_year is not None:
        prefix = same_year.reference.rsplit("-", 1)[0]
        return f"{prefix}-{number:02d}"
    if earlier:
        base = f"{base}/{earlier + 1}"
    return f"{base}-{number:02d}"


def _clean_point(mission: Mission, fields: dict) -> dict:
    errors = {}
    text = (fields.get("text") or "").strip()
    if not text:
        errors["text"] = gettext("Write the recommendation.")
    for name in ("text", "indicator", "verification", "resources"):
        value = fields.get(name) or ""
        if len(value) > TEXT_MAX_LENGTH:
            errors[name] = gettext("Keep this under %(limit)d characters.") % {
                "limit": TEXT_MAX_LENGTH
            }
        if "\x00" in value:
            errors[name] = gettext("Remove the invisible control character (NUL) from the text.")
    kind = fields.get("addressee_kind")
    needed = {
        ActionPoint.Addressee.ORGANISATION: "organisation",
        ActionPoint.Addressee.GLOBAL_CLUSTER: "global_cluster",
        ActionPoint.Addressee.COUNTRY_CLUSTER: "country_cluster",
        ActionPoint.Addressee.ROLE: "addressee_role",
    }
    if kind not in needed:
        errors["addressee_kind"] = gettext("Choose who the point is addressed to.")
    elif not fields.get(needed[kind]):
        errors[needed[kind]] = gettext("Say which one.")
    cluster = fields.get("country_cluster")
    if cluster is not None and cluster.country_id != mission.country_id:
        errors["country_cluster"] = gettext("Choose a cluster of the mission's country.")
    plan = fields.get("plan")
    if plan is not None and plan.mission_id != mission.pk:
        errors["plan"] = gettext("Choose one of this mission's improvement plans.")
    role = fields.get("addressee_role") or ""
    if len(role) > ActionPoint._meta.get_field("addressee_role").max_length:
        errors["addressee_role"] = gettext("Keep the role under 100 characters.")
    due = fields.get("due_on")
    if due is not None and due < EARLIEST_DUE:
        errors["due_on"] = gettext("Give a real due date.")
    if errors:
        raise ValidationError(errors)
    cleaned = {name: fields[name] for name in POINT_FIELDS if name in fields}
    cleaned["text"] = text
    # Only the addressee field of its kind is kept.
    for other in set(needed.values()) - {needed[kind]}:
        cleaned[other] = "" if other == "addressee_role" else None
    return cleaned


def _owner(fields: dict, mission: Mission) -> dict:
    """An owner given as an e-mail address with no account: an account is made for them and
    they are invited to set their password, as a nominee is."""
    owner = fields.get("owner")
    if not isinstance(owner, str):
        return fields
    person, is_new = person_for_email(owner.strip())
    if is_new:
        account_invitation_send(person, f"point:{mission.pk}:{timezone.now().timestamp()}")
    return {**fields, "owner": person}


def action_point_create(mission: Mission | int, user, **fields) -> ActionPoint:
    """A new draft action point on the mission, numbered and referenced once. The owner may
    be a user, or the e-mail address of someone new to ICSM (invited as a nominee is)."""
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not may_draft(current, user):
            raise PermissionDenied(
                gettext("Only the team drafts action points, while in the country.")
            )
        cleaned = _clean_point(current, _owner(fields, current))
        clusters = cleaned.pop("clusters", None)
        number = (
            ActionPoint.objects.filter(mission=current).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        point = ActionPoint.objects.create(
            mission=current,
            number=number,
            reference=point_reference(current, number),
            created_by=user,
            **cleaned,
        )
        if clusters is not None:
            point.clusters.set(clusters)
    return point


def _last_number(mission: Mission) -> int:
    return ActionPoint.objects.filter(mission=mission).aggregate(n=Max("number"))["n"] or 0


def _point_for_update(user, point: ActionPoint | int) -> ActionPoint:
    pk = point.pk if isinstance(point, ActionPoint) else point
    current = (
        action_points_visible_to(user)
        .select_for_update(of=("self",))
        .select_related("mission__country")
        .filter(pk=pk)
        .first()
    )
    if current is None:
        from missions.workflow import MissionNotFound

        raise MissionNotFound(gettext("No such action point."))
    return current


def action_point_update(
    point: ActionPoint | int, user, *, expected_updated_at=None, **fields
) -> ActionPoint:
    """Change a point's content: a draft by its team; a live point by the leader. Refused,
    nothing changed, when someone else saved it since the page was opened."""
    with transaction.atomic():
        current = _point_for_update(user, point)
        if not may_edit_point(current, user):
            raise PermissionDenied(gettext("You may not change this action point now."))
        if expected_updated_at is not None and current.updated_at != expected_updated_at:
            raise StaleTransition(
                gettext(
                    "Someone changed this action point while you were editing it. Nothing was "
                    "saved: check the point and type your change again."
                )
            )
        fields = _owner(fields, current.mission)
        cleaned = _clean_point(current.mission, {**_current_fields(current), **fields})
        clusters = cleaned.pop("clusters", None)
        for name, value in cleaned.items():
            setattr(current, name, value)
        current.save()
        if clusters is not None:
            current.clusters.set(clusters)
    return current


def _current_fields(point: ActionPoint) -> dict:
    fields = {name: getattr(point, name) for name in POINT_FIELDS if name != "clusters"}
    return fields


# Carrying a point makes its successor on the follow-up mission: only `points_carry` takes it.
INTERNAL_TRANSITIONS = ("carry",)


def point_transition(point: ActionPoint | int, name: str, user, **options) -> ActionPointLog:
    """Take transition `name` on an action point as `user` (the one runner)."""
    if name in INTERNAL_TRANSITIONS:
        raise TransitionNotPermitted(
            gettext("A point is carried by taking it over on the follow-up mission.")
        )
    return ACTION_POINT.run(action_points_visible_to(user), point, name, user, **options)


def points_open_all(mission: Mission | int, user) -> int:
    """The leader opens every complete draft point at once (before leaving the country).
    Returns how many were opened; incomplete drafts stay drafts."""
    opened = 0
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not (holds(user, "lead_mission", current) or holds(user, "plan_mission", current)):
            raise PermissionDenied(gettext("Only the leader or the GCC opens action points."))
        for point in ActionPoint.objects.filter(mission=current, status=PointStatus.DRAFT):
            if ACTION_POINT.missing(point, "open"):
                continue
            point_transition(point, "open", user)
            opened += 1
    return opened


# Progress and evidence ------------------------------------------------------------------------


def may_report(point: ActionPoint, user) -> bool:
    return point.status in LIVE_POINT_STATES and (
        point.owner_id == user.pk or holds(user, "lead_mission", point.mission)
    )


def progress_post(
    point: ActionPoint | int, user, *, text: str, percent: int | None = None, files=()
) -> ProgressUpdate:
    """The owner (or the leader) reports progress, with evidence files checked by their
    content. An open point is in progress from its first update."""
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = gettext("Say what was done.")
    elif len(text) > TEXT_MAX_LENGTH:
        errors["text"] = gettext("Keep the update under %(limit)d characters.") % {
            "limit": TEXT_MAX_LENGTH
        }
    elif "\x00" in text:
        errors["text"] = gettext("Remove the invisible control character (NUL) from the text.")
    if percent is not None and not 0 <= percent <= 100:
        errors["percent"] = gettext("Give a share between 0 and 100.")
    files = list(files)
    if len(files) > EVIDENCE_MAX_FILES:
        errors["files"] = ngettext(
            "Attach at most %(limit)d file to one update.",
            "Attach at most %(limit)d files to one update.",
            EVIDENCE_MAX_FILES,
        ) % {"limit": EVIDENCE_MAX_FILES}
    kinds = []
    for upload in files if not errors else ():
        try:
            kinds.append(check_upload(upload, upload.size, settings.ICSM_ATTACHMENT_MAX_BYTES))
        except UploadRejected as rejected:
            errors["files"] = gettext("%(file)s: %(problem)s") % {
                "file": clean_filename(upload.name or ""),
                "problem": rejected.message,
            }
            break
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _point_for_update(user, point)
        if not may_report(current, user):
            raise PermissionDenied(
                gettext("Only the owner or the leader reports progress on this point.")
            )
        update = ProgressUpdate.objects.create(
            point=current, author=user, text=text, percent=percent
        )
        stored = []
        try:
            for upload, kind in zip(files, kinds, strict=True):
                evidence = Evidence(
                    update=update,
                    original_name=clean_filename(upload.name or ""),
                    content_type=kind.content_type,
                    size=upload.size,
                )
                evidence.file.save(evidence.original_name, upload, save=False)
                stored.append(evidence.file)
                evidence.save()
        except Exception:
            for file in stored:
                file.delete(save=False)
            raise
        if current.status == PointStatus.OPEN:
            point_transition(current, "start", user, comment=gettext("First progress update."))
    return update


# The calendar ---------------------------------------------------------------------------------


def calendar_token_renew(user) -> CalendarToken:
    """A new secret address for the user's calendar feed; the one before stops working."""
    token, _ = CalendarToken.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32)}
    )
    return token


# Improvement plans ----------------------------------------------------------------------------


def plan_create(
    mission: Mission | int, user, country_cluster: CountryCluster, summary: str = ""
) -> ImprovementPlan:
    """The leader records an improvement plan for one of the country's clusters; the global
    cluster's focal point (if the cluster has one) is named as supporting it."""
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not holds(user, "lead_mission", current) and not holds(user, "plan_mission", current):
            raise PermissionDenied(gettext("Only the leader or the GCC records improvement plans."))
        if country_cluster.country_id != current.country_id:
            raise ValidationError(
                {"country_cluster": gettext("Choose a cluster of the mission's country.")}
            )
        focal = (
            get_user_model()
            .objects.filter(
                is_active=True,
                role_assignments__role=Role.CLUSTER_FOCAL_POINT,
                role_assignments__global_cluster=country_cluster.global_cluster_id,
            )
            .order_by("pk")
            .first()
        )
        try:
            with transaction.atomic():
                return ImprovementPlan.objects.create(
                    mission=current,
                    country_cluster=country_cluster,
                    supported_by=focal,
                    summary=fit(summary.strip(), TEXT_MAX_LENGTH),
                )
        except IntegrityError:
            raise ValidationError(
                {"country_cluster": gettext("This cluster has its improvement plan already.")}
            ) from None


def plan_comment(plan: ImprovementPlan | int, user, text: str) -> PlanComment:
    """Anyone who sees the plan comments on it (the supporting focal point above all)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": gettext("Write your comment.")})
    if len(text) > TEXT_MAX_LENGTH or "\x00" in text:
        raise ValidationError(
            {
                "text": gettext("Keep a comment under %(limit)d characters.")
                % {"limit": TEXT_MAX_LENGTH}
            }
        )
    pk = plan.pk if isinstance(plan, ImprovementPlan) else plan
    current = plans_visible_to(user).filter(pk=pk).first()
    if current is None:
        from missions.workflow import MissionNotFound

        raise MissionNotFound(gettext("No such improvement plan."))
    return PlanComment.objects.create(plan=current, author=user, text=text)


# Follow-up missions inherit -------------------------------------------------------------------


def points_to_carry(child: Mission) -> list[ActionPoint]:
    """The parent's open and in-progress points, offered to an approved follow-up mission."""
    if child.parent_id is None:
        return []
    return list(
        ActionPoint.objects.filter(mission_id=child.parent_id, status__in=LIVE_POINT_STATES)
        .select_related("owner")
        .prefetch_related("clusters")
        .order_by("number")
    )


CARRY_STATES = (Status.APPROVED, Status.IN_PLANNING, Status.READY, Status.IN_COUNTRY)


def points_carry(child: Mission | int, user, point_pks) -> list[ActionPoint]:
    """Carry the chosen points of the parent to the follow-up mission: each becomes
    `carried` on the parent (linked to its successor) and a new open point on the child,
    with the same text, addressee, owner, due date and measure."""
    with transaction.atomic():
        current = mission_for_update(user, child)
        if not holds(user, "plan_mission", current):
            raise PermissionDenied(gettext("Only the GCC carries points to a follow-up mission."))
        if current.parent_id is None or current.status not in CARRY_STATES:
            raise ValidationError(gettext("Only an approved follow-up mission takes over points."))
        offered = {p.pk: p for p in points_to_carry(current)}
        chosen = [offered[pk] for pk in point_pks if pk in offered]
        if not chosen:
            raise ValidationError({"points": gettext("Choose the points to carry over.")})
        created = []
        number = _last_number(current)
        for parent_point in chosen:
            ACTION_POINT.run(
                action_points_visible_to(user),
                parent_point,
                "carry",
                user,
                comment=gettext("Carried to %(title)s.") % {"title": current.title},
            )
            number += 1
            successor = ActionPoint.objects.create(
                mission=current,
                number=number,
                reference=point_reference(current, number),
                created_by=user,
                carried_from=parent_point,
                **{
                    name: getattr(parent_point, name)
                    for name in POINT_FIELDS
                    if name not in ("clusters", "plan")
                },
            )
            successor.clusters.set(parent_point.clusters.all())
            # Opened through the runner: its log says where the point came from.
            point_transition(
                successor,
                "open",
                user,
                comment=gettext("Carried over from %(reference)s.")
                % {"reference": parent_point.reference},
            )
            created.append(successor)
    return created


# Reminders ------------------------------------------------------------------------------------

BATCH = 1000
REMINDER_TEMPLATES = {
    PointReminder.Kind.BEFORE: "missions/email/point_due_soon",
    PointReminder.Kind.DUE: "missions/email/point_due",
    PointReminder.Kind.OVERDUE: "missions/email/point_overdue",
    PointReminder.Kind.ESCALATION: "missions/email/point_escalation",
}


def reminder_windows(today: datetime.date) -> dict:
    """Each reminder's window as a range of due dates, today: a point whose due date falls
    in a window is reminded of it (once). The latest window reached is the one sent, so a
    missed tick catches up without sending the windows it slept through."""
    before = datetime.timedelta(days=settings.ICSM_REMINDER_DAYS_BEFORE)
    overdue = datetime.timedelta(days=settings.ICSM_REMINDER_DAYS_OVERDUE)
    return {
        PointReminder.Kind.BEFORE: Q(due_on__gt=today, due_on__lte=today + before),
        PointReminder.Kind.DUE: Q(due_on__gt=today - overdue, due_on__lte=today),
        PointReminder.Kind.OVERDUE: Q(due_on__lte=today - overdue),
    }


def _followed_points():
    return ActionPoint.objects.filter(
        status__in=LIVE_POINT_STATES,
        due_on__isnull=False,
        mission__status__in=FOLLOWED_STATES,
    )


def _claim_and_notify(rows: list[tuple[ActionPoint, str, object]], today: datetime.date) -> int:
    """Claim each (point, kind, recipient) with a unique row and write its notice to the
    outbox, in one transaction per batch; rows another sweep claimed first are skipped."""
    sent = 0
    languages = languages_of({recipient for _point, _kind, recipient in rows})
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        with transaction.atomic():
            claimed = claim_rows(
                [(point.pk, kind, point.due_on, recipient.pk) for point, kind, recipient in batch]
            )
            notices = []
            for point, kind, recipient in batch:
                if (point.pk, kind, point.due_on, recipient.pk) not in claimed:
                    continue
                notices.append(
                    (
                        recipient,
                        point.mission,
                        f"point:{point.pk}:{kind}:{point.due_on.isoformat()}:{recipient.pk}",
                        REMINDER_TEMPLATES[kind],
                        {
                            "point": point,
                            "recipient": recipient,
                            "today": today,
                            "days": abs((today - point.due_on).days),
                            "point_url": site_url(
                                reverse("missions:action_point", args=[point.pk])
                            ),
                        },
                    )
                )
            notify_many(notices, languages)
            sent += len(notices)
    return sent


def claim_rows(keys: list[tuple[int, str, datetime.date, int]]) -> set[tuple]:
    """Insert the reminder claims that nobody holds yet; return the keys inserted now.

    One statement, `ON CONFLICT DO NOTHING ... RETURNING`: two sweeps at once each get only
    the claims they won (PostgreSQL and SQLite both take it)."""
    if not keys:
        return set()
    table = PointReminder._meta.db_table
    placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(keys))
    now = timezone.now()
    params = [value for key in keys for value in (*key, now)]
    sql = (
        f"INSERT INTO {table} (point_id, kind, due_on, recipient_id, claimed_at) "  # nosec B608 # the model's own table; every value is a parameter
        f"VALUES {placeholders} "
        "ON CONFLICT (point_id, kind, due_on, recipient_id) DO NOTHING "
        "RETURNING point_id, kind, due_on, recipient_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = cursor.fetchall()
    return {
        (
            point,
            kind,
            due if isinstance(due, datetime.date) else datetime.date.fromisoformat(due),
            who,
        )
        for point, kind, due, who in inserted
    }


def remind_action_points(today: datetime.date | None = None) -> int:
    """Send each due reminder once: to the owner before the due date, on it and when
    overdue; to the leaders when overdue for long (escalation). Decided from the current
    state at each tick: a missed day catches up, a changed due date opens new windows, a
    done point gets nothing. Returns how many were sent now."""
    today = today or timezone.localdate()
    # One statement: a UNION ALL of one branch per window, each of which can use the
    # (status, due_on) index and its claim lookup, where one query over a computed window
    # cannot (measured: 0.2 s against 6 s). A sweep with nothing to send is this one query.
    branches = []
    for kind, window in reminder_windows(today).items():
        claimed = PointReminder.objects.filter(
            point=OuterRef("pk"), kind=kind, due_on=OuterRef("due_on"), recipient=OuterRef("owner")
        )
        branches.append(
            _followed_points()
            .filter(window, owner__isnull=False, owner__is_active=True)
            .exclude(Exists(claimed))
        )
    escalate_before = today - datetime.timedelta(days=settings.ICSM_ESCALATION_DAYS)
    escalated = PointReminder.objects.filter(
        point=OuterRef("pk"), kind=PointReminder.Kind.ESCALATION, due_on=OuterRef("due_on")
    )
    kinds = [*reminder_windows(today), PointReminder.Kind.ESCALATION]
    branches.append(
        _followed_points().filter(due_on__lte=escalate_before).exclude(Exists(escalated))
    )
    first, *rest = (
        branch.order_by()
        .select_related("mission__country", "owner")
        .annotate(reminder_kind=Value(str(kind), output_field=CharField()))
        for kind, branch in zip(kinds, branches, strict=True)
    )
    found = list(first.union(*rest, all=True).order_by("due_on", "pk"))
    rows: list[tuple[ActionPoint, str, object]] = [
        (point, point.reminder_kind, point.owner)
        for point in found
        if point.reminder_kind != PointReminder.Kind.ESCALATION
    ]
    long_overdue = [p for p in found if p.reminder_kind == PointReminder.Kind.ESCALATION]
    if long_overdue:
        leaders = mission_leaders({point.mission_id for point in long_overdue})
        rows += [
            (point, PointReminder.Kind.ESCALATION, leader)
            for point in long_overdue
            for leader in leaders.get(point.mission_id, ())
        ]
    return _claim_and_notify(rows, today)


def mission_leaders(mission_ids) -> dict[int, list]:
    """The active leaders of each mission (one query)."""
    leaders: dict[int, list] = {}
    rows = MissionUserObjectPermission.objects.filter(
        content_object_id__in=mission_ids,
        permission__codename="lead_mission",
        user__is_active=True,
    ).select_related("user")
    for row in rows:
        leaders.setdefault(row.content_object_id, []).append(row.user)
    return leaders


def week_of(day: datetime.date) -> datetime.date:
    """The Monday of `day`'s week."""
    return day - datetime.timedelta(days=day.weekday())


def send_digests(today: datetime.date | None = None) -> int:
    """Once a week, to each mission leader and each supporting focal point: their points by
    status, what became overdue and what was done in the last seven days. Claimed per
    recipient and week, so any tick of the week sends it once. Returns how many were sent."""
    today = today or timezone.localdate()
    monday = week_of(today)
    since = today - datetime.timedelta(days=7)
    by_recipient: dict[int, dict] = {}
    followed = ActionPoint.objects.filter(mission__status__in=FOLLOWED_STATES).select_related(
        "mission__country", "owner", "plan__supported_by"
    )
    leaders = mission_leaders(set(followed.values_list("mission_id", flat=True)))
    for point in followed:
        people = list(leaders.get(point.mission_id, ()))
        if point.plan_id and point.plan.supported_by_id and point.plan.supported_by.is_active:
            people.append(point.plan.supported_by)
        for person in people:
            entry = by_recipient.setdefault(person.pk, {"user": person, "points": []})
            entry["points"].append(point)
    sent = 0
    for entry in by_recipient.values():
        user, mine = entry["user"], entry["points"]
        with transaction.atomic():
            try:
                with transaction.atomic():
                    DigestSent.objects.create(recipient=user, week_of=monday)
            except IntegrityError:
                continue
            by_status = Counter(point.get_status_display() for point in mine)
            notify(
                [user],
                None,
                f"digest:{user.pk}:{monday.isoformat()}",
                "missions/email/point_digest",
                {
                    "recipient": user,
                    "week_of": monday,
                    "by_status": sorted(by_status.items()),
                    "became_overdue": [
                        p
                        for p in mine
                        if p.status in LIVE_POINT_STATES and p.due_on and since <= p.due_on < today
                    ],
                    "done": [p for p in mine if p.done_at and p.done_at.date() >= since],
                    "tracker_url": site_url(reverse("missions:tracker")),
                },
            )
            sent += 1
    return sent


# The tally of points ----------------------------------------------------------------------------

# PostgreSQL: the rows the statement sees are deleted and their sums written by the same
# statement. A row a writer commits meanwhile is not seen, so stays; a fold that waited on
# these rows finds them gone and folds nothing twice.
FOLD_POSTGRESQL = """
WITH folded AS (
    DELETE FROM missions_pointtally RETURNING addressee_kind, status, points
), summed AS (
    INSERT INTO missions_pointtally (addressee_kind, status, points)
    SELECT addressee_kind, status, SUM(points) FROM folded
    GROUP BY addressee_kind, status HAVING SUM(points) <> 0
)
SELECT COUNT(*) FROM folded
"""
# SQLite: a write takes the whole database for the transaction, so the rows up to the last
# one read are all there is.
FOLD_SQLITE = [
    """INSERT INTO missions_pointtally (addressee_kind, status, points)
    SELECT addressee_kind, status, SUM(points) FROM missions_pointtally WHERE id <= %s
    GROUP BY addressee_kind, status HAVING SUM(points) <> 0""",
    "DELETE FROM missions_pointtally WHERE id <= %s",
]


def point_tally_fold() -> int:
    """Fold the rows of the points' tally (PointTally: the triggers add rows as points
    change) into one a kind of addressee and state, the sums unchanged; the rows folded.
    Periodic (hourly): the tally is read as a sum over its rows, which this keeps short."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(FOLD_POSTGRESQL)
            return cursor.fetchone()[0]
        last = PointTally.objects.aggregate(last=Max("pk"))["last"]
        if last is None:
            return 0
        insert, delete = FOLD_SQLITE
        cursor.execute(insert, [last])
        cursor.execute(delete, [last])
        return cursor.rowcount
