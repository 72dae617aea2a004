"""Real Celery workers: a re-run of a live tenant keeps its sync running throughout, sampled while
the
worker runs it; and a worker SIGKILLed right after it changed Proofpoint's settings (before it could
record that) still leaves Proofpoint as it was before the job once the job is cancelled."""

import threading

import pytest

from onboarding import engine
from onboarding.models import (
    JobState,
    OnboardingJob,
    RestoreState,
    SettingsSnapshot,
    Step,
    StepState,
)
from onboarding.pipeline import StepKey
from onboarding.report.queries import approve
from tenants.models import Lifecycle
from tests.onboarding.engine.test_real_worker_entra import children_of, end_orphans
from tests.onboarding.lifecycle.conftest import customise, pp_settings, settings_puts
from tests.sandbox_fixtures import sandbox_env
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
CRASH_PIPELINE = "tests.onboarding.lifecycle.pipelines.CRASH_AFTER_SETTINGS_PUT"


def worker_env(sandbox, **extra) -> dict:
    return {
        **sandbox_env(sandbox),
        "STEP_RETRY_BASE_SECONDS": "1",
        "ENTRA_SECRET_PROPAGATION_SECONDS": "30",
        "ENTRA_REPLICATION_SECONDS": "5",
        "ROUTING_WAIT_SECONDS": "0",
        **extra,
    }


def state_of(job) -> str:
    return OnboardingJob.objects.get(pk=job.pk).state


class Sampler(threading.Thread):
    """Reads the org's Azure sync settings from the sandbox over and over while the job runs."""

    def __init__(self, admin, domain: str):
        super().__init__(daemon=True)
        self.admin, self.domain = admin, domain
        self.seen: list[int | None] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            orgs = self.admin.state()["proofpoint"]["orgs"]
            found = next(o for o in orgs if o["primary_domain"] == self.domain)["settings_azure"]
            self.seen.append(None if found is None else found["sync_frequency"])
            self.stopping.wait(0.05)

    def stop(self) -> list:
        self.stopping.set()
        self.join(10)
        return self.seen


def test_a_real_worker_re_runs_a_live_tenant_without_ever_pausing_its_sync(
    live, portal_sandbox, sandbox, technician, settings
):
    tenant = live()
    portal_sandbox.knobs(secret_propagation_s=1, replication_delay_s=0)
    puts_before = settings_puts(portal_sandbox)
    sampler = Sampler(portal_sandbox, tenant.primary_domain)
    worker = Worker(env=worker_env(sandbox)).start()
    sampler.start()
    try:
        job = engine.start_job(tenant, technician)
        wait_for(
            lambda: state_of(job) in (JobState.WAITING_REVIEW, JobState.FAILED),
            timeout=120,
            message=f"the review; worker log:\n{worker.output()[-3000:]}",
        )
        assert state_of(job) == JobState.WAITING_REVIEW, [
            (s.key, s.message) for s in job.steps.all()
        ]
        approve(job, actor=technician)
        wait_for(
            lambda: state_of(job) in (JobState.COMPLETED, JobState.FAILED),
            timeout=120,
            message=f"the job to finish; worker log:\n{worker.output()[-3000:]}",
        )
    finally:
        seen = sampler.stop()
        worker.stop()
    assert state_of(job) == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert settings_puts(portal_sandbox) - puts_before >= 2  # the re-run did save the settings
    assert len(seen) > 10 and set(seen) == {3}, (
        seen
    )  # never 0, never missing, at any sampled moment
    tenant.refresh_from_db()
    assert tenant.lifecycle == Lifecycle.LIVE


def test_a_worker_killed_right_after_changing_the_settings_leaves_proofpoint_as_it_was_after_cancel(
    live, portal_sandbox, sandbox, technician, settings, tmp_path
):
    tenant = live()
    customise(tenant)  # 12 h: the re-run's configure_sync saves the tenant's 3 h
    before = pp_settings(portal_sandbox, tenant)
    settings.ONBOARDING_PIPELINE = CRASH_PIPELINE
    settings.STEP_LEASE_SECONDS = 5
    env = worker_env(
        sandbox,
        ONBOARDING_PIPELINE=CRASH_PIPELINE,
        STEP_LEASE_SECONDS="5",
        LIFECYCLE_CRASH_MARKER=str(tmp_path / "killed"),
    )
    first = Worker(env=env).start()
    beat = wait_for(
        lambda: children_of(first.process.pid), timeout=20, message="the worker's beat process"
    )
    try:
        job = engine.start_job(tenant, technician)
        wait_for(
            lambda: first.process.poll() is not None,
            timeout=60,
            message=f"the worker to die after the PUT; log:\n{first.output()[-3000:]}",
        )
    finally:
        first.stop()
        end_orphans(beat)
    # The PUT happened and the step's outcome was never recorded, but the snapshot was saved before
    # it.
    assert pp_settings(portal_sandbox, tenant)["sync_frequency"] == 3
    assert Step.objects.get(job=job, key=StepKey.CONFIGURE_SYNC).state == StepState.RUNNING
    snapshot = SettingsSnapshot.objects.get(job=job)
    assert (
        snapshot.existed
        and snapshot.settings["sync_frequency"] == 12
        and "ad_key" not in snapshot.settings
    )

    engine.cancel(job, technician)
    second = Worker(env=env).start()
    try:
        wait_for(
            lambda: (
                SettingsSnapshot.objects.get(job=job).restore_state
                in (RestoreState.RESTORED, RestoreState.FAILED)
            ),
            timeout=120,
            message=f"the restore; worker log:\n{second.output()[-3000:]}",
        )
    finally:
        second.stop()
    snapshot.refresh_from_db()
    assert snapshot.restore_state == RestoreState.RESTORED, snapshot.restore_error
    assert pp_settings(portal_sandbox, tenant) == before
