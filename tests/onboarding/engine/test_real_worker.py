"""A real Celery worker process on the real broker (Redis in CI) drives a job to the end."""

import pytest

from onboarding import engine
from onboarding.models import JobState, OnboardingJob, Step
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    running = Worker(env={"ONBOARDING_PIPELINE": "tests.pipelines.QUICK"}).start()
    yield running
    running.stop()


def test_a_real_worker_runs_a_job_through_retries_and_timers_to_the_end(settings, tenant_a, worker):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"
    job = engine.start_job(tenant_a)

    def finished():
        return OnboardingJob.objects.get(pk=job.pk).state in (JobState.COMPLETED, JobState.FAILED)

    wait_for(finished, timeout=60, message=f"job to finish; worker log:\n{worker.output()[-3000:]}")
    job.refresh_from_db()
    steps = [(s.key, s.state, s.message) for s in job.steps.all()]
    assert job.state == JobState.COMPLETED, f"{steps}\n{worker.output()[-3000:]}"
    flaky = Step.objects.get(job=job, key="flaky")
    assert flaky.attempts == 2 and flaky.message == "Recovered after a temporary error."
