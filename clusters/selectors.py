import itertools
from collections.abc import Iterable
from typing import NamedTuple

from django.db.models.signals import post_delete, post_save

from clusters.models import RoleAssignment


class Generation:
    """A process-wide count of changes, for what is remembered on a user object for a
    request: remember `current` with the value, and read again once it has moved. `bump` is
    a signal receiver."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self.current = next(self._count)

    def bump(self, **_kwargs) -> None:
        self.current = next(self._count)


# Every role assignment saved or deleted in this process: a grant is seen at once, even on
# the same user object.
ROLES = Generation()
post_save.connect(ROLES.bump, sender=RoleAssignment, dispatch_uid="icsm-roles-saved")
post_delete.connect(ROLES.bump, sender=RoleAssignment, dispatch_uid="icsm-roles-deleted")


class Assignment(NamedTuple):
    """One of a user's role rows: the role and the ids of its scope."""

    role: str
    country_id: int | None
    global_cluster_id: int | None
    cross_cutting_issue_id: int | None
    country_cluster_id: int | None
    organisation_id: int | None


def role_assignments(user) -> tuple[Assignment, ...]:
    """The role rows of `user` (one query, then remembered on the user object until a role
    changes): the roles and their scopes, which the scope selectors put into their queries
    as values rather than as a subquery of the role table each."""
    if not user.is_authenticated:
        return ()
    remembered = getattr(user, "_icsm_roles", None)
    if remembered is None or remembered[0] != ROLES.current:
        rows = tuple(
            Assignment(*row)
            for row in RoleAssignment.objects.filter(user=user)
            .order_by()
            .values_list(*Assignment._fields)
        )
        remembered = user._icsm_roles = (ROLES.current, rows, {row.role for row in rows})
    return remembered[1]


def user_roles(user) -> set[str]:
    """The roles `user` holds, in any scope (read with `role_assignments`)."""
    if not user.is_authenticated:
        return set()
    role_assignments(user)
    return user._icsm_roles[2]


def assigned(user, roles: str | Iterable[str], scope: str) -> list[int]:
    """The ids of `scope` (an Assignment field: "country_id", ...) of the user's rows of
    `roles` (a role or several), each once, in no particular order."""
    roles = {roles} if isinstance(roles, str) else set(roles)
    return list(
        {
            getattr(row, scope)
            for row in role_assignments(user)
            if row.role in roles and getattr(row, scope) is not None
        }
    )
