"""A live tenant onboarded for real against the sandbox (tests/rotation/conftest.py
`onboarded`), made
live as a completed onboarding leaves it, and helpers to run a repair job in this process."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding import engine
from onboarding.models import JobKind, JobState, OnboardingJob, Step, StepState
from tenants.models import EntraApplication, Lifecycle, Tenant
from tests.onboarding.onboarded_fixtures import onboarded  # noqa: F401  (the fixture)

DOMAIN = "fabrikam.example"


@pytest.fixture
def live(onboarded, settings):  # noqa: F811
    """live(routing_ready=False) → a live tenant; routing_ready: the MX records are checked too."""
    settings.SECRET_ROTATE_DAYS = 30

    def make(domain=DOMAIN, routing_ready=False, **fields):
        tenant = onboarded(domain, **fields)
        now = timezone.now()
        Tenant.objects.filter(pk=tenant.pk).update(
            lifecycle=Lifecycle.LIVE, live_since=now - timedelta(hours=1)
        )
        ready = now - timedelta(minutes=5) if routing_ready else now + timedelta(hours=1)
        OnboardingJob.objects.filter(tenant=tenant).update(routing_ready_at=ready)
        tenant.refresh_from_db()
        return tenant

    return make


def run_to_end(job, rounds: int = 30) -> OnboardingJob:
    """Run the job here as a worker would, taking retries at once, until it halts or waits."""
    for _ in range(rounds):
        Step.objects.filter(job=job, state=StepState.PENDING).update(next_attempt_at=None)
        engine.run_job(job.pk)
        job.refresh_from_db()
        if job.is_halted or job.state in (JobState.WAITING_CUSTOMER, JobState.WAITING_REVIEW):
            return job
    return job


def sync_objects(admin, tenant) -> dict:
    """What the sandbox's Entra holds of the sync app: apps, SPs, secrets, grants, roles."""
    snapshot = admin.tenant(tenant.primary_domain)
    app = EntraApplication.objects.get(tenant=tenant)
    apps = [
        a
        for a in snapshot["applications"]
        if a.get("uniqueName") == app.unique_name or a.get("displayName") == "ProofPoint"
    ]
    app_ids = {a["appId"] for a in apps}
    sps = [sp for sp in snapshot["servicePrincipals"] if sp["appId"] in app_ids]
    sp_ids = {sp["id"] for sp in sps}
    return {
        "apps": apps,
        "sps": sps,
        "secrets": [c for a in apps for c in a.get("passwordCredentials", [])],
        "grants": [g for g in snapshot["oauth2PermissionGrants"] if g["clientId"] in sp_ids],
        "roles": [r for r in snapshot["appRoleAssignments"] if r["principalId"] in sp_ids],
    }


def repair_kind() -> str:
    return JobKind.REPAIR
