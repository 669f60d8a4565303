"""Request intake: the RC/HC office's form, its documents, the HCT's endorsement, comments."""

from __future__ import annotations

import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clusters.models import Country, Role
from formats.uploads import UploadRejected, check_upload, clean_filename
from missions.models import Attachment, Comment, Mission
from missions.selectors.missions import mission_for_update, missions_visible_to
from missions.services.mission import mission_create
from missions.services.permissions import mission_sync_permissions
from missions.workflow import REQUEST_STATES, MissionNotFound, Status, holds

REQUEST_FIELDS = (
    "title",
    "country",
    "mission_type",
    "parent",
    "issues",
    "objectives",
    "deliverables",
    "preferred_start",
    "preferred_end",
    "suggested_team_size",
    "requested_clusters",
    "requested_issues",
    "composition_notes",
    "security_constraints",
    "planned_evaluations",
    "hct_endorsed_on",
    "hct_endorsement_record",
    "country_contacts",
    "revision_answer",
)
COMMENT_MAX_LENGTH = 5000


class RequestNotEditable(Exception):
    """The request is no longer a draft, so its content cannot change. Nothing was changed."""


class MissionChanged(ValidationError):
    """Someone else saved the mission after the page being saved was shown: nothing was
    saved. `version` is the mission's version now, for the page shown again."""

    def __init__(self, message: str, version: str):
        super().__init__(message, code="stale")
        self.version = version


def mission_version(mission: Mission) -> str:
    """What a page that edits a mission carries, to tell when it is saved whether someone
    else saved the mission since it was shown: the time of the mission's last save."""
    return mission.updated_at.isoformat()


def mission_check_unchanged(
    current: Mission, expected_updated_at: str | None, message: str
) -> None:
    """Refuse (MissionChanged, with `message`) when `current`, locked by the caller, is no
    longer the version the page showed. None: the caller showed no page (a script)."""
    if expected_updated_at is None:
        return
    try:
        unchanged = datetime.datetime.fromisoformat(expected_updated_at) == current.updated_at
    except (TypeError, ValueError):
        unchanged = False  # a version that is not one: nobody can say what the page showed
    if not unchanged:
        raise MissionChanged(message, mission_version(current))


def request_countries(user) -> QuerySet[Country]:
    """The countries `user` may draft requests for: those where they hold the RC/HC role."""
    if not user.is_authenticated or not user.is_active:
        return Country.objects.none()
    return Country.objects.filter(
        roleassignment__user=user, roleassignment__role=Role.RC_HC
    ).distinct()


def request_editable_by(mission: Mission, user) -> bool:
    """Whether `user` may change the request's content now: a draft, and theirs to submit."""
    return mission.status == Status.DRAFT and holds(user, "submit_mission", mission)


def _check_request_scope(user, country: Country, parent: Mission | None, own_pk=None) -> None:
    if not user.is_superuser and not request_countries(user).filter(pk=country.pk).exists():
        raise PermissionDenied(_("You may only request missions for a country you represent."))
    if parent is not None:
        if parent.pk == own_pk or parent.country_id != country.pk:
            raise ValidationError(
                {"parent": _("The earlier mission must be another mission in the same country.")}
            )
        if not missions_visible_to(user).filter(pk=parent.pk).exists():
            raise MissionNotFound(_("No such earlier mission."))


@transaction.atomic
def mission_request_create(user, *, country: Country, title: str, mission_type: str, **fields):
    """A new request in draft for one of the user's countries, requested by the user."""
    unknown = set(fields) - set(REQUEST_FIELDS)
    if unknown:
        raise TypeError(f"Not request fields: {', '.join(sorted(unknown))}")
    _check_request_scope(user, country, fields.get("parent"))
    return mission_create(
        country=country, title=title, mission_type=mission_type, requested_by=user, **fields
    )


def mission_update_request(
    mission: Mission | int, user, *, expected_updated_at: str | None = None, **fields
) -> Mission:
    """Change the content of a draft request; only its RC/HC office may, and only in draft.

    Raises RequestNotEditable once it has been submitted (a request returned for revision is
    a draft again), and MissionChanged when someone saved the request after the form was
    shown (`expected_updated_at`, from `mission_version`): nothing is overwritten. When the
    country changes, the role groups' permissions follow it.
    """
    unknown = set(fields) - set(REQUEST_FIELDS)
    if unknown:
        raise TypeError(f"Not request fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not request_editable_by(current, user):
            status = current.status_in_sentence
            raise RequestNotEditable(
                _(
                    "This request is %(status)s, so it can no longer be changed. It becomes "
                    "editable again only if OCHA returns it to you with questions."
                )
                % {"status": status}
            )
        mission_check_unchanged(
            current,
            expected_updated_at,
            _(
                "Someone else saved this request after you opened this page (in another tab, "
                "or another person). Nothing you typed was saved, and nothing of theirs was "
                "overwritten."
            ),
        )
        country = fields.get("country", current.country)
        _check_request_scope(user, country, fields.get("parent", current.parent), current.pk)
        country_changed = country.pk != current.country_id
        clusters = fields.pop("requested_clusters", None)
        issues = fields.pop("requested_issues", None)
        for name, value in fields.items():
            setattr(current, name, value)
        current.save()
        if clusters is not None:
            current.requested_clusters.set(clusters)
        if issues is not None:
            current.requested_issues.set(issues)
        if country_changed:
            mission_sync_permissions(current)
    if isinstance(mission, Mission):
        mission.refresh_from_db()
    return current


def attachment_may_add(mission: Mission, user, kind: str) -> bool:
    """Editors add any document to a draft; the HCT adds its minutes while it may endorse."""
    if request_editable_by(mission, user):
        return True
    return (
        kind == Attachment.Kind.HCT_MINUTES
        and mission.status in REQUEST_STATES
        and holds(user, "endorse_mission", mission)
    )


def attachment_add(mission: Mission | int, user, uploaded_file, kind: str) -> Attachment:
    """Store one document with the request, or raise ValidationError saying why not.

    The type is read from the content (missions.uploads), never from the name or the browser.
    The file goes under MEDIA_ROOT with a random name; its own name is kept for display.
    (If an enclosing transaction rolls back after this, the stored file stays behind unused:
    callers validate every upload before they start writing.)
    """
    if kind not in Attachment.Kind.values:
        raise ValidationError(_("Choose what kind of document this is."))
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not attachment_may_add(current, user, kind):
            raise PermissionDenied(_("You may not add documents to this request now."))
        limit = settings.ICSM_ATTACHMENT_MAX_COUNT
        if current.attachments.count() >= limit:
            raise ValidationError(
                _(
                    "This request already holds %(limit)d documents, the most it can have. "
                    "Delete one it no longer needs first."
                )
                % {"limit": limit}
            )
        try:
            file_kind = check_upload(
                uploaded_file, uploaded_file.size, settings.ICSM_ATTACHMENT_MAX_BYTES
            )
        except UploadRejected as rejected:
            raise ValidationError(_(rejected.message)) from None
        attachment = Attachment(
            mission=current,
            kind=kind,
            original_name=clean_filename(uploaded_file.name or ""),
            content_type=file_kind.content_type,
            size=uploaded_file.size,
            uploaded_by=user,
        )
        attachment.file.save(attachment.original_name, uploaded_file, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def attachment_delete(attachment: Attachment, user) -> None:
    """Remove a document from a draft request (its editors only); the file goes after commit."""
    with transaction.atomic():
        current = mission_for_update(user, attachment.mission_id)
        if not request_editable_by(current, user):
            raise RequestNotEditable(
                _("Documents can only be removed while the request is a draft.")
            )
        row = current.attachments.filter(pk=attachment.pk).first()
        if row is None:
            return
        storage, name = row.file.storage, row.file.name
        row.delete()
        transaction.on_commit(partial(storage.delete, name))


def mission_endorse(
    mission: Mission | int,
    user,
    *,
    endorsed_on: datetime.date,
    record: str = "",
    minutes=None,
) -> Mission:
    """Record the HCT's agreement that a mission is needed: its date, a short record of the
    decision and, optionally, the minutes of the meeting (stored as an attachment)."""
    record = (record or "").strip()
    with transaction.atomic():
        current = mission_for_update(user, mission)
        if not holds(user, "endorse_mission", current):
            raise PermissionDenied(_("You may not record the HCT's agreement on this request."))
        if current.status not in REQUEST_STATES:
            raise RequestNotEditable(
                _(
                    "The HCT's agreement can only be recorded until the request goes to the "
                    "Task Team."
                )
            )
        if endorsed_on > timezone.localdate():
            raise ValidationError({"hct_endorsed_on": _("The date cannot be in the future.")})
        has_minutes = current.attachments.filter(kind=Attachment.Kind.HCT_MINUTES).exists()
        if not record and minutes is None and not has_minutes:
            raise ValidationError(
                {"hct_endorsement_record": _("Describe the HCT's decision or attach the minutes.")}
            )
        current.hct_endorsed_on = endorsed_on
        if record:
            current.hct_endorsement_record = record
        current.save(update_fields=["hct_endorsed_on", "hct_endorsement_record", "updated_at"])
        if minutes is not None:
            attachment_add(current, user, minutes, Attachment.Kind.HCT_MINUTES)
    if isinstance(mission, Mission):
        mission.refresh_from_db()
    return current


def comment_add(mission: Mission | int, user, text: str) -> Comment:
    """A comment on a request by anyone who can see it."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write your comment before sending it."))
    if len(text) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("Keep a comment under %(limit)d characters (this one has %(length)d).")
            % {"limit": COMMENT_MAX_LENGTH, "length": len(text)}
        )
    pk = mission.pk if isinstance(mission, Mission) else mission
    if not missions_visible_to(user).filter(pk=pk).exists():
        raise MissionNotFound(_("No such mission."))
    return Comment.objects.create(mission_id=pk, author=user, text=text)
