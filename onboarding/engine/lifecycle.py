"""The tenant's lifecycle (api.md v1.1), kept by the engine as jobs start, complete and are
cancelled.

`live` from the first completed onboarding on, whatever later jobs do: a re-run, its failure or its
cancellation never makes a live tenant look new or dead again. Conditional UPDATEs, so two workers
(or a redelivered message) agree.
"""

from django.utils import timezone

from onboarding.models import FINISHED_JOB_STATES, JobKind, JobState, OnboardingJob
from tenants.models import Lifecycle, Tenant


def job_started(job: OnboardingJob) -> None:
    if job.kind != JobKind.ONBOARDING:
        return  # a repair never changes the lifecycle
    Tenant.objects.filter(pk=job.tenant_id, lifecycle=Lifecycle.NOT_ONBOARDED).update(
        lifecycle=Lifecycle.ONBOARDING
    )


def job_completed(job: OnboardingJob) -> None:
    if job.kind != JobKind.ONBOARDING:
        return
    finished_at = job.finished_at or timezone.now()
    Tenant.objects.filter(pk=job.tenant_id).exclude(lifecycle=Lifecycle.LIVE).update(
        lifecycle=Lifecycle.LIVE, live_since=finished_at, onboarded_in=finished_at - job.created_at
    )


def job_cancelled(job: OnboardingJob) -> None:
    """A cancelled first onboarding leaves the tenant not onboarded (unless another job is
    active)."""
    if job.kind != JobKind.ONBOARDING:
        return
    others = OnboardingJob.objects.filter(tenant_id=job.tenant_id).exclude(pk=job.pk)
    if (
        others.filter(state=JobState.COMPLETED).exists()
        or others.exclude(state__in=FINISHED_JOB_STATES).exists()
    ):
        return
    Tenant.objects.filter(pk=job.tenant_id, lifecycle=Lifecycle.ONBOARDING).update(
        lifecycle=Lifecycle.NOT_ONBOARDED
    )
