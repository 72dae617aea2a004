"""Live tenants onboarded for real against the sandbox, and helpers to run a job step by step in
this
process (claim, run, record: what a worker does), cancel it anywhere, and read Proofpoint's
settings."""

import pytest

from onboarding import engine, undo
from onboarding.clients import proofpoint_client
from onboarding.engine import runner
from onboarding.models import JobState, OnboardingJob, Step, StepState
from onboarding.pipeline import StepKey
from onboarding.report.queries import approve
from onboarding.sync_app import azure_settings, find_sync_app, save_azure_settings
from tenants.models import Lifecycle
from tests.onboarding.proofpoint_fixtures import entra_half_done, make_tenant, run_step

RESTORE_TASK = "onboarding.restore_settings"
VOLATILE = ("secret_expiry", "last_successful_sync")


@pytest.fixture
def sent(monkeypatch):
    """What the engine sends to the broker, as (task name, args), instead of sending it."""
    calls: list[tuple[str, list]] = []

    def fake_send_task(name, args=None, countdown=None, **kwargs):
        calls.append((name, list(args or [])))

    monkeypatch.setattr("onboarding.engine.dispatch.current_app.send_task", fake_send_task)
    monkeypatch.setattr("onboarding.engine.dispatch.on_commit", lambda callback: callback())
    return calls


def restores_asked(sent) -> list[int]:
    return [args[0] for name, args in sent if name == RESTORE_TASK]


def run_restores(sent) -> None:
    """Do what the worker's restore task does for every restore the engine asked for."""
    for job_id in dict.fromkeys(restores_asked(sent)):
        undo.restore_settings(job_id)


@pytest.fixture
def live(portal_sandbox, technician, settings):
    """live("fabrikam.example") → a tenant whose first onboarding really completed: lifecycle live,
    the Entra app, the Proofpoint org and its Azure sync saved at the tenant's frequency (3 h)."""
    settings.ENTRA_REPLICATION_SECONDS = 5
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 20
    settings.ROUTING_WAIT_SECONDS = 3600

    def make(domain="fabrikam.example", **fields):
        tenant = make_tenant(domain, technician, **{"sync_frequency_hours": 3, **fields})
        job = engine.start_job(tenant, technician)
        entra_half_done(job, portal_sandbox)
        run_step(job, StepKey.PREPARE_ORG)
        save_azure_settings(tenant, frequency=tenant.sync_frequency_hours, attempt=1)
        Step.objects.filter(job=job).update(state=StepState.SUCCEEDED)
        engine.run_job(
            job.pk
        )  # nothing left to run: the engine completes it, and the tenant goes live
        tenant.refresh_from_db()
        assert tenant.lifecycle == Lifecycle.LIVE and tenant.live_since is not None
        return tenant

    return make


@pytest.fixture
def onboard(portal_sandbox, technician, sent, settings):
    """onboard("fabrikam.example") → a first onboarding whose Entra half is done (not live yet)."""
    settings.ENTRA_REPLICATION_SECONDS = 5
    settings.ROUTING_WAIT_SECONDS = 3600

    def start(domain, **fields):
        tenant = make_tenant(domain, technician, **fields)
        job = engine.start_job(tenant, technician)
        entra_half_done(job, portal_sandbox)
        return job

    return start


def advance(job, actor=None) -> Step:
    """Run the job's next step once, as a worker would; approve the report when the review waits."""
    job = OnboardingJob.objects.select_related("tenant").get(pk=job.pk)
    step = job.steps.exclude(state__in=[StepState.SUCCEEDED, StepState.SKIPPED]).first()
    assert step is not None, "the job has no step left"
    if step.state == StepState.WAITING and step.key == StepKey.REVIEW:
        approve(job, actor=actor)
        step.refresh_from_db()
    assert step.state == StepState.PENDING, (step.key, step.state, step.message)
    assert runner._claim(step)
    runner._execute(job, step)
    step.refresh_from_db()
    assert step.state in (StepState.SUCCEEDED, StepState.SKIPPED, StepState.WAITING), (
        step.key,
        step.message,
    )
    return step


def run_until(job, key: str, actor=None) -> Step:
    """Advance the job until the step `key` has run (done, or waiting)."""
    while True:
        step = advance(job, actor)
        if step.key == key:
            return step


def org_of(admin, tenant) -> dict:
    return next(
        o
        for o in admin.state()["proofpoint"]["orgs"]
        if o["primary_domain"] == tenant.primary_domain
    )


def pp_settings(admin, tenant) -> dict | None:
    """The org's Azure sync settings as the sandbox holds them (masked secret, without
    timestamps)."""
    found = org_of(admin, tenant)["settings_azure"]
    return None if found is None else {k: v for k, v in found.items() if k not in VOLATILE}


def settings_puts(admin) -> int:
    """How many PUTs of settings/azure the sandbox answered (its request log counts per route)."""
    counts = admin.requests()["counts"]
    return sum(
        n
        for route, n in counts.items()
        if route.startswith("PUT ") and route.endswith("/settings/azure")
    )


def customise(tenant, **changes) -> dict:
    """Save settings a job would change (another frequency, other switches), as a person might
    have."""
    body = {
        **azure_settings(tenant, find_sync_app(tenant, with_secret=True), 12),
        "add_groups": False,
        "remove_deleted_users": True,
        **changes,
    }
    proofpoint_client(tenant).put_azure_settings(tenant.primary_domain, body)
    return body


def state_of(job) -> str:
    return OnboardingJob.objects.get(pk=job.pk).state


__all__ = [
    "JobState",
    "advance",
    "customise",
    "settings_puts",
    "pp_settings",
    "restores_asked",
    "run_restores",
    "run_until",
    "state_of",
]
