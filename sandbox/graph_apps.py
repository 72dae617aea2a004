"""Graph: applications (with secrets), service principals, app role assignments, delegated grants.

Docs: application-post-applications, application-upsert (Prefer: create-if-missing),
application-addpassword,
application-removepassword, serviceprincipal-post/upsert, serviceprincipal-post-approleassignedto,
oauth2permissiongrant-post/-list/-update; error wording from docs/domain.md section 3.
"""

from __future__ import annotations

from datetime import timedelta

from .catalog import SCOPES
from .common import now, parse_iso, random_guid, utcnow, years_from_now
from .common import secret_text as make_secret
from .graph_base import (
    Call,
    bad_request,
    check_guid,
    entity,
    graph_error,
    matches,
    no_content,
    not_found,
    paged,
    parse_filter,
    selected,
)
from .objects import (
    find_assignment,
    find_grant,
    new_assignment,
    new_grant,
    new_service_principal,
    visible_at,
)
from .state import Record, add_secret

APP_WRITABLE = {
    "addIns",
    "api",
    "appRoles",
    "applicationTemplateId",
    "certification",
    "defaultRedirectUri",
    "description",
    "disabledByMicrosoftStatus",
    "displayName",
    "groupMembershipClaims",
    "identifierUris",
    "info",
    "isDeviceOnlyAuthSupported",
    "isFallbackPublicClient",
    "keyCredentials",
    "logo",
    "notes",
    "optionalClaims",
    "parentalControlSettings",
    "passwordCredentials",
    "publicClient",
    "requiredResourceAccess",
    "serviceManagementReference",
    "signInAudience",
    "spa",
    "tags",
    "tokenEncryptionKeyId",
    "uniqueName",
    "web",
}
SP_WRITABLE = {
    "accountEnabled",
    "alternativeNames",
    "appId",
    "appRoleAssignmentRequired",
    "appRoles",
    "description",
    "displayName",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "notes",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
    "replyUrls",
    "servicePrincipalNames",
    "servicePrincipalType",
    "tags",
}
AUDIENCES = {
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
}


def _writable(call: Call, body: dict, allowed: set[str], type_name: str) -> dict:
    for key in body:
        if key not in allowed and not key.startswith("@odata"):
            raise bad_request(
                call.request, f"Property '{key}' does not exist on type '{type_name}'."
            )
    if "signInAudience" in body and body["signInAudience"] not in AUDIENCES:
        raise bad_request(
            call.request,
            "Invalid value specified for property 'signInAudience' of resource 'Application'.",
        )
    return {k: v for k, v in body.items() if not k.startswith("@odata")}


def _merge(data: dict, changes: dict) -> None:
    """PATCH semantics: complex properties (web, api, info) merge one level; others replace."""
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value


# ---- applications -------------------------------------------------------------------------------
def _apps(call: Call, visible_only: bool = True) -> list[Record]:
    return [r for r in call.tenant.apps.values() if r.visible() or not visible_only]


def _app_by(call: Call, key: str, value: str, visible_only: bool = True) -> Record | None:
    return next(
        (r for r in _apps(call, visible_only) if (r.data.get(key) or "").lower() == value.lower()),
        None,
    )


def _app_or_404(call: Call, key: str, value: str) -> Record:
    record = _app_by(call, key, value)
    if record is None:
        raise not_found(call.request, value)
    return record


def _app_fields(call: Call, record: Record) -> list[str] | None:
    return selected(call, set(record.data), None, "microsoft.graph.application")


def _create_app(call: Call, body: dict) -> Record:
    if not body.get("displayName"):
        raise bad_request(
            call.request,
            "Invalid value specified for property 'displayName' of resource 'Application'.",
        )
    body.pop("passwordCredentials", None)
    return call.world.register_app(call.tenant, body, visible_at(call.world, call.tenant))


def create_application(call: Call):
    body = _writable(call, call.body(), APP_WRITABLE, "microsoft.graph.application")
    if body.get("uniqueName") and _app_by(
        call, "uniqueName", body["uniqueName"], visible_only=False
    ):
        raise graph_error(
            call.request,
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property uniqueName already exists.",
        )
    with call.world.lock:
        record = _create_app(call, body)
    return entity(call, "applications/$entity", record.data, status=201)


def list_applications(call: Call):
    clauses = parse_filter(call, {"appId", "displayName", "uniqueName", "id"})
    records = [r.data for r in _apps(call) if matches(r.data, clauses)]
    fields = selected(
        call,
        set(records[0]) if records else {"id", "appId", "displayName"},
        None,
        "microsoft.graph.application",
    )
    return paged(call, "applications", len(records), lambda a, b: records[a:b], fields)


def get_application(call: Call, id: str):
    check_guid(call, id)
    record = _app_or_404(call, "id", id)
    return entity(call, "applications/$entity", record.data, _app_fields(call, record))


def get_application_by_app_id(call: Call, app_id: str):
    record = _app_or_404(call, "appId", app_id)
    return entity(call, "applications/$entity", record.data, _app_fields(call, record))


def get_application_by_unique_name(call: Call, unique_name: str):
    record = _app_or_404(call, "uniqueName", unique_name)
    return entity(call, "applications/$entity", record.data, _app_fields(call, record))


def patch_application(call: Call, id: str):
    check_guid(call, id)
    body = _writable(
        call, call.body(), APP_WRITABLE - {"passwordCredentials"}, "microsoft.graph.application"
    )
    with call.world.lock:
        _merge(_app_or_404(call, "id", id).data, body)
    return no_content()


def patch_application_by_app_id(call: Call, app_id: str):
    body = _writable(
        call, call.body(), APP_WRITABLE - {"passwordCredentials"}, "microsoft.graph.application"
    )
    with call.world.lock:
        _merge(_app_or_404(call, "appId", app_id).data, body)
    return no_content()


def upsert_application(call: Call, unique_name: str):
    """PATCH /applications(uniqueName='k'): 204 if it exists (updated), 201 + object if created
    (only with Prefer: create-if-missing), else 404. The key is strongly consistent, reads are
    not."""
    body = _writable(
        call, call.body(), APP_WRITABLE - {"passwordCredentials"}, "microsoft.graph.application"
    )
    if body.get("uniqueName") not in (None, unique_name):
        raise bad_request(
            call.request, "The uniqueName in the request body does not match the key in the URL."
        )
    with call.world.lock:
        existing = _app_by(call, "uniqueName", unique_name, visible_only=False)
        if existing is not None:
            _merge(existing.data, body)
            return no_content()
        if "create-if-missing" not in call.request.headers.get("Prefer", "").lower():
            raise not_found(call.request, unique_name)
        record = _create_app(call, {**body, "uniqueName": unique_name})
    return entity(call, "applications/$entity", record.data, status=201)


def delete_application(call: Call, id: str):
    with call.world.lock:
        record = _app_or_404(call, "id", id)
        del call.tenant.apps[record.data["id"]]
    return no_content()


def add_password(call: Call, id: str):
    """addPassword: Graph generates the secret; tenant app-management policy may refuse it."""
    body = call.body().get("passwordCredential") or {}
    keys = call.world.tenant_keys(call.tenant)
    knobs = call.world.knobs
    if knobs.get("secrets_forbidden", keys):
        raise bad_request(
            call.request,
            "Credential type not allowed as per assigned policy.",
            "CredentialTypeNotAllowedAsPerAppPolicy",
        )
    start = parse_iso(body["startDateTime"]) if body.get("startDateTime") else utcnow()
    end = parse_iso(body["endDateTime"]) if body.get("endDateTime") else years_from_now(2)
    if start is None or end is None or end <= start:
        raise bad_request(
            call.request,
            "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.",
        )
    max_days = knobs.get("secret_max_lifetime_days", keys)
    if max_days is not None and end - start > timedelta(days=float(max_days)):
        raise bad_request(
            call.request,
            "Credential lifetime exceeds the max value allowed as per assigned policy "
            f"'{call.tenant.id}' ({max_days} days).",
            "CredentialInvalidLifetimeAsPerAppPolicy",
        )
    delay = float(knobs.get("secret_propagation_s", keys) or 0)
    with call.world.lock:
        record = _app_or_404(call, "id", id)
        created = add_secret(
            record,
            make_secret(),
            body.get("displayName"),
            start,
            end,
            usable_at=now() + delay if delay > 0 else 0.0,
            key_id=random_guid(),
        )
    return entity(call, "microsoft.graph.passwordCredential", created)


def remove_password(call: Call, id: str):
    key_id = call.body().get("keyId") or ""
    with call.world.lock:
        record = _app_or_404(call, "id", id)
        credentials = record.data["passwordCredentials"]
        kept = [c for c in credentials if c["keyId"] != key_id]
        if len(kept) == len(credentials):
            raise bad_request(call.request, f"No password credential found with keyId '{key_id}'.")
        record.data["passwordCredentials"] = kept
        record.secrets.pop(key_id, None)
    return no_content()


# ---- service principals -------------------------------------------------------------------------
def _sp(call: Call, key: str, value: str, visible_only: bool = True) -> Record | None:
    for record in call.tenant.sps.values():
        if (record.data.get(key) or "").lower() == value.lower() and (
            record.visible() or not visible_only
        ):
            return record
    return None


def _sp_or_404(call: Call, key: str, value: str) -> Record:
    record = _sp(call, key, value)
    if record is None:
        raise not_found(call.request, value)
    return record


def _app_for_sp(call: Call, app_id: str):
    """The application an SP may be created for: visible in this tenant, or multi-tenant
    elsewhere."""
    local = _app_by(call, "appId", app_id)
    if local is not None:
        return call.tenant, local
    home, record = call.world.find_app(app_id)
    if (
        record is not None
        and home is not call.tenant
        and record.visible()
        and record.data.get("signInAudience") != "AzureADMyOrg"
    ):
        return home, record
    raise bad_request(
        call.request,
        f"The appId '{app_id}' of the service principal does not reference a valid "
        "application object.",
    )


def _create_sp(call: Call, body: dict) -> Record:
    app_id = body.get("appId") or ""
    if _sp(call, "appId", app_id, visible_only=False) is not None:
        raise graph_error(
            call.request,
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property servicePrincipalNames already exists.",
        )
    home, app = _app_for_sp(call, app_id)
    extra = {k: v for k, v in body.items() if k != "appId"}
    return new_service_principal(call.world, call.tenant, app.data, home.id, extra)


def create_service_principal(call: Call):
    body = _writable(call, call.body(), SP_WRITABLE, "microsoft.graph.servicePrincipal")
    if not body.get("appId"):
        raise bad_request(
            call.request,
            "Invalid value specified for property 'appId' of resource 'ServicePrincipal'.",
        )
    with call.world.lock:
        record = _create_sp(call, body)
    return entity(call, "servicePrincipals/$entity", record.data, status=201)


def upsert_service_principal(call: Call, app_id: str):
    body = _writable(call, call.body(), SP_WRITABLE, "microsoft.graph.servicePrincipal")
    with call.world.lock:
        existing = _sp(call, "appId", app_id, visible_only=False)
        if existing is not None:
            _merge(existing.data, {k: v for k, v in body.items() if k != "appId"})
            return no_content()
        if "create-if-missing" not in call.request.headers.get("Prefer", "").lower():
            raise not_found(call.request, app_id)
        record = _create_sp(call, {**body, "appId": app_id})
    return entity(call, "servicePrincipals/$entity", record.data, status=201)


def list_service_principals(call: Call):
    clauses = parse_filter(call, {"appId", "displayName", "id", "servicePrincipalType"})
    records = [r.data for r in call.tenant.sps.values() if r.visible() and matches(r.data, clauses)]
    fields = selected(
        call,
        set(records[0]) if records else {"id", "appId"},
        None,
        "microsoft.graph.servicePrincipal",
    )
    return paged(call, "servicePrincipals", len(records), lambda a, b: records[a:b], fields)


def get_service_principal(call: Call, id: str):
    check_guid(call, id)
    record = _sp_or_404(call, "id", id)
    fields = selected(call, set(record.data), None, "microsoft.graph.servicePrincipal")
    return entity(call, "servicePrincipals/$entity", record.data, fields)


def get_service_principal_by_app_id(call: Call, app_id: str):
    record = _sp_or_404(call, "appId", app_id)
    fields = selected(call, set(record.data), None, "microsoft.graph.servicePrincipal")
    return entity(call, "servicePrincipals/$entity", record.data, fields)


def patch_service_principal(call: Call, id: str):
    body = _writable(call, call.body(), SP_WRITABLE - {"appId"}, "microsoft.graph.servicePrincipal")
    with call.world.lock:
        _merge(_sp_or_404(call, "id", id).data, body)
    return no_content()


def delete_service_principal(call: Call, id: str):
    with call.world.lock:
        record = _sp_or_404(call, "id", id)
        del call.tenant.sps[record.data["id"]]
    return no_content()


# ---- app role assignments -----------------------------------------------------------------------
def _unreplicated(call: Call, key: str):
    if str(call.world.knobs.get("replication_error", call.world.tenant_keys(call.tenant))) == "404":
        return not_found(call.request, key)
    return bad_request(call.request, "Not a valid reference update.")


def _principal(call: Call, principal_id: str) -> Record:
    """The SP a write refers to: missing → 404; created but not replicated → the replication
    error."""
    record = call.tenant.sps.get(principal_id or "")
    if record is None:
        raise not_found(call.request, principal_id)
    if not record.visible():
        raise _unreplicated(call, principal_id)
    return record


def assign_app_role(call: Call, id: str):
    body = call.body()
    for field in ("principalId", "resourceId", "appRoleId"):
        if not body.get(field):
            raise bad_request(
                call.request,
                f"Invalid value specified for property '{field}' of resource 'AppRoleAssignment'.",
            )
    with call.world.lock:
        resource = _sp_or_404(call, "id", id)
        if body["resourceId"].lower() != id.lower():
            raise bad_request(
                call.request,
                "The resourceId in the body must match the service principal in the URL.",
            )
        principal = _principal(call, body["principalId"])
        if body["appRoleId"] not in {r["id"] for r in resource.data.get("appRoles", [])}:
            raise bad_request(
                call.request,
                "Permission being assigned was not found on application "
                f"'{resource.data['appId']}'.",
            )
        if find_assignment(
            call.tenant, principal.data["id"], resource.data["id"], body["appRoleId"]
        ):
            raise bad_request(
                call.request, "Permission being assigned already exists on the object."
            )
        record = new_assignment(call.world, call.tenant, principal, resource, body["appRoleId"])
    return entity(
        call, f"servicePrincipals('{id}')/appRoleAssignedTo/$entity", record.data, status=201
    )


def list_app_role_assigned_to(call: Call, id: str):
    resource = _sp_or_404(call, "id", id)
    records = [
        r.data
        for r in call.tenant.assignments.values()
        if r.visible() and r.data["resourceId"] == resource.data["id"]
    ]
    return paged(
        call,
        f"servicePrincipals('{id}')/appRoleAssignedTo",
        len(records),
        lambda a, b: records[a:b],
        None,
    )


def list_app_role_assignments(call: Call, id: str):
    principal = _sp_or_404(call, "id", id)
    records = [
        r.data
        for r in call.tenant.assignments.values()
        if r.visible() and r.data["principalId"] == principal.data["id"]
    ]
    return paged(
        call,
        f"servicePrincipals('{id}')/appRoleAssignments",
        len(records),
        lambda a, b: records[a:b],
        None,
    )


def delete_app_role_assignment(call: Call, id: str, assignment_id: str):
    with call.world.lock:
        record = call.tenant.assignments.get(assignment_id)
        if record is None or record.data["resourceId"] != id:
            raise not_found(call.request, assignment_id)
        del call.tenant.assignments[assignment_id]
    return no_content()


# ---- delegated permission grants ----------------------------------------------------------------
def _check_scope(call: Call, resource: Record, scope: str) -> None:
    known = {s["value"] for s in resource.data.get("oauth2PermissionScopes", [])} or set(SCOPES)
    unknown = [s for s in scope.split() if s not in known]
    if unknown:
        raise bad_request(
            call.request,
            "Invalid value specified for property 'scope' of resource "
            f"'OAuth2PermissionGrant': {' '.join(unknown)}.",
        )


def create_grant(call: Call):
    body = call.body()
    consent_type = body.get("consentType")
    needs_principal = consent_type == "Principal"
    if consent_type not in ("AllPrincipals", "Principal") or needs_principal != bool(
        body.get("principalId")
    ):
        raise bad_request(
            call.request,
            "Invalid value specified for property 'consentType' of resource "
            "'OAuth2PermissionGrant'.",
        )
    with call.world.lock:
        client = _principal(call, body.get("clientId") or "")
        resource = _principal(call, body.get("resourceId") or "")
        _check_scope(call, resource, body.get("scope") or "")
        if find_grant(call.tenant, client.data["id"], resource.data["id"], body.get("principalId")):
            raise graph_error(
                call.request,
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                "Permission entry already exists.",
            )
        record = new_grant(
            call.world,
            call.tenant,
            client.data["id"],
            resource.data["id"],
            body.get("scope") or "",
            consent_type,
            body.get("principalId"),
        )
    return entity(call, "oauth2PermissionGrants/$entity", record.data, status=201)


def list_grants(call: Call):
    clauses = parse_filter(call, {"clientId", "resourceId", "consentType", "principalId", "id"})
    records = [
        r.data for r in call.tenant.grants.values() if r.visible() and matches(r.data, clauses)
    ]
    return paged(call, "oauth2PermissionGrants", len(records), lambda a, b: records[a:b], None)


def _grant_or_404(call: Call, id: str) -> Record:
    record = call.tenant.grants.get(id)
    if record is None or not record.visible():
        raise not_found(call.request, id)
    return record


def get_grant(call: Call, id: str):
    return entity(call, "oauth2PermissionGrants/$entity", _grant_or_404(call, id).data)


def patch_grant(call: Call, id: str):
    body = call.body()
    with call.world.lock:
        record = _grant_or_404(call, id)
        if "scope" in body:
            _check_scope(call, call.tenant.sps[record.data["resourceId"]], body["scope"] or "")
            record.data["scope"] = body["scope"] or ""
    return no_content()


def delete_grant(call: Call, id: str):
    with call.world.lock:
        _grant_or_404(call, id)
        del call.tenant.grants[id]
    return no_content()
