"""Jobs in any state, made directly (the dashboard reads rows; it does not run steps)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.models import OnboardingJob, Step
from tenants.models import Tenant


def make_job(tenant, state="running", *, step="create_app", user=None, age=timedelta(0), **fields):
    job = OnboardingJob.objects.create(
        tenant=tenant, state=state, current_step=step, started_by=user, **fields
    )
    when = timezone.now() - age
    OnboardingJob.objects.filter(pk=job.pk).update(created_at=when, state_changed_at=when)
    if step:
        Step.objects.create(job=job, key=step, order=0, state="running", started_at=when)
    job.refresh_from_db()
    return job


def make_tenants(count: int, prefix="client", start: int = 0) -> list[Tenant]:
    return Tenant.objects.bulk_create(
        Tenant(
            name=f"{prefix} {i:04d}",
            primary_domain=f"{prefix}{i}.example",
            customer_admin_email=f"a@{prefix}{i}.example",
        )
        for i in range(start, start + count)
    )


@pytest.fixture
def job_a(tenant_a, technician):
    return make_job(tenant_a, "running", user=technician, age=timedelta(hours=5))
