"""If the MSP app may not grant consent, the customer approves the new sync app through a second link."""

import pytest
from django.core import mail

from integrations.errors import InsufficientPrivileges
from integrations.microsoft.graph import GraphClient
from onboarding import engine
from onboarding.consent import links
from onboarding.models import ConsentPurpose, JobState
from tests.onboarding.entra_fixtures import drive, last_link_token
from tests.onboarding.steps.test_entra_steps import assert_exactly_one_of_each

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def refuse(*args, **kwargs):
    raise InsufficientPrivileges(message="Insufficient privileges to complete the operation.", status=403,
                                 code="Authorization_RequestDenied")


def test_the_customer_approves_the_sync_app_when_the_msp_app_may_not(entra, tenant_a, customer, monkeypatch):
    entra.consent("fabrikam.example")
    monkeypatch.setattr(GraphClient, "assign_app_role", refuse)
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
