"""One sandbox for the whole test package (real HTTPS on free ports); each test starts from a reset
world."""

from __future__ import annotations

import msal
import pytest
import requests

from sandbox.server import Sandbox

PORTAL = "http://portal.test"
CALLBACK = f"{PORTAL}/consent/callback/"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    sb = Sandbox(
        host="127.0.0.1",
        port=0,
        state_dir=tmp_path_factory.mktemp("sandbox"),
        portal_base_url=PORTAL,
    )
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def http(sandbox):
    session = requests.Session()
    session.verify = str(sandbox.ca_path)
    session.trust_env = False
    return session


@pytest.fixture
def sb(sandbox, http):
    """The sandbox, reset to the demo scenario."""
    assert http.post(f"{sandbox.login_url}/_sandbox/reset").status_code == 200
    return sandbox


def msal_token(sb, http, tenant: str, client_id: str, secret: str) -> dict:
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{sb.login_url}/{tenant}",
        instance_discovery=False,
        http_client=http,
    )
    return app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])


class Graph:
    """A tiny Graph caller for tests: base URL, bearer token, JSON in and out."""

    def __init__(self, sb, http, token: str):
        self.base, self.http, self.token = f"{sb.graph_url}/v1.0", http, token

    def call(
        self, method: str, path: str, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        url = path if path.startswith("https://") else f"{self.base}{path}"
        return self.http.request(
            method,
            url,
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
            **kwargs,
        )

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, json=body, **kw)

    def patch(self, path, body, **kw):
        return self.call("PATCH", path, json=body, **kw)


def consent(sb, http, tenant: str) -> None:
    assert http.post(f"{sb.login_url}/_sandbox/consent", json={"tenant": tenant}).status_code == 200


@pytest.fixture
def msp_graph(sb, http):
    """Graph as the MSP app in fabrikam.example, after admin consent."""
    consent(sb, http, "fabrikam.example")
    token = msal_token(sb, http, "fabrikam.example", sb.msp["app_id"], sb.msp["secret"])
    return Graph(sb, http, token["access_token"])
