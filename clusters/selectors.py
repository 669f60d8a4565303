from clusters.models import RoleAssignment


def user_roles(user) -> set[str]:
    """The roles `user` holds, in any scope (cached on the user for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_icsm_roles"):
        user._icsm_roles = set(
            RoleAssignment.objects.filter(user=user).order_by().values_list("role", flat=True)
        )
    return user._icsm_roles
