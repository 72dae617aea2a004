"""Rotating the sync app's secret against the sandbox over real HTTPS: one secret left, the one the
portal
holds, Proofpoint checked and took it, the old one refused; crashes anywhere end the same way."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.errors import InvalidClientCredentials, TransientError
from onboarding import clients
from onboarding.models import AuditEvent
from onboarding.secrets import rotation
from tenants.models import EntraApplication
from tests.onboarding.onboarded_fixtures import azure_settings, sandbox_app
from tests.sandbox_fixtures import forget_cached_tokens

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


class WorkerKilled(Exception):
    """Stands in for a worker dying on the next line."""


def gets_a_token(tenant, app, secret) -> bool:
    forget_cached_tokens()
    try:
        clients.graph_client(tenant.entra_tenant_id, app.client_id, secret).first_user()
    except InvalidClientCredentials:
        return False
    return True


def assert_rotated_cleanly(admin, tenant, old: EntraApplication) -> EntraApplication:
    """Exactly one secret on the app: the stored one, which Proofpoint holds; the old one is
    dead."""
    app = EntraApplication.objects.get(tenant=tenant)
    credentials = sandbox_app(admin, tenant)["passwordCredentials"]
    assert [c["keyId"] for c in credentials] == [app.secret_key_id]
    assert app.secret_key_id != old.secret_key_id and app.secret != old.secret
    assert credentials[0]["hint"] == app.secret_hint == app.secret[:3]
    settings_azure = azure_settings(admin, tenant)
    # The sandbox signs in with ad_key on PUT and records the expiry of the credential it matched.
    assert settings_azure["secret_expiry"] == credentials[0]["endDateTime"]
    assert settings_azure["application_id"] == app.client_id
    assert gets_a_token(tenant, app, app.secret)
    assert not gets_a_token(tenant, app, old.secret)
    assert not (app.pending_secret or app.pending_key_id or app.rotation_attempt_name)
    assert app.rotated_at and not app.rotation_error and app.rotation_failed_at is None
    assert app.secret_expires_at > timezone.now() + timedelta(days=700)
    return app


def test_a_rotation_leaves_one_secret_the_portal_holds_and_proofpoint_uses(
    onboarded, portal_sandbox
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    assert azure_settings(portal_sandbox, tenant)["sync_frequency"] == 3

    summary = rotation.rotate_secret(tenant)

    app = assert_rotated_cleanly(portal_sandbox, tenant, old)
    assert app.secret_hint in summary and "rotated" in summary
    assert (
        azure_settings(portal_sandbox, tenant)["sync_frequency"] == 3
    )  # the org's frequency is kept
    actions = list(
        AuditEvent.objects.filter(
            tenant=tenant,
            action__in=[
                "entra.secret_added",
                "proofpoint.settings_updated",
                "entra.secret_removed",
            ],
        )
        .order_by("pk")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("entra.secret_added", "system"),
        ("proofpoint.settings_updated", "system"),
        ("entra.secret_removed", "system"),
    ]
    assert app.rotation_claimed_until is None


@pytest.mark.parametrize(
    "crash_after", ["add_password", "_verify_pending", "_hand_to_proofpoint", "_remove_old"]
)
def test_a_crash_anywhere_then_a_rerun_ends_with_one_working_secret(
    onboarded, portal_sandbox, monkeypatch, crash_after
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    real = getattr(rotation, crash_after)

    def then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(rotation, crash_after, then_die)
    with pytest.raises(WorkerKilled):
        rotation.rotate_secret(tenant)
    monkeypatch.setattr(rotation, crash_after, real)

    # Meanwhile Proofpoint holds a secret that works: the old one, or the new one once the PUT went
    # through.
    during = EntraApplication.objects.get(tenant=tenant)
    held = {c["keyId"]: c for c in sandbox_app(portal_sandbox, tenant)["passwordCredentials"]}
    assert azure_settings(portal_sandbox, tenant)["secret_expiry"] in {
        c["endDateTime"] for c in held.values()
    }
    assert during.rotation_failed_at and "WorkerKilled" in during.rotation_error
    if crash_after == "add_password":
        assert len(held) == 2 and during.rotation_attempt_name and not during.pending_key_id
    else:
        assert during.pending_key_id in held

    rotation.rotate_secret(tenant)

    app = assert_rotated_cleanly(portal_sandbox, tenant, old)
    if crash_after != "add_password":
        assert (
            app.secret_key_id == during.pending_key_id
        )  # the re-run carried on with the stored secret
    else:
        assert (
            AuditEvent.objects.filter(
                tenant=tenant, action="entra.secret_removed", description__contains="interrupted"
            ).count()
            == 1
        )


def test_a_new_secret_still_spreading_through_entra_is_waited_for(onboarded, portal_sandbox):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    portal_sandbox.knobs(secret_propagation_s=3)
    started = time.monotonic()

    rotation.rotate_secret(tenant)

    assert time.monotonic() - started >= 2.5
    assert_rotated_cleanly(portal_sandbox, tenant, old)


def test_a_secret_spreading_too_long_is_transient_and_the_next_run_carries_on(
    onboarded, portal_sandbox, settings
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    old_expiry = azure_settings(portal_sandbox, tenant)["secret_expiry"]
    portal_sandbox.knobs(secret_propagation_s=5)
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 1

    with pytest.raises(TransientError):
        rotation.rotate_secret(tenant)

    waiting = EntraApplication.objects.get(tenant=tenant)
    assert waiting.pending_key_id and waiting.secret_key_id == old.secret_key_id
    assert "not accept the new client secret yet" in waiting.rotation_error
    # Proofpoint still uses the old secret, which still works.
    assert azure_settings(portal_sandbox, tenant)["secret_expiry"] == old_expiry
    assert gets_a_token(tenant, old, old.secret)

    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 20
    rotation.rotate_secret(tenant)
    app = assert_rotated_cleanly(portal_sandbox, tenant, old)
    assert app.secret_key_id == waiting.pending_key_id
    assert AuditEvent.objects.filter(tenant=tenant, action="entra.secret_added").count() == 1


def test_a_pending_secret_removed_in_entra_meanwhile_is_replaced(
    onboarded, portal_sandbox, monkeypatch
):
    tenant = onboarded()
    old = EntraApplication.objects.get(tenant=tenant)
    monkeypatch.setattr(
        rotation, "_verify_pending", lambda run: (_ for _ in ()).throw(WorkerKilled())
    )
    with pytest.raises(WorkerKilled):
        rotation.rotate_secret(tenant)
    monkeypatch.undo()
    pending = EntraApplication.objects.get(tenant=tenant)
    clients.msp_graph(tenant.entra_tenant_id).remove_password(
        pending.object_id, pending.pending_key_id
    )

    rotation.rotate_secret(tenant)

    app = assert_rotated_cleanly(portal_sandbox, tenant, old)
    assert app.secret_key_id != pending.pending_key_id


def test_a_second_rotation_at_the_same_time_is_refused(onboarded):
    tenant = onboarded()
    EntraApplication.objects.filter(tenant=tenant).update(
        rotation_claimed_until=timezone.now() + timedelta(minutes=5)
    )
    with pytest.raises(rotation.RotationInProgress):
        rotation.rotate_secret(tenant)
    # A claim left by a killed worker lapses.
    EntraApplication.objects.filter(tenant=tenant).update(
        rotation_claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert "rotated" in rotation.rotate_secret(tenant)
