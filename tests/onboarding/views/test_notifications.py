"""Each notification matches what happened, in HTML and text: the technician hears of a decline, no
"the customer answered" without a consent email, one routing-ready email that links to Next steps,
and codes only in a details line for support."""

import pytest
from django.core import mail

from notifications import receivers, tasks
from onboarding.consent import answers
from onboarding.engine import events
from onboarding.models import ConsentState, JobState, StepState
from onboarding.pipeline import StepKey
from tests.onboarding.views.helpers import internal_words, job_at, sent_link, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_tasks_now(monkeypatch):
    monkeypatch.setattr(tasks.send_job_email, "delay", lambda *args: tasks.send_job_email(*args))
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *args: None)


def parts(message) -> tuple[str, str]:
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    return message.body, html


def words_before_details(text: str) -> str:
    return text.split("Details for support")[0]


def test_the_technician_is_emailed_when_the_customer_declines(
    tenant_a, technician, dispatched, run_tasks_now, django_capture_on_commit_callbacks
):
    job = job_at(tenant_a, technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER)
    link = sent_link(job)
    with django_capture_on_commit_callbacks(execute=True):
        assert answers.record_answer(
            link, ConsentState.DECLINED, "Declined: The user declined to consent. [access_denied]"
        )
    assert [m.to for m in mail.outbox] == [[technician.email]]
    message = mail.outbox[0]
    text, html = parts(message)
    assert "declined" in message.subject and "Fabrikam" in message.subject
    assert f"/jobs/{job.pk}/" in text and f"/jobs/{job.pk}/" in html
    for body in (text, visible_text(html)):
        assert "declined the consent" in body
        assert "Resend consent link" in body
        assert "The user declined to consent." in body
        assert "Details for support: code access_denied" in body
        assert internal_words(body) == [], internal_words(body)


def test_a_failed_consent_tells_the_technician_too(
    tenant_a, technician, dispatched, run_tasks_now, django_capture_on_commit_callbacks
):
    job = job_at(tenant_a, technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        answers.record_answer(
            sent_link(job), ConsentState.FAILED, "Failed: server_error [server_error]"
        )
    assert len(mail.outbox) == 1 and "could not give consent" in mail.outbox[0].subject


def test_an_approval_sends_no_decline_email(
    tenant_a, technician, dispatched, run_tasks_now, django_capture_on_commit_callbacks
):
    job = job_at(tenant_a, technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        answers.record_answer(sent_link(job), ConsentState.APPROVED, "Approved.")
    assert mail.outbox == []


def test_no_customer_answered_email_when_no_email_went_to_the_customer(tenant_a, technician):
    job = job_at(tenant_a, technician, StepKey.CREATE_APP, JobState.RUNNING)
    consent_step = job.steps.get(key=StepKey.CUSTOMER_CONSENT)
    assert (
        receivers.emails_for(job, events.STEP_SUCCEEDED, consent_step) == []
    )  # consent was in place
    sent_link(job, ConsentState.APPROVED)
    assert receivers.emails_for(job, events.STEP_SUCCEEDED, consent_step) == ["consent_answered"]


def test_the_consent_answered_email_says_approved(tenant_a, technician):
    job = job_at(tenant_a, technician, StepKey.CREATE_APP, JobState.RUNNING)
    sent_link(job, ConsentState.APPROVED, "The administrator approved; the portal checks it.")
    tasks.send_job_email("consent_answered", job.pk)
    text, html = parts(mail.outbox[0])
    for body in (text, visible_text(html)):
        assert "approved" in body and "the portal checks it" not in body


def test_one_routing_ready_email_links_to_next_steps(
    tenant_a, technician, dispatched, run_tasks_now, django_capture_on_commit_callbacks, settings
):
    """The routing countdown finishing completes the job: exactly one email, to the technician
    (and the customer's own "you are set up"), with the Next steps link."""
    from onboarding.engine import run_job

    settings.ROUTING_WAIT_SECONDS = 0
    job = job_at(
        tenant_a,
        technician,
        StepKey.ROUTING_COUNTDOWN,
        JobState.COUNTDOWN,
        stop_state=StepState.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED
    to_technician = [m for m in mail.outbox if m.to == [technician.email]]
    assert len(to_technician) == 1, [m.subject for m in mail.outbox]
    text, html = parts(to_technician[0])
    next_steps = f"/tenants/{tenant_a.pk}/next-steps/"
    assert next_steps in text and next_steps in html
    assert "Open the next steps" in html and "mail routing can start" in to_technician[0].subject


def test_the_step_failed_email_puts_words_first_and_codes_for_support(tenant_a, technician):
    job = job_at(
        tenant_a,
        technician,
        StepKey.PREPARE_ORG,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message='Proofpoint has no organisation for fabrikam.example. Tick "Create the '
        'Proofpoint org" on the tenant, then retry. [org_missing] (request-id 42-abc)',
    )
    tasks.send_job_email("step_failed", job.pk)
    message = mail.outbox[0]
    text, html = parts(message)
    assert "Prepare the Proofpoint organisation and domains" in message.subject
    for body in (text, visible_text(html)):
        assert "Proofpoint has no organisation for fabrikam.example." in words_before_details(body)
        assert "Details for support: code org_missing · request id 42-abc" in body
        assert internal_words(body) == [], internal_words(body)
    assert internal_words(message.subject) == []


@pytest.mark.parametrize(
    "kind",
    [
        "consent_answered",
        "consent_declined",
        "review_ready",
        "step_failed",
        "routing_ready",
        "customer_completed",
    ],
)
def test_no_email_shows_a_step_key_or_a_bracketed_code(tenant_a, technician, kind):
    job = job_at(
        tenant_a,
        technician,
        StepKey.PREPARE_ORG,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message="No Proofpoint organisation uses fabrikam.example. [org_missing] (request-id r-1)",
    )
    sent_link(job, ConsentState.DECLINED, "Declined: The user declined to consent. [access_denied]")
    tasks.send_job_email(kind, job.pk)
    [message] = mail.outbox
    text, html = parts(message)
    for body in (message.subject, text, visible_text(html)):
        assert internal_words(body) == [], (kind, internal_words(body))
