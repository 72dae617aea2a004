"""Project-level pages: home, the health check, and the rate-limit answer."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from tenants.access import staff_required
from tenants.roles import is_manager


@staff_required
def home(request):
    """The first screen answers "what needs me now?": a manager's dashboard; a technician's jobs
    when one waits on them, else the tenants."""
    if is_manager(request.user):
        return redirect("dashboard")
    from onboarding.views.my_jobs import needs_me

    return redirect("my-jobs" if needs_me(request.user).exists() else "tenant-list")


@login_not_required
@never_cache
def healthz(request):
    """200 when the database and the broker answer; 503 naming the one that does not."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    status = 200 if all(checks.values()) else 503
    body = {
        "status": "ok" if status == 200 else "unavailable",
        **{k: "ok" if v else "down" for k, v in checks.items()},
    }
    return JsonResponse(body, status=status)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001  any failure means "down"
        return False


def _broker_ok() -> bool:
    from portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


@login_not_required
def rate_limited(request, exception=None):
    return HttpResponse(
        "Too many requests from your address. Wait a minute and try again.",
        status=429,
        content_type="text/plain",
    )


@staff_required
def settings_help(request):
    from accounts.microsoft import callback_url as signin_callback_url

    return render(
        request,
        "portal/help.html",
        {
            "callback_url": f"{settings.PORTAL_BASE_URL}/consent/callback/",
            "signin_callback_url": signin_callback_url(),
        },
    )
