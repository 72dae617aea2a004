"""A broker message lost while a job's step was just woken (a Redis restart, a broker outage when
the
customer answers or the technician approves) must not strand the job: the sweeper sends it again.

Before the fix the sweeper re-sent only jobs in `queued` or `running`. A step woken by the consent
callback, the approval or the countdown timer is `pending` while its job still shows
`waiting_customer`,
`waiting_review` or `countdown` until a worker claims it, so a lost message left it pending forever
(seen
in tests/chaos/test_many_onboardings.py: a job stuck in waiting_customer with its consent step
pending).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding import engine
from onboarding.models import JobState, OnboardingJob, Step, StepState
from onboarding.report import queries as report_queries

pytestmark = [pytest.mark.chaos, pytest.mark.django_db]


def park(job, key: str, job_state: str, **step_fields) -> None:
    """The job as the engine leaves it when `key` waits: steps before it done, the job in
    `job_state`."""
    order = Step.objects.get(job=job, key=key).order
    Step.objects.filter(job=job, order__lt=order).update(state=StepState.SUCCEEDED)
    Step.objects.filter(job=job, key=key).update(state=StepState.WAITING, **step_fields)
    OnboardingJob.objects.filter(pk=job.pk).update(state=job_state, current_step=key)


def lose_messages_and_wait(job, dispatched) -> None:
    """The message just sent never arrives; time passes beyond the sweeper's patience."""
    dispatched.clear()
    OnboardingJob.objects.filter(pk=job.pk).update(
        dispatched_at=timezone.now() - timedelta(minutes=5)
    )


def test_a_lost_message_after_the_customer_answers_is_sent_again(tenant_a, dispatched):
    job = engine.start_job(tenant_a)
    park(job, "customer_consent", JobState.WAITING_CUSTOMER)
    assert engine.resume(job, "customer_consent")  # what the consent callback does
    lose_messages_and_wait(job, dispatched)

    engine.sweep()
    assert [job_id for job_id, _ in dispatched] == [job.pk], "the woken consent step was stranded"


def test_a_lost_message_after_the_approval_is_sent_again(tenant_a, dispatched, technician):
    job = engine.start_job(tenant_a)
    park(job, "review", JobState.WAITING_REVIEW)
    report_queries.approve(job, actor=technician)
    lose_messages_and_wait(job, dispatched)

    engine.sweep()
    assert [job_id for job_id, _ in dispatched] == [job.pk], "the approved review step was stranded"


def test_a_lost_message_after_the_countdown_ends_is_sent_again(tenant_a, dispatched):
    job = engine.start_job(tenant_a)
    park(
        job, "routing_countdown", JobState.COUNTDOWN, wake_at=timezone.now() - timedelta(seconds=1)
    )
    assert engine.sweep()["woken"] == 1
    lose_messages_and_wait(job, dispatched)

    engine.sweep()
    assert [job_id for job_id, _ in dispatched] == [job.pk], "the woken countdown step was stranded"


def test_jobs_that_wait_or_run_are_not_sent_again(tenant_a, tenant_b, dispatched):
    waiting = engine.start_job(tenant_a)
    park(waiting, "customer_consent", JobState.WAITING_CUSTOMER)
    running = engine.start_job(tenant_b)
    Step.objects.filter(job=running, key="resolve_tenant").update(
        state=StepState.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    OnboardingJob.objects.filter(pk=running.pk).update(state=JobState.RUNNING)
    lose_messages_and_wait(waiting, dispatched)
    lose_messages_and_wait(running, dispatched)

    engine.sweep()
    assert dispatched == []
