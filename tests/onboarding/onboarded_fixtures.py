"""A customer onboarded for real against the sandbox (Entra steps, Proofpoint org and Azure sync
saved
with the tenant's frequency, the job completed), whose sync app secret the tests rotate."""

import pytest
from django.utils import timezone

from onboarding import engine
from onboarding.models import JobState, OnboardingJob, Step, StepState
from onboarding.pipeline import spec_for
from onboarding.steps.base import StepContext
from onboarding.sync_app import save_azure_settings
from tenants.models import EntraApplication
from tests.onboarding.proofpoint_fixtures import entra_half_done, make_tenant


def run_proofpoint_step(job, key):
    step = Step.objects.get(job=job, key=key)
    return spec_for(key).run(StepContext(job=job, step=step, lease_seconds=300))


@pytest.fixture
def onboarded(portal_sandbox, technician, dispatched, settings):
    """onboarded("fabrikam.example") → the tenant, as a completed onboarding leaves it."""
    settings.ENTRA_REPLICATION_SECONDS = 5
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 20

    def make(domain="fabrikam.example", **fields):
        tenant = make_tenant(domain, technician, **{"sync_frequency_hours": 3, **fields})
        job = engine.start_job(tenant, technician)
        entra_half_done(job, portal_sandbox)
        run_proofpoint_step(job, "prepare_org")
        # What the import leaves: the Azure sync saved with the tenant's own frequency.
        save_azure_settings(tenant, frequency=tenant.sync_frequency_hours, attempt=1)
        Step.objects.filter(job=job).update(state=StepState.SUCCEEDED)
        OnboardingJob.objects.filter(pk=job.pk).update(
            state=JobState.COMPLETED, finished_at=timezone.now()
        )
        tenant.refresh_from_db()
        return tenant

    return make


def sandbox_app(admin, tenant) -> dict:
    """The sync app as the sandbox's Graph holds it (key ids and hints, never secret values)."""
    app = EntraApplication.objects.get(tenant=tenant)
    found = admin.tenant(tenant.primary_domain)["applications"]
    return next(a for a in found if a["appId"] == app.client_id)


def azure_settings(admin, tenant) -> dict:
    org = next(
        o
        for o in admin.state()["proofpoint"]["orgs"]
        if o["primary_domain"] == tenant.primary_domain
    )
    return org["settings_azure"]
