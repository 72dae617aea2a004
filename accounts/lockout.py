"""What a locked-out person sees (django-axes calls `lockout_response`), and the audit event."""

import math

from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from onboarding import audit
from onboarding.models import AuditEvent

STATUS = 429


def minutes_left(username: str | None, ip_address: str | None) -> int:
    """Whole minutes until the newest failure falls out of the cool-off period (at least 1)."""
    cool_off = get_cool_off()
    latest = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if cool_off is None:
        return 0
    if latest is None:
        return max(1, math.ceil(cool_off.total_seconds() / 60))
    left = (latest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left / 60))


USERNAME_MAX = 150  # auth.User's; django-axes keeps at most 255 characters


def lockout_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username tried, cut to what an account can have. The login form
    does not enforce its own max_length, and a longer name would not fit axes' column (a 500)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = credentials.get(field) if credentials else request.POST.get(field)
    return username[:USERNAME_MAX] if isinstance(username, str) else username


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    username = get_client_username(request, credentials)
    context = {
        "minutes": minutes_left(username, get_client_ip_address(request)),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "admin_site": request.path.startswith("/admin/"),
    }
    response = render(request, "accounts/locked_out.html", context, status=STATUS)
    response["Retry-After"] = str(context["minutes"] * 60)
    return response


def record_lockout(sender, request, username, ip_address, **kwargs) -> None:
    """axes sends user_locked_out at every refused attempt once the limit is reached: one audit
    event when the lockout starts (the failure that reaches the limit), not one per refused try."""
    if (
        request is None
        or getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT
    ):
        return
    what = getattr(request, "accounts_failed_step", "password")
    where = "the Django admin" if request.path.startswith("/admin/") else "the portal"
    name = (username or "")[:100]
    AuditEvent.objects.create(
        actor=None,
        actor_label="anonymous" if what == "password" else name,
        action="auth.locked_out",
        description=(
            f"Sign-in as '{name}' to {where} locked out for {settings.LOGIN_COOLOFF_MINUTES} "
            f"minutes after {settings.AXES_FAILURE_LIMIT} wrong {what} attempts"
        ),
        ip_address=audit.client_ip(request),
    )
