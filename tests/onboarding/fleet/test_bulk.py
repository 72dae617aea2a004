"""Bulk onboarding: batches, the in-flight bound's scope, skipped and cancelled starts, each job's
own consent email. The 100-tenant run through real workers and a throttling sandbox is in
test_bulk_real_workers.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onboarding.engine import run_job
from onboarding.fleet import bulk
from onboarding.models import OnboardingJob
from tenants.models import Tenant

pytestmark = pytest.mark.integration


def make_tenants(count: int) -> list[Tenant]:
    return [
        Tenant.objects.create(
            name=f"Bulk {i:03d}",
            primary_domain=f"bulk{i:03d}.example",
            customer_admin_email=f"it@bulk{i:03d}.example",
        )
        for i in range(count)
    ]


def test_the_graph_bound_is_per_customer_tenant(db, settings, dispatched):
    from django.utils import timezone

    from onboarding.engine import throttle
    from onboarding.models import Step, StepState

    settings.ONBOARDING_PIPELINE = "tests.onboarding.fleet.pipelines.GRAPH"
    settings.MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT = 1
    a, b, c = make_tenants(3)
    Tenant.objects.filter(pk__in=[a.pk, b.pk]).update(entra_tenant_id="t-shared")
    Tenant.objects.filter(pk=c.pk).update(entra_tenant_id="t-other")
    batch = bulk.start_batch(Tenant.objects.filter(pk__in=[a.pk, b.pk, c.pk]))
    jobs = {item.tenant_id: item.job for item in batch.items.select_related("job", "job__tenant")}
    Step.objects.filter(job=jobs[a.pk], key="graph_calls").update(
        state=StepState.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    claimed: list[int] = []

    def claim(step):
        claimed.append(step.job_id)
        return True

    for tenant in (b, c):
        job = OnboardingJob.objects.select_related("tenant").get(pk=jobs[tenant.pk].pk)
        throttle.claim_within_bounds(job, job.steps.get(key="graph_calls"), claim)
    assert claimed == [jobs[c.pk].pk]  # b shares a's Graph tenant, which is at its bound
    assert (jobs[b.pk].pk, settings.IN_FLIGHT_DEFER_SECONDS) in dispatched
    Step.objects.filter(job=jobs[a.pk]).update(lease_expires_at=timezone.now())  # a's lease lapsed
    job = OnboardingJob.objects.select_related("tenant").get(pk=jobs[b.pk].pk)
    assert throttle.claim_within_bounds(job, job.steps.get(key="graph_calls"), claim)


def test_a_tenant_with_an_active_job_is_noted_not_started_twice(db, settings, dispatched):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.fleet.pipelines.BOUNDED"
    tenants = make_tenants(3)
    first = bulk.start_batch(tenants[:1])
    second = bulk.start_batch(tenants)
    assert OnboardingJob.objects.filter(tenant=tenants[0]).count() == 1
    progress = bulk.progress(second)
    assert progress.counts == {"queued": 2, "skipped": 1}
    assert progress.rows[-1][1].tenant == tenants[0]
    assert "already has an onboarding" in progress.rows[-1][1].skipped_reason
    assert bulk.cancel_not_started(first) == 1
    assert bulk.progress(first).counts == {"cancelled": 1}


@pytest.mark.integration
def test_each_bulk_job_sends_its_own_consent_email_and_a_resend_reaches_every_unanswered(
    portal_sandbox, db, dispatched, technician
):
    from django.core import mail

    from onboarding.models import ConsentLink

    tenants = [
        Tenant.objects.create(
            name=name,
            primary_domain=domain,
            customer_admin_email=f"admin@{domain}",
            created_by=technician,
        )
        for name, domain in (("Fabrikam", "fabrikam.example"), ("Northwind", "northwind.example"))
    ]
    batch = bulk.start_batch(tenants, actor=technician)
    for item in batch.items.all():
        run_job(item.job_id)
    progress = bulk.progress(batch)
    assert progress.counts == {"waiting_customer": 2}, [
        (i.job.state, i.job.steps.exclude(state="succeeded").first().message)
        for _, i in progress.rows
    ]
    assert ConsentLink.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@fabrikam.example",
        "admin@northwind.example",
    ]
    assert bulk.resend_unanswered(batch, technician) == 2
    assert ConsentLink.objects.count() == 4 and len(mail.outbox) == 4
    # waiting for consent, nothing made in Microsoft 365 or Proofpoint yet: both can be cancelled
    assert bulk.cancel_not_started(batch, technician) == 2
    assert bulk.progress(batch).counts == {"cancelled": 2}
