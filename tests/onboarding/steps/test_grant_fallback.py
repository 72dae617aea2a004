"""If the MSP app may not grant consent, the customer approves the new sync app through a second
link."""

import pytest
from django.core import mail

from onboarding import engine
from onboarding.consent import links
from onboarding.models import ConsentPurpose, JobState
from sandbox.catalog import APP_ROLES
from tests.onboarding.entra_fixtures import drive, last_link_token
from tests.onboarding.steps.test_entra_steps import assert_exactly_one_of_each

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def withdraw_msp_permission(sandbox, domain: str, permission: str) -> None:
    """The customer's admin removed one of the MSP app's application permissions in their tenant:
    its
    next token lacks the role, and the sandbox's Graph answers 403 Authorization_RequestDenied."""
    world = sandbox.sb.state
    with world.lock:
        tenant = next(t for t in world.tenants.values() if domain in {d["id"] for d in t.domains})
        sp = tenant.sp_by_app_id(world.msp["app_id"], visible_only=False)
        doomed = [
            key
            for key, record in tenant.assignments.items()
            if record.data["principalId"] == sp.data["id"]
            and record.data["appRoleId"] == APP_ROLES[permission]
        ]
        assert doomed, f"the MSP app had no {permission} to withdraw"
        for key in doomed:
            del tenant.assignments[key]


def test_the_customer_approves_the_sync_app_when_the_msp_app_may_not(entra, tenant_a, customer):
    entra.consent("fabrikam.example")
    withdraw_msp_permission(entra, "fabrikam.example", "AppRoleAssignment.ReadWrite.All")
    job = drive(engine.start_job(tenant_a))

    assert job.state == JobState.WAITING_CUSTOMER and job.current_step == "grant_consent"
    link = links.latest_link(job)
    assert link.purpose == ConsentPurpose.SYNC_APP
    assert "Proofpoint sync app" in mail.outbox[-1].subject
    app = entra.tenant("fabrikam.example")["applications"][0]
    assert app["redirectUris"][1].endswith("/consent/callback/")

    page = customer.answer(last_link_token())
    assert b"Thank you" in page.content
    job = drive(job)

    assert job.state == JobState.COMPLETED, [(s.key, s.message) for s in job.steps.all()]
    assert_exactly_one_of_each(entra, tenant_a)
