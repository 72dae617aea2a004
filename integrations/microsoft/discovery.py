"""Microsoft Entra sign-in side: domain → tenant discovery and admin-consent links.

Everything here talks to the login host (`{login}`), not to Graph. Hosts come from configuration
(MICROSOFT_LOGIN_URL) so national clouds and the sandbox work without code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests

from integrations.errors import PermanentError, TenantNotFound, TransientError
from integrations.http import OutboundConfig, request_id_of, send

SERVICE = "Microsoft Entra sign-in"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
# Hosts msal knows; for any other (the sandbox) msal must not call instance discovery.
MICROSOFT_LOGIN_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)
COMMERCIAL_CLOUD = "microsoftonline.com"
_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def is_microsoft_login_host(login_url: str) -> bool:
    """True for Microsoft's own login hosts (msal may run instance discovery against them)."""
    return (urlsplit(login_url).hostname or "").lower() in MICROSOFT_LOGIN_HOSTS


@dataclass(frozen=True)
class TenantInfo:
    """What OpenID discovery says about a customer's tenant."""

    tenant_id: str
    issuer: str
    cloud_instance_name: str
    tenant_region_scope: str

    @property
    def is_national_cloud(self) -> bool:
        """GCC High / DoD / China etc.: Proofpoint's Azure sync does not support them (domain.md
        §1)."""
        if self.tenant_region_scope == "USGov":
            return True
        return bool(self.cloud_instance_name) and self.cloud_instance_name != COMMERCIAL_CLOUD


def _check_tenant_name(domain: str) -> str:
    """Refuse anything that is not a domain or a GUID before it goes into a URL path."""
    domain = domain.strip().lower()
    if _GUID.fullmatch(domain) or _DOMAIN.match(domain):
        return domain
    raise PermanentError(
        message=f"'{domain}' is not a domain name. Enter the customer's email domain, e.g. "
        "contoso.com.",
        code="invalid_domain",
        service=SERVICE,
    )


def tenant_not_found(domain: str, request_id: str = "") -> TenantNotFound:
    return TenantNotFound(
        message=f"No Microsoft Entra tenant uses the domain {domain}. Check the spelling, or ask "
        "the "
        "customer which domain their Microsoft 365 uses.",
        status=400,
        code="AADSTS90002",
        service=SERVICE,
        request_id=request_id,
    )


# https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
def resolve_tenant(
    login_url: str, domain: str, session: requests.Session, config: OutboundConfig | None = None
) -> TenantInfo:
    """Find the Entra tenant behind a domain through its OpenID configuration document."""
    domain = _check_tenant_name(domain)
    url = f"{login_url.rstrip('/')}/{domain}/v2.0/.well-known/openid-configuration"
    response = send(session, "GET", url, config=config or OutboundConfig(), service=SERVICE)
    if response.status_code == 200:
        return _tenant_info(response.json(), domain)
    body = _json_or_empty(response)
    if "AADSTS90002" in body.get("error_description", "") or body.get("error") == "invalid_tenant":
        raise tenant_not_found(domain, request_id_of(response))
    raise _discovery_error(response, body, domain)


def _tenant_info(document: dict, domain: str) -> TenantInfo:
    issuer = document.get("issuer", "")
    match = _GUID.search(issuer) or _GUID.search(document.get("token_endpoint", ""))
    if not match:
        raise PermanentError(
            message=f"The sign-in service answered for {domain} without a tenant id.",
            code="no_tenant_id",
            service=SERVICE,
        )
    return TenantInfo(
        tenant_id=match.group(0).lower(),
        issuer=issuer,
        cloud_instance_name=document.get("cloud_instance_name", ""),
        tenant_region_scope=document.get("tenant_region_scope", "") or "",
    )


def _discovery_error(response: requests.Response, body: dict, domain: str) -> Exception:
    error_class = TransientError if response.status_code >= 500 else PermanentError
    return error_class(
        message=f"Looking up the tenant for {domain} failed (HTTP {response.status_code}): "
        f"{body.get('error_description') or response.reason}",
        status=response.status_code,
        code=body.get("error", ""),
        service=SERVICE,
        request_id=request_id_of(response),
    )


def _json_or_empty(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# v1: https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent (legacy
# adminconsent)
# v2:
# https://learn.microsoft.com/en-us/entra/identity-platform/v2-admin-consent#request-the-permissions-from-a-directory-admin
def admin_consent_url(
    login_url: str,
    tenant: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    v2: bool = False,
    scope: str = GRAPH_DEFAULT_SCOPE,
) -> str:
    """The link a customer's Global Administrator opens to consent to an app (domain.md §2)."""
    base = login_url.rstrip("/")
    if v2:
        query = {
            "client_id": client_id,
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{base}/{tenant}/v2.0/adminconsent?{urlencode(query)}"
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    return f"{base}/{tenant}/adminconsent?{urlencode(query)}"
