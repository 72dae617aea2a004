"""Start an onboarding, watch it live (htmx polling, NetBox style), retry a failed step, cancel."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onboarding import audit, workflow
from onboarding.access import get_job_for_user, get_tenant_for_user
from onboarding.presenters import job_view
from tenants.access import staff_required

# htmx stops polling when a response has this status (htmx docs, "Stopping polling").
HTMX_STOP_POLLING = 286


@staff_required
@require_POST
def start_onboarding(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    try:
        job = workflow.start_job(tenant, request.user)
    except workflow.JobAlreadyActive as error:
        messages.error(request, str(error))
        return redirect(tenant)
    audit.record("job.started", f"Started onboarding #{job.pk}", request=request, job=job)
    return redirect(job)


@staff_required
def job_detail(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return render(request, "onboarding/job_detail.html", job_view(job))


@staff_required
def job_progress(request, pk: int):
    """The part of the job page that polls; answers 286 once the job can change no more by itself."""
    job = get_job_for_user(request.user, pk)
    status = HTMX_STOP_POLLING if job.state in ("completed", "cancelled", "failed") else 200
    return render(request, "onboarding/partials/job_progress.html", job_view(job), status=status)


@staff_required
@require_POST
def job_retry(request, pk: int):
    job = get_job_for_user(request.user, pk)
    try:
        step = workflow.retry(job)
    except workflow.NotAllowedNow as error:
        messages.error(request, str(error))
    else:
        audit.record("job.retried", f"Retried step {step.key}", request=request, job=job)
        messages.success(request, "Retrying the failed step.")
    return redirect(job)


@staff_required
@require_POST
def job_cancel(request, pk: int):
    job = get_job_for_user(request.user, pk)
    try:
        workflow.cancel(job)
    except workflow.NotAllowedNow as error:
        messages.error(request, str(error))
    else:
        audit.record("job.cancelled", "Cancelled the onboarding", request=request, job=job)
        messages.success(request, "The onboarding was cancelled.")
    return redirect(job)
