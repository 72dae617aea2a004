"""Bulk onboarding: many jobs at once, in-flight calls per service bounded (the sandbox's log)."""

from __future__ import annotations

import threading
import time

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
