"""Emails: the technician when a job needs them, the customer when it completes, managers' daily
digest;
each person can turn each kind off; an email failure never breaks the engine."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import emails, receivers, tasks
from notifications.models import NotificationKind, NotificationPreference
from onboarding import engine
from onboarding.engine import events
from onboarding.models import JobState
from tests.onboarding.views.jobs_in_any_state import make_job


@pytest.fixture
def run_tasks_now(monkeypatch):
    monkeypatch.setattr(tasks.send_job_email, "delay", lambda *args: tasks.send_job_email(*args))
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *args: None)


def run_failing_job(tenant, user, settings, capture):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    with capture(execute=True):
        job = engine.start_job(tenant, user)
        engine.run_job(job.pk)
    return job


def test_the_technician_is_emailed_when_a_step_fails(
    tenant_a, technician, dispatched, settings, run_tasks_now, django_capture_on_commit_callbacks
):
    run_failing_job(tenant_a, technician, settings, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@msp.example"]
    assert "Fabrikam" in message.subject and "Broken" in message.subject
    assert "Authorization_RequestDenied" in message.body
    assert message.alternatives and "Authorization_RequestDenied" in message.alternatives[0][0]


def test_a_technician_can_turn_a_kind_off(
    tenant_a, technician, dispatched, settings, run_tasks_now, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(
        user=technician, kind=NotificationKind.STEP_FAILED, enabled=False
    )
    run_failing_job(tenant_a, technician, settings, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_emails_wait_for_the_commit(tenant_a, technician, dispatched, settings, run_tasks_now):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    job = engine.start_job(tenant_a, technician)
    engine.run_job(job.pk)  # inside the test's transaction: nothing committed, nothing sent
    assert mail.outbox == []


def test_an_email_failure_never_breaks_the_engine(
    tenant_a, technician, dispatched, settings, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.send_job_email, "delay", broken)
    monkeypatch.setattr(receivers, "queue_deliveries", broken)
    job = run_failing_job(tenant_a, technician, settings, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.state == JobState.FAILED


@pytest.mark.parametrize(
    "event,state,step_key,kinds",
    [
        (events.STEP_FAILED, "failed", "x", ["step_failed"]),
        (events.STEP_SUCCEEDED, "running", "customer_consent", []),  # no email went to the customer
        (events.CONSENT_DECLINED, "waiting_customer", "customer_consent", ["consent_declined"]),
        (events.STEP_SUCCEEDED, "running", "create_app", []),
        (events.WAITING, "waiting_review", "review", ["review_ready"]),
        (events.WAITING, "waiting_customer", "customer_consent", []),
        (events.COMPLETED, "completed", None, ["routing_ready", "customer_completed"]),
        (events.CANCELLED, "cancelled", None, []),
    ],
)
def test_which_events_email_whom(tenant_a, event, state, step_key, kinds):
    job = make_job(tenant_a, state, step=step_key or "")
    if event == events.COMPLETED:  # the tenant's first completed onboarding: it went live with it
        type(job).objects.filter(pk=job.pk).update(finished_at=timezone.now())
        job.refresh_from_db()
        type(tenant_a).objects.filter(pk=tenant_a.pk).update(
            lifecycle="live", live_since=job.finished_at
        )
    step = job.steps.first()
    assert [str(k) for k in receivers.emails_for(job, event, step)] == kinds


def test_the_customer_admin_is_told_when_onboarding_completes(tenant_a, technician):
    job = make_job(tenant_a, "completed", step="", user=technician)
    tasks.send_job_email("customer_completed", job.pk)
    tasks.send_job_email("routing_ready", job.pk)
    assert [m.to for m in mail.outbox] == [["admin@fabrikam.example"], ["alice@msp.example"]]
    assert "set up" in mail.outbox[0].subject and mail.outbox[0].alternatives


def test_review_ready_and_consent_emails_render(tenant_a, technician):
    job = make_job(tenant_a, "waiting_review", step="review", user=technician)
    assert emails.notify_technician(NotificationKind.REVIEW_READY, job)
    assert emails.notify_technician(NotificationKind.CONSENT_ANSWERED, job)
    assert (
        "ready for review" in mail.outbox[0].subject and f"/jobs/{job.pk}/" in mail.outbox[0].body
    )
    assert "answered" in mail.outbox[1].subject


def test_the_daily_digest_goes_to_managers_who_want_it(tenant_a, tenant_b, technician, manager):
    from django.contrib.auth.models import Group, User

    other = User.objects.create_user("max", "max@msp.example", "x")
    other.groups.add(Group.objects.get_or_create(name="Managers")[0])
    NotificationPreference.objects.create(
        user=other, kind=NotificationKind.MANAGER_DIGEST, enabled=False
    )
    make_job(tenant_a, "failed", user=technician)
    make_job(tenant_b, "waiting_review", step="review", age=timedelta(days=3))
    assert tasks.send_manager_digest() == 1
    assert [m.to for m in mail.outbox] == [["mandy@msp.example"]]
    assert "Fabrikam" in mail.outbox[0].body and "Northwind" in mail.outbox[0].body
    assert tasks.send_manager_digest.name == "onboarding.send_manager_digest"


def test_the_digest_names_the_failed_step_in_words_and_counts_what_it_leaves_out(
    manager, technician, db
):
    from tests.onboarding.views.jobs_in_any_state import make_tenants

    for tenant in make_tenants(12, prefix="failing"):
        make_job(tenant, "failed", step="configure_sync", user=technician)
    assert tasks.send_manager_digest() == 1
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "12 items need attention" in message.subject
    assert "Failed jobs (12)" in message.body and "Failed jobs (12)" in html
    assert message.body.count("Configure Azure sync in Proofpoint (paused)") == 10
    assert "configure_sync" not in message.body and "configure_sync" not in html
    assert "and 2 more on the dashboard" in message.body and "and 2 more on the dashboard" in html


def test_no_digest_on_a_quiet_day(manager, db):
    assert tasks.send_manager_digest() == 0 and mail.outbox == []


def test_the_preferences_page(tech_client, technician, manager_client, outsider_client, client, db):
    page = tech_client.get("/preferences/").content.decode()
    assert "A step failed" in page and "digest" not in page.lower()
    assert "digest" in manager_client.get("/preferences/").content.decode().lower()
    tech_client.post(
        "/preferences/", {"review_ready": "on", "consent_answered": "on", "routing_ready": "on"}
    )
    saved = dict(
        NotificationPreference.objects.filter(user=technician).values_list("kind", "enabled")
    )
    assert saved["step_failed"] is False and saved["review_ready"] is True
    assert outsider_client.get("/preferences/").status_code == 403
    assert client.get("/preferences/").status_code == 302


def test_unticking_every_box_turns_every_email_off(tech_client, technician):
    from notifications.models import NotificationPreference

    response = tech_client.post("/preferences/", {})  # browsers send nothing for unticked boxes
    assert response.status_code == 302
    prefs = NotificationPreference.objects.filter(user=technician)
    assert prefs.exists() and not prefs.filter(enabled=True).exists()
