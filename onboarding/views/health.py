"""The tenant page's health: "Check now" and "Repair" (api.md v1.1), and what the page shows."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from onboarding import engine
from onboarding.access import get_tenant_for_user
from onboarding.health import codes
from onboarding.health import service as health
from onboarding.health.findings import open_findings
from onboarding.models import HealthCheck
from tenants.access import staff_required


def health_view(tenant) -> dict:
    """Open findings in words, what repair does about each, what the last check could not read."""
    findings = list(open_findings(tenant).order_by("severity", "first_seen_at", "pk"))
    last = HealthCheck.objects.filter(tenant=tenant).first()
    return {
        "findings": [
            {"finding": f, "title": codes.CODES[f.code].title, "repair": codes.CODES[f.code].repair}
            for f in findings
        ],
        "check": last,
        "checkable": health.is_checkable(tenant),
        "repairable": any(f.code in codes.REPAIRABLE for f in findings),
    }


@staff_required
@require_POST
def check_now(request, pk: int) -> HttpResponse:
    tenant = get_tenant_for_user(request.user, pk)
    try:
        health.request_check(tenant, request.user, request)
    except engine.NotAllowedNow as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            "Checking the tenant's health: this takes a few seconds. Reload the page to "
            "see the result.",
        )
    return redirect(tenant)


@staff_required
@require_POST
def repair(request, pk: int) -> HttpResponse:
    tenant = get_tenant_for_user(request.user, pk)
    try:
        job = health.start_repair(tenant, request.user, request)
    except (engine.JobAlreadyActive, engine.NotAllowedNow) as error:
        messages.error(request, str(error))
        return redirect(tenant)
    return redirect(job)
