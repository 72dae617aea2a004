"""Step 10: wait for the technician to review the sync report and approve it (report/queries.py
approve() records the approval and wakes this step)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onboarding.models import JobState
from onboarding.steps.base import Done, Outcome, StepContext, Wait


# --- review --------------------------------------------------------------------------------------
def review(ctx: StepContext) -> Outcome:
    """Wait for report_queries.approve(); the technician excludes accounts meanwhile."""
    approved_at = ctx.data.get("approved_at")
    if approved_at:
        when = approved_at[:16].replace("T", " ")
        return Done(f"Approved by {ctx.data.get('approved_by', 'someone')} at {when} UTC.")
    deadline = ctx.step.deadline_at or timezone.now() + timedelta(days=settings.REVIEW_WAIT_DAYS)
    return Wait(
        "Review the sync report, exclude what should not be imported, then approve.",
        job_state=JobState.WAITING_REVIEW,
        deadline_at=deadline,
    )
