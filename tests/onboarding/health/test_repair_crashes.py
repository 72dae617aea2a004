"""Repair is crash-safe like the onboarding: a worker dying on the line after any external change
leaves state the re-run reads, and the tenant ends with exactly one of each (no orphan secret)."""

import pytest

from onboarding import engine
from onboarding.health import service
from onboarding.models import JobState
from onboarding.secrets import credentials
from onboarding.steps import repair_app, repair_secret
from tenants.models import HealthState
from tests.onboarding.health.conftest import run_to_end
from tests.onboarding.health.test_repair import assert_one_of_each

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DOMAIN = "fabrikam.example"


class WorkerKilled(Exception):
    """Stands in for a worker dying on the next line."""


CRASHES = {
    "after addPassword": (credentials, "add_password"),
    "after storing the new secret": (credentials, "store_secret"),
    "after saving Proofpoint's settings": (repair_secret, "save_azure_settings"),
    "after recreating the app": (repair_app, "register_sync_app"),
}


@pytest.mark.parametrize("case", list(CRASHES))
def test_a_crash_in_repair_then_a_retry_ends_with_one_of_each(
    live, portal_sandbox, technician, monkeypatch, case
):
    module, name = CRASHES[case]
    tenant = live()
    portal_sandbox.delete_sync_app(DOMAIN)  # needs every step: app, permissions, secret, settings
    service.run_check(tenant)
    real = getattr(module, name)
    calls = []

    def then_die(*args, **kwargs):
        result = real(*args, **kwargs)
        if not calls:
            calls.append(name)
            raise WorkerKilled
        return result

    monkeypatch.setattr(module, name, then_die)
    job = run_to_end(service.start_repair(tenant, technician))
    assert job.state == JobState.FAILED and calls == [name]

    engine.retry(job, technician)
    job = run_to_end(job)

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    assert service.run_check(tenant)[1] == HealthState.OK
    tenant.refresh_from_db()
    assert_one_of_each(portal_sandbox, tenant)
