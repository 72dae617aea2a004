"""A customer tenant whose Entra half is done (the real Entra steps against the sandbox), ready for
the Proofpoint half. Jobs run through the real engine; the broker is faked (`dispatched`)."""

import pytest

from onboarding import engine
from onboarding.models import Step, StepState
from onboarding.pipeline import spec_for
from onboarding.steps.base import StepContext
from tenants.models import Tenant

ENTRA_STEPS = (
    "resolve_tenant",
    "customer_consent",
    "create_app",
    "grant_consent",
    "create_secret",
    "verify_credentials",
)


def run_step(job, key):
    step = Step.objects.get(job=job, key=key)
    return spec_for(key).run(StepContext(job=job, step=step, lease_seconds=300))


def entra_half_done(job, sandbox_admin):
    """Run the Entra steps' functions for real (consent granted through the sandbox), mark them
    done."""
    run_step(job, "resolve_tenant")
    job.tenant.refresh_from_db()
    sandbox_admin.consent(job.tenant.primary_domain)
    for key in ("create_app", "grant_consent", "create_secret", "verify_credentials"):
        run_step(job, key)
    Step.objects.filter(job=job, key__in=ENTRA_STEPS).update(state=StepState.SUCCEEDED)
    job.tenant.refresh_from_db()


def make_tenant(domain, technician, **fields):
    defaults = {
        "name": domain.split(".")[0].capitalize(),
        "primary_domain": domain,
        "customer_admin_email": f"admin@{domain}",
        "created_by": technician,
    }
    return Tenant.objects.create(**{**defaults, **fields})


@pytest.fixture
def onboard(portal_sandbox, technician, dispatched, settings):
    """onboard("northwind.example", users=...) → a started job whose Entra half is done."""
    settings.ENTRA_REPLICATION_SECONDS = 5

    def start(domain, **fields):
        tenant = make_tenant(domain, technician, **fields)
        job = engine.start_job(tenant, technician)
        entra_half_done(job, portal_sandbox)
        return job

    return start


def add_sandbox_tenant(admin, domain, users, **extra):
    return admin._admin(
        "POST", "tenants", {"domain": domain, "users": users, "seed": domain, **extra}
    )
