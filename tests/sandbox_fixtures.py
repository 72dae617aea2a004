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
        """Merge knobs: flat keys are global; `tenants={...}` and `fail_next=[...]` as the sandbox
        takes them."""
        return self._admin("POST", "knobs", values)

    def auto_consent(self, on: bool = True) -> None:
        self.knobs(auto_consent=on)

    def consent(self, tenant: str, app_id: str | None = None) -> dict:
        """Grant admin consent as the customer's Global Administrator would (default: the MSP
        app)."""
        return self._admin(
            "POST", "consent", {"tenant": tenant, **({"app_id": app_id} if app_id else {})}
        )

    def state(self) -> dict:
        return self._admin("GET", "state")

    def tenant(self, key: str) -> dict:
        """One tenant's snapshot (apps, SPs, assignments, grants), by domain or id."""
        key = key.lower()
        for tenant in self.state()["tenants"]:
            if key == tenant["id"] or key in tenant["domains"]:
                return tenant
        raise KeyError(key)

    def requests(self, service: str | None = None, since: int = 0, writes: bool = False) -> dict:
        """The request log: counts, recent entries (method, path, service, status, scope, started,
        ended), in-flight peaks per service and per scope (Graph tenant id, Proofpoint partner)."""
        pairs = (("service", service), ("since", since), ("writes", int(writes)))
        query = {k: v for k, v in pairs if v}
        response = self.http.get(f"{self.sb.login_url}/_sandbox/requests", params=query)
        response.raise_for_status()
        return response.json()

    def clear_requests(self) -> None:
        """Forget the request log and reset the in-flight peaks."""
        self._admin("DELETE", "requests")

    def writes(self, since: int = 0) -> list[dict]:
        """Every logged call that could change something (POST/PUT/PATCH/DELETE but tokens)."""
        return self.requests(since=since, writes=True)["recent"]

    def max_in_flight(self, service: str, scope: str | None = None) -> int:
        """The most calls one service (or one scope of it) served at once since the last clear."""
        log = self.requests(since=10**12)
        if scope is None:
            return log["max_in_flight"].get(service, 0)
        return log["max_in_flight_by_scope"].get(service, {}).get(scope, 0)

    # ---- breaking a live tenant (POST /_sandbox/break; sandbox/breaks.py) -----------------------
    def break_tenant(self, tenant: str, what: str, **fields) -> dict:
        return self._admin("POST", "break", {"tenant": tenant, "what": what, **fields})

    def add_domain(self, tenant: str, domain: str, verified: bool = True) -> dict:
        return self.break_tenant(tenant, "add_domain", domain=domain, verified=verified)

    def delete_sync_app(self, tenant: str, app_id: str | None = None) -> dict:
        return self.break_tenant(tenant, "delete_app", **_app(app_id))

    def delete_sync_service_principal(self, tenant: str, app_id: str | None = None) -> dict:
        return self.break_tenant(tenant, "delete_service_principal", **_app(app_id))

    def remove_grant(self, tenant: str, app_id: str | None = None) -> dict:
        return self.break_tenant(tenant, "remove_grant", **_app(app_id))

    def narrow_grant(
        self, tenant: str, scope: str = "User.ReadBasic.All", app_id: str | None = None
    ) -> dict:
        return self.break_tenant(tenant, "narrow_grant", scope=scope, **_app(app_id))

    def remove_role_assignment(
        self, tenant: str, role: str | None = None, app_id: str | None = None
    ) -> dict:
        fields = {"role": role} if role else {}
        return self.break_tenant(tenant, "remove_role_assignment", **fields, **_app(app_id))

    def revoke_consent(self, tenant: str, app_id: str | None = None) -> dict:
        """The customer removes the MSP app: new tokens fail (AADSTS700016), held ones get 401."""
        return self.break_tenant(tenant, "revoke_consent", **_app(app_id))

    def expire_secret(self, tenant: str, days_ago: float = 1, app_id: str | None = None) -> dict:
        return self.break_tenant(tenant, "expire_secret", days_ago=days_ago, **_app(app_id))

    def secret_expiring(self, tenant: str, days: float = 7, app_id: str | None = None) -> dict:
        return self.break_tenant(tenant, "secret_expiring", days=days, **_app(app_id))

    def clock_offset(self, tenant: str, seconds: float) -> dict:
        """The tenant's clock runs ahead (secrets expire, tokens age); the portal's does not."""
        return self.break_tenant(tenant, "clock_offset", seconds=seconds)

    def set_sync_frequency(self, tenant: str, value: int = 0) -> dict:
        return self.break_tenant(tenant, "sync_frequency", value=value)

    def delete_sync_settings(self, tenant: str) -> dict:
        return self.break_tenant(tenant, "delete_sync_settings")

    def set_sync_app_id(self, tenant: str, value: str | None = None) -> dict:
        return self.break_tenant(tenant, "sync_app_id", **({"value": value} if value else {}))

    def set_last_successful_sync(
        self, tenant: str, value: str | None = None, hours_ago: float | None = None
    ) -> dict:
        """last_successful_sync = `value` (ISO 8601, or None) or `hours_ago` hours ago."""
        fields = {"hours_ago": hours_ago} if hours_ago is not None else {"value": value}
        return self.break_tenant(tenant, "last_successful_sync", **fields)

    def remove_org_domain(self, tenant: str, domain: str) -> dict:
        return self.break_tenant(tenant, "remove_org_domain", domain=domain)

    def set_licences(self, tenant: str, user_licenses: int) -> dict:
        return self.break_tenant(tenant, "licences", user_licenses=user_licenses)

    # ---- DNS (sandbox/dns.py) -------------------------------------------------------------------
    def set_mx(self, domain: str, mx: list) -> dict:
        """Replace a domain's MX records: [[preference, host], ..]."""
        return self._admin("POST", "dns", {"domain": domain, "mx": mx})

    def route_mx(self, domain: str, stack: str = "us1", spf: bool = False) -> dict:
        """Point a domain's MX at Proofpoint's hosts for a stack (mx1-/mx2-{stack}...)."""
        return self._admin("POST", "dns", {"domain": domain, "route": stack, "spf": spf})

    def dns_fail(self, domain: str, how: str | None = "timeout") -> dict:
        """Make a domain's DNS fail: "nxdomain", "servfail", "timeout"; None heals it."""
        return self._admin("POST", "dns", {"domain": domain, "fail": how})

    def dns_records(self, domain: str) -> dict:
        return self._admin("GET", f"dns?domain={domain}")

    # ---- the partner's existing customers (sandbox/fleet.py) ------------------------------------
    def child_orgs(self, count: int = 50, **fields) -> dict:
        """Make `count` child orgs of the partner in mixed states (states=[..] or mix={..})."""
        return self._admin("POST", "child_orgs", {"count": count, **fields})

    @property
    def msp(self) -> dict:
        return self.sb.msp


def _app(app_id: str | None) -> dict:
    return {"app_id": app_id} if app_id else {}


def sandbox_settings(sb: Sandbox) -> dict:
    """Portal settings (names as in portal/settings.py) that point every outbound call at the
    sandbox."""
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
        "DNS_NAMESERVERS": sb.dns_nameservers,
    }


def staff_signin_settings(sb: Sandbox) -> dict:
    """The STAFF_SIGNIN_* settings for the sandbox's staff sign-in app (Sign in with Microsoft)."""
    app = sb.staff_signin
    return {
        "STAFF_SIGNIN_TENANT_ID": app["tenant_id"],
        "STAFF_SIGNIN_CLIENT_ID": app["client_id"],
        "STAFF_SIGNIN_CLIENT_SECRET": app["secret"],
    }


def sandbox_env(sb: Sandbox) -> dict:
    """The same settings as environment variables, for a real worker process (tests/worker.py)."""
    return {
        name: ",".join(value) if isinstance(value, list) else str(value)
        for name, value in sandbox_settings(sb).items()
    }


def forget_cached_tokens() -> None:
    """msal apps (and their token caches) are kept per process; a reset world needs fresh tokens."""
    from integrations.microsoft import token as graph_token

    graph_token.forget_everything()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    """One sandbox for the session; its MSP app's redirect URI is this portal's consent callback."""
    sb = Sandbox(
        host="127.0.0.1",
        port=0,
        state_dir=tmp_path_factory.mktemp("sandbox"),
        portal_base_url=django_settings.PORTAL_BASE_URL,
        auto_consent=False,
    )
    sb.start()
    yield sb
    sb.stop()


@pytest.fixture
def portal_sandbox(sandbox, settings):
    """The sandbox reset to the demo scenario (auto-consent off), with the portal's settings pointed
    at it."""
    admin = SandboxAdmin(sandbox)
    admin.reset()
    for name, value in sandbox_settings(sandbox).items():
        setattr(settings, name, value)
    settings.TENANT_PREFLIGHT = True  # the tenant form and Start check with the sandbox
    forget_cached_tokens()
    yield admin
    forget_cached_tokens()
