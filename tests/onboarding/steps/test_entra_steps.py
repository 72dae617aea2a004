"""The Entra half (steps 1-6) against the sandbox over real HTTPS, run in-process as a worker
would."""

import pytest
from django.core import mail

from onboarding import engine
from onboarding.models import ConsentLink, ConsentState, JobState, StepState
from tenants.models import EntraApplication
from tests.onboarding.entra_fixtures import drive, last_link_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DELEGATED = {
    "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "b340eb25-3456-403f-be2f-af7a0d370277",
}
ROLE = "7ab1d382-f21e-4acd-a863-ba3e13f7da61"


def sync_objects(entra, domain="fabrikam.example"):
    """The sync app's objects in the customer's tenant, as Graph holds them (MSP app excluded)."""
    tenant = entra.tenant(domain)
    msp_app = entra.msp["app_id"]
    sps = [sp for sp in tenant["servicePrincipals"] if sp["appId"] != msp_app]
    sp_ids = {sp["id"] for sp in sps}
    return {
        "apps": tenant["applications"],
        "sps": sps,
        "assignments": [a for a in tenant["appRoleAssignments"] if a["principalId"] in sp_ids],
        "grants": [g for g in tenant["oauth2PermissionGrants"] if g["clientId"] in sp_ids],
        "graph_sp": tenant["graphServicePrincipalId"],
    }


def assert_exactly_one_of_each(entra, tenant):
    found = sync_objects(entra)
    assert len(found["apps"]) == 1 and len(found["sps"]) == 1
    assert len(found["assignments"]) == 1 and len(found["grants"]) == 1
    app = found["apps"][0]
    assert len(app["passwordCredentials"]) == 1
    assert found["assignments"][0]["appRoleId"] == ROLE
    assert found["assignments"][0]["resourceId"] == found["graph_sp"]
    grant = found["grants"][0]
    assert grant["consentType"] == "AllPrincipals" and grant["resourceId"] == found["graph_sp"]
    assert set(grant["scope"].split()) == {
        "Directory.Read.All",
        "Group.Read.All",
        "User.ReadBasic.All",
    }
    stored = EntraApplication.objects.get(tenant=tenant)
    assert (stored.object_id, stored.client_id) == (app["id"], app["appId"])
    assert stored.service_principal_id == found["sps"][0]["id"]
    assert stored.secret_key_id == app["passwordCredentials"][0]["keyId"]
    return app


def onboard_to_consent(tenant, technician=None):
    job = engine.start_job(tenant, technician)
    return drive(job)


def test_a_fresh_tenant_goes_through_consent_to_a_working_app(
    entra, tenant_a, technician, customer
):
    job = onboard_to_consent(tenant_a, technician)
    assert job.state == JobState.WAITING_CUSTOMER
    tenant_a.refresh_from_db()
    assert tenant_a.entra_tenant_id == entra.tenant("fabrikam.example")["id"]
    email = mail.outbox[-1]
    assert email.to == ["admin@fabrikam.example"] and "Fabrikam" in email.subject
    assert "alice" in email.body and "Read your directory" in email.body and "expires" in email.body
    assert email.alternatives and "Review and approve" in email.alternatives[0][0]

    page = customer.answer(last_link_token())
    assert page.status_code == 200 and b"Thank you" in page.content
    job = drive(job)

    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    app = assert_exactly_one_of_each(entra, tenant_a)
    assert app["displayName"] == "ProofPoint" and app["signInAudience"] == "AzureADMyOrg"
    assert app["redirectUris"] == ["https://us1.proofpointessentials.com"]
    [access] = app["requiredResourceAccess"]
    assert access["resourceAppId"] == "00000003-0000-0000-c000-000000000000"
    assert {(a["id"], a["type"]) for a in access["resourceAccess"]} == {
        *((g, "Scope") for g in DELEGATED),
        (ROLE, "Role"),
    }
    link = ConsentLink.objects.get(job=job)
    assert (
        link.state == ConsentState.APPROVED
        and link.opened_at
        and link.answered_at
        and not link.token
    )


def test_running_it_again_creates_nothing_new_and_sends_no_email(entra, tenant_a, customer):
    job = onboard_to_consent(tenant_a)
    customer.answer(last_link_token())
    assert drive(job).state == JobState.COMPLETED
    before = sync_objects(entra)
    emails = len(mail.outbox)

    again = drive(engine.start_job(tenant_a))

    assert again.state == JobState.COMPLETED
    assert again.steps.get(key="customer_consent").message.startswith("Consent already in place")
    assert len(mail.outbox) == emails
    assert sync_objects(entra) == before
    assert_exactly_one_of_each(entra, tenant_a)


def test_consent_already_in_place_skips_the_email(entra, tenant_a):
    entra.consent("fabrikam.example")
    job = drive(engine.start_job(tenant_a))
    assert job.state == JobState.COMPLETED
    assert mail.outbox == []
    assert ConsentLink.objects.filter(job=job).count() == 0


def test_it_completes_with_throttling_outages_replication_and_secret_propagation_delays(
    entra, tenant_a
):
    entra.consent("fabrikam.example")
    entra.knobs(
        throttle_rate=0.2,
        unavailable_rate=0.1,
        retry_after=[0.05, 0.2, None],
        replication_delay_s=2,
        replication_error="404",
        secret_propagation_s=3,
        seed=7,
    )
    job = drive(engine.start_job(tenant_a), timeout=180)
    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert_exactly_one_of_each(entra, tenant_a)
    counts = entra.requests()["counts"]
    assert counts.get("POST /v1.0/applications/{id}/addPassword", 0) >= 1


def test_replication_answers_400_not_a_valid_reference_are_retried(entra, tenant_a):
    entra.consent("fabrikam.example")
    entra.knobs(replication_delay_s=2, replication_error="400", secret_propagation_s=2)
    job = drive(engine.start_job(tenant_a), timeout=120)
    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert_exactly_one_of_each(entra, tenant_a)


def test_an_unknown_domain_fails_with_a_clear_message(entra, tenant_b):
    tenant_b.primary_domain = "no-such-tenant.example"
    tenant_b.save()
    job = drive(engine.start_job(tenant_b))
    step = job.steps.get(key="resolve_tenant")
    assert job.state == JobState.FAILED and step.state == StepState.FAILED
    assert "No Microsoft Entra tenant uses the domain no-such-tenant.example" in step.message


def test_a_gcc_high_tenant_is_refused_clearly(entra, tenant_b):
    tenant_b.primary_domain = "contoso-gov.example"
    tenant_b.save()
    job = drive(engine.start_job(tenant_b))
    message = job.steps.get(key="resolve_tenant").message
    assert job.state == JobState.FAILED and "GCC High" in message and "not support" in message


def test_a_missing_msp_credential_names_the_variable(entra, tenant_a, settings):
    settings.MSP_APP_CLIENT_SECRET = ""
    job = drive(engine.start_job(tenant_a))
    assert job.state == JobState.FAILED
    assert "MSP_APP_CLIENT_SECRET" in job.steps.get(key="customer_consent").message


def test_a_shorter_secret_lifetime_policy_falls_back_and_says_so(entra, tenant_a):
    entra.consent("fabrikam.example")
    entra.knobs(tenants={"fabrikam.example": {"secret_max_lifetime_days": 200}})
    job = drive(engine.start_job(tenant_a))
    assert job.state == JobState.COMPLETED
    step = job.steps.get(key="create_secret")
    assert "200 days" in step.message and "rotation" in step.message
    app = assert_exactly_one_of_each(entra, tenant_a)
    assert app["passwordCredentials"][0]["endDateTime"] < "2099"


def test_a_policy_forbidding_secrets_is_a_clear_permanent_error(entra, tenant_a):
    entra.consent("fabrikam.example")
    entra.knobs(secrets_forbidden=True)
    job = drive(engine.start_job(tenant_a))
    step = job.steps.get(key="create_secret")
    assert job.state == JobState.FAILED and "does not allow client secrets" in step.message


def test_the_new_secret_that_never_works_fails_after_the_bounded_wait(entra, tenant_a, settings):
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 2
    entra.consent("fabrikam.example")
    entra.knobs(secret_propagation_s=600)
    job = drive(engine.start_job(tenant_a), timeout=60)
    step = job.steps.get(key="verify_credentials")
    assert job.state == JobState.FAILED and "still cannot sign in" in step.message
    assert step.attempts > 1
