"""Step 4: admin consent for the sync app's permissions (seed steps 13-16, domain.md §1 and §3).

The MSP app grants the application role and the delegated grant itself; where it may not (403), the
customer is asked by email to approve the sync app directly, and the step waits for that."""

from __future__ import annotations

from integrations.errors import (
    InsufficientPrivileges,
    NotFound,
)
from onboarding import clients
from onboarding.consent import links
from onboarding.models import ConsentPurpose, ConsentState
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.steps.consent_wait import ensure_link_sent, wait_for_customer
from onboarding.sync_app import APP_ROLES, DELEGATED_SCOPES, GRANT_SCOPE, find_sync_app, sync_app_body
from tenants.models import EntraApplication


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


def grant_consent(ctx: StepContext) -> Outcome:
    tenant_id = tenant_id_of(ctx)
    app = find_sync_app(ctx.tenant, registered=True)
    graph = clients.msp_graph(tenant_id)
    graph_sp = graph.get_graph_service_principal()
    role_id = _role_id(graph_sp, "Directory.Read.All")
    if _consent_in_place(graph, app, graph_sp["id"], role_id):
        return Done("Admin consent is in place for all four permissions.")
    try:
        # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-approleassignedto
        if graph.assign_app_role(app.service_principal_id, graph_sp["id"], role_id):
            ctx.record("entra.role_granted", "Granted the application permission Directory.Read.All.")
        # https://learn.microsoft.com/en-us/graph/api/oauth2permissiongrant-post
        result = graph.ensure_delegated_grant(app.service_principal_id, graph_sp["id"], GRANT_SCOPE)
        if result != "unchanged":
            ctx.record("entra.grant_" + result, f"Delegated permissions {result}: {GRANT_SCOPE}.")
    except InsufficientPrivileges as error:
        return _ask_customer_for_sync_app_consent(ctx, graph, app, str(error))
    return Done("Admin consent granted for Directory.Read.All (application) and " + GRANT_SCOPE + " (delegated).")


def _ask_customer_for_sync_app_consent(ctx: StepContext, graph, app: EntraApplication, why: str):
    """The MSP app may not grant consent here: the customer approves the sync app directly."""
    link = links.latest_link(ctx.job, ConsentPurpose.SYNC_APP)
    if link is None:
        # Microsoft sends the admin back only to a redirect URI registered on the app being consented to.
        body = sync_app_body(ctx.tenant, (clients.consent_redirect_uri(),))
        graph.upsert_application(app.unique_name, body)
        ctx.log("The onboarding app may not grant consent in this tenant; asking the customer to approve the "
                "sync app directly.")
    link = ensure_link_sent(ctx, ConsentPurpose.SYNC_APP)
    if link.state != ConsentState.APPROVED:
        why = "the sync app's permissions are not approved yet"
    return wait_for_customer(ctx, link, why)
