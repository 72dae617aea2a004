"""Start an onboarding, watch it live (htmx polling, NetBox style), retry a failed step, cancel."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from onboarding import engine
from onboarding.access import get_job_for_user, get_tenant_for_user
from onboarding.presenters import job_view
from onboarding.views.actions import job_action
from tenants import preflight
from tenants.access import staff_required

# htmx stops polling when a response has this status (htmx docs, "Stopping polling").
HTMX_STOP_POLLING = 286


@staff_required
@require_POST
def start_onboarding(request, pk: int):
    tenant = get_tenant_for_user(request.user, pk)
    problems = preflight.run(tenant)
    blocking = [problem for problem in problems if problem.blocking]
    if blocking:
        # Before any email goes to the customer: say what to fix, and start nothing.
        for problem in blocking:
            messages.error(request, problem.message)
        if any(problem.permanent for problem in blocking):
            messages.info(
                request, "This cannot be fixed by retrying: edit the tenant if a detail is wrong."
            )
        return redirect(tenant)
    for problem in problems:
        messages.warning(request, problem.message)
    try:
        job = engine.start_job(tenant, request.user, request)
    except engine.JobAlreadyActive as error:
        messages.error(request, str(error))
        return redirect(tenant)
    return redirect(job)


@staff_required
@require_POST
def tenant_create_and_start(request):
    """ "Save and start onboarding" on the new-tenant form: one click from the form to the consent
    email. The form's own checks (tenants.preflight) ran before anything is saved or sent."""
    from django.urls import reverse

    from tenants.forms import TenantForm
    from tenants.signals import tenant_changed

    form = TenantForm(request.POST, start_url=reverse("tenant-create-start"))
    if not form.is_valid():
        return render(request, "tenants/tenant_form.html", {"form": form, "creating": True})
    tenant = form.save(commit=False)
    tenant.created_by = request.user
    tenant.save()
    tenant_changed.send(
        sender=type(tenant),
        request=request,
        action="tenant.created",
        description=f"Created tenant {tenant}",
        tenant=tenant,
    )
    for note in form.preflight_notes:
        messages.warning(request, note)
    job = engine.start_job(tenant, request.user, request)
    messages.success(
        request,
        f"{tenant.name} was added and its onboarding started: the customer's admin "
        f"({tenant.customer_admin_email}) gets the consent link.",
    )
    return redirect(job)


@staff_required
def job_detail(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return render(request, "onboarding/job_detail.html", job_view(job))


@staff_required
def job_progress(request, pk: int):
    """The part of the job page that polls, buttons included; answers 286 once the job is finished
    (a failed job keeps polling slowly, so a retry from elsewhere shows up)."""
    job = get_job_for_user(request.user, pk)
    status = HTMX_STOP_POLLING if job.is_finished else 200
    return render(request, "onboarding/partials/job_progress.html", job_view(job), status=status)


@staff_required
@require_POST
def job_retry(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request, job, lambda: engine.retry(job, request.user, request), "Retrying the failed step."
    )


@staff_required
@require_POST
def job_cancel(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request,
        job,
        lambda: engine.cancel(job, request.user, request),
        "The onboarding was cancelled.",
    )
