"""Bulk onboarding: many jobs at once, in-flight calls per service bounded (the sandbox's log)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from onboarding.engine import run_job
from onboarding.fleet import bulk
from onboarding.models import JobState, OnboardingJob
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


def run_all(jobs: list[OnboardingJob], workers: int) -> None:
    """`workers` threads, each running jobs until all are done; a deferred job is simply retried."""
    pending = [job.pk for job in jobs]
    guard = threading.Lock()

    def worker() -> None:
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with guard:
                    if not pending:
                        return
                    job_id = pending.pop(0)
                run_job(job_id)
                if OnboardingJob.objects.get(pk=job_id).state != JobState.COMPLETED:
                    with guard:
                        pending.append(job_id)  # deferred at the bound: back of the line
                    time.sleep(0.02)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def bounded(portal_sandbox, settings, dispatched):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.fleet.pipelines.BOUNDED"
    portal_sandbox.knobs(latency_ms=60, services=["proofpoint"])
    portal_sandbox.clear_requests()
    return portal_sandbox


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("bound", [2, 8])
def test_a_batch_completes_with_proofpoint_calls_never_above_the_bound(
    bounded, settings, bound, dispatched
):
    settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER = bound
    tenants = make_tenants(12)
    batch = bulk.start_batch(tenants, name="Twelve")
    jobs = [item.job for item in batch.items.select_related("job")]
    assert len(jobs) == 12 and len({job.pk for job in jobs}) == 12

    run_all(jobs, workers=8)

    assert all(
        j.state == JobState.COMPLETED
        for j in OnboardingJob.objects.filter(pk__in=[job.pk for job in jobs])
    )
    peak = bounded.max_in_flight("proofpoint")
    assert bounded.requests("proofpoint")["counts"].get("GET /api/v1/me", 0) >= 36
    if bound == 2:
        assert peak <= 2
        assert any(countdown > 0 for _, countdown in dispatched)  # some waited their turn
    else:
        assert peak > 2  # the control: without a tight bound the calls do overlap
    progress = bulk.progress(batch)
    assert progress.counts == {"completed": 12} and progress.percent == 100


@pytest.mark.django_db(transaction=True)
def test_a_hundred_at_once_through_a_throttling_sandbox_all_complete_within_the_bound(
    portal_sandbox, settings, dispatched
):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.fleet.pipelines.BOUNDED"
    settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER = 3
    portal_sandbox.knobs(
        latency_ms=20, throttle_rate=0.1, retry_after=[0.05], services=["proofpoint"]
    )
    portal_sandbox.clear_requests()
    batch = bulk.start_batch(make_tenants(100), name="Hundred")
    jobs = [item.job for item in batch.items.select_related("job")]
    run_all(jobs, workers=6)
    assert bulk.progress(batch).counts == {"completed": 100}
    log = portal_sandbox.requests("proofpoint")
    assert portal_sandbox.max_in_flight("proofpoint") <= 3
    statuses = {entry["status"] for entry in log["recent"]}
    assert 429 in statuses  # the sandbox did throttle, and the jobs still all completed


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
