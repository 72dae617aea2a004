"""The MSP's credentials only go to hosts the operator chose (issue 12, item 1).

A real HTTPS listener on 127.0.0.1 that the portal trusts (its CA is in OUTBOUND_CA_BUNDLE, next to
the
sandbox's) stands for an attacker's host. It must receive nothing: not the Proofpoint channel-admin
X-User/X-Password, not a Microsoft client secret, not a bearer token, and not the customer's new
client
secret from a rotation.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.errors import PermanentError
from integrations.microsoft.graph import GraphClient
from integrations.proofpoint.client import ProofpointClient
from onboarding import clients, tasks
from onboarding.models import AuditEvent
from tenants.models import EntraApplication, ProofpointStack, Tenant
from tests.integrations.stub import StubServer, answer, start
from tests.onboarding.api.conftest import token_client
from tests.onboarding.onboarded_fixtures import onboarded, sandbox_app  # noqa: F401  (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(scope="module")
def _listener(tmp_path_factory):
    stub = StubServer()
    server, thread, ca = start(stub, tmp_path_factory.mktemp("listener-ca"))
    yield stub, ca
    server.shutdown()
    thread.join(5)


@pytest.fixture
def listener(_listener, portal_sandbox, settings, tmp_path):
    """The attacker's HTTPS host, trusted like the sandbox (so only the portal's own refusal stops a
    call)."""
    stub, ca = _listener
    stub.reset()
    bundle = tmp_path / "trusted.pem"
    bundle.write_text(Path(settings.OUTBOUND_CA_BUNDLE).read_text() + "\n" + ca.read_text())
    settings.OUTBOUND_CA_BUNDLE = str(bundle)
    # Everything the listener is asked, answered as Proofpoint would, so nothing fails by accident.
    for method in ("GET", "PUT", "POST", "PATCH", "DELETE"):
        stub.on(
            method,
            "/api/v1/orgs/fabrikam.example/settings/azure",
            answer(200, {"sync_frequency": 3}),
        )
    yield stub
    stub.reset()


def assert_nothing_received(stub: StubServer) -> None:
    assert stub.seen == [], [f"{s.method} {s.path}" for s in stub.seen]


# --- the tenant API and form
# -----------------------------------------------------------------------
def test_a_technician_may_not_point_a_tenant_at_another_host(
    listener, technician, tenant_a, settings
):
    settings.PROOFPOINT_CUSTOM_HOSTS = [
        listener.url.removeprefix("https://")
    ]  # even an allowed one
    body = {
        "proofpoint_stack": "custom",
        "proofpoint_api_url": f"{listener.url}/api/v1",
        "proofpoint_portal_url": listener.url,
    }
    response = token_client(technician).patch(
        f"/api/v1/tenants/{tenant_a.pk}/", body, format="json"
    )
    assert response.status_code == 403
    assert "Only a manager can change a tenant's Proofpoint stack" in response.json()["detail"]
    tenant_a.refresh_from_db()
    assert tenant_a.proofpoint_stack == "us1" and tenant_a.proofpoint_api_url == ""
    # Other fields stay a technician's to edit.
    assert (
        token_client(technician)
        .patch(f"/api/v1/tenants/{tenant_a.pk}/", {"notes": "ok"}, format="json")
        .status_code
        == 200
    )
    assert_nothing_received(listener)


def test_the_edit_page_refuses_a_technician_with_a_message_next_to_the_field(
    tech_client, tenant_a, settings
):
    settings.PROOFPOINT_CUSTOM_HOSTS = ["pp.partner.example"]
    data = {
        "name": tenant_a.name,
        "primary_domain": tenant_a.primary_domain,
        "domains": "",
        "customer_admin_email": tenant_a.customer_admin_email,
        "proofpoint_stack": "custom",
        "proofpoint_api_url": "https://pp.partner.example/api/v1",
        "proofpoint_portal_url": "https://pp.partner.example",
        "default_role": "end_user",
        "sync_frequency_hours": "1",
    }
    response = tech_client.post(f"/tenants/{tenant_a.pk}/edit/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "Only a manager can change" in errors["proofpoint_stack"][0]
    tenant_a.refresh_from_db()
    assert tenant_a.proofpoint_stack == "us1"


def test_a_manager_may_only_use_hosts_from_the_allowlist(listener, manager, tenant_a, settings):
    api = token_client(manager)
    body = {
        "proofpoint_stack": "custom",
        "proofpoint_api_url": f"{listener.url}/api/v1",
        "proofpoint_portal_url": listener.url,
    }
    settings.PROOFPOINT_CUSTOM_HOSTS = []
    refused = api.patch(f"/api/v1/tenants/{tenant_a.pk}/", body, format="json")
    assert refused.status_code == 400
    assert "PROOFPOINT_CUSTOM_HOSTS" in refused.json()["proofpoint_api_url"][0]
    settings.PROOFPOINT_CUSTOM_HOSTS = ["pp.partner.example"]
    refused = api.patch(f"/api/v1/tenants/{tenant_a.pk}/", body, format="json")
    assert refused.status_code == 400
    assert (
        "is not a white-label Proofpoint host the operator allows"
        in refused.json()["proofpoint_api_url"][0]
    )
    assert "pp.partner.example" in refused.json()["proofpoint_portal_url"][0]
    tenant_a.refresh_from_db()
    assert tenant_a.proofpoint_stack == "us1" and tenant_a.proofpoint_api_url == ""
    assert_nothing_received(listener)

    allowed = {
        "proofpoint_stack": "custom",
        "proofpoint_api_url": "https://pp.partner.example/api/v1",
        "proofpoint_portal_url": "https://pp.partner.example",
    }
    assert api.patch(f"/api/v1/tenants/{tenant_a.pk}/", allowed, format="json").status_code == 200
    event = AuditEvent.objects.get(action="tenant.proofpoint_target_changed", tenant=tenant_a)
    assert event.actor == manager
    assert "Proofpoint stack: 'us1' -> 'custom'" in event.description
    assert "Proofpoint API URL: '' -> 'https://pp.partner.example/api/v1'" in event.description


# --- the outbound session -----------------------------------------------------------------------
def test_the_session_refuses_proofpoint_credentials_for_an_unnamed_host(listener):
    client = ProofpointClient(
        f"{listener.url}/api/v1",
        "channel-admin@msp.example",
        "the-password",
        clients.outbound_session(),
        clients.outbound_config(),
    )
    with pytest.raises(PermanentError) as refused:
        client.get_azure_settings("fabrikam.example")
    assert refused.value.code == "credential_host_refused"
    assert (
        "X-User/X-Password" in refused.value.message
        and "PROOFPOINT_CUSTOM_HOSTS" in refused.value.message
    )
    assert_nothing_received(listener)


def test_the_session_refuses_a_bearer_token_for_an_unnamed_graph_host(
    listener, portal_sandbox, settings
):
    msp = portal_sandbox.msp
    graph = GraphClient(
        settings.MICROSOFT_LOGIN_URL,
        listener.url,
        msp["tenant_id"],
        msp["app_id"],
        msp["secret"],
        clients.outbound_session(),
        clients.outbound_config(),
    )
    with pytest.raises(PermanentError) as refused:
        graph.first_user()
    assert (
        refused.value.code == "credential_host_refused" and "access token" in refused.value.message
    )
    assert_nothing_received(listener)


def test_the_session_refuses_a_client_secret_for_an_unnamed_login_host(listener, portal_sandbox):
    # The listener plays a sign-in host: its discovery document (no credentials) may be read; the
    # token
    # request carrying the client secret is never sent.
    tenant = "contoso-tenant"
    config = {
        "token_endpoint": f"{listener.url}/{tenant}/oauth2/v2.0/token",
        "authorization_endpoint": f"{listener.url}/{tenant}/oauth2/v2.0/authorize",
        "issuer": f"{listener.url}/{tenant}/v2.0",
    }
    listener.on("GET", f"/{tenant}/v2.0/.well-known/openid-configuration", answer(200, config))
    listener.on(
        "POST",
        f"/{tenant}/oauth2/v2.0/token",
        answer(200, {"access_token": "x", "expires_in": 3600, "token_type": "Bearer"}),
    )
    msp = portal_sandbox.msp
    graph = GraphClient(
        listener.url,
        listener.url,
        tenant,
        msp["app_id"],
        msp["secret"],
        clients.outbound_session(),
        clients.outbound_config(),
    )
    with pytest.raises(PermanentError) as refused:
        graph.acquire_token()
    assert (
        refused.value.code == "credential_host_refused" and "client secret" in refused.value.message
    )
    assert [s.method for s in listener.seen if s.path.endswith("/token")] == []
    assert not any(msp["secret"].encode() in s.body for s in listener.seen)


# --- "Rotate secret now" for a tenant whose row was forced to a bad URL
# ------------------------------
def test_rotation_of_a_tenant_forced_to_a_bad_url_sends_nothing_and_keeps_the_secret(
    onboarded,  # noqa: F811
    listener,
    portal_sandbox,
    tech_client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    tenant = onboarded()
    before = EntraApplication.objects.get(tenant=tenant)
    keys_before = [c["keyId"] for c in sandbox_app(portal_sandbox, tenant)["passwordCredentials"]]
    # Forced in the database, past every form and API check (an old row, a restored backup, a bug).
    Tenant.objects.filter(pk=tenant.pk).update(
        proofpoint_stack=ProofpointStack.CUSTOM,
        proofpoint_api_url=f"{listener.url}/api/v1",
        proofpoint_portal_url=listener.url,
    )
    # The button refuses at once, with the reason on the page; nothing is handed to a worker.
    sent = []
    monkeypatch.setattr(
        "onboarding.engine.dispatch.current_app.send_task",
        lambda name, args=None, **kw: sent.append((name, args)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = tech_client.post(f"/tenants/{tenant.pk}/rotate-secret/", follow=True)
    assert "not a white-label host the operator allows" in page.content.decode()
    assert [name for name, _ in sent if name == "onboarding.rotate_secret"] == []
    # The worker's own path (the daily task, a rotation queued before the row was changed) refuses
    # too, before Entra is touched.
    tasks.rotate_secret(tenant.pk)

    assert_nothing_received(listener)
    app = EntraApplication.objects.get(tenant=tenant)
    assert (app.secret_key_id, app.secret) == (before.secret_key_id, before.secret)
    assert app.pending_key_id == "" and app.pending_secret == ""
    assert [
        c["keyId"] for c in sandbox_app(portal_sandbox, tenant)["passwordCredentials"]
    ] == keys_before
    assert "not a white-label host the operator allows" in app.rotation_error
    assert "PROOFPOINT_CUSTOM_HOSTS" in app.rotation_error
