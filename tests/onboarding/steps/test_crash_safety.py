"""A worker killed right after addPassword leaves no orphan secret once the job finishes."""

import pytest

from onboarding import engine
from onboarding.models import AuditEvent, JobState, StepState
from onboarding.secrets import credentials
from tenants.models import EntraApplication
from tests.onboarding.entra_fixtures import drive
from tests.onboarding.steps.test_entra_steps import assert_exactly_one_of_each

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


class WorkerKilled(BaseException):
    """Like SIGKILL: nothing in the engine catches it, the step stays 'running' with its lease."""


def test_a_crash_between_add_password_and_saving_leaves_no_orphan(entra, tenant_a, monkeypatch):
    entra.consent("fabrikam.example")
    monkeypatch.setattr(
        credentials,
        "store_secret",
        lambda app, created: (_ for _ in ()).throw(WorkerKilled()),
    )
    job = engine.start_job(tenant_a)
    with pytest.raises(WorkerKilled):
        drive(job)
    step = job.steps.get(key="create_secret")
    assert step.state == StepState.RUNNING and step.data["secret_display_name"].startswith(
        "proofpoint-sync "
    )
    [orphan] = entra.tenant("fabrikam.example")["applications"][0]["passwordCredentials"]
    assert orphan["displayName"] == step.data["secret_display_name"]

    monkeypatch.undo()
    job.steps.filter(pk=step.pk).update(lease_expires_at=step.started_at)  # the lease runs out
    assert engine.sweep()["recovered"] == 1
    job = drive(job)

    assert job.state == JobState.COMPLETED
    app = assert_exactly_one_of_each(entra, tenant_a)
    assert app["passwordCredentials"][0]["keyId"] != orphan["keyId"]
    assert (
        AuditEvent.objects.filter(action="entra.secret_removed", actor_label="system").count() == 1
    )


def test_a_stored_secret_missing_in_graph_is_replaced_and_a_stray_one_removed(entra, tenant_a):
    entra.consent("fabrikam.example")
    assert drive(engine.start_job(tenant_a)).state == JobState.COMPLETED
    stored = EntraApplication.objects.get(tenant=tenant_a)
    EntraApplication.objects.filter(pk=stored.pk).update(secret="")  # we lost its secretText

    job = drive(engine.start_job(tenant_a))

    assert job.state == JobState.COMPLETED
    app = assert_exactly_one_of_each(entra, tenant_a)
    assert app["passwordCredentials"][0]["keyId"] != stored.secret_key_id
