import itertools

from django.db.models.signals import post_delete, post_save

from clusters.models import RoleAssignment

# Bumped whenever a role assignment is saved or deleted in this process: the roles remembered
# on a user object are then read again (a grant is seen at once, even on the same object).
_roles_changed = itertools.count()
_generation = next(_roles_changed)


def roles_changed(**_kwargs) -> None:
    """Forget every user's remembered roles (a signal receiver)."""
    global _generation
    _generation = next(_roles_changed)


post_save.connect(roles_changed, sender=RoleAssignment, dispatch_uid="icsm-roles-saved")
post_delete.connect(roles_changed, sender=RoleAssignment, dispatch_uid="icsm-roles-deleted")


def user_roles(user) -> set[str]:
    """The roles `user` holds, in any scope (one query, then remembered on the user object
    until a role changes)."""
    if not user.is_authenticated:
        return set()
    remembered = getattr(user, "_icsm_roles", None)
    if remembered is None or remembered[0] != _generation:
        roles = RoleAssignment.objects.filter(user=user).order_by().values_list("role", flat=True)
        remembered = user._icsm_roles = (_generation, set(roles))
    return remembered[1]
