"""Tenant lifecycle (api.md v1.1): live from the first completed onboarding on, whatever later jobs
do;
a cancelled first onboarding leaves the tenant not onboarded; a repair never changes the
lifecycle."""

import pytest

from onboarding import engine
from onboarding.engine import lifecycle
from onboarding.models import JobKind, JobState, OnboardingJob, Step
from tenants.models import Lifecycle

PIPELINES = "tests.onboarding.lifecycle.pipelines."
pytestmark = pytest.mark.django_db


def run(tenant, pipeline, settings, technician) -> OnboardingJob:
    settings.ONBOARDING_PIPELINE = PIPELINES + pipeline
    job = engine.start_job(tenant, technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    tenant.refresh_from_db()
    return job


def test_a_first_onboarding_is_onboarding_then_live_from_its_completion(
    tenant_a, technician, settings, dispatched
):
    settings.ONBOARDING_PIPELINE = PIPELINES + "ONE"
    assert tenant_a.lifecycle == Lifecycle.NOT_ONBOARDED
    job = engine.start_job(tenant_a, technician)
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == Lifecycle.ONBOARDING and tenant_a.live_since is None
    engine.run_job(job.pk)
    job.refresh_from_db()
    tenant_a.refresh_from_db()
    assert job.state == JobState.COMPLETED
    assert tenant_a.lifecycle == Lifecycle.LIVE and tenant_a.live_since == job.finished_at


def test_a_cancelled_first_onboarding_leaves_the_tenant_not_onboarded(
    tenant_a, technician, settings, dispatched
):
    job = run(tenant_a, "WAITS", settings, technician)
    assert job.state == JobState.WAITING_REVIEW and tenant_a.lifecycle == Lifecycle.ONBOARDING
    engine.cancel(job, technician)
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == Lifecycle.NOT_ONBOARDED and tenant_a.live_since is None


def test_a_failed_first_onboarding_is_still_onboarding_until_cancelled(
    tenant_a, technician, settings, dispatched
):
    job = run(tenant_a, "FAILS", settings, technician)
    assert job.state == JobState.FAILED and tenant_a.lifecycle == Lifecycle.ONBOARDING
    engine.retry(job, technician)
    engine.run_job(job.pk)
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == Lifecycle.ONBOARDING
    engine.cancel(job, technician)
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == Lifecycle.NOT_ONBOARDED


def test_a_live_tenant_stays_live_whatever_later_jobs_do(
    tenant_a, technician, settings, dispatched
):
    first = run(tenant_a, "ONE", settings, technician)
    since = tenant_a.live_since
    assert tenant_a.lifecycle == Lifecycle.LIVE and since == first.finished_at

    waiting = run(tenant_a, "WAITS", settings, technician)  # a re-run
    assert tenant_a.lifecycle == Lifecycle.LIVE
    engine.cancel(waiting, technician)
    tenant_a.refresh_from_db()
    assert (tenant_a.lifecycle, tenant_a.live_since) == (Lifecycle.LIVE, since)

    failed = run(tenant_a, "FAILS", settings, technician)
    assert failed.state == JobState.FAILED
    assert (tenant_a.lifecycle, tenant_a.live_since) == (Lifecycle.LIVE, since)
    engine.cancel(failed, technician)

    again = run(tenant_a, "ONE", settings, technician)
    assert again.state == JobState.COMPLETED
    assert (tenant_a.lifecycle, tenant_a.live_since) == (
        Lifecycle.LIVE,
        since,
    )  # from the FIRST completion


def test_after_a_cancelled_first_onboarding_the_next_completed_one_makes_the_tenant_live(
    tenant_a, technician, settings, dispatched
):
    cancelled = run(tenant_a, "WAITS", settings, technician)
    engine.cancel(cancelled, technician)
    completed = run(tenant_a, "ONE", settings, technician)
    assert tenant_a.lifecycle == Lifecycle.LIVE and tenant_a.live_since == completed.finished_at


def repair_job(tenant, key="only") -> OnboardingJob:
    job = OnboardingJob.objects.create(tenant=tenant, kind=JobKind.REPAIR)
    Step.objects.create(job=job, key=key, order=0)
    lifecycle.job_started(job)
    return job


@pytest.mark.parametrize("before", [Lifecycle.NOT_ONBOARDED, Lifecycle.ONBOARDING, Lifecycle.LIVE])
def test_a_repair_never_changes_the_lifecycle(tenant_a, technician, settings, dispatched, before):
    settings.ONBOARDING_PIPELINE = PIPELINES + "ONE"
    type(tenant_a).objects.filter(pk=tenant_a.pk).update(lifecycle=before)
    completed = repair_job(tenant_a)
    engine.run_job(completed.pk)  # the engine completes it
    completed.refresh_from_db()
    assert completed.state == JobState.COMPLETED
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == before and tenant_a.live_since is None

    cancelled = repair_job(tenant_a)
    engine.cancel(cancelled, technician)
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == before


def test_only_the_completion_that_makes_the_tenant_live_emails_the_customer(
    tenant_a, technician, settings, dispatched
):
    from notifications.receivers import emails_for
    from onboarding.engine import events

    first = run(tenant_a, "ONE", settings, technician)
    again = run(tenant_a, "ONE", settings, technician)
    assert "customer_completed" in emails_for(first, events.COMPLETED, None)
    assert "customer_completed" not in emails_for(again, events.COMPLETED, None)
