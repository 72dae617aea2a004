"""The Proofpoint half end to end against the sandbox over real HTTPS: org, settings, report,
review,
import, countdown."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from onboarding import engine
from onboarding.models import ImportState, JobState, Step, StepState, SyncReportRow
from onboarding.report import queries as rq
from onboarding.steps.base import StepContext
from onboarding.steps.import_accounts import import_accounts

pytestmark = pytest.mark.integration


def steps(job):
    return dict(Step.objects.filter(job=job).values_list("key", "state"))


def org(admin, domain):
    return next(o for o in admin.state()["proofpoint"]["orgs"] if o["primary_domain"] == domain)


def run_until_review(job):
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW, (
        Step.objects.filter(job=job)
        .exclude(state__in=["succeeded", "waiting"])
        .values("key", "state", "message")
        .first()
    )
    return job


def test_a_1000_user_tenant_goes_through_the_whole_proofpoint_half(
    onboard, portal_sandbox, technician, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import tasks

    # The routing-ready email is the job's completion notification, sent by a Celery task after
    # commit.
    monkeypatch.setattr(tasks.send_job_email, "delay", lambda *args: tasks.send_job_email(*args))
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda *args: None)
    settings.ROUTING_WAIT_SECONDS = 3600
    job = onboard("northwind.example", create_proofpoint_org=True, allow_deletions=False)
    run_until_review(job)

    created = org(portal_sandbox, "northwind.example")
    assert {d["name"] for d in created["domains"]} == {
        "northwind.example",
        "northwindtraders.example",
    }
    added = next(d for d in created["domains"] if d["name"] == "northwindtraders.example")
    assert added["destination"] == "northwind.mail.protection.outlook.com"
    azure = created["settings_azure"]
    assert (
        azure["sync_frequency"] == 0 and azure["application_id"] == job.tenant.entra_app.client_id
    )

    counts = rq.summary(job)
    assert counts["sections"]["adding"] > 800 and counts["sections"]["exempt"] > 0  # guests
    assert SyncReportRow.objects.filter(job=job, kind="group").exists()
    assert not SyncReportRow.objects.filter(job=job, guest=True).exclude(section="exempt").exists()

    excluded = rq.set_excluded(
        job, excluded=True, filters={"section": "adding", "enabled": "false"}, actor=technician
    )
    assert excluded > 0
    rq.approve(job, actor=technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COUNTDOWN
    assert job.routing_ready_at > timezone.now() + timedelta(minutes=59)

    after = org(portal_sandbox, "northwind.example")
    to_add = SyncReportRow.objects.filter(job=job, section="adding", excluded=False)
    emails = {u["primary_email"] for u in after["users"]}
    assert set(to_add.values_list("email", flat=True)) <= emails
    excluded_emails = set(
        SyncReportRow.objects.filter(job=job, excluded=True).values_list("email", flat=True)
    )
    assert excluded_emails <= set(after["exemptions"]) and not excluded_emails & emails
    assert after["settings_azure"]["sync_frequency"] == 1
    assert not SyncReportRow.objects.filter(job=job, import_state=ImportState.PENDING).exists()
    assert "added" in Step.objects.get(job=job, key="import_accounts").message

    # The countdown ends (time moved by the test), the sweeper wakes the step, the technician is
    # emailed.
    past = timezone.now() - timedelta(seconds=1)
    job.routing_ready_at = past
    job.save(update_fields=["routing_ready_at"])
    Step.objects.filter(job=job, key="routing_countdown").update(wake_at=past)
    assert engine.sweep()["woken"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED
    to_technician = [m for m in mail.outbox if m.to == ["alice@msp.example"]]
    assert len(to_technician) == 1, [m.subject for m in mail.outbox]  # one routing-ready email
    message = to_technician[0]
    assert (
        message.to == ["alice@msp.example"]
        and f"/tenants/{job.tenant.pk}/next-steps/" in message.body
    )


def test_running_the_import_again_adds_nothing(onboard, portal_sandbox, technician, settings):
    settings.ROUTING_WAIT_SECONDS = 0
    job = onboard("fabrikam.example")
    run_until_review(job)
    rq.approve(job, actor=technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COMPLETED
    users_before = len(org(portal_sandbox, "fabrikam.example")["users"])
    portal_sandbox._admin("DELETE", "requests")

    # As if a worker died after the creates: everything pending again, the step runs again.
    SyncReportRow.objects.filter(job=job).update(import_state=ImportState.PENDING)
    step = Step.objects.get(job=job, key="import_accounts")
    import_accounts(StepContext(job=job, step=step, lease_seconds=300))
    assert len(org(portal_sandbox, "fabrikam.example")["users"]) == users_before
    assert portal_sandbox.requests()["counts"].get("POST /api/v1/orgs/{org}/users", 0) == 0


def test_accounts_proofpoint_refuses_are_listed_on_the_job_page(
    onboard, portal_sandbox, technician, tech_client, settings
):
    settings.ROUTING_WAIT_SECONDS = 3600
    job = onboard("fabrikam.example")
    run_until_review(job)
    victims = list(
        SyncReportRow.objects.filter(job=job, section="adding").values_list("email", flat=True)[:2]
    )
    portal_sandbox.knobs(proofpoint_fail_emails=victims)
    rq.approve(job, actor=technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.COUNTDOWN  # the step succeeded, with a warning
    import_step = Step.objects.get(job=job, key="import_accounts")
    assert (
        import_step.state == StepState.SUCCEEDED
        and "2 account(s) were refused" in import_step.message
    )
    failed = SyncReportRow.objects.filter(job=job, import_state=ImportState.FAILED)
    assert set(failed.values_list("email", flat=True)) == set(victims)
    page = tech_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "2 accounts could not be imported" in page
    for email in victims:
        assert email in page


def test_a_missing_org_is_a_clear_error_unless_the_tenant_may_create_it(onboard):
    job = onboard("northwind.example", create_proofpoint_org=False)
    engine.run_job(job.pk)
    step = Step.objects.get(job=job, key="prepare_org")
    assert step.state == StepState.FAILED
    assert "No Proofpoint organisation uses northwind.example" in step.message
