"""Step 4: admin consent for the sync app's permissions (seed steps 13-16, domain.md §1 and §3).

The MSP app grants the application role and the delegated grant itself; where it may not (403), the
customer is asked by email to approve the sync app directly, and the step waits for that."""

from __future__ import annotations

from integrations.errors import InsufficientPrivileges
from onboarding import clients
from onboarding.consent import links
from onboarding.models import ConsentPurpose, ConsentState
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.steps.consent_wait import ensure_link_sent, wait_for_customer
from onboarding.sync_app import (
    GRANT_SCOPE,
    consent_in_place,
    directory_role_id,
    find_sync_app,
    grant_permissions,
    sync_app_body,
)
from tenants.models import EntraApplication


# --- 4. admin consent for its permissions
# -----------------------------------------------------------
def grant_consent(ctx: StepContext) -> Outcome:
    tenant_id = tenant_id_of(ctx)
    app = find_sync_app(ctx.tenant, registered=True)
    graph = clients.msp_graph(tenant_id)
    graph_sp = graph.get_graph_service_principal()
    role_id = directory_role_id(graph_sp)
    if consent_in_place(graph, app, graph_sp["id"], role_id):
        return Done("Admin consent is in place for all four permissions.")
    try:
        grant_permissions(graph, app, graph_sp["id"], role_id, ctx.record)
    except InsufficientPrivileges as error:
        return _ask_customer_for_sync_app_consent(ctx, graph, app, str(error))
    return Done(
        "Admin consent granted for Directory.Read.All (application) and "
        + GRANT_SCOPE
        + " (delegated)."
    )


def _ask_customer_for_sync_app_consent(ctx: StepContext, graph, app: EntraApplication, why: str):
    """The MSP app may not grant consent here: the customer approves the sync app directly."""
    link = links.latest_link(ctx.job, ConsentPurpose.SYNC_APP)
    if link is None:
        # Microsoft sends the admin back only to a redirect URI registered on the app being
        # consented to.
        body = sync_app_body(ctx.tenant, (clients.consent_redirect_uri(),))
        graph.upsert_application(app.unique_name, body)
        ctx.log(
            "The onboarding app may not grant consent in this tenant; asking the customer to "
            "approve the "
            "sync app directly."
        )
    link = ensure_link_sent(ctx, ConsentPurpose.SYNC_APP)
    if link.state != ConsentState.APPROVED:
        why = "the sync app's permissions are not approved yet"
    return wait_for_customer(ctx, link, why)
