"""Tenants brought in from Proofpoint are health-checked for what they are (issues 11 and 14).

Discovery brings a live org in with no sync app the portal holds (no EntraApplication row): the sync
app is the one Proofpoint's settings name. Where the MSP app has consent it is read read-only; where
the MSP app never had consent, Entra is listed as not checked (never "access lost") and the
Proofpoint-side checks still run. Against the sandbox over HTTPS, one child org per state.
"""

from __future__ import annotations

import pytest

from onboarding.fleet import discovery
from onboarding.health import codes, service
from onboarding.health.checks import run_checks
from onboarding.models import (
    HealthCheck,
    JobKind,
    JobState,
    OnboardingJob,
    Step,
    StepKey,
    StepState,
)
from tenants.models import Lifecycle, Tenant

pytestmark = pytest.mark.integration


@pytest.fixture
def brought_in(portal_sandbox, db, technician):
    """Six child orgs, one per state (sandbox/fleet.py), brought in: {state: (org, tenant)}."""
    orgs = portal_sandbox.child_orgs(6)["orgs"]
    discovery.bring_in([o["domain"] for o in orgs], actor=technician)
    tenants = {t.primary_domain: t for t in Tenant.objects.filter(primary_domain__contains="child")}
    return {o["state"]: (o, tenants[o["domain"]]) for o in orgs}


def worded(text: str) -> None:
    """Words for a technician: no finding code, no "None", a full sentence."""
    assert not any(code in text for code in codes.CODES), text
    assert "None" not in text and text.endswith(".") and len(text) > 40, text


def check_read_only(portal_sandbox, tenant):
    portal_sandbox.clear_requests()
    result = run_checks(tenant)
    assert portal_sandbox.writes() == [], portal_sandbox.writes()  # a check makes only reads
    for found in result.findings:
        worded(found.message)
    for line in result.unchecked:
        worded(line)
    return result


NO_CONSENT = "the portal has no consent in"


def test_a_portal_synced_org_is_read_by_the_app_its_settings_name_and_is_healthy(
    brought_in, portal_sandbox
):
    org, tenant = brought_in["portal_synced"]
    assert tenant.lifecycle == Lifecycle.LIVE and not hasattr(tenant, "entra_app")

    result = check_read_only(portal_sandbox, tenant)

    assert result.codes() == set(), [f.message for f in result.findings]
    assert result.unchecked == []
    # 3 Proofpoint reads; Graph: domains, the app (with its secrets), its service principal, its
    # role assignments, its delegated grants.
    assert result.requests == 8
    paths = [e["path"] for e in portal_sandbox.requests("graph")["recent"]]
    assert any(f"/applications(appId='{org['app_id']}')" in p for p in paths), paths
    assert any(f"/servicePrincipals(appId='{org['app_id']}')" in p for p in paths), paths


@pytest.mark.parametrize("state", ["foreign_synced", "foreign_expired", "sync_paused"])
def test_without_consent_entra_is_unchecked_in_words_and_proofpoint_is_still_checked(
    brought_in, portal_sandbox, state
):
    org, tenant = brought_in[state]
    assert tenant.adopted

    result = check_read_only(portal_sandbox, tenant)

    assert codes.MSP_ACCESS_LOST not in result.codes()
    assert codes.APP_MISSING not in result.codes()
    [line] = [u for u in result.unchecked if NO_CONSENT in u]
    assert tenant.name in line and "adopted" in line and "onboard the tenant" in line
    if state == "foreign_synced":
        assert result.codes() == set()
    if state == "foreign_expired":  # from Proofpoint's own secret_expiry
        expired = next(f for f in result.findings if f.code == codes.SECRET_EXPIRED)
        assert expired.message.startswith("Proofpoint says the sync app's client secret expired")
        assert codes.SYNC_STALE in result.codes()
    if state == "sync_paused":
        assert codes.SYNC_PAUSED in result.codes()


def test_an_unknown_entra_tenant_still_has_its_secret_judged_by_proofpoint(
    brought_in, portal_sandbox
):
    org, tenant = brought_in["foreign_expired"]
    Tenant.objects.filter(pk=tenant.pk).update(entra_tenant_id="")  # the domain did not resolve
    tenant.refresh_from_db()

    result = check_read_only(portal_sandbox, tenant)

    assert codes.SECRET_EXPIRED in result.codes() and codes.MSP_ACCESS_LOST not in result.codes()
    assert any("tenant id is not known" in u for u in result.unchecked)


def test_a_missing_domain_is_found_where_the_msp_has_consent(brought_in, portal_sandbox):
    org, tenant = brought_in["domain_missing"]
    second = org["domain"].replace(".", "-mail.", 1)
    before = check_read_only(portal_sandbox, tenant)
    assert codes.DOMAIN_MISSING not in before.codes()
    assert any(NO_CONSENT in u for u in before.unchecked)

    portal_sandbox.consent(org["tenant_id"])  # the customer approves the portal's app
    result = check_read_only(portal_sandbox, tenant)

    missing = next(f for f in result.findings if f.code == codes.DOMAIN_MISSING)
    assert missing.details["domains"] == [second] and second in missing.message
    # the hand-made app is read, not judged by the portal's own: its permissions and secret are fine
    assert result.codes() & {
        codes.APP_MISSING,
        codes.PERMISSIONS_MISSING,
        codes.SECRET_EXPIRED,
    } == (set())
    assert not any(NO_CONSENT in u for u in result.unchecked)


@pytest.mark.parametrize(
    "code, how",
    [
        (codes.APP_MISSING, "delete_sync_app"),
        (codes.APP_MISSING, "delete_sync_service_principal"),
        (codes.PERMISSIONS_MISSING, "remove_grant"),
        (codes.SECRET_EXPIRED, "expire_secret"),
        (codes.SECRET_EXPIRING, "secret_expiring"),
    ],
)
def test_a_consented_adopted_app_is_judged_by_what_entra_holds(
    brought_in, portal_sandbox, code, how
):
    org, tenant = brought_in["portal_synced"]
    getattr(portal_sandbox, how)(org["domain"], app_id=org["app_id"])

    result = check_read_only(portal_sandbox, tenant)

    assert code in result.codes(), [f.message for f in result.findings]
    found = next(f for f in result.findings if f.code == code)
    if code == codes.APP_MISSING:
        assert org["app_id"] in found.message


def test_a_refused_token_is_access_lost_once_the_portal_had_proved_consent(
    brought_in, portal_sandbox, technician
):
    org, tenant = brought_in["foreign_synced"]
    job = OnboardingJob.objects.create(
        tenant=tenant, started_by=technician, kind=JobKind.ONBOARDING, state=JobState.FAILED
    )
    Step.objects.create(job=job, key=StepKey.CUSTOMER_CONSENT, order=1, state=StepState.SUCCEEDED)

    result = check_read_only(portal_sandbox, tenant)

    assert codes.MSP_ACCESS_LOST in result.codes()
    assert not any(NO_CONSENT in u for u in result.unchecked)


def test_the_sweep_records_adopted_tenants_without_critical_words(brought_in, portal_sandbox):
    for state in ("portal_synced", "foreign_synced"):
        _, tenant = brought_in[state]
        service.run_check(tenant)
        tenant.refresh_from_db()
        assert tenant.health_state == "ok", (state, tenant.findings.values_list("message"))
        check = HealthCheck.objects.get(tenant=tenant)
        assert (state == "foreign_synced") == any(NO_CONSENT in u for u in check.unchecked)


def test_bring_in_asks_for_a_health_check_of_each_live_tenant_it_creates(
    portal_sandbox, db, technician, django_capture_on_commit_callbacks
):
    orgs = portal_sandbox.child_orgs(6)["orgs"]
    with django_capture_on_commit_callbacks() as sent:
        discovery.bring_in([o["domain"] for o in orgs], actor=technician)
    requested = set(
        HealthCheck.objects.filter(requested_at__isnull=False).values_list(
            "tenant__primary_domain", flat=True
        )
    )
    live = {o["domain"] for o in orgs if o["state"] != "never_synced"}
    assert requested == live
    assert len(sent) >= len(live)  # each check is sent to a worker once the tenant is saved
    assert not service.due_for_check().filter(primary_domain__in=live).exists()  # not sent twice


# --- what repair does to a tenant whose sync app the portal does not hold -----------------------
def azure_of(portal_sandbox, domain: str) -> dict:
    from tests.onboarding.onboarded_fixtures import azure_settings

    return azure_settings(portal_sandbox, Tenant.objects.get(primary_domain=domain))


def test_repairing_a_missing_domain_leaves_the_adopted_sync_app_alone(
    brought_in, portal_sandbox, technician
):
    from tests.onboarding.health.conftest import run_to_end

    org, tenant = brought_in["domain_missing"]
    second = org["domain"].replace(".", "-mail.", 1)
    portal_sandbox.consent(org["tenant_id"])
    service.run_check(tenant)
    assert set(tenant.findings.filter(closed_at__isnull=True).values_list("code", flat=True)) >= {
        codes.DOMAIN_MISSING
    }
    portal_sandbox.clear_requests()

    job = run_to_end(service.start_repair(tenant, technician))

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    writes = [f"{w['method']} {w['path']}" for w in portal_sandbox.writes()]
    assert writes == [f"POST /api/v1/orgs/{org['domain']}/domains"], writes
    steps = {s.key: s for s in job.steps.all()}
    for key in (StepKey.REPAIR_APP, StepKey.REPAIR_PERMISSIONS, StepKey.REPAIR_SECRET):
        assert steps[key].state == StepState.SKIPPED
        assert "not made by the portal" in steps[key].message
    assert steps[StepKey.REPAIR_DOMAINS].state == StepState.SUCCEEDED
    assert not hasattr(Tenant.objects.get(pk=tenant.pk), "entra_app")
    assert azure_of(portal_sandbox, org["domain"])["application_id"] == org["app_id"]
    [pp_org] = [
        o
        for o in portal_sandbox.state()["proofpoint"]["orgs"]
        if o["primary_domain"] == org["domain"]
    ]
    assert second in str(pp_org["domains"])
    assert service.run_check(tenant)[1] in ("ok", "warning")  # the domain finding is closed
    assert not tenant.findings.filter(code=codes.DOMAIN_MISSING, closed_at__isnull=True).exists()


def test_repairing_an_expiring_secret_replaces_the_adopted_app_with_the_portals_own(
    brought_in, portal_sandbox, technician
):
    from tests.onboarding.health.conftest import run_to_end

    org, tenant = brought_in["portal_synced"]
    portal_sandbox.secret_expiring(org["domain"], days=5, app_id=org["app_id"])
    service.run_check(tenant)

    job = run_to_end(service.start_repair(tenant, technician))

    assert job.state == JobState.COMPLETED, [(s.key, s.state, s.message) for s in job.steps.all()]
    made = Tenant.objects.get(pk=tenant.pk).entra_app
    assert made.client_id != org["app_id"] and made.secret
    assert azure_of(portal_sandbox, org["domain"])["application_id"] == made.client_id
    app_ids = {a["appId"] for a in portal_sandbox.tenant(org["domain"])["applications"]}
    assert {org["app_id"], made.client_id} <= app_ids  # the old app is left for the customer
    assert service.run_check(tenant)[1] == "ok"


def test_the_tenant_page_says_what_repair_would_replace_and_what_was_not_checked(
    brought_in, portal_sandbox, tech_client
):
    org, tenant = brought_in["foreign_expired"]
    service.run_check(tenant)
    page = tech_client.get(tenant.get_absolute_url()).content.decode()
    from django.utils.html import escape

    assert escape(codes.UNHELD_APP_REPAIR) in page  # under the expired secret, not "rotation"
    assert escape(codes.CODES[codes.SECRET_EXPIRED].repair) not in page
    replaces = page.split('id="repair-replaces">', 1)[1].split("</p>", 1)[0]
    assert org["app_id"] in replaces and "first emails the customer" in replaces
    assert escape(f"the portal has no consent in {tenant.name}") in page
    assert "takes the sync over with the portal" in page  # the onboarding promise


def test_an_adopted_tenant_with_only_a_missing_domain_offers_no_replacement(
    brought_in, portal_sandbox, tech_client
):
    org, tenant = brought_in["domain_missing"]
    portal_sandbox.consent(org["tenant_id"])
    service.run_check(tenant)
    page = tech_client.get(tenant.get_absolute_url()).content.decode()
    assert "Repair adds the missing domains" in page and 'id="repair-replaces"' not in page
