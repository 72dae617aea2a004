"""Microsoft Graph v1.0 emulator: routes, the permission each needs, and Graph's error and fault
shapes.

Authorization is enforced from the token's `roles` exactly as Graph does for app-only tokens: a
missing
role answers 403 Authorization_RequestDenied, a bad or expired token 401 InvalidAuthenticationToken.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from . import graph_apps as apps
from . import graph_directory as directory
from .graph_base import authenticate, graph_error, request_id
from .tokens import unverified_claims
from .web import HttpError, Service, retry_after_header

READ_APPS = (
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
WRITE_APPS = ("Application.ReadWrite.All",)
ASSIGN = ("AppRoleAssignment.ReadWrite.All",)
READ_GRANTS = (
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
WRITE_GRANTS = ("DelegatedPermissionGrant.ReadWrite.All",)
READ_USERS = (
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
READ_GROUPS = (
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
READ_DOMAINS = ("Domain.Read.All", "Directory.Read.All", "Directory.ReadWrite.All")
READ_ORG = ("Organization.Read.All", "Directory.Read.All", "Directory.ReadWrite.All")

APP_ID_KEY = "(appId='{app_id}')"
ROUTES = [
    ("POST", "/v1.0/applications", apps.create_application, WRITE_APPS),
    ("GET", "/v1.0/applications", apps.list_applications, READ_APPS),
    ("GET", "/v1.0/applications/{id}", apps.get_application, READ_APPS),
    ("GET", f"/v1.0/applications{APP_ID_KEY}", apps.get_application_by_app_id, READ_APPS),
    (
        "GET",
        "/v1.0/applications(uniqueName='{unique_name}')",
        apps.get_application_by_unique_name,
        READ_APPS,
    ),
    ("PATCH", "/v1.0/applications/{id}", apps.patch_application, WRITE_APPS),
    ("PATCH", f"/v1.0/applications{APP_ID_KEY}", apps.patch_application_by_app_id, WRITE_APPS),
    (
        "PATCH",
        "/v1.0/applications(uniqueName='{unique_name}')",
        apps.upsert_application,
        WRITE_APPS,
    ),
    ("DELETE", "/v1.0/applications/{id}", apps.delete_application, WRITE_APPS),
    ("POST", "/v1.0/applications/{id}/addPassword", apps.add_password, WRITE_APPS),
    ("POST", "/v1.0/applications/{id}/removePassword", apps.remove_password, WRITE_APPS),
    ("POST", "/v1.0/servicePrincipals", apps.create_service_principal, WRITE_APPS),
    ("GET", "/v1.0/servicePrincipals", apps.list_service_principals, READ_APPS),
    ("GET", "/v1.0/servicePrincipals/{id}", apps.get_service_principal, READ_APPS),
    (
        "GET",
        f"/v1.0/servicePrincipals{APP_ID_KEY}",
        apps.get_service_principal_by_app_id,
        READ_APPS,
    ),
    ("PATCH", f"/v1.0/servicePrincipals{APP_ID_KEY}", apps.upsert_service_principal, WRITE_APPS),
    ("PATCH", "/v1.0/servicePrincipals/{id}", apps.patch_service_principal, WRITE_APPS),
    ("DELETE", "/v1.0/servicePrincipals/{id}", apps.delete_service_principal, WRITE_APPS),
    ("POST", "/v1.0/servicePrincipals/{id}/appRoleAssignedTo", apps.assign_app_role, ASSIGN),
    (
        "GET",
        "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
        apps.list_app_role_assigned_to,
        READ_APPS + ASSIGN,
    ),
    (
        "DELETE",
        "/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment_id}",
        apps.delete_app_role_assignment,
        ASSIGN,
    ),
    (
        "GET",
        "/v1.0/servicePrincipals/{id}/appRoleAssignments",
        apps.list_app_role_assignments,
        READ_APPS + ASSIGN,
    ),
    ("POST", "/v1.0/oauth2PermissionGrants", apps.create_grant, WRITE_GRANTS),
    ("GET", "/v1.0/oauth2PermissionGrants", apps.list_grants, READ_GRANTS),
    ("GET", "/v1.0/oauth2PermissionGrants/{id}", apps.get_grant, READ_GRANTS),
    ("PATCH", "/v1.0/oauth2PermissionGrants/{id}", apps.patch_grant, WRITE_GRANTS),
    ("DELETE", "/v1.0/oauth2PermissionGrants/{id}", apps.delete_grant, WRITE_GRANTS),
    ("GET", "/v1.0/users", directory.list_users, READ_USERS),
    ("GET", "/v1.0/users/{id}", directory.get_user, READ_USERS),
    ("GET", "/v1.0/groups", directory.list_groups, READ_GROUPS),
    ("GET", "/v1.0/groups/{id}", directory.get_group, READ_GROUPS),
    ("GET", "/v1.0/domains", directory.list_domains, READ_DOMAINS),
    ("GET", "/v1.0/domains/{id}", directory.get_domain, READ_DOMAINS),
    ("GET", "/v1.0/subscribedSkus", directory.list_subscribed_skus, READ_ORG),
    ("GET", "/v1.0/organization", directory.list_organization, READ_ORG),
]


class GraphService(Service):
    name = "graph"

    def register(self) -> None:
        for method, template, handler, allowed in ROUTES:
            self.router.add(method, template, self._guarded(handler, allowed))

    def _guarded(self, handler, allowed):
        def run(request: Request, **params) -> Response:
            call = authenticate(self.world, request)
            call.require(allowed)
            return handler(call, **params)

        return run

    def tenant_keys(self, request: Request, params: dict) -> tuple[str, ...]:
        token = request.headers.get("Authorization", "")[7:]
        return self.world.tenant_keys(self.world.tenant(unverified_claims(token).get("tid", "")))

    def unmatched(self, request: Request, status: int) -> Response:
        if status == 405:
            return graph_error(
                request,
                405,
                "Request_BadRequest",
                "The requested resource does not support http method.",
            ).response
        segment = request.path.rstrip("/").rsplit("/", 1)[-1]
        return graph_error(
            request, 400, "BadRequest", f"Resource not found for the segment '{segment}'."
        ).response

    def fault(self, request: Request, fault) -> Response:
        headers = retry_after_header(fault.retry_after)
        if fault.body is not None:
            from .web import json_response

            return json_response(fault.body, fault.status, headers)
        code, message = {
            429: (
                "TooManyRequests",
                "Too many requests from Identifier:sandbox under tenant. Please try again later.",
            ),
            503: ("serviceNotAvailable", "Service is unavailable. Please retry after some time."),
        }.get(fault.status, ("generalException", "An error occurred."))
        error: HttpError = graph_error(request, fault.status, code, message, headers)
        return error.response

    def finish(self, request: Request, response: Response) -> Response:
        response.headers["request-id"] = request_id(request)
        response.headers["client-request-id"] = request.headers.get(
            "client-request-id"
        ) or request_id(request)
        response.headers.setdefault(
            "x-ms-ags-diagnostic", '{"ServerInfo":{"DataCenter":"Sandbox","Slice":"E","Ring":"5"}}'
        )
        return response
