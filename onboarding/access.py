"""The one way views and the API reach tenants and jobs: 404 for what the person may not see."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from onboarding.models import OnboardingJob
from tenants.models import Tenant
from tenants.roles import is_staff_member


def tenants_for(user):
    # Every technician and manager works on every client of the MSP; nobody else sees any.
    return Tenant.objects.all() if is_staff_member(user) else Tenant.objects.none()


def jobs_for(user):
    return (
        OnboardingJob.objects.select_related("tenant", "started_by")
        if is_staff_member(user)
        else (OnboardingJob.objects.none())
    )


def get_tenant_for_user(user, pk) -> Tenant:
    return get_object_or_404(tenants_for(user), pk=pk)


def get_job_for_user(user, pk) -> OnboardingJob:
    try:
        return get_object_or_404(jobs_for(user), pk=int(pk))
    except (TypeError, ValueError):
        raise Http404("No such onboarding.") from None
