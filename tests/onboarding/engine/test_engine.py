"""The job engine: ordering, retries, failures, retry of one step, cancel, claims and the
sweeper."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from onboarding import engine
from onboarding.engine import runner
from onboarding.models import JobState, OnboardingJob, Step, StepState
from tests import pipelines


@pytest.fixture(autouse=True)
def _calls():
    pipelines.CALLS.clear()


def use(settings, name):
    settings.ONBOARDING_PIPELINE = f"tests.pipelines.{name}"


def steps(job):
    return {s.key: s for s in Step.objects.filter(job=job)}


def test_start_creates_the_steps_in_order_and_dispatches(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    assert list(job.steps.values_list("key", flat=True)) == ["first", "flaky", "timer"]
    assert dispatched == [(job.pk, 0)]


def test_a_second_active_job_for_the_same_tenant_is_refused(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    engine.start_job(tenant_a)
    with pytest.raises(engine.JobAlreadyActive):
        engine.start_job(tenant_a)


def test_it_retries_a_transient_error_later_honouring_retry_after(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    flaky = steps(job)["flaky"]
    assert flaky.state == StepState.PENDING
    assert "503" in flaky.message and flaky.next_attempt_at is not None
    assert dispatched[-1] == (job.pk, 0.2)
    flaky.next_attempt_at = timezone.now()
    flaky.save()
    engine.run_job(job.pk)
    assert steps(job)["flaky"].state == StepState.SUCCEEDED
    assert pipelines.CALLS == ["first", "flaky", "flaky"]


def test_it_gives_up_when_the_outage_budget_is_spent(settings, tenant_a, dispatched):
    # Retries are bounded by time (onboarding/engine/budgets.py), not by STEP_MAX_ATTEMPTS.
    use(settings, "QUICK")
    settings.STEP_MAX_ATTEMPTS = 1
    settings.OUTAGE_BUDGET_MINUTES = 0
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    message = steps(job)["flaky"].message
    assert message.startswith("Stopped after 0 s: An outside service is unavailable")
    assert "OUTAGE_BUDGET_MINUTES" in message


def test_a_permanent_error_fails_the_step_with_its_message(settings, tenant_a, dispatched):
    use(settings, "FAILING")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.current_step == "broken"
    assert "Authorization_RequestDenied" in steps(job)["broken"].message


def test_retry_runs_only_the_failed_step_again(settings, tenant_a, dispatched):
    use(settings, "FAILING")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    engine.retry(job)
    engine.run_job(job.pk)
    assert pipelines.CALLS == ["first", "broken", "broken"]


def test_retry_of_a_job_that_has_not_failed_is_refused(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    with pytest.raises(engine.NotAllowedNow):
        engine.retry(job)


def test_cancel_stops_the_job_and_skips_what_is_left(settings, tenant_a, dispatched):
    use(settings, "REVIEW")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    engine.cancel(job)
    engine.run_job(job.pk)
    assert job.state == JobState.CANCELLED
    assert steps(job)["review"].state == StepState.SKIPPED
    with pytest.raises(engine.NotAllowedNow):
        engine.cancel(job)


def test_a_waiting_step_resumes_on_its_event(settings, tenant_a, dispatched):
    use(settings, "REVIEW")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW
    tenant_a.notes = "approved"
    tenant_a.save()
    assert engine.resume(job, "review")
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED and job.finished_at


def test_a_wait_past_its_deadline_times_out_with_a_clear_message(settings, tenant_a, dispatched):
    use(settings, "REVIEW")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    Step.objects.filter(job=job, key="review").update(
        deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert engine.sweep()["timed_out"] == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert steps(job)["review"].message == "Nobody approved in time."


def test_the_sweeper_fires_due_timers(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    Step.objects.filter(job=job, key="flaky").update(next_attempt_at=timezone.now())
    engine.run_job(job.pk)
    assert steps(job)["timer"].state == StepState.WAITING
    Step.objects.filter(job=job, key="timer").update(wake_at=timezone.now() - timedelta(seconds=1))
    Step.objects.filter(job=job, key="timer").update(data={"until": timezone.now().isoformat()})
    assert engine.sweep()["woken"] == 1
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED


def test_the_sweeper_recovers_a_step_whose_worker_died(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    # A worker claimed "first" and was killed: the step is running with a lease that has run out.
    Step.objects.filter(job=job, key="first").update(
        state=StepState.RUNNING, attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    engine.run_job(job.pk)
    assert pipelines.CALLS == []  # nobody else may run it while it looks held
    assert engine.sweep()["recovered"] == 1
    engine.run_job(job.pk)
    assert pipelines.CALLS[0] == "first"
    assert steps(job)["first"].attempts == 2


def test_the_sweeper_redispatches_a_job_whose_message_was_lost(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    OnboardingJob.objects.filter(pk=job.pk).update(
        dispatched_at=timezone.now() - timedelta(hours=1)
    )
    dispatched.clear()
    assert engine.sweep()["redispatched"] == 1
    assert dispatched == [(job.pk, 0)]


def test_a_step_is_claimed_once(settings, tenant_a, dispatched):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    step = Step.objects.get(job=job, key="first")
    assert runner._claim(step) is True
    assert runner._claim(step) is False


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_step_run_it_once(settings, tenant_a, dispatched):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL (as in CI)")
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        step = Step.objects.get(job=job, key="first")
        results.append(runner._claim(step))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_backoff_honours_retry_after_else_grows_with_jitter(settings):
    settings.STEP_RETRY_BASE_SECONDS = 4
    assert runner.backoff_seconds(3, retry_after=2.5) == 2.5
    delays = {runner.backoff_seconds(3) for _ in range(20)}
    assert all(8 <= d <= 16 for d in delays) and len(delays) > 1


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_new_owner(
    settings, tenant_a, dispatched
):
    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    step = Step.objects.get(job=job, key="first")
    assert runner._claim(step)
    stale = Step.objects.get(pk=step.pk)  # worker A's view: attempt 1
    # A stalls past its lease; the sweeper hands the step to worker B, which claims attempt 2.
    Step.objects.filter(pk=step.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    engine.sweep()
    assert runner._claim(Step.objects.get(pk=step.pk))
    # A finally returns "done": its late outcome is dropped, B's claim stands.
    from onboarding.steps.base import Done

    assert runner._record(job, stale, Done("late")) is False
    current = Step.objects.get(pk=step.pk)
    assert (
        current.state == StepState.RUNNING and current.attempts == 2 and current.message != "late"
    )


def test_a_heartbeat_after_losing_the_lease_stops_the_step(settings, tenant_a, dispatched):
    from onboarding.steps.base import LeaseLost, StepContext

    use(settings, "QUICK")
    job = engine.start_job(tenant_a)
    step = Step.objects.get(job=job, key="first")
    assert runner._claim(step)
    mine = Step.objects.get(pk=step.pk)
    Step.objects.filter(pk=step.pk).update(
        attempts=mine.attempts + 1
    )  # someone else claimed it since
    with pytest.raises(LeaseLost):
        StepContext(job=job, step=mine, lease_seconds=60, claimed=True).heartbeat()
