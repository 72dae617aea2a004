"""Step 8: save Proofpoint's Azure sync settings (domain.md §4) paused at frequency 0, so no scheduled
sync imports anything before the technician has reviewed the report."""

from __future__ import annotations

from onboarding.steps.base import Done, Outcome, StepContext
from onboarding.sync_app import save_azure_settings


# --- configure_sync ------------------------------------------------------------------------------
def configure_sync(ctx: StepContext) -> Outcome:
    """Save the Azure sync settings with frequency 0 ("Never"): nothing is imported before the review."""
    save_azure_settings(ctx.tenant, frequency=0, attempt=ctx.step.attempts)
    return Done("Azure sync is configured in Proofpoint and paused until the report is approved.")
