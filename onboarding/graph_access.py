"""The one place that maps Django settings to the integrations clients (Graph, Entra sign-in).

Steps and the consent service never read MICROSOFT_* or MSP_APP_* themselves: they ask here for a
GraphClient as the MSP's onboarding app or as a customer's sync app, a consent link, or a tenant lookup.
"""

from __future__ import annotations

import threading

import requests
from django.conf import settings

from integrations.entra import TenantInfo, admin_consent_url, resolve_tenant
from integrations.errors import PermanentError
from integrations.graph import GraphClient
from integrations.graph_token import forget_app
from integrations.http import OutboundConfig, make_session

_sessions: dict[tuple, requests.Session] = {}
_lock = threading.Lock()


def outbound_config() -> OutboundConfig:
    return OutboundConfig(ca_bundle=settings.OUTBOUND_CA_BUNDLE or None, timeout=settings.OUTBOUND_TIMEOUT_SECONDS)


def outbound_session() -> requests.Session:
    """One pooled session per trust/timeout configuration, shared by every client in the process."""
    config = outbound_config()
    key = (config.ca_bundle, config.timeout)
    with _lock:
        if key not in _sessions:
            _sessions[key] = make_session(config)
        return _sessions[key]


def msp_credentials() -> tuple[str, str]:
    """The MSP onboarding app's client id and secret, or a PermanentError naming what is missing."""
    for name in ("MSP_APP_CLIENT_ID", "MSP_APP_CLIENT_SECRET"):
        if not getattr(settings, name, ""):
            raise PermanentError(
                message=f"The portal is not configured: {name} is empty. Set it to the MSP's multi-tenant "
                "onboarding app (see .env.example) and retry.",
                code="missing_configuration",
            )
    return settings.MSP_APP_CLIENT_ID, settings.MSP_APP_CLIENT_SECRET


def graph_client(tenant_id: str, client_id: str, secret: str) -> GraphClient:
    return GraphClient(
        settings.MICROSOFT_LOGIN_URL,
        settings.MICROSOFT_GRAPH_URL,
        tenant_id,
        client_id,
        secret,
        outbound_session(),
        outbound_config(),
        replication_timeout=float(settings.ENTRA_REPLICATION_SECONDS),
    )


def msp_graph(tenant_id: str) -> GraphClient:
    """Graph in the customer's tenant as the MSP's onboarding app (needs the customer's consent)."""
    client_id, secret = msp_credentials()
    return graph_client(tenant_id, client_id, secret)


def forget_token(tenant_id: str, client_id: str) -> None:
    """Drop a cached token, e.g. one issued before consent replicated (it lacks the new roles)."""
    forget_app(settings.MICROSOFT_LOGIN_URL, tenant_id, client_id)


def find_tenant(domain: str) -> TenantInfo:
    return resolve_tenant(settings.MICROSOFT_LOGIN_URL, domain, outbound_session(), outbound_config())


def consent_redirect_uri() -> str:
    """The portal's consent callback: the redirect URI registered on the MSP app (api.md)."""
    return f"{settings.PORTAL_BASE_URL}/consent/callback/"


def admin_consent_link(tenant_id: str, client_id: str, state: str) -> str:
    """Where the customer's browser goes to consent (the browser-facing login host)."""
    return admin_consent_url(settings.MICROSOFT_LOGIN_BROWSER_URL, tenant_id, client_id,
                             consent_redirect_uri(), state)
