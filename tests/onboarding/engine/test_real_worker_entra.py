"""Real Celery worker processes run the Entra half: after the customer approves, and after a
SIGKILL."""

import contextlib
import os
import signal
from pathlib import Path

import pytest

from onboarding import engine
from onboarding.models import JobState, OnboardingJob
from tests.onboarding.entra_fixtures import last_link_token
from tests.onboarding.steps.test_entra_steps import assert_exactly_one_of_each
from tests.sandbox_fixtures import sandbox_env
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def entra_settings(portal_sandbox, settings):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.steps.pipelines.ENTRA"
    settings.RATELIMIT_ENABLE = False
    return portal_sandbox


def worker_env(sandbox, **extra) -> dict:
    return {
        **sandbox_env(sandbox),
        "ONBOARDING_PIPELINE": "tests.onboarding.steps.pipelines.ENTRA",
        "STEP_RETRY_BASE_SECONDS": "1",
        "ENTRA_SECRET_PROPAGATION_SECONDS": "30",
        **extra,
    }


def children_of(pid: int) -> set[int]:
    """Child processes (the embedded beat of `worker -B`): they outlive a SIGKILLed parent, so we
    end them."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def end_orphans(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def state_of(job) -> str:
    return OnboardingJob.objects.get(pk=job.pk).state


def test_a_real_worker_runs_the_entra_half_after_the_customer_approves(
    entra_settings, sandbox, tenant_a, technician, customer
):
    entra_settings.knobs(secret_propagation_s=2, replication_delay_s=1)
    worker = Worker(env=worker_env(sandbox)).start()
    try:
        job = engine.start_job(tenant_a, technician)
        wait_for(
            lambda: state_of(job) == JobState.WAITING_CUSTOMER,
            timeout=60,
            message=f"the consent email; worker log:\n{worker.output()[-3000:]}",
        )
        page = customer.answer(last_link_token())
        assert b"Thank you" in page.content
        wait_for(
            lambda: state_of(job) in (JobState.COMPLETED, JobState.FAILED),
            timeout=120,
            message=f"the job to finish; worker log:\n{worker.output()[-3000:]}",
        )
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert_exactly_one_of_each(entra_settings, tenant_a)


def test_a_worker_killed_right_after_add_password_leaves_no_orphan(
    entra_settings, sandbox, tenant_a, tmp_path
):
    entra_settings.consent("fabrikam.example")
    env = worker_env(
        sandbox,
        ONBOARDING_PIPELINE="tests.onboarding.steps.pipelines.CRASH_AFTER_ADD_PASSWORD",
        ENTRA_CRASH_MARKER=str(tmp_path / "killed"),
        STEP_LEASE_SECONDS="5",
    )
    first = Worker(env=env).start()
    beat = wait_for(
        lambda: children_of(first.process.pid), timeout=20, message="the worker's beat process"
    )
    try:
        job = engine.start_job(tenant_a)
        wait_for(
            lambda: first.process.poll() is not None,
            timeout=60,
            message=f"the worker to die after addPassword; log:\n{first.output()[-3000:]}",
        )
    finally:
        first.stop()
        end_orphans(beat)
    assert (tmp_path / "killed").exists()
    assert (
        len(entra_settings.tenant("fabrikam.example")["applications"][0]["passwordCredentials"])
        == 1
    )

    second = Worker(env=env).start()
    try:
        wait_for(
            lambda: state_of(job) in (JobState.COMPLETED, JobState.FAILED),
            timeout=90,
            message=f"the sweeper to recover the job; log:\n{second.output()[-3000:]}",
        )
    finally:
        second.stop()
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert_exactly_one_of_each(entra_settings, tenant_a)
