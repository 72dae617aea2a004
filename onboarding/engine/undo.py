"""Ask for a halted job's Proofpoint changes to be put back (issue 11): on cancel and on failure.

The engine only records the request and sends the task `onboarding.restore_settings` by name; the
task calls onboarding/undo.py, which talks to Proofpoint. Idempotent: asking twice restores once
more.
"""

from datetime import timedelta

from django.utils import timezone

from onboarding.engine.dispatch import enqueue
from onboarding.models import OnboardingJob, RestoreState, SettingsSnapshot

RESTORE_TASK = "onboarding.restore_settings"
RESEND_AFTER = timedelta(minutes=5)


def request_restore(job: OnboardingJob) -> bool:
    """Put back what the job changed, if it changed anything. True when a restore was asked for."""
    asked = (
        SettingsSnapshot.objects.filter(job_id=job.pk)
        .exclude(restore_state=RestoreState.PENDING)
        .update(
            restore_state=RestoreState.PENDING,
            restore_requested_at=timezone.now(),
            restore_error="",
        )
    )
    pending = (
        asked
        or SettingsSnapshot.objects.filter(
            job_id=job.pk, restore_state=RestoreState.PENDING
        ).exists()
    )
    if pending:
        enqueue(RESTORE_TASK, [job.pk])
    return bool(pending)


def resend_stalled_restores(now=None) -> int:
    """Restores whose message was lost (a broker hiccup): send them again (the sweeper calls
    this)."""
    stale = (now or timezone.now()) - RESEND_AFTER
    stalled = SettingsSnapshot.objects.filter(
        restore_state=RestoreState.PENDING, restore_requested_at__lt=stale
    )
    job_ids = list(stalled.values_list("job_id", flat=True)[:500])
    for job_id in job_ids:
        SettingsSnapshot.objects.filter(job_id=job_id).update(restore_requested_at=timezone.now())
        enqueue(RESTORE_TASK, [job_id])
    return len(job_ids)
