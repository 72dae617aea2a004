"""Repair: the sync app registration and its service principal exist again (api.md: app_missing).

Reads first (the app by its uniqueName, the service principal's assignments), writes only when one
is gone; the recreate is the onboarding's own idempotent upsert (sync_app.register_sync_app). A
recreated app has a new client id and no secret the portal holds: the later repair steps grant its
permissions, make its secret and save Proofpoint's settings with it."""

from __future__ import annotations

from integrations.errors import NotFound
from onboarding import clients
from onboarding.steps.base import (
    Done,
    Outcome,
    Skipped,
    StepContext,
    tenant_id_of,
    unheld_app_kept,
)
from onboarding.sync_app import register_sync_app
from tenants.models import EntraApplication


def _in_place(graph, row: EntraApplication | None) -> bool:
    if row is None or not (row.object_id and row.service_principal_id):
        return False
    app = graph.find_application_by_unique_name(row.unique_name)
    if app is None or app.get("id") != row.object_id:
        return False
    try:
        graph.list_app_role_assignments(row.service_principal_id)
    except NotFound:
        return False
    return True


def repair_app(ctx: StepContext) -> Outcome:
    kept = unheld_app_kept(ctx.tenant)
    if kept:
        return Skipped(kept)
    graph = clients.msp_graph(tenant_id_of(ctx))
    row = EntraApplication.objects.filter(tenant=ctx.tenant).first()
    if _in_place(graph, row):
        return Skipped("The sync app registration and its service principal are in place.")
    before = row.client_id if row else ""
    app = register_sync_app(ctx.tenant, graph, ctx.record)
    if row is None:  # the tenant was brought in from Proofpoint with an app the portal did not make
        return Done(
            f"Made the portal's own sync app (client id {app.client_id}) to replace the one "
            "Proofpoint used, which the portal did not make; the next steps grant its "
            "permissions, make its secret and save it in Proofpoint's sync settings."
        )
    if before and app.client_id != before:
        return Done(
            f"Recreated the deleted sync app (new client id {app.client_id}) and its service "
            "principal; the next steps grant its permissions and make its secret."
        )
    return Done(f"The sync app's service principal is back (client id {app.client_id}).")
