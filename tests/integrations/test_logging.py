"""Nothing secret reaches any log, at any level, from any logger (ours, msal, urllib3, requests)."""

from __future__ import annotations

import logging

import pytest

from integrations.errors import IntegrationError
from integrations.proofpoint.client import ProofpointClient
from tests.integrations.graph_payloads import (
    ACCESS_TOKEN,
    SECRET,
    TOKEN_PATH,
    graph_client,
    graph_error,
    script_login,
)
from tests.integrations.stub import answer

NEW_SECRET_TEXT = "NEW~secretText-from-addPassword"
PASSWORD = "P@ssw0rd-never-logged"
AD_KEY = "ad-key-never-logged"


def _graph_flow(stub, session, config):
    script_login(stub)
    stub.on(
        "POST",
        "/graph/v1.0/applications/obj1/addPassword",
        answer(200, {"keyId": "k", "secretText": NEW_SECRET_TEXT}),
    )
    stub.on(
        "GET",
        "/graph/v1.0/users",
        graph_error(403, "Authorization_RequestDenied", "Insufficient privileges"),
    )
    graph = graph_client(stub, session, config)
    assert (
        graph.add_password("obj1", "sync", "2027-01-01T00:00:00Z")["secretText"] == NEW_SECRET_TEXT
    )
    with pytest.raises(IntegrationError):
        graph.first_user()


def _proofpoint_flow(stub, session, config):
    client = ProofpointClient(f"{stub.url}/api/v1", "api@msp.example", PASSWORD, session, config)
    stub.on("PUT", "/api/v1/orgs/c.com/settings/azure", answer(204))
    stub.on("GET", "/api/v1/me", answer(401, {"message": "bad credentials"}))
    from tests.integrations.proofpoint.test_client import AZURE_SETTINGS

    client.put_azure_settings("c.com", {**AZURE_SETTINGS, "ad_key": AD_KEY})
    with pytest.raises(IntegrationError):
        client.me()


def test_secrets_never_logged(stub, session, config, caplog):
    with caplog.at_level(logging.DEBUG):
        _graph_flow(stub, session, config)
        _proofpoint_flow(stub, session, config)
    assert stub.requests_to(TOKEN_PATH)  # the flows really ran
    assert "GET /graph/v1.0/users -> 403" in caplog.text
    for secret in (
        SECRET,
        ACCESS_TOKEN,
        NEW_SECRET_TEXT,
        PASSWORD,
        AD_KEY,
        "Authorization",
        "X-Password",
    ):
        assert secret not in caplog.text, secret
