"""Scripted Entra login + Graph answers on the stub, shared by the Graph tests."""

from __future__ import annotations

from tests.integrations.stub import answer

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
SECRET = "s3cr3t~VALUE-never-logged"
ACCESS_TOKEN = "eyJ0eXAi.ACCESS-TOKEN-never-logged"
TOKEN_PATH = f"/{TENANT}/oauth2/v2.0/token"


def openid_configuration(base: str, tenant: str = TENANT, **extra) -> dict:
    return {
        "issuer": f"{base}/{tenant}/v2.0",
        "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
        "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        **extra,
    }


def script_login(stub, *token_answers):
    """The tenant's discovery document, and token answers (default: one good token)."""
    stub.on(
        "GET",
        f"/{TENANT}/v2.0/.well-known/openid-configuration",
        answer(200, openid_configuration(stub.url)),
    )
    good = answer(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})
    stub.on("POST", TOKEN_PATH, *(token_answers or (good,)))


def graph_error(status: int, code: str, message: str, request_id: str = "rid-graph", headers=None):
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2025-01-01T00:00:00",
                "request-id": request_id,
                "client-request-id": request_id,
            },
        }
    }
    return answer(status, body, headers)


def graph_client(stub, session, config, **kwargs):
    from integrations.microsoft.graph import GraphClient

    return GraphClient(
        stub.url, f"{stub.url}/graph", TENANT, CLIENT_ID, SECRET, session, config, **kwargs
    )
