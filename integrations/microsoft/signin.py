"""Staff sign-in with Microsoft Entra ID: OpenID Connect authorization code flow with PKCE (api.md,
"Staff sign-in with Microsoft Entra ID (v1.1)").

msal does the protocol: `initiate_auth_code_flow` makes the state, the nonce and the PKCE verifier;
`acquire_token_by_auth_code_flow` checks the state (ValueError) and the nonce (RuntimeError), and
redeems the code with the verifier and the client secret. Since msal 1.38 it does NOT validate the
id token (no signature, audience, issuer, tenant or lifetime check), so `validate_id_token` does
that with PyJWT against the keys at the discovery document's `jwks_uri`, fetched through the
portal's one outbound session (our CA trust, timeouts).

No Django here: the caller passes a StaffSignInConfig built from settings.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
import msal
import requests

from integrations.errors import IntegrationError
from integrations.http import OutboundConfig, send
from integrations.microsoft.discovery import is_microsoft_login_host

SERVICE = "Microsoft Entra staff sign-in"
# msal adds openid and profile itself; offline_access (a refresh token) is not wanted: api.md's
# scopes are exactly `openid profile email`.
SCOPES = ["email"]
ROLE_VALUES = ("Technician", "Manager")
CLOCK_SKEW_SECONDS = 120  # the same tolerance msal uses for time claims
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "nbf", "tid", "oid", "sub"]


@dataclass(frozen=True)
class StaffSignInConfig:
    login_url: str  # MICROSOFT_LOGIN_URL: discovery, token endpoint and keys (server to server)
    browser_login_url: str  # MICROSOFT_LOGIN_BROWSER_URL: where the person's browser is sent
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str = ""

    @property
    def authority(self) -> str:
        return f"{self.login_url.rstrip('/')}/{self.tenant_id}"


@dataclass(frozen=True)
class StaffIdentity:
    """Who signed in, from a validated id token."""

    tenant_id: str
    object_id: str
    username: str  # preferred_username (a UPN); for display and a first username, never for linking
    name: str
    email: str
    roles: tuple[str, ...]


class SignInRefused(IntegrationError):
    """The sign-in did not prove who this is. `code` says why (for the audit trail and tests):
    state_mismatch, nonce_mismatch, token_error, invalid_id_token, signin_error, unavailable."""


class WrongTenant(SignInRefused):
    """A valid token, but from another directory (a customer's): never a staff member."""

    def __init__(self, tenant_id: str, identity_hint: str):
        super().__init__(
            message="This account belongs to another organization's directory.",
            code="wrong_tenant",
            service=SERVICE,
        )
        self.tenant_id, self.identity_hint = tenant_id, identity_hint


def _refused(code: str, message: str) -> SignInRefused:
    return SignInRefused(message=message, code=code, service=SERVICE)


def _app(
    config: StaffSignInConfig, session: requests.Session
) -> msal.ConfidentialClientApplication:
    # A fresh app per step: its token cache would otherwise keep every person's tokens in memory.
    options = {} if is_microsoft_login_host(config.login_url) else {"instance_discovery": False}
    try:
        return msal.ConfidentialClientApplication(
            config.client_id,
            client_credential=config.client_secret,
            authority=config.authority,
            http_client=session,
            exclude_scopes=["offline_access"],
            token_cache=msal.TokenCache(),
            **options,
        )
    except (requests.RequestException, ValueError) as exc:
        raise _refused(
            "unavailable",
            "The Microsoft sign-in service could not be reached or "
            "does not know the configured tenant (STAFF_SIGNIN_TENANT_ID).",
        ) from exc


def browser_authorize_url(auth_uri: str, config: StaffSignInConfig) -> str:
    """msal's auth_uri names the discovery host; the browser goes to MICROSOFT_LOGIN_BROWSER_URL,
    in the shape api.md fixes: {browser}/{tenant}/oauth2/v2.0/authorize?{msal's query}."""
    query = urlsplit(auth_uri).query
    base = config.browser_login_url.rstrip("/")
    return f"{base}/{config.tenant_id}/oauth2/v2.0/authorize?{query}"


def start(config: StaffSignInConfig, session: requests.Session) -> tuple[dict, str]:
    """(the flow to keep server-side until the callback, the URL to send the browser to)."""
    app = _app(config, session)
    with warnings.catch_warnings():
        # msal recommends form_post; api.md fixes response_mode=query (the callback is a GET).
        warnings.simplefilter("ignore", UserWarning)
        flow = app.initiate_auth_code_flow(
            SCOPES, redirect_uri=config.redirect_uri, response_mode="query"
        )
    return flow, browser_authorize_url(flow["auth_uri"], config)


def finish(
    config: StaffSignInConfig,
    flow: dict,
    auth_response: dict,
    session: requests.Session,
    outbound: OutboundConfig,
) -> StaffIdentity:
    """Check the callback against the flow, redeem the code, validate the id token."""
    app = _app(config, session)
    try:
        result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    except ValueError as exc:  # msal: state missing or different from the flow's
        raise _refused(
            "state_mismatch",
            "This sign-in answer does not belong to the sign-in this "
            "browser started (state mismatch).",
        ) from exc
    except RuntimeError as exc:  # msal: the id token's nonce is not this flow's
        raise _refused(
            "nonce_mismatch", "The sign-in token was not issued for this sign-in (nonce mismatch)."
        ) from exc
    except requests.RequestException as exc:
        raise _refused(
            "unavailable", "The Microsoft sign-in service could not be reached."
        ) from exc
    if "error" in result:
        raise _refused(
            "signin_error" if auth_response.get("error") else "token_error", _first_line(result)
        )
    if not result.get("id_token"):
        raise _refused("token_error", "The Microsoft sign-in service returned no id token.")
    claims = validate_id_token(result["id_token"], config, session, outbound)
    roles = claims.get("roles") or []
    return StaffIdentity(
        tenant_id=claims["tid"].lower(),
        object_id=claims["oid"].lower(),
        username=str(claims.get("preferred_username") or ""),
        name=str(claims.get("name") or ""),
        email=str(claims.get("email") or ""),
        roles=tuple(r for r in roles if isinstance(r, str) and r in ROLE_VALUES),
    )


def _first_line(result: dict) -> str:
    description = (result.get("error_description") or "").strip()
    return description.splitlines()[0] if description else str(result.get("error"))


def _get_json(url: str, session: requests.Session, outbound: OutboundConfig) -> dict:
    try:
        response = send(session, "GET", url, config=outbound, service=SERVICE)
        response.raise_for_status()
        body = response.json()
    except (IntegrationError, requests.RequestException, ValueError) as exc:
        raise _refused(
            "unavailable",
            "The Microsoft sign-in service's keys could not be read; try again in a minute.",
        ) from exc
    if not isinstance(body, dict):
        raise _refused("unavailable", "The Microsoft sign-in service gave an unreadable answer.")
    return body


def validate_id_token(
    id_token: str, config: StaffSignInConfig, session: requests.Session, outbound: OutboundConfig
) -> dict:
    """The token's claims once signature (RS256, key by kid from jwks_uri), aud, exp/nbf/iat, tid
    and iss are right: WrongTenant for another directory's token, SignInRefused for the rest."""
    discovery = _get_json(
        f"{config.authority}/v2.0/.well-known/openid-configuration", session, outbound
    )
    keys = _get_json(str(discovery.get("jwks_uri", "")), session, outbound)
    try:
        kid = str(jwt.get_unverified_header(id_token).get("kid") or "")
        key = jwt.PyJWKSet.from_dict(keys)[kid]
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=["RS256"],
            audience=config.client_id,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except (jwt.PyJWTError, KeyError) as exc:
        raise _refused("invalid_id_token", f"The sign-in token is not valid: {_why(exc)}.") from exc
    if str(claims["tid"]).lower() != config.tenant_id.lower():
        raise WrongTenant(str(claims["tid"]).lower(), str(claims.get("preferred_username") or ""))
    expected_issuer = str(discovery.get("issuer", "")).replace("{tenantid}", config.tenant_id)
    if claims["iss"] != expected_issuer:
        raise _refused("invalid_id_token", "The sign-in token was issued by another authority.")
    return claims


def _why(exc: Exception) -> str:
    if isinstance(exc, jwt.ExpiredSignatureError):
        return "it has expired"
    if isinstance(exc, jwt.ImmatureSignatureError):
        return "it is not valid yet"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "it was issued to another application"
    if isinstance(exc, jwt.InvalidSignatureError | KeyError | jwt.PyJWKSetError):
        return "its signature does not match the directory's keys"
    return "it could not be read"
