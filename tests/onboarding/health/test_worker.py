"""A real Celery worker (tests/worker.py) with beat: the sweep checks a live tenant on its schedule,
a repair asked through the API runs on the worker, and the job's end checks the tenant again."""

import pytest

from onboarding.models import JobState, OnboardingJob
from tenants.models import HealthState, Tenant
from tests.onboarding.api.conftest import token_client
from tests.sandbox_fixtures import sandbox_env
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
DOMAIN = "fabrikam.example"


def health_of(tenant) -> str:
    return Tenant.objects.get(pk=tenant.pk).health_state


def test_a_real_worker_sweeps_the_check_then_repairs_and_checks_again(
    live, portal_sandbox, sandbox, technician, monkeypatch
):
    tenant = live()
    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    env = {
        **sandbox_env(sandbox),
        "HEALTH_CHECK_INTERVAL_MINUTES": "1",
        "STEP_RETRY_BASE_SECONDS": "1",
        "ENTRA_SECRET_PROPAGATION_SECONDS": "30",
        "ENTRA_REPLICATION_SECONDS": "5",
    }
    worker = Worker(env=env)
    monkeypatch.undo()  # `onboarded` recorded sends instead of making them: now the broker
    worker.start()
    try:
        # The beat's sweep (every 15 s at a one-minute interval) sends the tenant's first check.
        wait_for(
            lambda: health_of(tenant) == HealthState.CRITICAL,
            timeout=90,
            message=f"the scheduled check; worker log:\n{worker.output()[-3000:]}",
        )
        answer = token_client(technician).post(f"/api/v1/tenants/{tenant.pk}/repair/")
        assert answer.status_code == 201, answer.content
        job_id = answer.json()["id"]
        wait_for(
            lambda: OnboardingJob.objects.get(pk=job_id).is_halted,
            timeout=120,
            message=f"the repair; worker log:\n{worker.output()[-3000:]}",
        )
        job = OnboardingJob.objects.get(pk=job_id)
        assert job.state == JobState.COMPLETED, [
            (s.key, s.state, s.message) for s in job.steps.all()
        ]
        wait_for(
            lambda: health_of(tenant) == HealthState.OK,
            timeout=60,
            message=f"the check at the job's end; worker log:\n{worker.output()[-3000:]}",
        )
    finally:
        worker.stop()
