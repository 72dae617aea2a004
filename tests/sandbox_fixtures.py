"""A running sandbox (real HTTPS emulators of Entra login, Graph and Proofpoint) and portal settings
pointed at it. Shared by every integration test package; imported into tests/conftest.py.

    def test_something(portal_sandbox):          # world reset, settings pointed at the sandbox
        portal_sandbox.knobs(throttle_rate=0.2)  # realism knobs (sandbox/knobs.py)
        portal_sandbox.auto_consent(True)        # consent links approve at once (no page)
        portal_sandbox.tenant("fabrikam.example")["applications"]   # the tenant as Graph holds it

`sandbox` (session) is the Sandbox object itself; `portal_sandbox` (function) is a SandboxAdmin.
`sandbox_env(sandbox)` gives the environment a real worker process needs to reach the same sandbox.
"""

from __future__ import annotations

import pytest
import requests
from django.conf import settings as django_settings

from sandbox.server import Sandbox


class SandboxAdmin:
    """The sandbox's /_sandbox/ admin endpoints, for tests."""

    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.http = requests.Session()
        self.http.verify = str(sb.ca_path)
        self.http.trust_env = False

    def _admin(self, method: str, name: str, body: dict | None = None) -> dict:
        response = self.http.request(method, f"{self.sb.login_url}/_sandbox/{name}", json=body)
        response.raise_for_status()
        return response.json() if response.content else {}

    def reset(self) -> None:
        self._admin("POST", "reset")

    def knobs(self, **values) -> dict:
        """Merge knobs: flat keys are global; `tenants={...}` and `fail_next=[...]` as the sandbox takes them."""
        return self._admin("POST", "knobs", values)

    def auto_consent(self, on: bool = True) -> None:
        self.knobs(auto_consent=on)

    def consent(self, tenant: str, app_id: str | None = None) -> dict:
        """Grant admin consent as the customer's Global Administrator would (default: the MSP app)."""
        return self._admin("POST", "consent", {"tenant": tenant, **({"app_id": app_id} if app_id else {})})

    def state(self) -> dict:
        return self._admin("GET", "state")

    def tenant(self, key: str) -> dict:
        """One tenant's snapshot (apps, SPs, assignments, grants), by domain or id."""
        key = key.lower()
        for tenant in self.state()["tenants"]:
            if key == tenant["id"] or key in tenant["domains"]:
                return tenant
        raise KeyError(key)

    def requests(self) -> dict:
        return self._admin("GET", "requests")

    @property
    def msp(self) -> dict:
        return self.sb.msp


def sandbox_settings(sb: Sandbox) -> dict:
    """Portal settings (names as in portal/settings.py) that point every outbound call at the sandbox."""
    pp = sb.proofpoint_credentials
    return {
        "MICROSOFT_LOGIN_URL": sb.login_url,
        "MICROSOFT_LOGIN_BROWSER_URL": sb.login_browser_url,
        "MICROSOFT_GRAPH_URL": sb.graph_url,
        "OUTBOUND_CA_BUNDLE": str(sb.ca_path),
        "MSP_APP_CLIENT_ID": sb.msp["app_id"],
        "MSP_APP_CLIENT_SECRET": sb.msp["secret"],
        "PROOFPOINT_API_URL": sb.proofpoint_url,
        "PROOFPOINT_API_USER": pp["user"],
        "PROOFPOINT_API_PASSWORD": pp["password"],
        "PROOFPOINT_PARTNER_DOMAIN": pp["partner_domain"],
    }


def staff_signin_settings(sb: Sandbox) -> dict:
    """The STAFF_SIGNIN_* settings for the sandbox's staff sign-in app (Sign in with Microsoft)."""
    app = sb.staff_signin
    return {"STAFF_SIGNIN_TENANT_ID": app["tenant_id"], "STAFF_SIGNIN_CLIENT_ID": app["client_id"],
            "STAFF_SIGNIN_CLIENT_SECRET": app["secret"]}


def sandbox_env(sb: Sandbox) -> dict:
    """The same settings as environment variables, for a real worker process (tests/worker.py)."""
    return {name: str(value) for name, value in sandbox_settings(sb).items()}


def forget_cached_tokens() -> None:
    """msal apps (and their token caches) are kept per process; a reset world needs fresh tokens."""
    from integrations.microsoft import token as graph_token

    with graph_token._apps_lock:
        graph_token._apps.clear()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """One sandbox for the session; its MSP app's redirect URI is this portal's consent callback."""
    sb = Sandbox(host="127.0.0.1", port=0, state_dir=tmp_path_factory.mktemp("sandbox"),
                 portal_base_url=django_settings.PORTAL_BASE_URL, auto_consent=False)
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def portal_sandbox(sandbox, settings):
    """The sandbox reset to the demo scenario (auto-consent off), with the portal's settings pointed at it."""
    admin = SandboxAdmin(sandbox)
    admin.reset()
    for name, value in sandbox_settings(sandbox).items():
        setattr(settings, name, value)
    settings.TENANT_PREFLIGHT = True  # the tenant form and Start check with the sandbox
    forget_cached_tokens()
    yield admin
    forget_cached_tokens()
