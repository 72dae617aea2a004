"""The customer's Proofpoint sync app: its Entra registration (domain.md §1), finding it, and the
Proofpoint Azure-sync settings that point at it (domain.md §4).

Shared by the steps that make it, the secret rotation, and (later) health checks and repair.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings

from integrations.errors import NotFound, PermanentError, ProofpointRejected, ReplicationPending
from integrations.microsoft.graph import GRAPH_APP_ID, GraphClient
from integrations.proofpoint.client import AZURE_SETTINGS_FIELDS
from onboarding.clients import graph_client, proofpoint_client
from onboarding.models import JobState, OnboardingJob, RestoreState, SettingsSnapshot
from tenants.models import DefaultRole, EntraApplication, Tenant

# domain.md §1: the sync app's Microsoft Graph permissions (NOT the default User.Read).
DELEGATED_SCOPES = {
    "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
    "Group.Read.All": "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
    "User.ReadBasic.All": "b340eb25-3456-403f-be2f-af7a0d370277",
}


APP_ROLES = {"Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61"}


GRANT_SCOPE = " ".join(DELEGATED_SCOPES)
# Proofpoint checks the app's credentials when the settings are saved; a brand-new secret can be
# refused by Entra for a few seconds (domain.md §3, AADSTS7000215 seen 4-18 s). Retry that a few
# times.
SETTINGS_SAVE_RETRIES = 4
SETTINGS_SAVE_RETRY_SECONDS = 15


# --- finding it ----------------------------------------------------------------------------------
def find_sync_app(
    tenant: Tenant, *, registered: bool = False, with_secret: bool = False
) -> EntraApplication:
    """The tenant's sync app, or a PermanentError that says which earlier step must run first.

    `registered`: the app registration exists in Entra (it has an object id). `with_secret`: it can
    sign in, as Proofpoint will (the tenant is resolved, the app has a client id and a stored
    secret).
    """
    app = EntraApplication.objects.filter(tenant=tenant).first()
    if app is None or (registered and not app.object_id):
        raise PermanentError(
            message="The app registration does not exist yet: run 'Create the Proofpoint "
            "sync app registration' first.",
            code="no_app",
        )
    if with_secret and not (tenant.entra_tenant_id and app.client_id and app.secret):
        raise PermanentError(
            message=f"{tenant.name} has no Proofpoint sync app with a stored client secret yet: "
            "the "
            "onboarding's Entra ID steps must finish first.",
            code="sync_app_missing",
        )
    return app


def has_usable_sync_app(tenant: Tenant) -> bool:
    try:
        find_sync_app(tenant, with_secret=True)
    except PermanentError:
        return False
    return True


def sync_app_graph(tenant: Tenant) -> GraphClient:
    """Graph as the customer's NEW sync app: exactly what Proofpoint will see."""
    app = find_sync_app(tenant, with_secret=True)
    return graph_client(tenant.entra_tenant_id, app.client_id, app.secret)


# --- its registration ----------------------------------------------------------------------------
def unique_key(tenant: Tenant) -> str:
    """The app's uniqueName: stable per tenant, so the upsert finds the same app on every run."""
    digest = hashlib.sha256(tenant.primary_domain.encode()).hexdigest()[:8]
    return f"proofpoint-sync-{tenant.pk}-{digest}"


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


def register_sync_app(
    tenant: Tenant, graph: GraphClient, record: Callable[[str, str], None]
) -> EntraApplication:
    """Create (or update) the app registration and its service principal, idempotently through the
    uniqueName upsert; `record(action, text)` notes each external change. Shared by the onboarding's
    create_app step and the repair of a deleted app (a recreated app gets a new client id)."""
    app_row, _ = EntraApplication.objects.get_or_create(
        tenant=tenant, defaults={"unique_name": unique_key(tenant)}
    )
    # https://learn.microsoft.com/en-us/graph/api/application-upsert
    app, created = graph.upsert_application(app_row.unique_name, sync_app_body(tenant))
    EntraApplication.objects.filter(pk=app_row.pk).update(
        object_id=app["id"], client_id=app["appId"]
    )
    verb = "Created" if created else "Updated"
    record(
        "entra.app_upserted",
        f"{verb} the app registration '{settings.SYNC_APP_DISPLAY_NAME}' "
        f"(client id {app['appId']}, uniqueName {app_row.unique_name}).",
    )
    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-upsert
    sp = graph.upsert_service_principal(app["appId"])
    if app_row.service_principal_id != sp["id"]:
        EntraApplication.objects.filter(pk=app_row.pk).update(service_principal_id=sp["id"])
        record(
            "entra.sp_ready", f"Service principal {sp['id']} is ready for the app {app['appId']}."
        )
    app_row.refresh_from_db()
    return app_row


# --- its permissions -----------------------------------------------------------------------------
def directory_role_id(graph_sp: dict, name: str = "Directory.Read.All") -> str:
    """The application role's id, as Graph's own service principal in this tenant lists it."""
    for role in graph_sp.get("appRoles") or []:
        if role.get("value") == name:
            return role["id"]
    return APP_ROLES[name]


def consent_in_place(
    graph: GraphClient, app: EntraApplication, graph_sp_id: str, role_id: str
) -> bool:
    """Both grants are visible already (reads only: the MSP app's Directory.Read.All is enough)."""
    try:
        assigned = any(
            a.get("appRoleId") == role_id and a.get("resourceId") == graph_sp_id
            for a in graph.list_app_role_assignments(app.service_principal_id)
        )
        grant = graph.find_delegated_grant(app.service_principal_id, graph_sp_id)
    except NotFound:  # a new service principal not replicated yet: the writes retry for it
        return False
    scopes = set(grant.get("scope", "").split()) if grant else set()
    return assigned and grant is not None and scopes >= set(DELEGATED_SCOPES)


def grant_permissions(
    graph: GraphClient,
    app: EntraApplication,
    graph_sp_id: str,
    role_id: str,
    record: Callable[[str, str], None],
) -> None:
    """Grant the application role and the delegated scopes (duplicates count as done). Raises
    InsufficientPrivileges when the MSP app may not grant them in this tenant."""
    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
    if graph.assign_app_role(app.service_principal_id, graph_sp_id, role_id):
        record("entra.role_granted", "Granted the application permission Directory.Read.All.")
    # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post
    result = graph.ensure_delegated_grant(app.service_principal_id, graph_sp_id, GRANT_SCOPE)
    if result != "unchanged":
        record("entra.grant_" + result, f"Delegated permissions {result}: {GRANT_SCOPE}.")


# --- Proofpoint's settings for it ----------------------------------------------------------------
def azure_settings(
    tenant: Tenant, app: EntraApplication, frequency: int, secret: str | None = None
) -> dict:
    """All 15 fields of PUT /orgs/{org}/settings/azure (domain.md §4), with our reasons.

    `secret` replaces the app's stored one (the rotation hands over its new, pending secret).
    """
    return {
        "primary_domain": tenant.primary_domain,
        "application_id": app.client_id,
        # The real secret every time: GET returns "****" and a PUT must send the secret again (§4).
        "ad_key": secret or app.secret,
        # The tenant's choice: end_user may log in to Proofpoint, silent_user may not (seed,
        # Proofpoint part 2).
        "default_user_role_name": tenant.default_role,
        # 0 = "Never" before the review, so no scheduled sync imports anything unreviewed (§4, last
        # paragraph); the tenant's hours at approval/import.
        "sync_frequency": frequency,
        # Seed: "synchronize the user accounts according to license, active users, or disabled
        # account".
        "sync_active_users": True,
        # §5: distribution and mail-enabled security groups become functional accounts.
        "sync_distribution_groups": True,
        "sync_security_groups": True,
        # The approved import already added and updated them; the hourly sync keeps them current.
        "add_users": True,
        "update_users": True,
        "add_groups": True,
        "update_groups": True,
        # Deleting is the tenant's explicit choice (api.md: allow_deletions, default off).
        "remove_deleted_users": tenant.allow_deletions,
        "remove_deleted_groups": tenant.allow_deletions,
        # Weak source (the field is undocumented beyond its name): silent users have no Proofpoint
        # login,
        # so the synced accounts' login is disabled exactly when the default role is silent_user.
        "disable_login": tenant.default_role == DefaultRole.SILENT_USER,
    }


def save_azure_settings(
    tenant: Tenant, frequency: int, attempt: int, job: OnboardingJob | None = None
) -> None:
    """PUT the settings; a refusal right after the secret was made is retried a few times
    (`attempt`:
    the calling step's attempt number), then permanent. `job`: what Proofpoint held before is
    recorded
    first (remember_before_change), so cancelling or failing the job can put it back."""
    body = azure_settings(tenant, find_sync_app(tenant, with_secret=True), frequency)
    if job is not None:
        remember_before_change(tenant, job)
    try:
        proofpoint_client(tenant).put_azure_settings(tenant.primary_domain, body)
    except ProofpointRejected as error:
        if attempt >= SETTINGS_SAVE_RETRIES:
            raise
        raise ReplicationPending(
            message=f"{error.message} The new client secret may not have reached every Entra "
            "server yet; "
            "trying again shortly.",
            status=error.status,
            service=error.service,
            retry_after=SETTINGS_SAVE_RETRY_SECONDS,
        ) from error


def remember_before_change(tenant: Tenant, job: OnboardingJob) -> SettingsSnapshot:
    """Record the org's Azure sync settings (never the secret) before the job's first change of
    them.

    Saved before the PUT, so a worker killed right after the PUT still leaves what the undo needs; a
    re-run of the step finds the snapshot and keeps it (a second GET would read our own change). A
    cancelled job changes nothing more.
    """
    state = OnboardingJob.objects.filter(pk=job.pk).values_list("state", flat=True).first()
    if state == JobState.CANCELLED:
        raise PermanentError(
            message="This job was cancelled: Proofpoint's settings are left alone.",
            code="job_cancelled",
        )
    snapshot = SettingsSnapshot.objects.filter(job=job).first()
    if snapshot is None:
        current = proofpoint_client(tenant).get_azure_settings(tenant.primary_domain)
        kept = {
            name: value
            for name, value in (current or {}).items()
            if name in AZURE_SETTINGS_FIELDS and name != "ad_key"
        }
        snapshot, _ = SettingsSnapshot.objects.get_or_create(
            job=job, defaults={"existed": current is not None, "settings": kept}
        )
    elif snapshot.restore_state != RestoreState.NOT_NEEDED:
        # A retried job changes the settings again: a later cancel or failure puts them back again.
        SettingsSnapshot.objects.filter(pk=snapshot.pk).update(
            restore_state=RestoreState.NOT_NEEDED, restore_error=""
        )
    return snapshot
