"""Webhooks: managers only, https (or loopback), secret shown once and stored encrypted, signed
deliveries."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from celery.exceptions import Retry
from django.db import connection

from notifications import tasks, webhooks
from notifications.models import DeliveryState, Webhook, WebhookDelivery
from onboarding import engine
from onboarding.engine import events
from onboarding.models import AuditEvent


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """These receivers listen on loopback: the operator's on-premises setting lets them be called
    (tests/security/hardening/test_webhook_ssrf.py covers the default, which refuses them)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True


def test_only_managers_manage_webhooks(tech_client, outsider_client, manager_client, db):
    assert manager_client.get("/webhooks/").status_code == 200
    for client in (tech_client, outsider_client):
        assert client.get("/webhooks/").status_code == 403
        assert client.post("/webhooks/", {"url": "https://hooks.example/a"}).status_code == 403
    assert not Webhook.objects.exists()


def test_the_secret_is_shown_once_and_stored_encrypted(manager_client, manager):
    response = manager_client.post(
        "/webhooks/", {"url": "https://hooks.example/portal", "description": "PSA"}
    )
    hook = Webhook.objects.get()
    assert hook.secret.startswith("whsec_") and hook.secret in response.content.decode()
    assert hook.secret not in manager_client.get("/webhooks/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM notifications_webhook")
        assert hook.secret not in cursor.fetchone()[0]
    assert AuditEvent.objects.filter(action="webhook.created", actor=manager).exists()


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://hooks.example/x", True),
        ("http://127.0.0.1:9000/x", True),
        ("http://localhost/x", True),
        ("http://[::1]:8080/x", True),
        ("http://hooks.example/x", False),
        ("ftp://hooks.example/x", False),
        ("javascript:alert(1)", False),
        ("not a url", False),
    ],
)
def test_urls_must_be_https_unless_loopback(manager_client, url, ok):
    response = manager_client.post("/webhooks/", {"url": url})
    assert response.status_code == 200
    assert Webhook.objects.exists() == ok, response.content.decode()[-2000:]


def test_a_manager_can_remove_a_webhook(manager_client, db):
    hook = Webhook.objects.create(url="https://hooks.example/x", secret="s")
    assert manager_client.get(f"/webhooks/{hook.pk}/delete/").status_code == 405
    manager_client.post(f"/webhooks/{hook.pk}/delete/")
    assert not Webhook.objects.exists()


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body.decode()))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_job_events_are_posted_signed(
    receiver, tenant_a, dispatched, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    hook = Webhook.objects.create(
        url=f"http://127.0.0.1:{receiver.server_port}/hook", secret="whsec_test"
    )
    monkeypatch.setattr(
        tasks.deliver_webhook, "delay", lambda delivery_id: tasks.deliver_webhook(delivery_id)
    )
    monkeypatch.setattr(tasks.send_job_email, "delay", lambda *args: None)
    with django_capture_on_commit_callbacks(execute=True):
        job = engine.start_job(tenant_a)
        engine.run_job(job.pk)
    kinds = [json.loads(body)["event"] for _, body in Receiver.received]
    assert kinds == [events.STARTED, events.STEP_SUCCEEDED, events.STEP_FAILED]
    headers, body = Receiver.received[-1]
    expected = hmac.new(
        b"whsec_test", f"{headers['X-Portal-Timestamp']}.{body}".encode(), hashlib.sha256
    )
    assert headers["X-Portal-Signature"] == f"sha256={expected.hexdigest()}"
    payload = json.loads(body)
    assert payload["job"]["id"] == job.pk and payload["step"]["key"] == "broken"
    assert "Authorization_RequestDenied" in payload["step"]["message"]
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {DeliveryState.DELIVERED}
    assert set(WebhookDelivery.objects.values_list("status_code", flat=True)) == {200}
    assert hook.secret not in body


def test_a_failed_delivery_is_retried_then_given_up(receiver, tenant_a, db):
    Receiver.status = 500
    hook = Webhook.objects.create(url=f"http://127.0.0.1:{receiver.server_port}/hook", secret="s")
    delivery = WebhookDelivery.objects.create(
        webhook=hook, event="job.started", payload={"event": "job.started"}
    )
    assert webhooks.deliver(delivery) is False
    delivery.refresh_from_db()
    assert (delivery.state, delivery.status_code, delivery.attempts) == (
        DeliveryState.RETRYING,
        500,
        1,
    )
    # The task raises for Celery's autoretry (backoff and jitter on the decorator) until the last
    # try.
    with pytest.raises(Retry):
        tasks.deliver_webhook.apply(args=[delivery.pk], throw=True, retries=0).get()
    assert tasks.deliver_webhook.autoretry_for == (webhooks.DeliveryFailed,)
    assert tasks.deliver_webhook.retry_backoff and tasks.deliver_webhook.retry_jitter
    tasks.deliver_webhook.apply(args=[delivery.pk], retries=tasks.deliver_webhook.max_retries).get()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts >= 3


def test_an_unreachable_receiver_is_logged_not_raised(db):
    hook = Webhook.objects.create(url="http://127.0.0.1:9/nothing-listens", secret="s")
    delivery = WebhookDelivery.objects.create(webhook=hook, event="job.started", payload={})
    assert webhooks.deliver(delivery, final=True) is False
    delivery.refresh_from_db()
    assert (
        delivery.state == DeliveryState.FAILED and delivery.status_code is None and delivery.error
    )


def test_the_delivery_log_shows_status_codes(manager_client, db):
    hook = Webhook.objects.create(url="https://hooks.example/x", secret="s")
    WebhookDelivery.objects.create(
        webhook=hook,
        event="job.completed",
        payload={},
        status_code=502,
        state=DeliveryState.RETRYING,
        attempts=2,
    )
    page = manager_client.get("/webhooks/").content.decode()
    assert "HTTP 502" in page and "job.completed" in page
