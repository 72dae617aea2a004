"""The "Rotate secret now" button and the rotate_secret command; who may press it; no secret
anywhere."""

import pytest
from django.core.management import CommandError, call_command

from onboarding import tasks
from onboarding.models import AuditEvent, JobState, OnboardingJob
from onboarding.secrets import rotation
from tenants.models import EntraApplication
from tests.onboarding.onboarded_fixtures import azure_settings, sandbox_app
from tests.security.scan import (
    captured_log_lines,
    database_texts,
    log_texts,
    outbox_texts,
    response_texts,
    scan_for_secrets,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def sent_tasks(monkeypatch):
    """Rotation tasks sent to the broker (the Celery app is shared: the engine's sends land here
    too)."""
    sent = []

    def send_task(name, args=None, **kwargs):
        if name == "onboarding.rotate_secret":
            sent.append((name, args))

    monkeypatch.setattr("onboarding.engine.dispatch.current_app.send_task", send_task)
    return sent


def test_the_button_rotates_the_secret_through_a_worker(
    onboarded,
    portal_sandbox,
    tech_client,
    technician,
    sent_tasks,
    django_capture_on_commit_callbacks,
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    page = tech_client.get(f"/tenants/{tenant.pk}/").content.decode()
    assert "Rotate secret now" in page and f"{old.secret_hint}…" in page and "never" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = tech_client.post(f"/tenants/{tenant.pk}/rotate-secret/")
    assert response.status_code == 302 and response["Location"] == f"/tenants/{tenant.pk}/"
    assert sent_tasks == [("onboarding.rotate_secret", [tenant.pk, technician.pk])]
    tasks.rotate_secret(*sent_tasks[0][1])  # what the worker runs

    app = EntraApplication.objects.get(tenant=tenant)
    assert app.secret_key_id != old.secret_key_id
    assert [c["keyId"] for c in sandbox_app(portal_sandbox, tenant)["passwordCredentials"]] == [
        app.secret_key_id
    ]
    page = tech_client.get(f"/tenants/{tenant.pk}/").content.decode()
    assert f"{app.secret_hint}…" in page and f"{app.secret_expires_at:%Y-%m-%d}" in page
    assert f"{app.rotated_at:%Y-%m-%d}" in page
    by_alice = set(
        AuditEvent.objects.filter(tenant=tenant, actor=technician).values_list("action", flat=True)
    )
    assert {
        "secret.rotation_requested",
        "entra.secret_added",
        "proofpoint.settings_updated",
        "entra.secret_removed",
    } <= by_alice


def test_the_button_refuses_while_an_onboarding_is_under_way(
    onboarded, tech_client, sent_tasks, django_capture_on_commit_callbacks
):
    tenant = onboarded()
    OnboardingJob.objects.filter(tenant=tenant).update(state=JobState.RUNNING)
    with django_capture_on_commit_callbacks(execute=True):
        response = tech_client.post(f"/tenants/{tenant.pk}/rotate-secret/", follow=True)
    assert "once it has finished" in response.content.decode() and sent_tasks == []


def test_a_failed_rotation_shows_on_the_tenant_page(onboarded, portal_sandbox, tech_client):
    tenant = onboarded()
    portal_sandbox.knobs(secrets_forbidden=True)
    tasks.rotate_secret(tenant.pk)  # a permanent failure is recorded, not raised into Celery
    page = tech_client.get(f"/tenants/{tenant.pk}/").content.decode()
    assert "Failed" in page and "policy" in page.lower()


def test_outsiders_and_anonymous_visitors_cannot_rotate(
    onboarded, client, outsider_client, sent_tasks, django_capture_on_commit_callbacks
):
    tenant = onboarded()
    with django_capture_on_commit_callbacks(execute=True):
        assert outsider_client.post(f"/tenants/{tenant.pk}/rotate-secret/").status_code == 403
        anonymous = client.post(f"/tenants/{tenant.pk}/rotate-secret/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert sent_tasks == []


def test_the_button_needs_a_post(onboarded, tech_client):
    tenant = onboarded()
    assert tech_client.get(f"/tenants/{tenant.pk}/rotate-secret/").status_code == 405


def test_the_command_rotates_a_tenants_secret(onboarded, portal_sandbox, capsys):
    tenant = onboarded()
    old_key = EntraApplication.objects.get(tenant=tenant).secret_key_id
    call_command("rotate_secret", "Fabrikam.Example")
    app = EntraApplication.objects.get(tenant=tenant)
    assert "Client secret rotated" in capsys.readouterr().out and app.secret_key_id != old_key
    assert (
        azure_settings(portal_sandbox, tenant)["secret_expiry"]
        == sandbox_app(portal_sandbox, tenant)["passwordCredentials"][0]["endDateTime"]
    )
    with pytest.raises(CommandError, match="No tenant"):
        call_command("rotate_secret", "nobody.example")


def test_no_secret_in_logs_pages_emails_or_the_database(
    onboarded, portal_sandbox, tech_client, manager_client, monkeypatch
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant).secret
    with captured_log_lines() as lines:
        call_command("rotate_secret", tenant.primary_domain)
        portal_sandbox.knobs(secrets_forbidden=True)
        with pytest.raises(CommandError):
            call_command("rotate_secret", tenant.primary_domain)
    new = EntraApplication.objects.get(tenant=tenant).secret
    texts = {**log_texts(lines), **outbox_texts(), **database_texts()}
    texts.update(
        response_texts(tech_client, [f"/tenants/{tenant.pk}/", f"/tenants/{tenant.pk}/audit/"])
    )
    texts.update(response_texts(manager_client, ["/dashboard/", "/audit/"]))
    assert lines and any("rotat" in line.lower() for line in lines)
    leaks = scan_for_secrets(texts, {"old secret": old, "new secret": new})
    assert not leaks, [str(leak) for leak in leaks]


def test_the_admin_shows_neither_the_secret_nor_a_pending_one(onboarded, admin_client, monkeypatch):
    tenant = onboarded()
    monkeypatch.setattr(
        "onboarding.secrets.rotation._verify_pending",
        lambda run: (_ for _ in ()).throw(RuntimeError()),
    )
    with pytest.raises(RuntimeError):
        rotation.rotate_secret(tenant)
    app = EntraApplication.objects.get(tenant=tenant)
    assert app.pending_secret and app.rotation_error.startswith("Unexpected error (RuntimeError)")
    texts = response_texts(
        admin_client,
        [f"/admin/tenants/entraapplication/{app.pk}/change/", "/admin/tenants/entraapplication/"],
    )
    assert all("(200)" in where for where in texts)
    assert not scan_for_secrets(texts, {"secret": app.secret, "pending secret": app.pending_secret})
