"""People signing in to the MSP's staff sign-in app: the authorize endpoint and the code grant.

Docs followed: "Microsoft identity platform and OAuth 2.0 authorization code flow" (request an
authorization code, redeem it with PKCE, error responses), "OpenID Connect on the Microsoft identity
platform", "ID token claims reference" (v2.0), "Add app roles and get them from a token" and the
AADSTS error reference. Nothing here knows about the portal's client.

The scenario's `msp.staff_signin` block registers a single-tenant app in the MSP's tenant with the
app roles Technician and Manager ("Assignment required"), and lists the people the sign-in page
offers.
Their role assignments live in `world.staff_users` and can be changed at run time (POST
/_sandbox/staff), so a removed role shows in the next id token, as in Entra.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from urllib.parse import urlencode

from werkzeug.wrappers import Response

from .common import b64url, guid, now, random_guid
from .objects import new_service_principal
from .pages import error_page, signin_page
from .state import add_secret
from .tokens import GRAPH_AUDIENCE, sign

STAFF_APP_ROLES = ("Technician", "Manager")
ID_TOKEN_LIFETIME_S = 3600  # Entra's default for id tokens: one hour
HTML = "text/html; charset=utf-8"


class GrantError(Exception):
    """A token-endpoint error: (status, OAuth error, AADSTS number, message), like IdentityError."""

    def __init__(self, status: int, error: str, code: int, message: str):
        super().__init__(f"AADSTS{code}: {message}")
        self.status, self.error, self.code, self.message = status, error, code, message


# ---- the world --------------------------------------------------------------------------------
def load_staff_signin(world, msp_tenant, spec: dict) -> None:
    """Register the staff sign-in app in the MSP's tenant and remember its people (world.lock)."""
    world.staff_app, world.staff_users, world.auth_codes = {}, {}, {}
    if not spec:
        return
    client_id = spec.get("client_id") or guid("staff-signin-app", msp_tenant.id)
    roles = [
        {
            "allowedMemberTypes": ["User"],
            "description": f"{value}s of the MSP portal",
            "displayName": value,
            "id": guid("staff-app-role", client_id, value),
            "isEnabled": True,
            "origin": "Application",
            "value": value,
        }
        for value in STAFF_APP_ROLES
    ]
    record = world.register_app(
        msp_tenant,
        {
            "appId": client_id,
            "displayName": spec.get("display_name", "MSP portal staff sign-in"),
            "signInAudience": "AzureADMyOrg",
            "appRoles": roles,
            "web": {
                "homePageUrl": None,
                "logoutUrl": None,
                "redirectUris": list(spec.get("redirect_uris", [])),
                "implicitGrantSettings": {
                    "enableAccessTokenIssuance": False,
                    "enableIdTokenIssuance": False,
                },
            },
        },
    )
    secret = spec.get("secret", "Sbx8Q~demo-staff-signin-secret-not-for-production")
    add_secret(record, secret, "sandbox", key_id=guid("staff-secret", client_id))
    new_service_principal(
        world, msp_tenant, record.data, msp_tenant.id, {"appRoleAssignmentRequired": True}
    )
    world.staff_app = {
        "tenant_id": msp_tenant.id,
        "client_id": client_id,
        "secret": secret,
        "display_name": record.data["displayName"],
        "redirect_uris": list(spec.get("redirect_uris", [])),
    }
    for person in spec.get("users", []):
        home = world.tenant(person.get("tenant") or msp_tenant.id)
        if home is None:
            raise ValueError(f"staff_signin user {person!r}: unknown tenant")
        upn = f"{person['username']}@{home.default_domain}".lower()
        world.staff_users[upn] = {
            "upn": upn,
            "name": person.get("name") or person["username"],
            "tenant_id": home.id,
            "oid": person.get("oid") or guid("staff-user", home.id, upn),
            "roles": [r for r in person.get("roles", []) if r in STAFF_APP_ROLES],
        }


def staff_summary(world) -> dict:
    """The app (without its secret) and the people, for /_sandbox/staff and /_sandbox/state."""
    app = {k: v for k, v in world.staff_app.items() if k != "secret"}
    return {"app": app, "users": [dict(u) for u in world.staff_users.values()]}


def set_roles(world, user: str, roles: list) -> dict:
    """What an Entra admin does on the app's "Users and groups" page: assign or remove app roles."""
    unknown = [r for r in roles if r not in STAFF_APP_ROLES]
    if unknown:
        raise ValueError(f"unknown app role(s): {', '.join(map(str, unknown))}")
    with world.lock:
        person = find_person(world, user)
        if person is None:
            raise KeyError(f"no staff user {user!r}")
        person["roles"] = list(dict.fromkeys(roles))
        return dict(person)


def find_person(world, user: str) -> dict | None:
    """By UPN, by the part before the @, or by object id."""
    key = (user or "").strip().lower()
    for person in world.staff_users.values():
        if key in (person["upn"], person["upn"].split("@")[0], person["oid"]):
            return person
    return None


# ---- GET|POST /{tenant}/oauth2/v2.0/authorize --------------------------------------------------
def authorize(world, tenant_key: str, request) -> Response:
    """Show the sign-in page, or send the browser back with `code` (or `error`) and `state`."""
    args = request.args
    problem = _authorize_page_error(world, tenant_key, args)
    if problem is not None:  # the redirect URI cannot be trusted yet: an error page, no redirect
        return Response(error_page(problem[0], problem[1]), status=400, content_type=HTML)
    redirect_error = _authorize_redirect_error(args)
    if redirect_error is not None:
        return _back(args, error=redirect_error[0], description=redirect_error[1])
    if request.method == "GET":
        if args.get("prompt") == "none":
            return _back(
                args,
                error="login_required",
                description=(
                    "AADSTS50058: A silent sign-in request was sent but no user is signed in."
                ),
            )
        return _page(world, request)
    if request.form.get("decision") == "cancel":
        return _back(
            args,
            error="access_denied",
            description=("AADSTS65004: User declined to consent to access the app."),
            subcode="cancel",
        )
    person = find_person(world, request.form.get("login", ""))
    if person is None:
        return _page(world, request, "We couldn't find an account with that username.", 400)
    app_tenant = world.staff_app["tenant_id"]
    foreign_ok = world.knobs.get("signin_foreign_tenant_tokens")
    if person["tenant_id"] != app_tenant and not foreign_ok:
        code, text = (
            50020,
            (
                f"User account '{person['upn']}' from identity provider "
                f"'https://sts.windows.net/{person['tenant_id']}/' does not exist in tenant "
                f"'{world.tenant(app_tenant).name}' and cannot access the application "
                f"'{args.get('client_id')}'({world.staff_app['display_name']}) in that tenant. The "
                "account needs to be added as an external user in the tenant first."
            ),
        )
        return Response(error_page(code, text), status=400, content_type=HTML)
    code = _new_code(world, person, args)
    return _back(args, code=code)


def _authorize_page_error(world, tenant_key: str, args) -> tuple[int, str] | None:
    tenant = world.tenant(tenant_key)
    if tenant is None:
        return 90002, f"Tenant '{tenant_key}' not found."
    client_id = args.get("client_id", "")
    if not client_id:
        return 900144, "The request body must contain the following parameter: 'client_id'."
    home, app = world.find_app(client_id)
    if app is None or (home is not tenant and app.data.get("signInAudience") == "AzureADMyOrg"):
        return 700016, (
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant_key}'."
        )
    redirect_uri = args.get("redirect_uri", "")
    if redirect_uri not in (app.data.get("web") or {}).get("redirectUris", []):
        return 50011, (
            f"The redirect URI '{redirect_uri}' specified in the request does not match "
            f"the redirect URIs configured for the application '{client_id}'."
        )
    return None


def _authorize_redirect_error(args) -> tuple[str, str] | None:
    if args.get("response_type") != "code":
        return "unsupported_response_type", (
            f"AADSTS700054: response_type '{args.get('response_type', '')}' is not enabled for the "
            "application."
        )
    if args.get("response_mode", "query") != "query":
        return "invalid_request", (
            "AADSTS900144: The sandbox answers authorization codes with response_mode=query only."
        )
    if not args.get("scope"):
        return "invalid_request", (
            "AADSTS900144: The request body must contain the following parameter: 'scope'."
        )
    method = args.get("code_challenge_method", "plain" if args.get("code_challenge") else "")
    if method not in ("", "plain", "S256"):
        return "invalid_request", (
            f"AADSTS501491: The code_challenge_method '{method}' is not supported; use S256."
        )
    return None


def _page(world, request, error: str = "", status: int = 200) -> Response:
    people = [(p["upn"], p["name"], _role_label(world, p)) for p in world.staff_users.values()]
    action = request.full_path if request.query_string else request.path
    html = signin_page(world.staff_app.get("display_name", ""), people, action, error)
    return Response(html, status=status, content_type=HTML)


def _role_label(world, person: dict) -> str:
    if person["tenant_id"] != world.staff_app.get("tenant_id"):
        tenant = world.tenant(person["tenant_id"])
        return f"another organization ({tenant.name if tenant else person['tenant_id']})"
    return ", ".join(person["roles"]) or "no app role"


def _new_code(world, person: dict, args) -> str:
    code = "1.Ab" + secrets.token_urlsafe(48)
    lifetime = float(world.knobs.get("auth_code_lifetime_s"))
    with world.lock:
        world.auth_codes[code] = {
            "upn": person["upn"],
            "client_id": args.get("client_id"),
            "redirect_uri": args.get("redirect_uri"),
            "scope": args.get("scope", ""),
            "nonce": args.get("nonce"),
            "challenge": args.get("code_challenge"),
            "method": args.get("code_challenge_method") or "plain",
            "expires": now() + lifetime,
            "used": False,
        }
    return code


def _back(
    args, code: str = "", error: str = "", description: str = "", subcode: str = ""
) -> Response:
    """302 to the app's redirect URI with the documented query parameters (response_mode=query)."""
    if code:
        params = {"code": code}
    else:
        params = {"error": error, "error_description": description}
        if subcode:
            params["error_subcode"] = subcode
    if args.get("state") is not None:
        params["state"] = args["state"]
    if code:
        params["session_state"] = random_guid()
    uri = args["redirect_uri"]
    separator = "&" if "?" in uri else "?"
    return Response(status=302, headers={"Location": f"{uri}{separator}{urlencode(params)}"})


# ---- POST /{tenant}/oauth2/v2.0/token, grant_type=authorization_code ---------------------------
def redeem_code(world, tenant, form: dict, base: str, check_secret) -> dict:
    """Exchange a code (+ PKCE verifier, + client secret) for an id token and an access token."""
    for name in ("client_id", "code", "redirect_uri"):
        if not form.get(name):
            raise GrantError(
                400,
                "invalid_request",
                900144,
                f"The request body must contain the following parameter: '{name}'.",
            )
    client_id = form["client_id"]
    home, app = world.find_app(client_id)
    if app is None or (home is not tenant and app.data.get("signInAudience") == "AzureADMyOrg"):
        raise GrantError(
            400,
            "unauthorized_client",
            700016,
            (
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant.id}'."
            ),
        )
    if not form.get("client_secret"):
        raise GrantError(
            401,
            "invalid_client",
            7000218,
            (
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'."
            ),
        )
    check_secret(app, client_id, form["client_secret"])
    with world.lock:
        grant = _take_code(world, form["code"])
        _check_grant(grant, form, tenant)
        person = dict(world.staff_users[grant["upn"]])
    return _tokens(world, person, grant, form, base)


def _take_code(world, code: str) -> dict:
    grant = world.auth_codes.get(code)
    if grant is None:
        raise GrantError(
            400,
            "invalid_grant",
            70000,
            ("Provided grant is invalid or malformed. The authorization code is not valid."),
        )
    if grant["used"]:
        raise GrantError(
            400,
            "invalid_grant",
            54005,
            (
                "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                "code or "
                "use an existing refresh token."
            ),
        )
    grant["used"] = True  # single use, whatever the outcome of this attempt
    if now() > grant["expires"]:
        raise GrantError(
            400,
            "invalid_grant",
            70008,
            (
                "The provided authorization code or refresh token has expired due to inactivity. "
                "Send a new interactive authorization request for this user and resource."
            ),
        )
    return grant


def _check_grant(grant: dict, form: dict, tenant) -> None:
    if form["client_id"] != grant["client_id"]:
        raise GrantError(
            400,
            "invalid_grant",
            70000,
            ("Provided grant is invalid or malformed. The code was issued to another client."),
        )
    if form["redirect_uri"] != grant["redirect_uri"]:
        raise GrantError(
            400,
            "invalid_grant",
            70000,
            (
                "Provided grant is invalid or malformed. The redirect_uri does not match the one "
                "the "
                "code was issued for."
            ),
        )
    if grant["challenge"]:
        verifier = form.get("code_verifier") or ""
        if not verifier:
            raise GrantError(
                400,
                "invalid_grant",
                501481,
                (
                    "The Code_Verifier does not match the code_challenge supplied in the "
                    "authorization "
                    "request."
                ),
            )
        if not hmac.compare_digest(_challenge_of(verifier, grant["method"]), grant["challenge"]):
            raise GrantError(
                400,
                "invalid_grant",
                50148,
                (
                    "The code_verifier does not match the code_challenge supplied in the "
                    "authorization "
                    "request for PKCE."
                ),
            )


def _challenge_of(verifier: str, method: str) -> str:
    if method == "S256":
        return b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
    return verifier


def _tokens(world, person: dict, grant: dict, form: dict, base: str) -> dict:
    shift = int(world.knobs.get("signin_time_shift_s") or 0)
    issued = int(now()) + shift
    tid, oid, client_id = person["tenant_id"], person["oid"], grant["client_id"]
    scopes = grant["scope"].split()
    claims = {
        "aud": client_id,
        "iss": f"{base}/{tid}/v2.0",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ID_TOKEN_LIFETIME_S,
        "aio": random_guid(),
        "email": person["upn"],
        "name": person["name"],
        "oid": oid,
        "preferred_username": person["upn"],
        "rh": "sandbox",
        "sub": b64url(hashlib.sha256(f"{client_id}/{oid}".encode()).digest())[:43],
        "tid": tid,
        "uti": random_guid(),
        "ver": "2.0",
    }
    if person["roles"] and tid == world.staff_app["tenant_id"]:
        claims["roles"] = list(person["roles"])  # Entra omits the claim when no role is assigned
    if grant["nonce"] is not None:
        claims["nonce"] = grant["nonce"]
    if "email" not in scopes:
        claims.pop("email")
    access = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tid}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 3599,
        "appid": client_id,
        "name": person["name"],
        "oid": oid,
        "scp": "openid profile email User.Read",
        "sub": claims["sub"],
        "tid": tid,
        "upn": person["upn"],
        "uti": random_guid(),
        "ver": "1.0",
        "sbx_gen": world.generation,
    }
    answer = {
        "token_type": "Bearer",
        "scope": " ".join([*scopes, f"{GRAPH_AUDIENCE}/User.Read"]),
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": sign(world.signing_key, access),
        "id_token": sign(world.signing_key, claims),
    }
    if str(form.get("client_info", "")) == "1":
        info = json.dumps({"uid": oid, "utid": tid}, separators=(",", ":")).encode()
        answer["client_info"] = base64.urlsafe_b64encode(info).rstrip(b"=").decode()
    return answer
