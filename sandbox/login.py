"""HTTP face of the identity emulator (login.microsoftonline.com), on HTTPS and on the plain-http
front."""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .identity import (
    GENERIC_TENANTS,
    IdentityError,
    consentable_app,
    grant_admin_consent,
    issue_token,
    openid_configuration,
    tenant_not_found,
)
from .objects import requested_permissions
from .pages import consent_page, error_page, front_page
from .signin import authorize
from .tokens import jwks
from .web import Service, json_response, retry_after_header


class LoginService(Service):
    name = "login"

    def register(self) -> None:
        add = self.router.add
        add("GET", "/", self.front)
        add("GET", "/{tenant}/v2.0/.well-known/openid-configuration", self.openid)
        add("GET", "/{tenant}/.well-known/openid-configuration", self.openid)
        add("GET", "/{tenant}/discovery/v2.0/keys", self.keys)
        add("GET", "/{tenant}/discovery/keys", self.keys)
        add("POST", "/{tenant}/oauth2/v2.0/token", self.token)
        for method in ("GET", "POST"):
            add(method, "/{tenant}/oauth2/v2.0/authorize", self.authorize)
            add(method, "/{tenant}/adminconsent", self.consent_v1)
            add(method, "/{tenant}/v2.0/adminconsent", self.consent_v2)

    def tenant_keys(self, request: Request, params: dict) -> tuple[str, ...]:
        return self.world.tenant_keys(self.world.tenant(params.get("tenant", "")))

    def base(self, request: Request) -> str:
        return request.host_url.rstrip("/")

    def unmatched(self, request: Request, status: int) -> Response:
        return json_response(
            IdentityError(404, "invalid_request", 90027, "Not found.").body(self.base(request)), 404
        )

    def error(self, request: Request, error: IdentityError) -> Response:
        return json_response(error.body(self.base(request)), error.status)

    def fault(self, request: Request, fault) -> Response:
        """Injected 429/503s in the identity platform's OAuth error shape, not Graph's."""
        if fault.body is not None:
            return super().fault(request, fault)
        error = IdentityError(
            fault.status,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        )
        return json_response(
            error.body(self.base(request)), fault.status, retry_after_header(fault.retry_after)
        )

    # ---- discovery and tokens -------------------------------------------------------------------
    def front(self, request: Request) -> Response:
        app_id = self.world.msp.get("app_id", "")
        redirect = (self.world.msp.get("redirect_uris") or [""])[0]
        query = urlencode({"client_id": app_id, "redirect_uri": redirect, "state": "sandbox-front"})
        links = [
            (
                f"Admin consent (organizations) for {self.world.msp.get('display_name')}",
                f"/organizations/adminconsent?{query}",
            )
        ]
        return Response(front_page(links), content_type="text/html; charset=utf-8")

    def openid(self, request: Request, tenant: str) -> Response:
        found = self.world.tenant(tenant)
        if found is None and tenant.lower() not in GENERIC_TENANTS:
            return self.error(request, tenant_not_found(tenant))
        return json_response(openid_configuration(found, tenant, self.base(request)))

    def keys(self, request: Request, tenant: str) -> Response:
        return json_response(jwks(self.world.signing_key))

    def token(self, request: Request, tenant: str) -> Response:
        try:
            answer = issue_token(self.world, tenant, request.form.to_dict(), self.base(request))
        except IdentityError as error:
            return self.error(request, error)
        return json_response(
            answer, headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
        )

    def authorize(self, request: Request, tenant: str) -> Response:
        """Staff sign-in: the "Pick an account" page, then back to the app with a code
        (signin.py)."""
        return authorize(self.world, tenant, request)

    # ---- admin consent --------------------------------------------------------------------------
    def consent_v1(self, request: Request, tenant: str) -> Response:
        return self.consent(request, tenant, version=1)

    def consent_v2(self, request: Request, tenant: str) -> Response:
        return self.consent(request, tenant, version=2)

    def consent(self, request: Request, tenant_key: str, version: int) -> Response:
        args = request.args
        target = self.world.tenant(tenant_key)
        generic = tenant_key.lower() in GENERIC_TENANTS
        try:
            if target is None and not generic:
                raise tenant_not_found(tenant_key)
            home, app = consentable_app(
                self.world,
                target,
                tenant_key,
                args.get("client_id", ""),
                args.get("redirect_uri", ""),
            )
            if version == 2:
                self._check_v2_scope(args.get("scope", ""))
        except IdentityError as error:
            return Response(
                error_page(error.code, error.message),
                status=error.status,
                content_type="text/html; charset=utf-8",
            )
        if generic:
            target = self._chosen_tenant(request)
        auto = target is not None and self.world.knobs.get(
            "auto_consent", self.world.tenant_keys(target)
        )
        if request.method == "POST":
            if request.form.get("decision") != "approve":
                return self._redirect(args, version, declined=True)
            if target is None:
                return self._page(
                    request, app, None, generic, "Enter the domain of a known organization.", 400
                )
        elif not auto:
            return self._page(request, app, target, generic)
        if target is not home and app.data.get("signInAudience") == "AzureADMyOrg":
            error = IdentityError(
                400,
                "unauthorized_client",
                700016,
                f"Application '{app.data['appId']}' is "
                f"not available in the directory '{target.default_domain}'.",
            )
            return Response(
                error_page(error.code, error.message),
                status=400,
                content_type="text/html; charset=utf-8",
            )
        granted = grant_admin_consent(self.world, target, app.data["appId"])
        return self._redirect(args, version, tenant=target.id, granted=granted)

    def _check_v2_scope(self, scope: str) -> None:
        if not scope:
            raise IdentityError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
            )

    def _chosen_tenant(self, request: Request):
        domain = (
            request.form.get("tenant_domain") or request.args.get("domain_hint") or ""
        ).strip()
        return self.world.tenant(domain) if domain else None

    def _page(
        self, request: Request, app, target, generic: bool, error: str = "", status: int = 200
    ) -> Response:
        roles, scopes = requested_permissions(app.data)
        choices = None
        if generic and target is None:
            msp_tenant = self.world.msp.get("tenant_id")
            choices = sorted(
                t.default_domain for t in self.world.tenants.values() if t.id != msp_tenant
            )
        admin = f"admin@{target.default_domain}" if target else None
        action = request.full_path if request.query_string else request.path
        html = consent_page(
            app.data.get("displayName") or app.data["appId"],
            app.data.get("publisherDomain", ""),
            roles,
            scopes,
            action,
            admin,
            choices,
            error,
        )
        return Response(html, status=status, content_type="text/html; charset=utf-8")

    def _redirect(
        self, args, version: int, declined: bool = False, tenant: str = "", granted=()
    ) -> Response:
        """Back to the app exactly as documented (v2-admin-consent): success, or the two failure
        shapes."""
        message = "AADSTS65004: User declined to consent to access the app."
        if declined and version == 1:
            params = {
                "error": "access_denied",
                "error_subcode": "cancel",
                "error_description": message,
            }
        elif declined:
            params = {
                "admin_consent": "True",
                "error": "consent_required",
                "error_description": message,
            }
        elif version == 1:
            params = {"admin_consent": "True", "tenant": tenant}
        else:
            params = {
                "admin_consent": "True",
                "tenant": tenant,
                "scope": " ".join(f"https://graph.microsoft.com/{p}" for p in granted),
            }
        if args.get("state") is not None:
            params["state"] = args["state"]
        uri = args["redirect_uri"]
        separator = "&" if "?" in uri else "?"
        return Response(status=302, headers={"Location": f"{uri}{separator}{urlencode(params)}"})
