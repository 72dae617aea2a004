"""The one place that maps Django settings to the integrations clients: Graph, Entra discovery and
consent links, and Proofpoint (domain.md §4).

Steps and services never read MICROSOFT_*, MSP_APP_* or PROOFPOINT_* themselves: they ask here for a
GraphClient as the MSP's onboarding app or as a customer's sync app, a consent link, a tenant
lookup, or
a ProofpointClient. A missing setting is a PermanentError that names the variable, so the technician
sees what to fix instead of a 401.
"""

from __future__ import annotations

import threading

import requests
from django.conf import settings

from integrations.errors import PermanentError
from integrations.http import OutboundConfig, host_key, make_session
from integrations.microsoft.discovery import TenantInfo, admin_consent_url, resolve_tenant
from integrations.microsoft.graph import GraphClient
from integrations.microsoft.token import forget_app
from integrations.proofpoint.client import ProofpointClient, base_url_for_stack
from tenants.models import ProofpointStack, Tenant

_sessions: dict[tuple, requests.Session] = {}
_lock = threading.Lock()


def custom_proofpoint_hosts() -> frozenset[str]:
    """The white-label Proofpoint hosts the operator allows (PROOFPOINT_CUSTOM_HOSTS), host:port."""
    return frozenset(host_key(entry) for entry in settings.PROOFPOINT_CUSTOM_HOSTS if entry.strip())


def credential_hosts() -> frozenset[str]:
    """Every host the settings name as a receiver of credentials; nothing else ever gets one."""
    urls = [settings.MICROSOFT_LOGIN_URL, settings.MICROSOFT_GRAPH_URL, settings.PROOFPOINT_API_URL]
    urls += [
        base_url_for_stack(stack)
        for stack in ProofpointStack.values
        if stack != ProofpointStack.CUSTOM
    ]
    return frozenset(host_key(url) for url in urls if url) | custom_proofpoint_hosts()


def outbound_config() -> OutboundConfig:
    return OutboundConfig(
        ca_bundle=settings.OUTBOUND_CA_BUNDLE or None,
        timeout=settings.OUTBOUND_TIMEOUT_SECONDS,
        credential_hosts=credential_hosts(),
    )


def outbound_session() -> requests.Session:
    """One pooled session per trust/timeout/allowed-hosts configuration, shared in the process."""
    config = outbound_config()
    key = (config.ca_bundle, config.timeout, config.credential_hosts)
    with _lock:
        if key not in _sessions:
            _sessions[key] = make_session(config)
        return _sessions[key]


def msp_credentials() -> tuple[str, str]:
    """The MSP onboarding app's client id and secret, or a PermanentError naming what is missing."""
    for name in ("MSP_APP_CLIENT_ID", "MSP_APP_CLIENT_SECRET"):
        if not getattr(settings, name, ""):
            raise PermanentError(
                message=f"The portal is not configured: {name} is empty. Set it to the MSP's "
                "multi-tenant "
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
    return resolve_tenant(
        settings.MICROSOFT_LOGIN_URL, domain, outbound_session(), outbound_config()
    )


def consent_redirect_uri() -> str:
    """The portal's consent callback: the redirect URI registered on the MSP app (api.md)."""
    return f"{settings.PORTAL_BASE_URL}/consent/callback/"


def admin_consent_link(tenant_id: str, client_id: str, state: str) -> str:
    """Where the customer's browser goes to consent (the browser-facing login host)."""
    return admin_consent_url(
        settings.MICROSOFT_LOGIN_BROWSER_URL, tenant_id, client_id, consent_redirect_uri(), state
    )


# --- Proofpoint ----------------------------------------------------------------------------------
REQUIRED_SETTINGS = ("PROOFPOINT_API_USER", "PROOFPOINT_API_PASSWORD")


def _missing(name: str, what: str) -> PermanentError:
    return PermanentError(
        message=f"The portal is not configured: {name} is empty. Set it to {what} (see "
        ".env.example) and retry.",
        code="missing_configuration",
    )


def api_url(tenant: Tenant) -> str:
    """A white-label tenant's own API; else PROOFPOINT_API_URL (one base for all); else the
    stack's."""
    if tenant.proofpoint_stack == ProofpointStack.CUSTOM:
        if not tenant.proofpoint_api_url:
            raise PermanentError(
                message=f"{tenant.name} uses a custom (white-label) Proofpoint stack but has no "
                "API URL. "
                "Edit the tenant and fill in the Proofpoint API URL.",
                code="missing_configuration",
            )
        if host_key(tenant.proofpoint_api_url) not in custom_proofpoint_hosts():
            raise PermanentError(
                message=f"{tenant.name}'s Proofpoint API URL points at "
                f"{host_key(tenant.proofpoint_api_url)}, which is not a white-label host the "
                "operator allows (PROOFPOINT_CUSTOM_HOSTS). Nothing was sent there. Ask a manager "
                "to correct the tenant's Proofpoint URLs, or the operator to add the host to "
                "PROOFPOINT_CUSTOM_HOSTS.",
                code="proofpoint_host_not_allowed",
            )
        return tenant.proofpoint_api_url.rstrip("/")
    return base_url_for_stack(tenant.proofpoint_stack, settings.PROOFPOINT_API_URL or None)


def proofpoint_client(tenant: Tenant) -> ProofpointClient:
    """The channel-admin API user's client for the tenant's stack."""
    for name in REQUIRED_SETTINGS:
        if not getattr(settings, name, ""):
            raise _missing(name, "the channel-admin API user's email and password")
    return ProofpointClient(
        api_url(tenant),
        settings.PROOFPOINT_API_USER,
        settings.PROOFPOINT_API_PASSWORD,
        outbound_session(),
        outbound_config(),
    )


def partner_domain() -> str:
    """The MSP's own (partner) org, under which customer orgs are created."""
    if not settings.PROOFPOINT_PARTNER_DOMAIN:
        raise _missing(
            "PROOFPOINT_PARTNER_DOMAIN", "the primary domain of your Proofpoint partner org"
        )
    return settings.PROOFPOINT_PARTNER_DOMAIN
