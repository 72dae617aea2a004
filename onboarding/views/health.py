"""The tenant page's health: "Check now" and "Repair" (api.md v1.1), and what the page shows."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from onboarding import engine
from onboarding.access import get_tenant_for_user
from onboarding.health import codes
from onboarding.health import service as health
from onboarding.health.checks import never_consented
from onboarding.health.findings import open_findings
from onboarding.models import HealthCheck, ProofpointSnapshot, brought_in_without_app
from tenants.access import staff_required


def health_view(tenant) -> dict:
    """Open findings in words, what repair does about each, what the last check could not read."""
    findings = list(open_findings(tenant).order_by("severity", "first_seen_at", "pk"))
    last = HealthCheck.objects.filter(tenant=tenant).first()
    holds = not brought_in_without_app(tenant)
    return {
        "findings": [
            {
                "finding": f,
                "title": codes.CODES[f.code].title,
                "repair": codes.repair_words(f.code, holds),
            }
            for f in findings
        ],
        "check": last,
        "checkable": health.is_checkable(tenant),
        "repairable": any(f.code in codes.REPAIRABLE for f in findings),
        "replaces": "" if holds else replaced_by_repair(tenant, {f.code for f in findings}),
    }


def replaced_by_repair(tenant, open_codes: set[str]) -> str:
    """What a repair would replace on a tenant whose sync app the portal does not hold (brought in
    from Proofpoint): said next to the button and in its confirmation, since the technician asks
    for it there and nowhere else. Empty when the repair leaves that app alone."""
    if not open_codes & codes.REPLACES_UNHELD_APP:
        return ""
    snapshot = ProofpointSnapshot.objects.filter(tenant=tenant).first()
    named = (
        f" (client id {snapshot.application_id})" if snapshot and snapshot.application_id else ""
    )
    consent = (
        " The portal has no consent in the customer's Microsoft 365 yet, so the repair first "
        "emails the customer's admin a link to approve the portal's app."
        if never_consented(tenant)
        else ""
    )
    return (
        f"Repair replaces the sync app Proofpoint uses now{named}, which the portal did not make, "
        "with the portal's own: a new app registration with its permissions and a secret the "
        "portal holds, saved in Proofpoint's sync settings. The old app stays in the customer's "
        f"Entra ID, unused: delete it there once the sync works.{consent}"
    )


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
