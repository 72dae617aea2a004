"""Step 12: wait ROUTING_WAIT_SECONDS after the import before mail routing may change (seed: an hour
while Proofpoint publishes the domains), then finish (the job's completion emails the technician
once)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onboarding.models import JobState, OnboardingJob, Step, StepKey
from onboarding.steps.base import Done, Outcome, StepContext, Wait


# --- routing_countdown ---------------------------------------------------------------------------
def routing_ready_at(job: OnboardingJob):
    """Set once: the import's end + ROUTING_WAIT_SECONDS (seed: wait 60 minutes before routing)."""
    if job.routing_ready_at is None:
        imported = Step.objects.filter(job=job, key=StepKey.IMPORT_ACCOUNTS)
        finished = imported.values_list("finished_at", flat=True).first()
        ready = (finished or timezone.now()) + timedelta(seconds=settings.ROUTING_WAIT_SECONDS)
        OnboardingJob.objects.filter(pk=job.pk, routing_ready_at__isnull=True).update(
            routing_ready_at=ready
        )
        job.refresh_from_db(fields=["routing_ready_at"])
    return job.routing_ready_at


def routing_countdown(ctx: StepContext) -> Outcome:
    ready = routing_ready_at(ctx.job)
    if timezone.now() < ready:
        return Wait(
            "Proofpoint is publishing the domains to its mail servers. Do not change MX records "
            "or "
            f"connectors before {timezone.localtime(ready):%H:%M %Z}.",
            job_state=JobState.COUNTDOWN,
            wake_at=ready,
        )
    # The one "routing is ready" email is the technician's notification sent when the job completes
    # (notifications/emails.py, with a link to Next steps), so it honours their email preferences.
    return Done("Mail routing can be changed now: see the next steps page.")
