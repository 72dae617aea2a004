"""No secret (the MSP app's, the new app's secretText, a consent token after use) in logs, pages or
emails."""

import logging

import pytest
from django.core import mail

from onboarding import engine
from onboarding.models import AuditEvent, JobState, OutboxMessage
from tenants.models import EntraApplication
from tests.onboarding.entra_fixtures import drive, last_link_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def everything_logged(caplog):
    """DEBUG for every logger that exists (msal and urllib3 are quiet by default)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_no_secret_appears_in_any_log_page_or_email(
    entra, tenant_a, technician, tech_client, customer, everything_logged, settings
):
    entra.knobs(secret_propagation_s=1)
    job = drive(engine.start_job(tenant_a, technician))
    landing = customer.client.get(f"/consent/{last_link_token()}/")
    callback = customer.answer(last_link_token())
    job = drive(job)
    assert job.state == JobState.COMPLETED

    sync_secret = EntraApplication.objects.get(tenant=tenant_a).secret
    secrets = [settings.MSP_APP_CLIENT_SECRET, sync_secret]
    assert all(len(s) > 10 for s in secrets)
    job_page = tech_client.get(f"/jobs/{job.pk}/")
    progress = tech_client.get(f"/jobs/{job.pk}/progress/")
    texts = [record.getMessage() for record in everything_logged.records]
    texts += [str(record.args) for record in everything_logged.records]
    texts += [
        landing.content.decode(),
        callback.content.decode(),
        job_page.content.decode(),
        progress.content.decode(),
    ]
    texts += [m.body + str(m.alternatives) + m.subject for m in mail.outbox]
    texts += [o.body_text + o.body_html for o in OutboxMessage.objects.all()]
    texts += [a.description for a in AuditEvent.objects.all()]
    texts += [f"{s.message} {s.log} {s.data}" for s in job.steps.all()]
    assert any(
        "msal" in r.name for r in everything_logged.records
    )  # msal really was logging at DEBUG
    for secret in secrets:
        leaks = [t for t in texts if secret in t]
        assert not leaks, leaks[:1]

    page = job_page.content.decode()
    stored = EntraApplication.objects.get(tenant=tenant_a)
    assert stored.client_id in page and stored.secret_hint in page and "Entra admin center" in page
    assert f"/ApplicationMenuBlade/~/Overview/appId/{stored.client_id}" in page
