"""Repair: Proofpoint's Azure sync settings exist, run at the tenant's frequency and name the
tenant's sync app (api.md v1.1: sync_paused, sync_app_mismatch). Reads them first; saves only when
wrong."""

from __future__ import annotations

from onboarding import clients
from onboarding.steps.base import Done, Outcome, Skipped, StepContext, unheld_app_kept
from onboarding.sync_app import find_sync_app, save_azure_settings


def repair_sync(ctx: StepContext) -> Outcome:
    kept = unheld_app_kept(ctx.tenant)
    if kept:
        return Skipped(kept)
    tenant = ctx.tenant
    app = find_sync_app(tenant, registered=True, with_secret=True)
    current = clients.proofpoint_client(tenant).get_azure_settings(tenant.primary_domain)
    if current is not None:
        running = current.get("sync_frequency") not in (0, "0", None)
        same_app = (current.get("application_id") or "").lower() == app.client_id.lower()
        if running and same_app:
            return Skipped(
                f"Proofpoint's Azure sync runs every {current.get('sync_frequency')} h with the "
                "tenant's sync app."
            )
    save_azure_settings(tenant, frequency=tenant.sync_frequency_hours, attempt=ctx.step.attempts)
    ctx.record(
        "proofpoint.settings_updated",
        f"Saved the Azure sync settings of the Proofpoint org "
        f"{tenant.primary_domain} with the sync app {app.client_id}, every "
        f"{tenant.sync_frequency_hours} h.",
    )
    return Done(
        f"Proofpoint's Azure sync runs again every {tenant.sync_frequency_hours} h with the "
        "tenant's sync app."
    )
