"""The two staff roles. Customers have no account: they only ever see consent pages."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

TECHNICIANS = "Technicians"
MANAGERS = "Managers"
ROLE_GROUPS = {"technician": TECHNICIANS, "manager": MANAGERS}


def _group_names(user) -> set[str]:
    if not hasattr(user, "_role_group_names"):
        user._role_group_names = set(user.groups.values_list("name", flat=True))
    return user._role_group_names


def is_staff_member(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Technicians, managers and superusers may use the portal."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_group_names(user) & {TECHNICIANS, MANAGERS})


def is_manager(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or MANAGERS in _group_names(user)
