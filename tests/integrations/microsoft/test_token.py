"""msal over real HTTPS against the stub: tokens, token errors, tenant discovery, consent links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from integrations.errors import (
    ConsentMissing,
    InvalidClientCredentials,
    PermanentError,
    TenantNotFound,
    TransientError,
)
from integrations.microsoft import token as graph_token
from integrations.microsoft.graph import admin_consent_url, resolve_tenant
from integrations.microsoft.token import graph_scope
from tests.integrations.graph_payloads import (
    ACCESS_TOKEN,
    CLIENT_ID,
    SECRET,
    TENANT,
    TOKEN_PATH,
    graph_client,
    script_login,
)
from tests.integrations.stub import answer

USERS = "/graph/v1.0/users"


def test_msal_token_from_local_https_authority(stub, session, config):
    script_login(stub)
    stub.on("GET", USERS, answer(200, {"value": [{"id": "u1"}]}))
    assert graph_client(stub, session, config).first_user() == {"id": "u1"}
    token_request = stub.requests_to(TOKEN_PATH)[0]
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["scope"] == "https://graph.microsoft.com/.default"
    assert stub.requests_to(USERS)[0].headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert parse_qs(stub.requests_to(USERS)[0].query) == {"$top": ["1"], "$select": ["id"]}


def test_the_token_is_reused_across_clients(stub, session, config):
    script_login(stub)
    stub.on("GET", USERS, answer(200, {"value": []}))
    graph_client(stub, session, config).first_user()
    assert graph_client(stub, session, config).first_user() is None
    assert len(stub.requests_to(TOKEN_PATH)) == 1


def _token_error(code: int, text: str, error: str = "invalid_client", status: int = 401):
    return answer(
        status,
        {"error": error, "error_description": f"AADSTS{code}: {text}", "error_codes": [code]},
    )


def test_an_invalid_secret_is_invalid_client_credentials_and_can_be_retried(stub, session, config):
    script_login(
        stub,
        _token_error(7000215, "Invalid client secret provided."),
        answer(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600}),
    )
    stub.on("GET", USERS, answer(200, {"value": []}))
    client = graph_client(stub, session, config)
    with pytest.raises(InvalidClientCredentials) as caught:
        client.first_user()
    assert caught.value.aadsts == "AADSTS7000215"
    # msal replays an identical 400 for 60 s; a retry must still reach the token endpoint.
    client.first_user()
    assert len(stub.requests_to(TOKEN_PATH)) == 2


@pytest.mark.parametrize("code", [700016, 7000222])
def test_unknown_app_and_expired_secret_are_invalid_client_credentials(stub, session, config, code):
    script_login(stub, _token_error(code, "refused", status=400))
    with pytest.raises(InvalidClientCredentials) as caught:
        graph_client(stub, session, config).acquire_token()
    assert caught.value.code == f"AADSTS{code}"


def test_missing_consent_is_consent_missing(stub, session, config):
    script_login(
        stub,
        _token_error(65001, "The user or administrator has not consented.", "invalid_grant", 400),
    )
    with pytest.raises(ConsentMissing):
        graph_client(stub, session, config).acquire_token()


def test_a_token_endpoint_5xx_is_transient(stub, session, config):
    script_login(stub, answer(503, "down"))
    with pytest.raises(TransientError):
        graph_client(stub, session, config).acquire_token()


def test_an_unknown_tenant_at_token_time_is_tenant_not_found(stub, session, config):
    body = {
        "error": "invalid_tenant",
        "error_description": f"AADSTS90002: Tenant '{TENANT}' not found.",
    }
    stub.on("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration", answer(400, body))
    with pytest.raises(TenantNotFound):
        graph_client(stub, session, config).acquire_token()


def test_the_secret_never_reaches_an_error_message(stub, session, config):
    script_login(stub, _token_error(7000215, "Invalid client secret provided."))
    with pytest.raises(InvalidClientCredentials) as caught:
        graph_client(stub, session, config).acquire_token()
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert SECRET not in repr(graph_client(stub, session, config))


def test_resolve_tenant_finds_the_tenant_id(stub, session, config):
    from tests.integrations.graph_payloads import openid_configuration

    stub.on(
        "GET",
        "/contoso.com/v2.0/.well-known/openid-configuration",
        answer(200, openid_configuration(stub.url)),
    )
    info = resolve_tenant(stub.url, "Contoso.com", session, config)
    assert info.tenant_id == TENANT
    assert not info.is_national_cloud


def test_resolve_tenant_flags_gcc_high(stub, session, config):
    from tests.integrations.graph_payloads import openid_configuration

    document = openid_configuration(
        stub.url, tenant_region_scope="USGov", cloud_instance_name="microsoftonline.us"
    )
    stub.on("GET", "/agency.gov/v2.0/.well-known/openid-configuration", answer(200, document))
    assert resolve_tenant(stub.url, "agency.gov", session, config).is_national_cloud


def test_resolve_tenant_unknown_domain_is_tenant_not_found(stub, session, config):
    body = {
        "error": "invalid_tenant",
        "error_description": "AADSTS90002: Tenant 'nope.example' not found.",
    }
    stub.on("GET", "/nope.example/v2.0/.well-known/openid-configuration", answer(400, body))
    with pytest.raises(TenantNotFound) as caught:
        resolve_tenant(stub.url, "nope.example", session, config)
    assert caught.value.message == (
        "No Microsoft Entra tenant uses the domain nope.example. Check the spelling, or ask the "
        "customer "
        "which domain their Microsoft 365 uses."
    )


def test_resolve_tenant_refuses_a_path_instead_of_a_domain(session, config):
    with pytest.raises(PermanentError):
        resolve_tenant("https://login.microsoftonline.com", "../common", session, config)


def test_graph_scope_is_global_unless_a_national_cloud_graph():
    assert graph_scope("https://localhost:8443/graph") == "https://graph.microsoft.com/.default"
    assert graph_scope("https://graph.microsoft.com") == "https://graph.microsoft.com/.default"
    assert graph_scope("https://graph.microsoft.us") == "https://graph.microsoft.us/.default"


def test_admin_consent_url_v1():
    url = admin_consent_url(
        "https://login.microsoftonline.com",
        "contoso.com",
        CLIENT_ID,
        "https://portal.example/consent/callback",
        "st8",
    )
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}"
        == "https://login.microsoftonline.com/contoso.com/adminconsent"
    )
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": ["https://portal.example/consent/callback"],
        "state": ["st8"],
    }


def test_admin_consent_url_v2_asks_for_graph_default_scope():
    url = admin_consent_url(
        "https://login.microsoftonline.com/", TENANT, CLIENT_ID, "https://p/cb", "st8", v2=True
    )
    parts = urlsplit(url)
    assert parts.path == f"/{TENANT}/v2.0/adminconsent"
    assert parse_qs(parts.query)["scope"] == ["https://graph.microsoft.com/.default"]


def test_a_new_secret_for_the_same_app_gets_its_own_token(stub, session, config):
    """Rotation check: verifying a new secret must really ask the token endpoint, not msal's
    cache."""
    from integrations.microsoft.graph import GraphClient

    script_login(stub)
    graph_client(stub, session, config).acquire_token()
    GraphClient(
        stub.url, f"{stub.url}/graph", TENANT, CLIENT_ID, "new-secret", session, config
    ).acquire_token()
    secrets_sent = [seen.form["client_secret"] for seen in stub.requests_to(TOKEN_PATH)]
    assert secrets_sent == [SECRET, "new-secret"]


DISCOVERY_PATH = f"/{TENANT}/v2.0/.well-known/openid-configuration"


def _client_for(stub, session, config, index: int):
    from integrations.microsoft.graph import GraphClient

    client_id = f"{index:08d}-bbbb-cccc-dddd-eeeeeeeeeeee"
    return GraphClient(stub.url, f"{stub.url}/graph", TENANT, client_id, SECRET, session, config)


def test_the_apps_of_one_tenant_read_its_openid_configuration_once(stub, session, config):
    script_login(stub)
    stub.on("GET", USERS, answer(200, {"value": []}))
    for index in range(3):  # the MSP app and sync apps of one customer tenant
        _client_for(stub, session, config, index).first_user()
    assert len(stub.requests_to(TOKEN_PATH)) == 3  # each app its own token
    assert len(stub.requests_to(DISCOVERY_PATH)) == 1


def test_the_app_registry_keeps_only_the_most_recently_used_apps(
    stub, session, config, monkeypatch
):
    monkeypatch.setattr(graph_token, "MAX_APPS", 2)
    script_login(stub)
    stub.on("GET", USERS, answer(200, {"value": []}))
    clients = [_client_for(stub, session, config, index) for index in range(3)]
    for client in clients:
        client.first_user()
    assert len(graph_token._apps) == 2 and len(stub.requests_to(TOKEN_PATH)) == 3
    clients[2].first_user()  # still kept: its cached token serves
    assert len(stub.requests_to(TOKEN_PATH)) == 3
    clients[0].first_user()  # the least recently used went: a new app asks for a token again
    assert len(stub.requests_to(TOKEN_PATH)) == 4
    assert len(stub.requests_to(DISCOVERY_PATH)) == 1  # but not for the tenant's configuration
