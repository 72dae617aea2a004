"""Factories for the directory objects both consent and Graph create: SPs, role assignments, grants.

Each returns a Record whose `visible_at` honours the tenant's replication-delay knob, so the objects
a
consent or a Graph write creates are invisible to reads for a while, as in a real tenant.
"""

from __future__ import annotations

from .catalog import APP_ROLES, ROLE_NAMES, SCOPES
from .common import GRAPH_APP_ID, iso, now, opaque_id, random_guid
from .state import Record, Tenant


def visible_at(world, tenant: Tenant) -> float:
    delay = float(world.knobs.get("replication_delay_s", world.tenant_keys(tenant)) or 0)
    return now() + delay if delay > 0 else 0.0


def new_service_principal(
    world, tenant: Tenant, app: dict, owner_tenant_id: str, extra: dict | None = None
) -> Record:
    data = {
        "id": random_guid(),
        "accountEnabled": True,
        "appDisplayName": app.get("displayName"),
        "appId": app["appId"],
        "appOwnerOrganizationId": owner_tenant_id,
        "appRoleAssignmentRequired": False,
        "appRoles": app.get("appRoles", []),
        "createdDateTime": iso(),
        "deletedDateTime": None,
        "description": None,
        "displayName": app.get("displayName"),
        "homepage": None,
        "notes": None,
        "oauth2PermissionScopes": (app.get("api") or {}).get("oauth2PermissionScopes", []),
        "replyUrls": list((app.get("web") or {}).get("redirectUris", [])),
        "servicePrincipalNames": [app["appId"], *app.get("identifierUris", [])],
        "servicePrincipalType": "Application",
        "signInAudience": app.get("signInAudience", "AzureADMyOrg"),
        "tags": [],
    }
    data.update(extra or {})
    record = Record(data, visible_at(world, tenant))
    tenant.sps[data["id"]] = record
    return record


def new_assignment(
    world, tenant: Tenant, principal: Record, resource: Record, app_role_id: str
) -> Record:
    data = {
        "id": opaque_id("assignment", tenant.id, principal.data["id"], app_role_id),
        "appRoleId": app_role_id,
        "createdDateTime": iso(),
        "deletedDateTime": None,
        "principalDisplayName": principal.data.get("displayName"),
        "principalId": principal.data["id"],
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource.data.get("displayName"),
        "resourceId": resource.data["id"],
    }
    record = Record(data, visible_at(world, tenant))
    tenant.assignments[data["id"]] = record
    return record


def new_grant(
    world,
    tenant: Tenant,
    client_id: str,
    resource_id: str,
    scope: str,
    consent_type: str = "AllPrincipals",
    principal_id: str | None = None,
) -> Record:
    data = {
        "id": opaque_id("grant", tenant.id, client_id, resource_id, principal_id),
        "clientId": client_id,
        "consentType": consent_type,
        "principalId": principal_id,
        "resourceId": resource_id,
        "scope": scope,
    }
    record = Record(data, visible_at(world, tenant))
    tenant.grants[data["id"]] = record
    return record


def find_assignment(
    tenant: Tenant, principal_id: str, resource_id: str, role_id: str
) -> Record | None:
    for record in tenant.assignments.values():
        d = record.data
        if (d["principalId"], d["resourceId"], d["appRoleId"]) == (
            principal_id,
            resource_id,
            role_id,
        ):
            return record
    return None


def find_grant(
    tenant: Tenant, client_id: str, resource_id: str, principal_id: str | None = None
) -> Record | None:
    for record in tenant.grants.values():
        d = record.data
        if (d["clientId"], d["resourceId"], d.get("principalId")) == (
            client_id,
            resource_id,
            principal_id,
        ):
            return record
    return None


def roles_of(tenant: Tenant, sp: Record) -> list[str]:
    """Graph application permissions consented to this SP (replicated ones only)."""
    graph_sp_id = tenant.graph_sp().data["id"]
    return sorted(
        ROLE_NAMES.get(r.data["appRoleId"], r.data["appRoleId"])
        for r in tenant.assignments.values()
        if r.data["principalId"] == sp.data["id"]
        and r.data["resourceId"] == graph_sp_id
        and r.visible()
    )


def requested_permissions(app: dict) -> tuple[list[str], list[str]]:
    """(application roles, delegated scopes) the app asks for on Microsoft Graph, by name."""
    roles, scopes = [], []
    by_role_id = {v: k for k, v in APP_ROLES.items()}
    by_scope_id = {v: k for k, v in SCOPES.items()}
    for resource in app.get("requiredResourceAccess", []):
        if resource.get("resourceAppId") != GRAPH_APP_ID:
            continue
        for access in resource.get("resourceAccess", []):
            if access.get("type") == "Role" and access.get("id") in by_role_id:
                roles.append(by_role_id[access["id"]])
            elif access.get("type") == "Scope" and access.get("id") in by_scope_id:
                scopes.append(by_scope_id[access["id"]])
    return roles, scopes


def required_access(roles: list[str], scopes: list[str] = ()) -> list[dict]:
    """requiredResourceAccess for Graph from permission names."""
    access = [{"id": APP_ROLES[r], "type": "Role"} for r in roles]
    access += [{"id": SCOPES[s], "type": "Scope"} for s in scopes]
    return [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}]
