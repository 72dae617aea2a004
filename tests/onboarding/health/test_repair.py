"""Repair jobs against the sandbox over HTTPS: each fixable break is fixed, the sandbox then holds
exactly one app, one service principal, one in-use secret, one grant and one role assignment, the
finding is closed, healthy parts are not written to, and the lifecycle is left alone."""

import pytest
from django.core import mail

from onboarding.health import service
from onboarding.health.service import NothingToRepair
from onboarding.models import JobKind, JobState, OnboardingJob, StepState, TenantFinding
from onboarding.pipeline import StepKey
from tenants.models import EntraApplication, HealthState, Lifecycle
from tests.onboarding.api.conftest import token_client
from tests.onboarding.health.conftest import run_to_end, sync_objects
from tests.onboarding.onboarded_fixtures import azure_settings

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
DOMAIN = "fabrikam.example"

FIXABLE = {
    "domain_missing": lambda admin: admin.add_domain(DOMAIN, "sales.fabrikam.example"),
    "app_missing": lambda admin: admin.delete_sync_app(DOMAIN),
    "app_missing (service principal)": lambda admin: admin.delete_sync_service_principal(DOMAIN),
    "permissions_missing (grant)": lambda admin: admin.remove_grant(DOMAIN),
    "permissions_missing (narrowed)": lambda admin: admin.narrow_grant(DOMAIN),
    "permissions_missing (role)": lambda admin: admin.remove_role_assignment(DOMAIN),
    "sync_paused": lambda admin: admin.set_sync_frequency(DOMAIN, 0),
    "sync_paused (deleted)": lambda admin: admin.delete_sync_settings(DOMAIN),
    "sync_app_mismatch": lambda admin: admin.set_sync_app_id(DOMAIN),
    "secret_expired": lambda admin: admin.expire_secret(DOMAIN, days_ago=1),
    "secret_expiring": lambda admin: admin.secret_expiring(DOMAIN, days=7),
}


def open_codes(tenant) -> set[str]:
    return set(
        TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True).values_list(
            "code", flat=True
        )
    )


def assert_one_of_each(admin, tenant) -> None:
    """One app, one SP, one in-use secret (the one stored, the one Proofpoint holds), one grant with
    the three scopes, one role assignment; Proofpoint's settings: the app, its frequency."""
    found = sync_objects(admin, tenant)
    app = EntraApplication.objects.get(tenant=tenant)
    assert [a["appId"] for a in found["apps"]] == [app.client_id]
    assert [sp["id"] for sp in found["sps"]] == [app.service_principal_id]
    assert [c["keyId"] for c in found["secrets"]] == [app.secret_key_id]
    assert len(found["grants"]) == 1
    assert set(found["grants"][0]["scope"].split()) == {
        "Directory.Read.All",
        "Group.Read.All",
        "User.ReadBasic.All",
    }
    assert [r["appRoleName"] for r in found["roles"]] == ["Directory.Read.All"]
    settings_azure = azure_settings(admin, tenant)
    assert settings_azure["application_id"] == app.client_id
    assert settings_azure["sync_frequency"] == tenant.sync_frequency_hours
    assert settings_azure["secret_expiry"] == found["secrets"][0]["endDateTime"]


@pytest.mark.parametrize("case", list(FIXABLE))
def test_repair_fixes_each_fixable_finding(live, portal_sandbox, technician, case):
    code = case.split(" ")[0]
    tenant = live()
    live_since = tenant.live_since
    FIXABLE[case](portal_sandbox)
    service.run_check(tenant)
    assert code in open_codes(tenant)

    job = service.start_repair(tenant, technician)
    assert job.kind == JobKind.REPAIR
    assert list(job.steps.values_list("key", flat=True)) == [
        StepKey.CUSTOMER_CONSENT,
        StepKey.REPAIR_APP,
        StepKey.REPAIR_PERMISSIONS,
        StepKey.REPAIR_DOMAINS,
        StepKey.REPAIR_SECRET,
        StepKey.REPAIR_SYNC,
        StepKey.RECHECK,
    ]
    job = run_to_end(job)

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    assert service.run_check(tenant)[1] == HealthState.OK
    assert open_codes(tenant) == set()
    assert TenantFinding.objects.get(tenant=tenant, code=code).closed_at is not None
    tenant.refresh_from_db()
    assert_one_of_each(portal_sandbox, tenant)
    assert (tenant.lifecycle, tenant.live_since) == (
        Lifecycle.LIVE,
        live_since,
    )  # repair leaves it alone


def test_repair_writes_only_what_is_broken(live, portal_sandbox, technician):
    tenant = live()
    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    service.run_check(tenant)
    portal_sandbox.clear_requests()

    job = run_to_end(service.start_repair(tenant, technician))

    assert job.state == JobState.COMPLETED
    writes = [f"{w['method']} {w['path']}" for w in portal_sandbox.writes()]
    assert writes == [f"PUT /api/v1/orgs/{DOMAIN}/settings/azure"]
    states = dict(job.steps.values_list("key", "state"))
    assert states[StepKey.REPAIR_SYNC] == StepState.SUCCEEDED
    assert {
        states[k]
        for k in (
            StepKey.REPAIR_APP,
            StepKey.REPAIR_PERMISSIONS,
            StepKey.REPAIR_DOMAINS,
            StepKey.REPAIR_SECRET,
        )
    } == {StepState.SKIPPED}


def test_several_breaks_are_repaired_in_one_job(live, portal_sandbox, technician):
    tenant = live()
    portal_sandbox.delete_sync_app(DOMAIN)
    portal_sandbox.add_domain(DOMAIN, "sales.fabrikam.example")
    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    service.run_check(tenant)
    assert {"app_missing", "domain_missing", "sync_paused"} <= open_codes(tenant)

    job = run_to_end(service.start_repair(tenant, technician))

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    assert service.run_check(tenant)[1] == HealthState.OK
    assert_one_of_each(portal_sandbox, tenant)


def test_a_lost_consent_is_asked_again_then_the_repair_continues(live, portal_sandbox, technician):
    tenant = live()
    portal_sandbox.revoke_consent(DOMAIN)
    service.run_check(tenant)
    assert "msp_access_lost" in open_codes(tenant)
    mail.outbox.clear()

    job = run_to_end(service.start_repair(tenant, technician))

    assert job.state == JobState.WAITING_CUSTOMER
    assert [m.to for m in mail.outbox] == [
        [tenant.customer_admin_email]
    ]  # the normal consent email
    portal_sandbox.consent(DOMAIN)  # the customer's Global Administrator approves again
    from onboarding import engine

    engine.resume(job, StepKey.CUSTOMER_CONSENT)
    job = run_to_end(job)
    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    assert service.run_check(tenant)[1] == HealthState.OK


def test_repair_is_refused_when_nothing_is_fixable_or_a_job_is_active(
    live, portal_sandbox, technician
):
    tenant = live()
    service.run_check(tenant)
    api = token_client(technician)
    answer = api.post(f"/api/v1/tenants/{tenant.pk}/repair/")
    assert answer.status_code == 409 and "no finding repair can fix" in answer.json()["detail"]
    with pytest.raises(NothingToRepair):
        service.start_repair(tenant, technician)

    portal_sandbox.set_sync_frequency(DOMAIN, 0)
    service.run_check(tenant)
    answer = api.post(f"/api/v1/tenants/{tenant.pk}/repair/")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["kind"] == "repair" and body["state"] == "queued"
    assert [s["key"] for s in body["steps"]][-1] == "recheck"
    assert api.get(f"/api/v1/onboardings/{body['id']}/").json()["kind"] == "repair"
    again = api.post(f"/api/v1/tenants/{tenant.pk}/repair/")
    assert again.status_code == 409 and "in progress" in again.json()["detail"]


def test_check_now_answers_202_and_sends_the_check(live, portal_sandbox, technician, dispatched):
    tenant = live()
    api = token_client(technician)
    answer = api.post(f"/api/v1/tenants/{tenant.pk}/health/check/")
    assert answer.status_code == 202
    assert dispatched[-1] == (tenant.pk, 0)  # onboarding.health_check for this tenant, sent by name
    OnboardingJob.objects.filter(tenant=tenant).delete()
    from tenants.models import Tenant

    Tenant.objects.filter(pk=tenant.pk).update(lifecycle=Lifecycle.NOT_ONBOARDED)
    answer = api.post(f"/api/v1/tenants/{tenant.pk}/health/check/")
    assert answer.status_code == 409 and "not live" in answer.json()["detail"]
    assert api.post("/api/v1/tenants/999999/health/check/").status_code == 404
