"""Microsoft identity platform emulator: OpenID configuration, client-credentials tokens, admin
consent.

Docs followed: "OpenID Connect on the Microsoft identity platform", "client credentials flow",
"admin consent on the Microsoft identity platform" (v1 and v2 endpoints), AADSTS error reference.
The token and consent logic are plain functions so Proofpoint's settings check can call them
directly.
"""

from __future__ import annotations

from datetime import UTC

from .common import GRAPH_APP_ID, ms_timestamp, now, parse_iso, random_guid
from .objects import (
    find_assignment,
    find_grant,
    new_assignment,
    new_grant,
    new_service_principal,
    requested_permissions,
    roles_of,
)
from .state import Tenant
from .tokens import GRAPH_AUDIENCE, sign

GENERIC_TENANTS = ("common", "organizations", "consumers")


class IdentityError(Exception):
    """An AADSTS error: HTTP status, OAuth error code, AADSTS number and message."""

    def __init__(self, status: int, error: str, code: int, message: str):
        super().__init__(f"AADSTS{code}: {message}")
        self.status, self.error, self.code, self.message = status, error, code, message

    def body(self, base_url: str) -> dict:
        trace, correlation, stamp = random_guid(), random_guid(), ms_timestamp()
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.message}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: {stamp}",
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"{base_url}/error?code={self.code}",
        }


def tenant_not_found(key: str) -> IdentityError:
    return IdentityError(
        400,
        "invalid_tenant",
        90002,
        (
            f"Tenant '{key}' not found. Check to make sure you have the correct tenant ID and are "
            "signing into "
            "the correct cloud. Check with your subscription administrator, this may happen if "
            "there are no "
            "active subscriptions for the tenant."
        ),
    )


def app_not_in_tenant(app_id: str, tenant_key: str) -> IdentityError:
    return IdentityError(
        400,
        "unauthorized_client",
        700016,
        (
            f"Application with identifier '{app_id}' was not found in the directory "
            f"'{tenant_key}'. This can "
            "happen if the application has not been installed by the administrator of the tenant "
            "or consented "
            "to by any user in the tenant. You may have sent your authentication request to the "
            "wrong tenant."
        ),
    )


# ---- OpenID configuration ----------------------------------------------------------------------
def openid_configuration(tenant: Tenant | None, tenant_key: str, base: str) -> dict:
    tid = tenant.id if tenant else "{tenantid}"
    path = tenant.id if tenant else tenant_key
    gov = bool(tenant and tenant.gcc_high)
    return {
        "token_endpoint": f"{base}/{path}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": f"{base}/{path}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{path}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{path}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{path}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "tid",
            "ver",
        ],
        "kerberos_endpoint": f"{base}/{path}/kerberos",
        "tenant_region_scope": ("USGov" if gov else "NA") if tenant else None,
        "cloud_instance_name": "microsoftonline.us" if gov else "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.us" if gov else "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


# ---- client credentials -------------------------------------------------------------------------
def _check_scope(scope: str, tenant_key: str) -> None:
    if not scope:
        raise IdentityError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
    values = scope.split()
    if len(values) != 1 or not values[0].endswith("/.default"):
        raise IdentityError(
            400,
            "invalid_scope",
            1002012,
            (
                f"The provided value for scope {scope} is not valid. Client credential flows must "
                "have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    resource = values[0][: -len("/.default")].lower()
    if resource != GRAPH_APP_ID and "graph" not in resource:
        raise IdentityError(
            400,
            "invalid_resource",
            500011,
            (
                f"The resource principal named {resource} was not found in the tenant named "
                f"{tenant_key}. This can "
                "happen if the application has not been installed by the administrator of the "
                "tenant or consented "
                "to by any user in the tenant. You might have sent your authentication request to "
                "the wrong tenant."
            ),
        )


def _check_secret(app, app_id: str, secret: str) -> None:
    """Match the secret against the app's credentials: unknown, not yet propagated, or expired."""
    invalid = IdentityError(
        401,
        "invalid_client",
        7000215,
        (
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            "client secret "
            f"value, not the client secret ID, for a secret added to app '{app_id}'."
        ),
    )
    for credential in app.data["passwordCredentials"]:
        text, usable_at = app.secrets.get(credential["keyId"], (None, 0))
        if text is None or text != secret:
            continue
        if now() < usable_at:
            raise invalid  # a brand-new secret is not replicated to the token service yet
        end = parse_iso(credential["endDateTime"])
        if end is not None and end.astimezone(UTC).timestamp() < now():
            raise IdentityError(
                401,
                "invalid_client",
                7000222,
                (
                    f"The provided client secret keys for app '{app_id}' are expired. Visit the "
                    "Azure portal to "
                    "create new keys for your app: https://aka.ms/NewClientSecret, or consider "
                    "using certificate "
                    f"credentials for added security: https://aka.ms/certCreds."
                ),
            )
        return
    raise invalid


def issue_token(world, tenant_key: str, form: dict, base_url: str = "") -> dict:
    """The token endpoint's logic; returns the JSON answer or raises IdentityError."""
    grant_type = form.get("grant_type") or ""
    if grant_type == "authorization_code":
        return _redeem_code(world, tenant_key, form, base_url)
    if grant_type != "client_credentials":
        raise IdentityError(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant_type}'.",
        )
    if tenant_key.lower() in GENERIC_TENANTS:
        raise IdentityError(
            400,
            "invalid_request",
            50059,
            (
                "No tenant-identifying information found in either the request or implied by any "
                "provided "
                "credentials."
            ),
        )
    tenant = world.tenant(tenant_key)
    if tenant is None:
        raise tenant_not_found(tenant_key)
    client_id = (form.get("client_id") or "").strip()
    if not client_id:
        raise IdentityError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    _check_scope(form.get("scope") or "", tenant_key)
    with world.lock:
        return _token_for(world, tenant, tenant_key, client_id, form.get("client_secret") or "")


def _redeem_code(world, tenant_key: str, form: dict, base_url: str) -> dict:
    """The authorization_code grant (staff sign-in, signin.py), with this module's AADSTS errors."""
    from .signin import GrantError, redeem_code

    tenant = world.tenant(tenant_key)
    if tenant is None:
        raise tenant_not_found(tenant_key)
    try:
        return redeem_code(world, tenant, form, base_url, _check_secret)
    except GrantError as error:
        raise IdentityError(error.status, error.error, error.code, error.message) from None


def _token_for(world, tenant: Tenant, tenant_key: str, client_id: str, secret: str) -> dict:
    home, app = world.find_app(client_id)
    if app is None:
        raise app_not_in_tenant(client_id, tenant_key)
    sp = tenant.sp_by_app_id(client_id)
    if home is not tenant and (sp is None or app.data.get("signInAudience") == "AzureADMyOrg"):
        raise app_not_in_tenant(client_id, tenant_key)
    if not secret:
        raise IdentityError(
            401,
            "invalid_client",
            7000218,
            (
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'."
            ),
        )
    _check_secret(app, client_id, secret)
    if sp is None:
        raise IdentityError(
            401,
            "invalid_client",
            7000229,
            (
                f"The client application {client_id} is missing service principal in the tenant "
                f"{tenant.id}. "
                "See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119"
            ),
        )
    lifetime = int(world.knobs.get("token_lifetime_s", world.tenant_keys(tenant)))
    issued = int(now())
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant.id}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "aio": random_guid(),
        "app_displayname": app.data.get("displayName"),
        "appid": client_id,
        "appidacr": "1",
        "idp": f"https://sts.windows.net/{tenant.id}/",
        "idtyp": "app",
        "oid": sp.data["id"],
        "rh": "sandbox",
        "roles": roles_of(tenant, sp),
        "sub": sp.data["id"],
        "tenant_region_scope": "USGov" if tenant.gcc_high else "NA",
        "tid": tenant.id,
        "uti": random_guid(),
        "ver": "1.0",
        "sbx_gen": world.generation,
    }
    token = sign(world.signing_key, claims)
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }


# ---- admin consent ------------------------------------------------------------------------------
def consentable_app(
    world, tenant: Tenant | None, tenant_key: str, client_id: str, redirect_uri: str
):
    """The app a consent link names, after the checks that show an error page instead of
    redirecting."""
    if not client_id:
        raise IdentityError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    home, app = world.find_app(client_id)
    if app is None:
        raise app_not_in_tenant(client_id, tenant_key)
    if (
        tenant is not None
        and home is not tenant
        and app.data.get("signInAudience") == "AzureADMyOrg"
    ):
        raise app_not_in_tenant(client_id, tenant_key)
    if not redirect_uri:
        raise IdentityError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'redirect_uri'.",
        )
    if redirect_uri not in (app.data.get("web") or {}).get("redirectUris", []):
        raise IdentityError(
            400,
            "invalid_request",
            50011,
            (
                f"The redirect URI '{redirect_uri}' specified in the request does not match the "
                "redirect URIs "
                f"configured for the application '{client_id}'. Make sure the redirect URI sent in "
                "the request "
                "matches one added to your application in the Azure portal. Navigate to "
                "https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
            ),
        )
    return home, app


def grant_admin_consent(world, tenant: Tenant, app_id: str) -> list[str]:
    """What a Global Administrator's "Accept" does: SP, app role assignments, one AllPrincipals
    grant.

    Idempotent: consenting twice adds only what is missing. Returns the Graph permissions granted.
    """
    with world.lock:
        home, app = world.find_app(app_id)
        sp = tenant.sp_by_app_id(app_id, visible_only=False)
        if sp is None:
            sp = new_service_principal(world, tenant, app.data, home.id)
        graph_sp = tenant.graph_sp()
        roles, scopes = requested_permissions(app.data)
        for name in roles:
            role_id = next(r["id"] for r in graph_sp.data["appRoles"] if r["value"] == name)
            if find_assignment(tenant, sp.data["id"], graph_sp.data["id"], role_id) is None:
                new_assignment(world, tenant, sp, graph_sp, role_id)
        if scopes:
            grant = find_grant(tenant, sp.data["id"], graph_sp.data["id"])
            if grant is None:
                new_grant(world, tenant, sp.data["id"], graph_sp.data["id"], " ".join(scopes))
            else:
                merged = dict.fromkeys(grant.data["scope"].split() + scopes)
                grant.data["scope"] = " ".join(merged)
        return roles + scopes
