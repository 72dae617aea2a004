"""The Entra ID half of the onboarding (seed steps 1-18; domain.md §1-3), one idempotent function each.

Every function may run again after a crash at any line: writes go through Graph's idempotent forms
(uniqueName upsert, duplicate answers counted as done, reads before writes), and what a step needs to
recognise its own earlier attempt (the secret's display name) is saved before the call that makes it.
Each external change is written to the step log and to the audit trail as "system".
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import (
    InsufficientPrivileges,
    InvalidClientCredentials,
    NotFound,
    PermanentError,
    TransientError,
)
from integrations.graph import GRAPH_APP_ID
from onboarding import audit, consent, graph_access
from onboarding.client_secrets import SECRET_PREFIX, TWO_YEARS, add_password, remove_leftovers, still_spreading
from onboarding.context import StepContext
from onboarding.models import ConsentPurpose, ConsentState
from onboarding.outcomes import Done
from onboarding.steps.consent import ensure_link_sent, tenant_id_of, wait_for_customer
from tenants.models import EntraApplication, Tenant

# domain.md §1: the sync app's Microsoft Graph permissions (NOT the default User.Read).
DELEGATED_SCOPES = {
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
}
APP_ROLES = {"Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61"}
GRANT_SCOPE = " ".join(DELEGATED_SCOPES)


def _record(ctx: StepContext, action: str, text: str) -> None:
    ctx.log(text)
    audit.record(action, text, job=ctx.job)


def _entra_app(tenant: Tenant) -> EntraApplication:
    app = EntraApplication.objects.filter(tenant=tenant).first()
    if app is None or not app.object_id:
        raise PermanentError(message="The app registration does not exist yet: run 'Create the Proofpoint sync "
                             "app registration' first.", code="no_app")
    return app


# --- 1. resolve the tenant -----------------------------------------------------------------------
def resolve_tenant(ctx: StepContext):
    tenant = ctx.tenant
    info = graph_access.find_tenant(tenant.primary_domain)
    if info.is_national_cloud:
        raise PermanentError(
            message=f"{tenant.primary_domain} is in a US Government (GCC High / DoD) or other national cloud "
            f"({info.cloud_instance_name or info.tenant_region_scope}). Proofpoint Essentials' Azure sync does "
            "not support GCC High, so this customer cannot be onboarded this way.",
            code="national_cloud",
        )
    if tenant.entra_tenant_id != info.tenant_id:
        Tenant.objects.filter(pk=tenant.pk).update(entra_tenant_id=info.tenant_id)
        tenant.entra_tenant_id = info.tenant_id
        ctx.log(f"{tenant.primary_domain} belongs to Entra tenant {info.tenant_id}.")
    return Done(f"{tenant.primary_domain} belongs to Microsoft Entra tenant {info.tenant_id}.")


# --- 3. the app registration and its service principal --------------------------------------------
def unique_key(tenant: Tenant) -> str:
    """The app's uniqueName: stable per tenant, so the upsert finds the same app on every run."""
    return f"proofpoint-sync-{tenant.pk}-{hashlib.sha256(tenant.primary_domain.encode()).hexdigest()[:8]}"


def sync_app_body(tenant: Tenant, extra_redirect_uris: tuple[str, ...] = ()) -> dict:
    """The single-tenant app registration of domain.md §1."""
    access = [{"id": guid, "type": "Scope"} for guid in DELEGATED_SCOPES.values()]
    access += [{"id": guid, "type": "Role"} for guid in APP_ROLES.values()]
    return {
        "displayName": settings.SYNC_APP_DISPLAY_NAME,
        "signInAudience": "AzureADMyOrg",
        "web": {"redirectUris": [tenant.portal_redirect_uri, *extra_redirect_uris]},
        "requiredResourceAccess": [{"resourceAppId": GRAPH_APP_ID, "resourceAccess": access}],
    }


def create_app(ctx: StepContext):
    tenant = ctx.tenant
    graph = graph_access.msp_graph(tenant_id_of(ctx))
    record, _ = EntraApplication.objects.get_or_create(tenant=tenant, defaults={"unique_name": unique_key(tenant)})
    # https://learn.microsoft.com/en-us/graph/api/application-upsert
    app, created = graph.upsert_application(record.unique_name, sync_app_body(tenant))
    EntraApplication.objects.filter(pk=record.pk).update(object_id=app["id"], client_id=app["appId"])
    verb = "Created" if created else "Updated"
    _record(ctx, "entra.app_upserted", f"{verb} the app registration '{settings.SYNC_APP_DISPLAY_NAME}' "
            f"(client id {app['appId']}, uniqueName {record.unique_name}).")
    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-upsert
    sp = graph.upsert_service_principal(app["appId"])
    if record.service_principal_id != sp["id"]:
        EntraApplication.objects.filter(pk=record.pk).update(service_principal_id=sp["id"])
        _record(ctx, "entra.sp_ready", f"Service principal {sp['id']} is ready for the app {app['appId']}.")
    return Done(f"App registration '{settings.SYNC_APP_DISPLAY_NAME}' ready (client id {app['appId']}).")


# --- 4. admin consent for its permissions -----------------------------------------------------------
def _role_id(graph_sp: dict, name: str) -> str:
    for role in graph_sp.get("appRoles") or []:
        if role.get("value") == name:
            return role["id"]
    return APP_ROLES[name]


def _consent_in_place(graph, app: EntraApplication, graph_sp_id: str, role_id: str) -> bool:
    """Both grants are visible already (reads only: works for the MSP app with Directory.Read.All)."""
    try:
        assigned = any(a.get("appRoleId") == role_id and a.get("resourceId") == graph_sp_id
                       for a in graph.list_app_role_assignments(app.service_principal_id))
        grant = graph.find_delegated_grant(app.service_principal_id, graph_sp_id)
    except NotFound:  # a new service principal not replicated yet: the writes below retry for it
        return False
    return assigned and grant is not None and set(grant.get("scope", "").split()) >= set(DELEGATED_SCOPES)


def grant_consent(ctx: StepContext):
    tenant_id = tenant_id_of(ctx)
    app = _entra_app(ctx.tenant)
    graph = graph_access.msp_graph(tenant_id)
    graph_sp = graph.get_graph_service_principal()
    role_id = _role_id(graph_sp, "Directory.Read.All")
    if _consent_in_place(graph, app, graph_sp["id"], role_id):
        return Done("Admin consent is in place for all four permissions.")
    try:
        # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
        if graph.assign_app_role(app.service_principal_id, graph_sp["id"], role_id):
            _record(ctx, "entra.role_granted", "Granted the application permission Directory.Read.All.")
        # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post
        result = graph.ensure_delegated_grant(app.service_principal_id, graph_sp["id"], GRANT_SCOPE)
        if result != "unchanged":
            _record(ctx, "entra.grant_" + result, f"Delegated permissions {result}: {GRANT_SCOPE}.")
    except InsufficientPrivileges as error:
        return _ask_customer_for_sync_app_consent(ctx, graph, app, str(error))
    return Done("Admin consent granted for Directory.Read.All (application) and " + GRANT_SCOPE + " (delegated).")


def _ask_customer_for_sync_app_consent(ctx: StepContext, graph, app: EntraApplication, why: str):
    """The MSP app may not grant consent here: the customer approves the sync app directly."""
    link = consent.latest_link(ctx.job, ConsentPurpose.SYNC_APP)
    if link is None:
        # Microsoft sends the admin back only to a redirect URI registered on the app being consented to.
        body = sync_app_body(ctx.tenant, (graph_access.consent_redirect_uri(),))
        graph.upsert_application(app.unique_name, body)
        ctx.log("The onboarding app may not grant consent in this tenant; asking the customer to approve the "
                "sync app directly.")
    link = ensure_link_sent(ctx, ConsentPurpose.SYNC_APP)
    if link.state != ConsentState.APPROVED:
        why = "the sync app's permissions are not approved yet"
    return wait_for_customer(ctx, link, why)


# --- 5. the client secret ------------------------------------------------------------------------------
def _audit_for(ctx: StepContext):
    return lambda action, text: _record(ctx, action, text)


def _store_secret(app: EntraApplication, created: dict) -> None:
    app.secret = created["secretText"]
    app.secret_key_id = created["keyId"]
    app.secret_hint = created.get("hint") or ""
    app.secret_expires_at = parse_datetime(created.get("endDateTime") or "")
    app.save(update_fields=["secret", "secret_key_id", "secret_hint", "secret_expires_at", "updated_at"])


def create_secret(ctx: StepContext):
    app = _entra_app(ctx.tenant)
    graph = graph_access.msp_graph(tenant_id_of(ctx))
    held = app.secret_key_id if app.secret else None
    if held and any(c.get("keyId") == held for c in graph.list_password_credentials(app.object_id)):
        remove_leftovers(graph, app, [held], _audit_for(ctx))
        return Done(f"A client secret is already stored (hint {app.secret_hint}…, expires "
                    f"{app.secret_expires_at:%Y-%m-%d}).")
    # Whatever carries our prefix now is unusable to us: we do not hold its secretText.
    remove_leftovers(graph, app, [], _audit_for(ctx))
    name = f"{SECRET_PREFIX}{ctx.job.pk}-{uuid.uuid4().hex[:12]}"
    ctx.save_data(secret_display_name=name)  # before addPassword, so a crash right after it is recognisable
    # https://learn.microsoft.com/en-us/graph/api/application-addpassword
    created, lifetime = add_password(graph, app, name, ctx.log)
    _store_secret(app, created)
    _record(ctx, "entra.secret_created", f"Created the client secret '{name}' (keyId {created['keyId']}, valid "
            f"{lifetime}, expires {app.secret_expires_at:%Y-%m-%d}); stored encrypted.")
    shorter = "" if lifetime == TWO_YEARS else (
        f" The customer's app policy refused two years, so it is valid for {lifetime} only: plan its rotation.")
    return Done(f"Client secret created, valid until {app.secret_expires_at:%Y-%m-%d}.{shorter}")


# --- 6. the new credentials work -------------------------------------------------------------------------
def verify_credentials(ctx: StepContext):
    tenant_id = tenant_id_of(ctx)
    app = _entra_app(ctx.tenant)
    if not app.secret:
        raise PermanentError(message="No client secret is stored for the app; retry 'Create the client secret'.",
                             code="no_secret")
    started = ctx.data.get("first_try_at") or timezone.now().isoformat()
    ctx.save_data(first_try_at=started)
    graph = graph_access.graph_client(tenant_id, app.client_id, app.secret)
    try:
        graph.first_user()
    except (InvalidClientCredentials, InsufficientPrivileges) as error:
        graph_access.forget_token(tenant_id, app.client_id)
        _still_propagating(ctx, error, parse_datetime(started))
    ctx.save_data(first_try_at=None)
    return Done("The new app signs in to the customer's tenant with its secret and reads the directory.")


def _still_propagating(ctx: StepContext, error: PermanentError, started: datetime) -> None:
    """Raise TransientError while a new secret may still be spreading through Entra, then give up."""
    waited = (timezone.now() - started).total_seconds()
    limit = settings.ENTRA_SECRET_PROPAGATION_SECONDS
    if still_spreading(error) and waited < limit:
        raise TransientError(message=f"The new secret is not accepted yet ({error.message}); Microsoft Entra "
                             "can take a minute to spread it.", code=error.code,
                             retry_after=max(1.0, min(limit - waited, limit / 6)))
    ctx.save_data(first_try_at=None)
    raise PermanentError(message=f"The new app still cannot sign in after {int(waited)} s: {error.message}",
                         code=error.code) from error
