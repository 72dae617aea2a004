"""What people and timers do to a job: start it, resume a waiting step, retry a failed one, cancel
it.

These are the service functions behind the pages and the API: each writes its own audit row, so the
two cannot differ. `actor` is who asked (None: the system); `request` adds the address and via_api.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding import audit
from onboarding.engine import events, lifecycle, undo
from onboarding.engine.dispatch import dispatch
from onboarding.engine.errors import JobAlreadyActive, NotAllowedNow
from onboarding.engine.runner import set_job_state, update_step
from onboarding.models import (
    FINISHED_JOB_STATES,
    JobKind,
    JobState,
    OnboardingJob,
    Step,
    StepKey,
    StepState,
)
from onboarding.pipeline import pipeline, spec_for


def start_job(tenant, actor=None, request=None, kind: str = JobKind.ONBOARDING) -> OnboardingJob:
    """A new job of `kind` (an onboarding, or a live tenant's repair) with its pipeline's steps."""
    try:
        with transaction.atomic():
            job = OnboardingJob.objects.create(tenant=tenant, started_by=actor, kind=kind)
            Step.objects.bulk_create(
                Step(job=job, key=spec.key, order=index)
                for index, spec in enumerate(pipeline(kind))
            )
    except IntegrityError:
        raise JobAlreadyActive(
            f"{tenant.name} already has an onboarding or repair in progress."
        ) from None
    lifecycle.job_started(job)
    what = "repair" if kind == JobKind.REPAIR else "onboarding"
    audit.record("job.started", f"Started {what} #{job.pk}", request=request, user=actor, job=job)
    events.emit(job, events.STARTED)
    dispatch(job.pk)
    return job


def resume(job: OnboardingJob, key: str | None = None, delay: float = 0) -> bool:
    """Wake a waiting step (a callback came in, the review was approved). True when one was
    waiting."""
    steps = Step.objects.filter(job=job, state=StepState.WAITING)
    if key:
        steps = steps.filter(key=key)
    woken = steps.update(state=StepState.PENDING, wake_at=None, next_attempt_at=None)
    if woken:
        dispatch(job.pk, delay)
    return bool(woken)


def retry(job: OnboardingJob, actor=None, request=None) -> Step:
    """Run the failed step again, alone; the steps before it stay done."""
    job.refresh_from_db()
    step = job.steps.filter(state=StepState.FAILED).first()
    if job.state != JobState.FAILED or step is None:
        raise NotAllowedNow("Only a failed onboarding can be retried.")
    with transaction.atomic():
        # Claimed with a conditional UPDATE: of two people retrying at once, one wins, one is told.
        failed = Step.objects.filter(pk=step.pk, state=StepState.FAILED)
        if not failed.update(state=StepState.PENDING):
            raise NotAllowedNow("Only a failed onboarding can be retried (someone just did).")
        update_step(
            step,
            state=StepState.PENDING,
            attempts=0,
            message="Retry requested.",
            finished_at=None,
            next_attempt_at=None,
            deadline_at=None,
        )
        set_job_state(job, JobState.RUNNING, current_step=step.key)
        spec = spec_for(step.key)
        title = spec.title if spec else step.key
        audit.record(
            "job.retried", f'Retried the step "{title}"', request=request, user=actor, job=job
        )
    dispatch(job.pk)
    return step


def cancel(job: OnboardingJob, actor=None, request=None) -> None:
    job.refresh_from_db()
    if job.is_finished:
        raise NotAllowedNow(f"This onboarding is already {job.get_state_display().lower()}.")
    imported = job.steps.filter(
        key=StepKey.IMPORT_ACCOUNTS, state__in=[StepState.RUNNING, StepState.SUCCEEDED]
    ).exists()
    if imported:
        raise NotAllowedNow(
            "The accounts are already imported into Proofpoint, so cancelling would not undo "
            "anything; let the routing countdown finish."
        )
    now = timezone.now()
    with transaction.atomic():
        # Conditional: of two cancels at once, one wins and the other is told (one audit row).
        unfinished = OnboardingJob.objects.filter(pk=job.pk).exclude(state__in=FINISHED_JOB_STATES)
        if not unfinished.update(state=JobState.CANCELLED, finished_at=now, state_changed_at=now):
            raise NotAllowedNow("This onboarding is already finished or was just cancelled.")
        job.steps.filter(state__in=[StepState.PENDING, StepState.WAITING]).update(
            state=StepState.SKIPPED, message="Cancelled.", wake_at=None, next_attempt_at=None
        )
        audit.record(
            "job.cancelled", "Cancelled the onboarding", request=request, user=actor, job=job
        )
        lifecycle.job_cancelled(job)
        undo.request_restore(
            job
        )  # put back the Proofpoint settings the job changed (sent on commit)
    job.refresh_from_db()
    events.emit(job, events.CANCELLED)
