"""The cluster's actions: from a weak commitment, the coordinator records what the cluster
will do (text, owner, due date), kept with the round and shown on the next one."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from commitments.models import ClusterAction, FrameworkItem, ItemKind, Round
from commitments.selectors.rounds import may_coordinate, round_for_update
from commitments.services.checks import clean_text

OWNER_MAX_LENGTH = ClusterAction._meta.get_field("owner").max_length


def action_record(
    round_: Round | int,
    user,
    *,
    item: FrameworkItem | int | None,
    text: str,
    owner: str,
    due_on: datetime.date | None,
    today: datetime.date | None = None,
) -> ClusterAction:
    """Record an action of the cluster on one of the round's commitments."""
    today = today or timezone.localdate()
    pk = round_.pk if isinstance(round_, Round) else round_
    errors: dict[str, str] = {}
    text = clean_text(text, errors, "text")
    owner = clean_text(owner, errors, "owner", limit=OWNER_MAX_LENGTH)
    if not text:
        errors.setdefault("text", _("Say what the cluster will do."))
    if not owner:
        errors.setdefault("owner", _("Name who will see to it."))
    if due_on is None:
        errors["due_on"] = _("Give the due date.")
    elif due_on < today:
        errors["due_on"] = _("The due date has passed: choose today or a later day.")
    with transaction.atomic():
        current = round_for_update(user, pk)
        if not may_coordinate(user, current.country_cluster_id):
            raise PermissionDenied(_("Only the cluster's coordinator records its actions."))
        item_pk = item.pk if isinstance(item, FrameworkItem) else item
        chosen = FrameworkItem.objects.filter(
            pk=item_pk, version=current.framework_id, kind=ItemKind.COMMITMENT
        ).first()
        if chosen is None:
            errors["item"] = _("Choose one of the round's commitments.")
        if errors:
            raise ValidationError(errors)
        return ClusterAction.objects.create(
            round=current, item=chosen, text=text, owner=owner, due_on=due_on, created_by=user
        )
