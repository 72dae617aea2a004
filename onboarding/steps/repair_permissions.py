"""Repair: the sync app's application role and delegated grant (domain.md §1) are in place again
(api.md v1.1, permissions_missing). Reads first; grants only what is missing."""

from __future__ import annotations

from integrations.errors import InsufficientPrivileges, PermanentError
from onboarding import clients
from onboarding.steps.base import Done, Outcome, Skipped, StepContext, tenant_id_of, unheld_app_kept
from onboarding.sync_app import (
    GRANT_SCOPE,
    consent_in_place,
    directory_role_id,
    find_sync_app,
    grant_permissions,
)


def repair_permissions(ctx: StepContext) -> Outcome:
    kept = unheld_app_kept(ctx.tenant)
    if kept:
        return Skipped(kept)
    graph = clients.msp_graph(tenant_id_of(ctx))
    app = find_sync_app(ctx.tenant, registered=True)
    graph_sp = graph.get_graph_service_principal()
    role_id = directory_role_id(graph_sp)
    if consent_in_place(graph, app, graph_sp["id"], role_id):
        return Skipped("The sync app has all four permissions.")
    try:
        grant_permissions(graph, app, graph_sp["id"], role_id, ctx.record)
    except InsufficientPrivileges as error:
        raise PermanentError(
            message="The portal's onboarding app may not grant permissions in this tenant any more "
            f"({error.message}). Ask the customer's Global Administrator to approve the sync app's "
            "permissions in Microsoft Entra, then retry.",
            code="grant_refused",
        ) from error
    return Done(f"Granted Directory.Read.All (application) and {GRANT_SCOPE} (delegated) again.")
