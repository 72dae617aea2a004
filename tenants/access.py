"""Who may reach which page: one place, used by every view (healthchecks' _get_check_for_user)."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from tenants.roles import is_manager, is_staff_member


def staff_required(view):
    """Technicians and managers only. Anonymous visitors never get here
    (LoginRequiredMiddleware)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied("Your account has no technician or manager role.")
        return view(request, *args, **kwargs)

    return wrapped


def manager_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("Only managers may see this page.")
        return view(request, *args, **kwargs)

    return wrapped
