"""The team of an approved mission: the GCC invites global clusters and cross-cutting issues,
their focal points share the invitation with partners and nominate participants, the GCC
accepts or declines each nomination with a reason, then confirms the team.

Scope, as everywhere: the GCC and HCSS see all of a mission's planning; a focal point sees the
invitations of their own cluster or cross-cutting issue and the nominations made through them;
a participant sees their own nomination; the team page is open to whoever sees the mission.

Services write (`invitations_send`, `invitation_share`, `nomination_create`,
`nomination_withdraw`, `nomination_decide`, `team_confirm`); selectors read.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clusters.models import CrossCuttingIssue, GlobalCluster, Organisation, Role, RoleAssignment
from clusters.selectors import user_roles
from formats.text import fit
from missions.models import Grade, Invitation, Mission, Nomination
from missions.selectors.missions import mission_for_update, missions_visible_to
from missions.services.election import election_leader_rejoins
from missions.services.notices import (
    email_builder,
    notify,
    notify_addresses,
    notify_built,
    recipients,
    site_url,
)
from missions.services.permissions import invitation_grant, team_member_grant, team_member_revoke
from missions.services.tor import tor_current
from missions.workflow import PLANNING_STATES, MissionNotFound, holds

logger = logging.getLogger(__name__)

MAX_SHARE_ADDRESSES = 50
LIVE = (Nomination.Status.PROPOSED, Nomination.Status.ACCEPTED)

# What the columns a nomination writes hold: the form and the service refuse longer input
# with a message at the field (PostgreSQL would refuse it with an error, SQLite not at all).
_User = get_user_model()
NAME_MAX_LENGTH = _User._meta.get_field("first_name").max_length
EMAIL_MAX_LENGTH = _User._meta.get_field("email").max_length
LANGUAGES_MAX_LENGTH = Nomination._meta.get_field("languages").max_length
EXPERIENCE_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000


def too_long(what: str, limit: int, length: int) -> str:
    """The message for input longer than its column holds."""
    return _("Keep %(what)s to at most %(limit)d characters (it has %(length)d).") % {
        "what": what,
        "limit": limit,
        "length": length,
    }


# Who may do what ----------------------------------------------------------------------------------


def sees_all_planning(user, mission: Mission) -> bool:
    """The GCC and HCSS see every invitation and nomination of a mission they see."""
    return holds(user, "plan_mission", mission) or (
        user.is_active and Role.HCSS in user_roles(user)
    )


def focal_scope(user) -> tuple[set[int], set[int]]:
    """The global clusters and the cross-cutting issues `user` is a focal point of."""
    clusters: set[int] = set()
    issues: set[int] = set()
    if not user.is_authenticated or not user.is_active:
        return clusters, issues
    rows = RoleAssignment.objects.filter(
        user=user, role__in=(Role.CLUSTER_FOCAL_POINT, Role.CCI_FOCAL_POINT)
    ).values_list("global_cluster_id", "cross_cutting_issue_id")
    for cluster_id, issue_id in rows:
        if cluster_id:
            clusters.add(cluster_id)
        if issue_id:
            issues.add(issue_id)
    return clusters, issues


def _in_focal_scope(invitation: Invitation, scope: tuple[set[int], set[int]]) -> bool:
    clusters, issues = scope
    return invitation.global_cluster_id in clusters or invitation.cross_cutting_issue_id in issues


def may_nominate_through(user, mission: Mission, invitation: Invitation) -> bool:
    """The GCC, or a focal point of the invitation's own cluster or cross-cutting issue."""
    if invitation.mission_id != mission.pk or not user.is_active:
        return False
    if holds(user, "plan_mission", mission):
        return True
    return holds(user, "nominate_mission", mission) and _in_focal_scope(
        invitation, focal_scope(user)
    )


def may_withdraw(user, mission: Mission, nomination: Nomination) -> bool:
    """The nominating focal point while proposed; the GCC while proposed or accepted."""
    if not user.is_active or mission.status not in PLANNING_STATES:
        return False
    if holds(user, "plan_mission", mission):
        return nomination.status in LIVE
    return (
        nomination.status == Nomination.Status.PROPOSED
        and nomination.nominated_by_id == user.pk
        and holds(user, "nominate_mission", mission)
    )


def may_decide(user, mission: Mission, nomination: Nomination) -> bool:
    return (
        mission.status in PLANNING_STATES
        and nomination.status == Nomination.Status.PROPOSED
        and holds(user, "plan_mission", mission)
    )


# Reads --------------------------------------------------------------------------------------------


def mission_window(mission: Mission) -> tuple[datetime.date | None, datetime.date | None]:
    """The dates a participant must be available in: the dates in the country once the GCC set
    them, otherwise the request's preferred timing."""
    if mission.in_country_from and mission.in_country_to:
        return mission.in_country_from, mission.in_country_to
    return mission.preferred_start, mission.preferred_end


def invitations_visible_to(user, mission: Mission) -> QuerySet[Invitation]:
    """The mission's invitations `user` may see, with their nominations counted by status."""
    invitations = Invitation.objects.filter(mission=mission, mission__in=missions_visible_to(user))
    if not sees_all_planning(user, mission):
        clusters, issues = focal_scope(user)
        invitations = invitations.filter(
            Q(global_cluster__in=clusters) | Q(cross_cutting_issue__in=issues)
        )
    return invitations.select_related(
        "global_cluster", "cross_cutting_issue", "invited_by", "shared_by"
    ).annotate(
        proposed_count=Count("nominations", filter=Q(nominations__status="proposed")),
        accepted_count=Count("nominations", filter=Q(nominations__status="accepted")),
        declined_count=Count("nominations", filter=Q(nominations__status="declined")),
    )


def _with_details(nominations: QuerySet[Nomination]) -> QuerySet[Nomination]:
    return nominations.select_related(
        "participant",
        "agency",
        "nominated_by",
        "decided_by",
        "withdrawn_by",
        "invitation__global_cluster",
        "invitation__cross_cutting_issue",
    ).prefetch_related(
        Prefetch("clusters", queryset=GlobalCluster.objects.order_by("name")),
        Prefetch("cross_cutting_issues", queryset=CrossCuttingIssue.objects.order_by("name")),
    )


def nominations_visible_to(user, mission: Mission) -> QuerySet[Nomination]:
    """The mission's nominations `user` may see: all of them for the GCC and HCSS; for a focal
    point those made through their own cluster's or issue's invitations; and one's own.

    Nothing at all when the mission itself is out of the user's scope.
    """
    nominations = Nomination.objects.filter(mission=mission, mission__in=missions_visible_to(user))
    if not sees_all_planning(user, mission):
        clusters, issues = focal_scope(user)
        nominations = nominations.filter(
            Q(invitation__global_cluster__in=clusters)
            | Q(invitation__cross_cutting_issue__in=issues)
            | Q(participant=user)
        )
    return _with_details(nominations)


def team_members(mission: Mission) -> QuerySet[Nomination]:
    """The accepted participants, with what they bring (a constant number of queries)."""
    return _with_details(
        Nomination.objects.filter(mission=mission, status=Nomination.Status.ACCEPTED)
    ).order_by("decided_at", "pk")


def team_overview(mission: Mission) -> dict:
    """The team at a glance, for the team page (six queries). The planning page's
    `team_summary` gives the same figures from two queries (a test holds them equal).

    Keys: members (accepted nominations), size, suggested_size, clusters_covered,
    clusters_missing, clusters_extra (represented though not requested), issues_covered,
    issues_missing, issues_extra, pending (nominations awaiting the GCC), confirmed,
    confirmed_at.
    """
    members = list(team_members(mission))
    represented_clusters = {c.pk: c for m in members for c in m.clusters.all()}
    represented_issues = {i.pk: i for m in members for i in m.cross_cutting_issues.all()}
    requested_clusters = list(mission.requested_clusters.order_by("name"))
    requested_issues = list(mission.requested_issues.order_by("name"))
    requested_cluster_ids = {c.pk for c in requested_clusters}
    requested_issue_ids = {i.pk for i in requested_issues}
    pending = Nomination.objects.filter(mission=mission, status=Nomination.Status.PROPOSED).count()
    return {
        "members": members,
        "size": len(members),
        "suggested_size": mission.suggested_team_size,
        "clusters_covered": [c for c in requested_clusters if c.pk in represented_clusters],
        "clusters_missing": [c for c in requested_clusters if c.pk not in represented_clusters],
        "clusters_extra": sorted(
            (c for pk, c in represented_clusters.items() if pk not in requested_cluster_ids),
            key=lambda c: c.name,
        ),
        "issues_covered": [i for i in requested_issues if i.pk in represented_issues],
        "issues_missing": [i for i in requested_issues if i.pk not in represented_issues],
        "issues_extra": sorted(
            (i for pk, i in represented_issues.items() if pk not in requested_issue_ids),
            key=lambda i: i.name,
        ),
        "pending": pending,
        "confirmed": mission.team_confirmed_at is not None,
        "confirmed_at": mission.team_confirmed_at,
    }


def _nomination_counts(mission: Mission) -> dict[str, int]:
    """How many of the mission's nominations are accepted and how many still proposed."""
    return Nomination.objects.filter(mission=mission).aggregate(
        accepted=Count("pk", filter=Q(status=Nomination.Status.ACCEPTED)),
        proposed=Count("pk", filter=Q(status=Nomination.Status.PROPOSED)),
    )


def team_summary(mission: Mission) -> dict:
    """The team in figures, for the planning overview (two queries): size, suggested_size,
    pending, clusters_missing (asked for, no accepted member represents them), confirmed.
    The team page's `team_overview` reads every member with what they bring; the planning
    page shows none of that, and 30 members' details were half its time."""
    counts = _nomination_counts(mission)
    represented = Nomination.clusters.through.objects.filter(
        nomination__mission=mission, nomination__status=Nomination.Status.ACCEPTED
    ).values("globalcluster")
    return {
        "size": counts["accepted"],
        "pending": counts["proposed"],
        "suggested_size": mission.suggested_team_size,
        "clusters_missing": list(
            mission.requested_clusters.exclude(pk__in=represented).order_by("name")
        ),
        "confirmed": mission.team_confirmed_at is not None,
    }


def team_confirm_missing(mission: Mission) -> list[str]:
    """What stops the GCC from confirming the team now, in plain sentences."""
    missing = []
    counts = _nomination_counts(mission)
    if not counts["accepted"]:
        missing.append(_("Accept at least one nomination: the team has no member yet."))
    if counts["proposed"]:
        missing.append(
            ngettext(
                "Decide on the %(count)d nomination still waiting: accept or decline it with a "
                "reason.",
                "Decide on the %(count)d nominations still waiting: accept or decline each "
                "with a reason.",
                counts["proposed"],
            )
            % {"count": counts["proposed"]}
        )
    return missing


# Writes -------------------------------------------------------------------------------------------


def _require_planning(mission: Mission, what: str) -> None:
    """Refuse unless the mission is being planned. `what` is the start of the sentence,
    translated ("Clusters can be invited")."""
    if mission.status not in PLANNING_STATES:
        raise ValidationError(
            # Translators: %(what)s is what cannot be done now, e.g. "Clusters can be invited".
            _("%(what)s only while the mission is approved or in planning; it is now %(status)s.")
            % {"what": what, "status": mission.status_in_sentence}
        )


def _ids(items) -> list[int]:
    return [getattr(item, "pk", item) for item in items or ()]


def invitation_url(invitation: Invitation) -> str:
    return reverse("missions:invitation", args=[invitation.mission_id, invitation.pk])


def nomination_url(nomination: Nomination) -> str:
    return reverse("missions:nomination", args=[nomination.mission_id, nomination.pk])


def _focal_points(invitation: Invitation):
    if invitation.global_cluster_id:
        scope = Q(
            role_assignments__role=Role.CLUSTER_FOCAL_POINT,
            role_assignments__global_cluster=invitation.global_cluster_id,
        )
    else:
        scope = Q(
            role_assignments__role=Role.CCI_FOCAL_POINT,
            role_assignments__cross_cutting_issue=invitation.cross_cutting_issue_id,
        )
    return get_user_model().objects.filter(scope, is_active=True).distinct().order_by("pk")


def invitations_send(
    mission: Mission | int, user, *, clusters=(), issues=(), message: str = ""
) -> list[Invitation]:
    """Invite global clusters and cross-cutting issues (instances or ids) to the mission.

    Returns the invitations created now; one that exists already is kept as it is. Each
    invited cluster's or issue's focal points may then see the mission and nominate, and are
    told by e-mail and in the application (once per invitation).
    """
    message = (message or "").strip()
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not holds(user, "plan_mission", current):
            raise PermissionDenied(_("Only the GCC invites clusters to a mission."))
        _require_planning(current, _("Clusters can be invited"))
        cluster_ids, issue_ids = _ids(clusters), _ids(issues)
        if not cluster_ids and not issue_ids:
            raise ValidationError(
                {"clusters": _("Choose at least one global cluster or cross-cutting issue.")}
            )
        created: list[Invitation] = []
        targets = [("global_cluster", c) for c in GlobalCluster.objects.filter(pk__in=cluster_ids)]
        targets += [
            ("cross_cutting_issue", i) for i in CrossCuttingIssue.objects.filter(pk__in=issue_ids)
        ]
        for field, target in targets:
            invitation, was_created = Invitation.objects.get_or_create(
                mission=current,
                **{field: target},
                defaults={"message": message, "invited_by": user},
            )
            invitation_grant(invitation)
            if was_created:
                created.append(invitation)
        for invitation in created:
            notify(
                _focal_points(invitation),
                current,
                f"invitation:{invitation.pk}",
                "missions/email/invitation",
                {
                    "invitation": invitation,
                    "invitation_url": site_url(invitation_url(invitation)),
                    "window": mission_window(current),
                },
            )
    return created


def parse_addresses(text: str) -> list[str]:
    """The e-mail addresses in `text` (commas, semicolons, spaces or lines), lower-cased and
    without repeats; ValidationError naming the ones that are not addresses."""
    addresses: list[str] = []
    bad: list[str] = []
    for raw in text.replace(",", " ").replace(";", " ").split():
        address = raw.strip().strip("<>").lower()
        try:
            validate_email(address)
        except ValidationError:
            bad.append(raw)
            continue
        if address not in addresses:
            addresses.append(address)
    if bad:
        raise ValidationError(
            _("These are not e-mail addresses: %(addresses)s.") % {"addresses": ", ".join(bad[:10])}
        )
    if not addresses:
        raise ValidationError(_("Give at least one e-mail address."))
    if len(addresses) > MAX_SHARE_ADDRESSES:
        raise ValidationError(
            _("Give at most %(limit)d addresses at a time (%(count)d given).")
            % {"limit": MAX_SHARE_ADDRESSES, "count": len(addresses)}
        )
    return addresses


def invitation_share(invitation: Invitation, user, *, emails, note: str = "") -> Invitation:
    """A focal point (or the GCC) passes the invitation and the ToR on to the cluster's
    partners: each address gets an e-mail; who shared, when and with whom is recorded."""
    if isinstance(emails, str):
        emails = [emails]
    try:
        addresses = parse_addresses(" ".join(emails))
    except ValidationError as error:
        raise ValidationError({"emails": error.messages}) from None
    with transaction.atomic():
        current = mission_for_update(user, invitation.mission_id)
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("global_cluster", "cross_cutting_issue")
            .filter(pk=invitation.pk, mission=current)
            .first()
        )
        if invitation is None or not may_nominate_through(user, current, invitation):
            raise PermissionDenied(_("You may not share this invitation."))
        _require_planning(current, _("The invitation can be shared"))
        already = [line for line in invitation.shared_with.splitlines() if line.strip()]
        invitation.shared_with = "\n".join([*already, *(a for a in addresses if a not in already)])
        invitation.shared_at = timezone.now()
        invitation.shared_by = user
        invitation.save(update_fields=["shared_with", "shared_at", "shared_by"])
        context = {
            "mission": current,
            "invitation": invitation,
            "note": (note or "").strip(),
            "sender": user,
            "tor": tor_current(current),
            "window": mission_window(current),
            "invitation_url": site_url(invitation_url(invitation)),
        }
        # One message per address: partners do not see one another's addresses. Sharing
        # again with the same address sends again: each share is its own event.
        notify_addresses(
            addresses,
            current,
            f"share:{invitation.pk}:{invitation.shared_at.timestamp()}",
            "missions/email/invitation_share",
            context,
            reply_to=user.email,
        )
    return invitation


def _username_for(email: str) -> str:
    """The new account's user name: the e-mail address itself, which people remember."""
    User = get_user_model()
    base = email.lower()[:140]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    return username


def account_invitation_send(participant, event: str) -> None:
    """Write the e-mail that lets a person new to ICSM set their password (the outbox builds
    it when it goes, so the link's token never waits anywhere)."""
    notify_built(
        participant,
        f"account:{participant.pk}:{event}",
        "account_invitation",
        _("Your ICSM account: set your password"),
    )


@email_builder("account_invitation")
def account_invitation_email(notification) -> EmailMessage | None:
    """The e-mail that lets a person new to ICSM set their password and log in; none for a
    person who has set one meanwhile."""
    user = notification.user
    if not user.is_active or user.has_usable_password():
        return None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {
        "user": user,
        # Why the account was made: a nomination to a team, or an action point to own.
        "as_owner": ":point:" in notification.event,
        "set_password_url": site_url(reverse("password_reset_confirm", args=[uid, token])),
        "login_url": site_url(reverse("login")),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = " ".join(
        render_to_string("missions/email/account_invitation_subject.txt", context).split()
    )
    body = render_to_string("missions/email/account_invitation.txt", context).strip()
    return EmailMessage(subject=subject, body=body, to=[user.email])


def person_for_email(email: str, full_name: str = ""):
    """The user with this e-mail address, or a new account for them (second item True)."""
    User = get_user_model()
    existing = User.objects.filter(email__iexact=email).order_by("-is_active", "pk").first()
    if existing is not None:
        if not existing.is_active:
            raise ValidationError(
                {"email": _("The account with this address is closed. Ask HCSS to reopen it.")}
            )
        return existing, False
    first, _space, last = full_name.strip().partition(" ")
    user = User(username=_username_for(email), email=email, first_name=fit(first, NAME_MAX_LENGTH))
    user.last_name = fit(last.strip(), NAME_MAX_LENGTH)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Another nomination of the same new person took the user name a moment ago.
        raise ValidationError(
            {"email": _("This person's account was being made at the same moment. Try again.")}
        ) from None
    return user, True


def _check_availability(mission: Mission, available_from, available_to) -> None:
    if available_from and available_to and available_to < available_from:
        raise ValidationError({"available_to": _("The end of availability is before its start.")})
    start, end = mission_window(mission)
    if start and end and (available_to < start or available_from > end):
        raise ValidationError(
            {
                "available_from": _(
                    "This availability does not overlap the mission's dates "
                    "(%(start)s to %(end)s). "
                    "Nominate someone available for at least part of them."
                )
                % {"start": date_format(start, "j F Y"), "end": date_format(end, "j F Y")}
            }
        )


def nomination_create(
    mission: Mission | int,
    invitation: Invitation | int,
    user,
    *,
    full_name: str,
    email: str,
    agency: Organisation | int,
    clusters=(),
    cross_cutting_issues=(),
    years_in_field: int,
    previous_missions: int = 0,
    languages: str,
    grade: int,
    available_from: datetime.date,
    available_to: datetime.date,
    experience: str = "",
) -> Nomination:
    """A focal point (or the GCC) nominates a participant through an invitation.

    The participant is the user with `email`; without one, a new account is made and its
    owner is e-mailed a link to set their password. A person has one live (proposed or
    accepted) nomination per mission.
    """
    email = (email or "").strip()
    full_name = " ".join((full_name or "").split())
    invitation_pk = getattr(invitation, "pk", invitation)
    languages = (languages or "").strip()
    experience = (experience or "").strip()
    errors = {}
    if not full_name:
        errors["full_name"] = _("Give the participant's full name.")
    elif len(full_name) > NAME_MAX_LENGTH:
        errors["full_name"] = too_long(_("the full name"), NAME_MAX_LENGTH, len(full_name))
    if len(email) > EMAIL_MAX_LENGTH:
        errors["email"] = too_long(_("the e-mail address"), EMAIL_MAX_LENGTH, len(email))
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Give the participant's e-mail address.")
    if not languages:
        errors["languages"] = _("Give the languages the participant works in.")
    elif len(languages) > LANGUAGES_MAX_LENGTH:
        errors["languages"] = too_long(_("the languages"), LANGUAGES_MAX_LENGTH, len(languages))
    if len(experience) > EXPERIENCE_MAX_LENGTH:
        errors["experience"] = too_long(
            _("the relevant experience"), EXPERIENCE_MAX_LENGTH, len(experience)
        )
    if not _ids(clusters) and not _ids(cross_cutting_issues):
        errors["clusters"] = _("Choose the cluster(s) or cross-cutting issue(s) they represent.")
    numbers = (
        (
            "years_in_field",
            years_in_field,
            _("Give the years of field experience as a whole number from 0 to 99, e.g. 10."),
        ),
        (
            "previous_missions",
            previous_missions,
            _("Give the previous support missions as a whole number from 0 to 99, e.g. 10."),
        ),
    )
    for field, value, message in numbers:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
            errors[field] = message
    if grade not in Grade.values:
        errors["grade"] = _("Choose the participant's grade.")
    if not isinstance(available_from, datetime.date):
        errors["available_from"] = _("Give the first day the participant is available.")
    if not isinstance(available_to, datetime.date):
        errors["available_to"] = _("Give the last day the participant is available.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = mission_for_update(user, mission)
        invitation = (
            Invitation.objects.select_related("global_cluster", "cross_cutting_issue")
            .filter(pk=invitation_pk, mission=current)
            .first()
        )
        if invitation is None or not may_nominate_through(user, current, invitation):
            raise PermissionDenied(_("You may not nominate through this invitation."))
        _require_planning(current, _("Participants can be nominated"))
        _check_availability(current, available_from, available_to)
        agency_pk = getattr(agency, "pk", agency)
        if not Organisation.objects.filter(pk=agency_pk).exists():
            raise ValidationError({"agency": _("Choose the participant's agency.")})
        participant, is_new = person_for_email(email, full_name)
        try:
            # The savepoint turns a second live nomination (raced or not) into a message.
            with transaction.atomic():
                nomination = Nomination.objects.create(
                    mission=current,
                    invitation=invitation,
                    participant=participant,
                    agency_id=agency_pk,
                    years_in_field=years_in_field,
                    previous_missions=previous_missions,
                    languages=languages,
                    grade=grade,
                    available_from=available_from,
                    available_to=available_to,
                    experience=experience,
                    nominated_by=user,
                )
        except IntegrityError:
            raise ValidationError(
                {
                    "email": _(
                        "%(name)s is already nominated to this mission (proposed or accepted)."
                    )
                    % {"name": participant.get_full_name() or participant.email}
                }
            ) from None
        nomination.clusters.set(GlobalCluster.objects.filter(pk__in=_ids(clusters)))
        nomination.cross_cutting_issues.set(
            CrossCuttingIssue.objects.filter(pk__in=_ids(cross_cutting_issues))
        )
        context = {
            "nomination": nomination,
            "invitation": invitation,
            "nominated_by": user,
            "nomination_url": site_url(nomination_url(nomination)),
        }
        notify(
            recipients(current, (Role.GCC,)).exclude(pk=user.pk),
            current,
            f"nomination:{nomination.pk}:proposed",
            "missions/email/nomination_proposed",
            context,
        )
        # The participant cannot see the mission before they are accepted: no mission link.
        # A person new to ICSM: their first e-mail is the one that lets them in; the notice
        # waits in the app.
        notify(
            [participant],
            None,
            f"nomination:{nomination.pk}:participant",
            "missions/email/nomination_participant",
            {**context, "the_mission": current},
            email=not is_new,
        )
        if is_new:
            account_invitation_send(participant, f"nomination:{nomination.pk}")
    return nomination


def may_resend_account_invitation(user, mission: Mission, nomination: Nomination) -> bool:
    """The nominator or the GCC may send a new set-password link to a participant who has not
    set a password yet (the first link expired or was lost)."""
    participant = nomination.participant
    return (
        user.is_active
        and nomination.status in LIVE
        and participant.is_active
        and not participant.has_usable_password()
        and (nomination.nominated_by_id == user.pk or holds(user, "plan_mission", mission))
    )


def account_invitation_resend(nomination: Nomination | int, user) -> Nomination:
    """E-mail the participant a new link to set their password."""
    with transaction.atomic():
        current, nomination = _locked_nomination(nomination, user)
        if not may_resend_account_invitation(user, current, nomination):
            raise PermissionDenied(_("You may not send this person a new link."))
        account_invitation_send(
            nomination.participant, f"nomination:{nomination.pk}:{timezone.now().timestamp()}"
        )
    return nomination


def _locked_nomination(nomination: Nomination | int, user) -> tuple[Mission, Nomination]:
    pk = getattr(nomination, "pk", nomination)
    mission_id = (
        nomination.mission_id
        if isinstance(nomination, Nomination)
        else Nomination.objects.filter(pk=pk).values_list("mission_id", flat=True).first()
    )
    if mission_id is None:
        raise MissionNotFound(_("No such nomination."))
    current = mission_for_update(user, mission_id)
    locked = (
        Nomination.objects.select_for_update(of=("self",))
        .filter(pk__in=nominations_visible_to(user, current).filter(pk=pk).values("pk"))
        .select_related("participant", "nominated_by")
        .first()
    )
    if locked is None:
        raise MissionNotFound(_("No such nomination."))
    return current, locked


def _team_changed(mission: Mission) -> None:
    # A confirmed team that changes must be confirmed again (confirm_ready asks for it).
    Mission.objects.filter(pk=mission.pk).update(team_confirmed_at=None, team_confirmed_by=None)
    mission.team_confirmed_at = None
    mission.team_confirmed_by = None


def nomination_decide(
    nomination: Nomination | int, user, *, accept: bool, reason: str
) -> Nomination:
    """The GCC accepts a proposed nomination (the participant joins the team) or declines it,
    with a reason either way that the focal points and the participant see.

    A participant accepted again who is the leader the team chose last (their earlier
    nomination was withdrawn, and no round has opened since) leads again.
    """
    reason = _clean_reason(
        reason, _("Give a reason: the focal point and the participant will read it.")
    )
    with transaction.atomic():
        current, nomination = _locked_nomination(nomination, user)
        if not holds(user, "plan_mission", current):
            raise PermissionDenied(_("Only the GCC decides on nominations."))
        _require_planning(current, _("Nominations can be decided"))
        if nomination.status != Nomination.Status.PROPOSED:
            raise ValidationError(
                _("This nomination is already %(status)s.")
                % {"status": nomination.get_status_display().lower()}
            )
        nomination.status = Nomination.Status.ACCEPTED if accept else Nomination.Status.DECLINED
        nomination.decision_reason = reason
        nomination.decided_by = user
        nomination.decided_at = timezone.now()
        nomination.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        leads_again = False
        if accept:
            team_member_grant(nomination)
            _team_changed(current)
            leads_again = election_leader_rejoins(current, nomination)
        event = f"nomination:{nomination.pk}:{nomination.status}"
        context = {
            "nomination": nomination,
            "accepted": accept,
            "leads_again": leads_again,
            "the_mission": current,
            "nomination_url": site_url(nomination_url(nomination)),
            "team_url": site_url(reverse("missions:team", args=[current.pk])),
        }
        if nomination.nominated_by and nomination.nominated_by.is_active:
            notify(
                [nomination.nominated_by],
                current,
                event,
                "missions/email/nomination_decided",
                {**context, "for_participant": False},
            )
        notify(
            [nomination.participant],
            current if accept else None,  # a declined participant does not see the mission
            event,
            "missions/email/nomination_decided",
            {**context, "for_participant": True},
        )
    return nomination


def _clean_reason(value, missing: str) -> str:
    reason = (value or "").strip()
    if not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": too_long(_("the reason"), REASON_MAX_LENGTH, len(reason))})
    return reason


def nomination_withdraw(nomination: Nomination | int, user, *, reason: str) -> Nomination:
    """Take back a nomination, with a reason the participant and the team's planners read:
    the nominating focal point while it is proposed; the GCC also once accepted (the
    participant leaves the team, which must then be confirmed again; a leader no longer
    leads). Who, when and why stay on the nomination, its history."""
    reason = _clean_reason(
        reason, _("Give a reason: the participant and the GCC will read it on the nomination.")
    )
    with transaction.atomic():
        current, nomination = _locked_nomination(nomination, user)
        if not (holds(user, "plan_mission", current) or nomination.nominated_by_id == user.pk):
            raise PermissionDenied(_("You may not withdraw this nomination."))
        _require_planning(current, _("Nominations can be withdrawn"))
        if not may_withdraw(user, current, nomination):
            status = nomination.get_status_display().lower()
            if holds(user, "plan_mission", current):
                message = _("This nomination is %(status)s: it can no longer be withdrawn.")
            else:
                message = _(
                    "This nomination is %(status)s: it can no longer be withdrawn (ask the GCC)."
                )
            raise ValidationError(message % {"status": status})
        was_member = nomination.status == Nomination.Status.ACCEPTED
        nomination.status = Nomination.Status.WITHDRAWN
        nomination.withdrawn_by = user
        nomination.withdrawn_at = timezone.now()
        nomination.withdrawal_reason = reason
        nomination.save(
            update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawal_reason"]
        )
        if was_member:
            team_member_revoke(nomination)
            _team_changed(current)
        notify(
            [nomination.participant],
            None,
            f"nomination:{nomination.pk}:withdrawn",
            "missions/email/nomination_withdrawn",
            {
                "nomination": nomination,
                "the_mission": current,
                "withdrawn_by": user,
                "reason": reason,
            },
        )
    return nomination


def team_confirm(mission: Mission | int, user) -> Mission:
    """The GCC confirms the team: at least one member, and every nomination decided.

    Confirming a confirmed team changes nothing; a later change to the team clears it.
    """
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not holds(user, "plan_mission", current):
            raise PermissionDenied(_("Only the GCC confirms the team."))
        _require_planning(current, _("The team can be confirmed"))
        missing = team_confirm_missing(current)
        if missing:
            raise ValidationError(missing)
        if current.team_confirmed_at is None:
            current.team_confirmed_at = timezone.now()
            current.team_confirmed_by = user
            Mission.objects.filter(pk=current.pk).update(
                team_confirmed_at=current.team_confirmed_at, team_confirmed_by=user
            )
    return current
