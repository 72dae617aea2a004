"""App-only tokens for Microsoft Graph through msal (client-credentials grant).

One msal ConfidentialClientApplication per (login host, tenant, client id), kept in a module-level
registry so msal's in-memory token cache is reused by every GraphClient in the process. The
registry is bounded (least recently used out first): a worker that checks 2,000 tenants an hour
would otherwise keep 4,000 apps and their caches for ever, and an evicted app costs only a token.

Each new msal app reads its tenant's OpenID configuration first. That document is the same for
every app of the tenant, so it is kept once per tenant for a day (msal's own lifetime for it, in
its per-app http cache), shared by the apps: the MSP app and the sync app of a tenant cost one
discovery a day, not one each time an app is built.
msal returns token errors as a dict; this module turns them into typed errors.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

import msal
import requests

from integrations.errors import (
    ConsentMissing,
    IntegrationError,
    InvalidClientCredentials,
    PermanentError,
    TransientError,
)
from integrations.microsoft.discovery import is_microsoft_login_host, tenant_not_found

SERVICE = "Microsoft Entra token endpoint"
NATIONAL_GRAPH_HOSTS = frozenset(
    {"graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"}
)
CREDENTIAL_MESSAGES = {
    "AADSTS7000215": "The client secret was refused (invalid secret). A brand-new secret can take "
    "a minute to work; otherwise check that the stored secret is the current one.",
    "AADSTS700016": "The app was not found in the customer's tenant. A new app takes a minute to "
    "appear; otherwise the customer has not consented yet or removed the app.",
    "AADSTS7000222": "The client secret has expired. Create a new secret and store it.",
}
CONSENT_CODES = frozenset({"AADSTS65001", "AADSTS65004", "AADSTS650051", "AADSTS650052"})
TRANSIENT_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error", "too_many_requests"})
_AADSTS = re.compile(r"AADSTS\d+")

MAX_APPS = 512
DISCOVERY_SECONDS = 24 * 3600
MAX_DISCOVERIES = 2048
_apps: OrderedDict[tuple[str, str, str], tuple[str, msal.ConfidentialClientApplication]] = (
    OrderedDict()
)
_apps_lock = threading.Lock()
_discoveries: OrderedDict[str, tuple[float, requests.Response]] = OrderedDict()


class SharedDiscovery:
    """The http client msal is given: the session, except that a tenant's OpenID configuration
    (a 2xx answer) is served from the process-wide copy while it is fresh."""

    def __init__(self, session):
        self.session = session

    def get(self, url, **kwargs):
        if not url.endswith("/.well-known/openid-configuration"):
            return self.session.get(url, **kwargs)
        with _apps_lock:
            kept = _discoveries.get(url)
            if kept and kept[0] > time.monotonic():
                _discoveries.move_to_end(url)
                return kept[1]
        response = self.session.get(url, **kwargs)
        if 200 <= response.status_code < 300:
            with _apps_lock:
                _discoveries[url] = (time.monotonic() + DISCOVERY_SECONDS, response)
                while len(_discoveries) > MAX_DISCOVERIES:
                    _discoveries.popitem(last=False)
        return response

    def __getattr__(self, name):  # post, close, ...: the session's own
        return getattr(self.session, name)


def forget_everything() -> None:
    """Drop every app, token and OpenID configuration kept (a test's world was rebuilt)."""
    with _apps_lock:
        _apps.clear()
        _discoveries.clear()


def graph_scope(graph_url: str) -> str:
    """The `.default` scope: Graph's global resource, or a national cloud's own Graph host."""
    host = (urlsplit(graph_url).hostname or "").lower()
    if host in NATIONAL_GRAPH_HOSTS:
        return f"https://{host}/.default"
    # The sandbox accepts any `/.default`; the real global cloud needs exactly this one.
    return "https://graph.microsoft.com/.default"


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _build_app(login_url: str, tenant_id: str, client_id: str, secret: str, session):
    # https://learn.microsoft.com/en-us/entra/msal/python/ (ConfidentialClientApplication)
    options = {} if is_microsoft_login_host(login_url) else {"instance_discovery": False}
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=f"{login_url.rstrip('/')}/{tenant_id}",
        http_client=SharedDiscovery(session),
        **options,
    )


def confidential_app(
    login_url, tenant_id, client_id, secret, session
) -> msal.ConfidentialClientApplication:
    """The shared msal app for this tenant and client; rebuilt when the secret changes
    (rotation)."""
    key = (login_url.rstrip("/").lower(), tenant_id.lower(), client_id.lower())
    with _apps_lock:
        cached = _apps.get(key)
        if cached and cached[0] == _fingerprint(secret):
            _apps.move_to_end(key)
            return cached[1]
    app = _guarded(lambda: _build_app(login_url, tenant_id, client_id, secret, session), tenant_id)
    with _apps_lock:
        _apps[key] = (_fingerprint(secret), app)
        _apps.move_to_end(key)
        while len(_apps) > MAX_APPS:
            _apps.popitem(last=False)
    return app


def forget_app(login_url: str, tenant_id: str, client_id: str) -> None:
    """Drop the cached app: msal replays an identical 400 for 60 s, which would hide a secret that
    has just finished replicating. A fresh app sends the next request for real."""
    with _apps_lock:
        _apps.pop((login_url.rstrip("/").lower(), tenant_id.lower(), client_id.lower()), None)


def acquire_token(login_url, tenant_id, client_id, secret, scope, session) -> str:
    """An app-only access token (from msal's cache when still valid)."""
    app = confidential_app(login_url, tenant_id, client_id, secret, session)
    # https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
    try:
        result = _guarded(lambda: app.acquire_token_for_client(scopes=[scope]), tenant_id)
    except IntegrationError:
        # msal replays a 429/5xx for its Retry-After (5 s by default) from the app's http cache; a
        # fresh
        # app lets the next attempt really ask.
        forget_app(login_url, tenant_id, client_id)
        raise
    if "access_token" in result:
        return result["access_token"]
    forget_app(login_url, tenant_id, client_id)
    raise token_error(result, tenant_id)


def _guarded(call, tenant_id: str):
    """Run an msal call, turning what it raises (discovery failures, 5xx, network) into typed
    errors."""
    try:
        return call()
    except IntegrationError:
        raise
    except requests.exceptions.SSLError as exc:
        raise PermanentError(
            message="The sign-in host's TLS certificate is not trusted; check OUTBOUND_CA_BUNDLE.",
            code="tls_verification_failed",
            service=SERVICE,
        ) from exc
    except (requests.RequestException, msal.exceptions.MsalServiceError, RuntimeError) as exc:
        raise TransientError(
            message=f"The Microsoft sign-in service is unavailable ({exc}); try again later.",
            code=type(exc).__name__,
            service=SERVICE,
        ) from exc
    except ValueError as exc:  # msal: OIDC discovery answered 4xx, or the answer was not JSON
        # msal re-raises the discovery failure with its own text; the server's answer is the
        # context.
        text = f"{exc} {exc.__context__ or ''}"
        if "OIDC Discovery failed" in text or "authority configuration" in text:
            raise _discovery_failure(text, tenant_id) from exc
        raise TransientError(
            message="The Microsoft sign-in service gave an unreadable answer; try again later.",
            code="unreadable_response",
            service=SERVICE,
        ) from exc


def _discovery_failure(text: str, tenant_id: str) -> IntegrationError:
    if "AADSTS90002" in text or "invalid_tenant" in text:
        return tenant_not_found(tenant_id)
    if (
        "HTTP status: 429" in text
    ):  # msal does not retry a throttled discovery; a later attempt will work
        return TransientError(
            message="The Microsoft sign-in service is throttling; try again later.",
            status=429,
            code="too_many_requests",
            service=SERVICE,
        )
    return PermanentError(
        message=f"The sign-in service refused the tenant {tenant_id}: {text[:300]}",
        code="discovery_failed",
        service=SERVICE,
    )


def aadsts_code(result: dict) -> str:
    """The AADSTS code of a token error, from `error_codes` or the description."""
    codes = result.get("error_codes") or []
    if codes:
        return f"AADSTS{codes[0]}"
    match = _AADSTS.search(result.get("error_description", ""))
    return match.group(0) if match else ""


def token_error(result: dict, tenant_id: str) -> IntegrationError:
    """Map msal's error dict to a typed error a technician can act on."""
    code = aadsts_code(result)
    description = result.get("error_description", "")
    first_line = description.splitlines()[0] if description else result.get("error", "")
    common = {"service": SERVICE, "request_id": result.get("correlation_id", "")}
    if code in CREDENTIAL_MESSAGES:
        return InvalidClientCredentials(message=CREDENTIAL_MESSAGES[code], code=code, **common)
    if code == "AADSTS90002":
        return tenant_not_found(tenant_id, common["request_id"])
    if code in CONSENT_CODES or "consent" in description.lower():
        return ConsentMissing(
            message="The customer's administrator has not consented to the app in their tenant. "
            f"Send the consent link again. ({first_line})",
            code=code or result.get("error", ""),
            **common,
        )
    # Entra's own errors always carry a description; a bare answer (a 429/503 from a gateway) is
    # transient.
    if result.get("error") in TRANSIENT_OAUTH_ERRORS or not (description or code):
        return TransientError(
            message=f"Token request throttled or failed: {first_line}", code=code, **common
        )
    return PermanentError(
        message=f"The token request was refused: {first_line}", code=code, **common
    )
