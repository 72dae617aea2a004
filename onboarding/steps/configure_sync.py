"""Step 8: save Proofpoint's Azure sync settings (domain.md §4).

A first onboarding saves them paused at frequency 0, so no scheduled sync imports anything before
the
technician has reviewed the report. A live tenant's re-run keeps its sync running at the tenant's
frequency: pausing exists only to stop an unreviewed first import (issue 11)."""

from __future__ import annotations

from onboarding.steps.base import Done, Outcome, StepContext
from onboarding.sync_app import save_azure_settings
from tenants.models import Lifecycle


# --- configure_sync ------------------------------------------------------------------------------
def configure_sync(ctx: StepContext) -> Outcome:
    """Save the Azure sync settings: paused ("Never") before a first review, else the tenant's
    hours."""
    tenant = ctx.tenant
    tenant.refresh_from_db(fields=["lifecycle", "sync_frequency_hours"])
    if tenant.lifecycle == Lifecycle.LIVE:
        hours = tenant.sync_frequency_hours
        save_azure_settings(tenant, frequency=hours, attempt=ctx.step.attempts, job=ctx.job)
        return Done(
            f"Azure sync is configured in Proofpoint and keeps running every {hours} h: the tenant "
            "is live, so its sync is not paused during this re-run."
        )
    save_azure_settings(tenant, frequency=0, attempt=ctx.step.attempts, job=ctx.job)
    return Done("Azure sync is configured in Proofpoint and paused until the report is approved.")
