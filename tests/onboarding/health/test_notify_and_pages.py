"""A change of health state is an audit row, an email to who asked for it and a signed webhook
`tenant.health_changed`; the tenant page shows each finding in words with what repair does; the
schedule sends one check per due live tenant, bounded."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import tasks
from notifications.models import NotificationKind, NotificationPreference, Webhook
from onboarding.health import service
from onboarding.health.checks import CheckResult
from onboarding.health.findings import record_check
from onboarding.models import AuditEvent, HealthCheck, OnboardingJob
from tenants.models import Lifecycle, Tenant
from tests.notifications.test_webhooks import Receiver, receiver  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def paused() -> CheckResult:
    result = CheckResult(unchecked=["MX records: the DNS lookup of fabrikam.example timed out."])
    result.add(
        "sync_paused",
        'Proofpoint\'s Azure sync is set to "Never" (frequency 0), so no directory sync runs.',
    )
    return result


@pytest.fixture
def live_a(tenant_a):
    Tenant.objects.filter(pk=tenant_a.pk).update(
        lifecycle=Lifecycle.LIVE, live_since=timezone.now()
    )
    tenant_a.refresh_from_db()
    return tenant_a


def test_a_state_change_is_audited_mailed_and_posted_signed(
    live_a,
    manager,
    technician,
    receiver,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
    settings,
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    hook = Webhook.objects.create(
        url=f"http://127.0.0.1:{receiver.server_port}/hook", secret="whsec_test"
    )
    OnboardingJob.objects.create(tenant=live_a, started_by=technician, state="completed")
    monkeypatch.setattr(
        tasks.deliver_webhook, "delay", lambda delivery_id: tasks.deliver_webhook(delivery_id)
    )
    monkeypatch.setattr(
        tasks.send_health_email, "delay", lambda *args: tasks.send_health_email(*args)
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert record_check(live_a, paused()) == ("unknown", "critical")

    row = AuditEvent.objects.get(tenant=live_a, action="tenant.health_changed")
    assert (
        row.description
        == ("Health of Fabrikam changed from not checked to critical (Proofpoint sync paused)")
        and row.actor_label == "system"
    )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([manager.email, technician.email])
    message = mail.outbox[0]
    assert message.subject == "Fabrikam: health critical (was not checked)"
    assert (
        "frequency 0" in message.body
        and "Repair saves the Azure sync settings again" in message.body
    )
    assert "sync_paused" not in message.body  # words, not codes
    headers, body = Receiver.received[-1]
    expected = hmac.new(
        b"whsec_test", f"{headers['X-Portal-Timestamp']}.{body}".encode(), hashlib.sha256
    )
    assert headers["X-Portal-Signature"] == f"sha256={expected.hexdigest()}"
    assert headers["X-Portal-Event"] == "tenant.health_changed"
    payload = json.loads(body)
    assert payload["event"] == "tenant.health_changed" and payload["tenant"]["id"] == live_a.pk
    assert payload["health"]["previous"] == "unknown" and payload["health"]["state"] == "critical"
    assert [(f["code"], f["severity"], f["fixable"]) for f in payload["health"]["findings"]] == [
        ("sync_paused", "critical", True)
    ]
    assert hook.secret not in body

    # The same state again: no audit row, no email, no webhook.
    received, sent = len(Receiver.received), len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert record_check(live_a, paused()) == ("critical", "critical")
    assert (len(Receiver.received), len(mail.outbox)) == (received, sent)
    assert AuditEvent.objects.filter(tenant=live_a, action="tenant.health_changed").count() == 1


def test_people_who_turned_health_emails_off_get_none(
    live_a, manager, django_capture_on_commit_callbacks, monkeypatch
):
    NotificationPreference.objects.create(
        user=manager, kind=NotificationKind.HEALTH_CHANGED, enabled=False
    )
    monkeypatch.setattr(
        tasks.send_health_email, "delay", lambda *args: tasks.send_health_email(*args)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_check(live_a, paused())
    assert mail.outbox == []


def test_the_tenant_page_shows_findings_in_words_with_what_repair_does(
    live_a, tech_client, dispatched
):
    record_check(live_a, paused())
    page = tech_client.get(f"/tenants/{live_a.pk}/").content.decode()
    assert "Critical" in page and "Proofpoint sync paused" in page
    assert "frequency 0" in page
    assert "Repair saves the Azure sync settings again at the tenant&#x27;s own frequency" in page
    assert "Could not be checked" in page and "timed out" in page
    assert "sync_paused" not in page
    assert (
        f'action="/tenants/{live_a.pk}/health/check/"' in page
        and f'action="/tenants/{live_a.pk}/repair/"' in page
    )

    answer = tech_client.post(f"/tenants/{live_a.pk}/health/check/")
    assert answer.status_code == 302 and dispatched[-1] == (live_a.pk, 0)
    assert AuditEvent.objects.filter(tenant=live_a, action="tenant.health_check_requested").exists()
    answer = tech_client.post(f"/tenants/{live_a.pk}/repair/")
    job = OnboardingJob.objects.get(tenant=live_a, kind="repair")
    assert answer.status_code == 302 and answer["Location"] == job.get_absolute_url()
    page = tech_client.get(f"/tenants/{live_a.pk}/").content.decode()
    assert "Repair can start once the job in progress has finished" in page
    job_page = tech_client.get(job.get_absolute_url()).content.decode()
    assert "Repair Fabrikam" in job_page and "Check the tenant&#x27;s health again" in job_page


def test_the_sweep_sends_one_check_per_due_live_tenant_bounded(db, dispatched, settings):
    settings.HEALTH_SWEEP_BATCH = 3
    settings.HEALTH_CHECK_INTERVAL_MINUTES = 60
    now = timezone.now()
    tenants = [
        Tenant.objects.create(
            name=f"T{n}",
            primary_domain=f"t{n}.example",
            customer_admin_email=f"a@t{n}.example",
            lifecycle=Lifecycle.LIVE,
        )
        for n in range(5)
    ]
    Tenant.objects.filter(pk=tenants[0].pk).update(
        health_checked_at=now - timedelta(minutes=5)
    )  # fresh
    Tenant.objects.filter(pk=tenants[1].pk).update(
        health_checked_at=now - timedelta(hours=2)
    )  # due
    Tenant.objects.create(
        name="New", primary_domain="new.example", customer_admin_email="a@new.example"
    )

    assert service.sweep() == 3
    first = [pk for pk, _ in dispatched]
    assert len(first) == 3 and tenants[0].pk not in first
    assert service.sweep() == 1  # the fourth due one; the three sent are not sent twice
    assert service.sweep() == 0
    assert sorted(pk for pk, _ in dispatched) == sorted(t.pk for t in tenants[1:])
    assert HealthCheck.objects.filter(requested_at__isnull=False).count() == 4
