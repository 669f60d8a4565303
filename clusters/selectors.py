import itertools

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


def user_roles(user) -> set[str]:
    """The roles `user` holds, in any scope (one query, then remembered on the user object
    until a role changes)."""
    if not user.is_authenticated:
        return set()
    remembered = getattr(user, "_icsm_roles", None)
    if remembered is None or remembered[0] != ROLES.current:
        roles = RoleAssignment.objects.filter(user=user).order_by().values_list("role", flat=True)
        remembered = user._icsm_roles = (ROLES.current, set(roles))
    return remembered[1]
