"""Microsoft Graph's own service principal: its app roles and delegated scopes, with the real ids.

Only a subset of Graph's several hundred permissions; ids are Microsoft's (see docs/domain.md and
the
Graph permissions reference), so a client that hard-codes them behaves as against a real tenant.
"""

from __future__ import annotations

from functools import lru_cache

from .common import GRAPH_APP_ID, guid

APP_ROLES = {
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
    "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
    "DelegatedPermissionGrant.ReadWrite.All": "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
    "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
    "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
    "Domain.Read.All": "dbb9058a-0e50-45d7-ae91-66909b5d4664",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Organization.Read.All": "498476ce-e0fe-48b0-b801-37ba7e2685c6",
    "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
}
SCOPES = {
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "User.Read.All": "a154be20-db9c-4678-8ab7-66f6cc099a59",
    "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
}
ROLE_NAMES = {v: k for k, v in APP_ROLES.items()}
SCOPE_NAMES = {v: k for k, v in SCOPES.items()}


def _words(name: str) -> str:
    return name.replace(".", " ").replace("ReadWrite", "read and write").replace("Read", "read")


@lru_cache(maxsize=1)
def app_roles() -> list[dict]:
    """Graph's app roles: one shared list (every tenant's Graph SP holds the same, unchanged)."""
    return [
        {
            "allowedMemberTypes": ["Application"],
            "description": f"Allows the app to {_words(name).lower()} without a signed-in user.",
            "displayName": _words(name),
            "id": role_id,
            "isEnabled": True,
            "origin": "Application",
            "value": name,
        }
        for name, role_id in APP_ROLES.items()
    ]


@lru_cache(maxsize=1)
def permission_scopes() -> list[dict]:
    return [
        {
            "adminConsentDescription": f"Allows the app to {_words(name).lower()} on behalf of the "
            "user.",
            "adminConsentDisplayName": _words(name),
            "id": scope_id,
            "isEnabled": True,
            "type": "Admin" if name.endswith(".All") else "User",
            "userConsentDescription": f"Allows the app to {_words(name).lower()} for you.",
            "userConsentDisplayName": _words(name),
            "value": name,
        }
        for name, scope_id in SCOPES.items()
    ]


def graph_service_principal(tenant_id: str) -> dict:
    """Graph's SP as it exists in every tenant (its object id differs per tenant, as in reality)."""
    return {
        "id": guid("graph-sp", tenant_id),
        "accountEnabled": True,
        "appDisplayName": "Microsoft Graph",
        "appId": GRAPH_APP_ID,
        "appOwnerOrganizationId": "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "appRoleAssignmentRequired": False,
        "appRoles": app_roles(),
        "displayName": "Microsoft Graph",
        "oauth2PermissionScopes": permission_scopes(),
        "replyUrls": [],
        "servicePrincipalNames": [
            GRAPH_APP_ID,
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
        ],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs",
        "tags": [],
    }
