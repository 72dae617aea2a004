"""The onboarding engine: the ordered steps, their states and transitions (no HTTP, no Celery).

A job's steps run in order. Each step function is idempotent: it may run again after a crash at any
line. The engine claims a step with a conditional UPDATE so that two workers never run it at once,
retries transient errors with backoff and jitter, fails permanent ones with the step's own message,
parks waiting steps until an event or a timer, and the sweeper recovers steps whose worker died.
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from integrations.errors import PermanentError, TransientError
from onboarding import events
from onboarding.context import LeaseLost, StepContext
from onboarding.dispatch import dispatch
from onboarding.models import JobState, OnboardingJob, Step, StepState
from onboarding.outcomes import Outcome, Skipped, Wait

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300


@dataclass(frozen=True)
class StepSpec:
    key: str
    title: str
    run: Callable[[StepContext], Outcome]
    lease_seconds: int | None = None
    timeout_message: str = "This step waited too long and timed out."


class JobAlreadyActive(Exception):
    """The tenant already has an onboarding that is not completed or cancelled."""


class NotAllowedNow(Exception):
    """The action does not fit the job's current state; the message says why."""


def pipeline() -> list[StepSpec]:
    return import_string(getattr(settings, "ONBOARDING_PIPELINE", "onboarding.pipeline.STEPS"))


def spec_for(key: str) -> StepSpec | None:
    return next((spec for spec in pipeline() if spec.key == key), None)


def step_titles() -> dict[str, str]:
    return {spec.key: spec.title for spec in pipeline()}


# --- starting ------------------------------------------------------------------------------------
def start_job(tenant, user=None) -> OnboardingJob:
    try:
        with transaction.atomic():
            job = OnboardingJob.objects.create(tenant=tenant, started_by=user)
            Step.objects.bulk_create(
                Step(job=job, key=spec.key, order=index) for index, spec in enumerate(pipeline())
            )
    except IntegrityError:
        raise JobAlreadyActive(f"{tenant.name} already has an onboarding in progress.") from None
    events.emit(job, events.STARTED)
    dispatch(job.pk)
    return job


# --- running -------------------------------------------------------------------------------------
def run_job(job_id: int) -> None:
    """Run the job's steps in order until one waits, fails, is held by another worker, or all are done."""
    for _ in range(len(pipeline()) + 1):
        job = OnboardingJob.objects.select_related("tenant").filter(pk=job_id).first()
        if job is None or job.state in (JobState.COMPLETED, JobState.CANCELLED, JobState.FAILED):
            return
        step = job.steps.exclude(state__in=[StepState.SUCCEEDED, StepState.SKIPPED]).first()
        if step is None:
            _complete(job)
            return
        if step.state != StepState.PENDING or not _claim(step):
            return
        if not _execute(job, step):
            return


def _claim(step: Step) -> bool:
    now = timezone.now()
    lease = _lease_seconds(step.key)
    claimed = (
        Step.objects.filter(pk=step.pk, state=StepState.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(
            state=StepState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=Coalesce("started_at", now),
            lease_expires_at=now + timedelta(seconds=lease),
            next_attempt_at=None,
        )
    )
    return claimed == 1


def _lease_seconds(key: str) -> int:
    spec = spec_for(key)
    return (spec.lease_seconds if spec and spec.lease_seconds else None) or settings.STEP_LEASE_SECONDS


def _execute(job: OnboardingJob, step: Step) -> bool:
    """Run one claimed step. True when the job may go straight on to the next step."""
    step.refresh_from_db()
    spec = spec_for(step.key)
    _set_job_state(job, JobState.RUNNING, current_step=step.key)
    if spec is None:
        return _fail(job, step, f"This portal version has no step called {step.key!r}.")
    if step.attempts > settings.STEP_MAX_ATTEMPTS:
        return _fail(job, step, f"Stopped after {step.attempts - 1} interrupted attempts. {step.message}")
    try:
        outcome = spec.run(StepContext(job=job, step=step, lease_seconds=_lease_seconds(step.key), claimed=True))
    except LeaseLost:
        log.warning("Step %s of job %s outlived its lease; another worker owns it now", step.key, job.pk)
        return False
    except TransientError as error:
        return _retry_later(job, step, error)
    except PermanentError as error:
        return _fail(job, step, str(error))
    except Exception as error:  # noqa: BLE001  a bug must fail the step visibly, not kill the worker loop
        log.exception("Step %s of job %s crashed", step.key, job.pk)
        return _fail(job, step, f"Unexpected error ({type(error).__name__}): {error}. Retry, or tell an admin.")
    return _record(job, step, outcome)


def _record(job: OnboardingJob, step: Step, outcome: Outcome) -> bool:
    now = timezone.now()
    if isinstance(outcome, Wait):
        if not _settle(step, state=StepState.WAITING, message=outcome.message, wake_at=outcome.wake_at,
                       deadline_at=outcome.deadline_at or step.deadline_at, lease_expires_at=None, attempts=0):
            return False
        if _set_job_state(job, outcome.job_state, current_step=step.key):
            events.emit(job, events.WAITING, step)
        return False
    state = StepState.SKIPPED if isinstance(outcome, Skipped) else StepState.SUCCEEDED
    if not _settle(step, state=state, message=outcome.message, finished_at=now, lease_expires_at=None,
                   wake_at=None, deadline_at=None):
        return False
    events.emit(job, events.STEP_SUCCEEDED, step)
    job.refresh_from_db(fields=["state"])
    return job.state == JobState.RUNNING


def _retry_later(job: OnboardingJob, step: Step, error: TransientError) -> bool:
    if step.attempts >= settings.STEP_MAX_ATTEMPTS:
        return _fail(job, step, f"Gave up after {step.attempts} attempts. Last problem: {error}")
    delay = backoff_seconds(step.attempts, error.retry_after)
    when = timezone.now() + timedelta(seconds=delay)
    message = f"Temporary problem (attempt {step.attempts}), trying again at {when:%H:%M:%S}: {error}"
    if _settle(step, state=StepState.PENDING, message=message, next_attempt_at=when, lease_expires_at=None):
        dispatch(job.pk, delay)
    return False


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Honour the service's Retry-After; otherwise exponential backoff with jitter (half to full)."""
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), MAX_BACKOFF_SECONDS)
    ceiling = min(settings.STEP_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1), MAX_BACKOFF_SECONDS)
    return random.uniform(ceiling / 2, ceiling)


def _fail(job: OnboardingJob, step: Step, message: str, held: bool = True) -> bool:
    """Fail the step. `held`: this worker claimed it, so write only while the claim is still ours."""
    fields = {"state": StepState.FAILED, "message": message, "finished_at": timezone.now(),
              "lease_expires_at": None, "next_attempt_at": None}
    if held and not _settle(step, **fields):
        return False
    if not held:
        _update_step(step, **fields)
    if _set_job_state(job, JobState.FAILED, current_step=step.key):
        events.emit(job, events.STEP_FAILED, step)
    return False


def _complete(job: OnboardingJob) -> None:
    now = timezone.now()
    done = OnboardingJob.objects.filter(pk=job.pk, state__in=[JobState.RUNNING, JobState.QUEUED,
                                                              JobState.COUNTDOWN]).update(
        state=JobState.COMPLETED, current_step="", finished_at=now, state_changed_at=now
    )
    if done:
        job.refresh_from_db()
        events.emit(job, events.COMPLETED)


def _settle(step: Step, **fields) -> bool:
    """Record a claimed step's outcome, fenced by the claim: when the lease ran out and the sweeper gave
    the step to another worker (attempts moved on), this late outcome is dropped, not written over it."""
    held = Step.objects.filter(pk=step.pk, state=StepState.RUNNING, attempts=step.attempts).update(**fields)
    if not held:
        log.warning("Dropped the outcome of step %s (attempt %s): its lease had passed", step.key, step.attempts)
        return False
    for name, value in fields.items():
        setattr(step, name, value)
    return True


def _update_step(step: Step, **fields) -> None:
    for name, value in fields.items():
        setattr(step, name, value)
    Step.objects.filter(pk=step.pk).update(**fields)


def _set_job_state(job: OnboardingJob, state: str, current_step: str | None = None) -> bool:
    """Move the job unless it was cancelled meanwhile. True when the state changed."""
    fields = {"state": state}
    if current_step is not None:
        fields["current_step"] = current_step
    changed = job.state != state
    if changed:
        fields["state_changed_at"] = timezone.now()
    updated = OnboardingJob.objects.filter(pk=job.pk).exclude(state=JobState.CANCELLED).update(**fields)
    if updated:
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(updated) and changed


# --- events from people and timers -------------------------------------------------------------
def resume(job: OnboardingJob, key: str | None = None, delay: float = 0) -> bool:
    """Wake a waiting step (a callback came in, the review was approved). True when one was waiting."""
    steps = Step.objects.filter(job=job, state=StepState.WAITING)
    if key:
        steps = steps.filter(key=key)
    woken = steps.update(state=StepState.PENDING, wake_at=None, next_attempt_at=None)
    if woken:
        dispatch(job.pk, delay)
    return bool(woken)


def retry(job: OnboardingJob) -> Step:
    """Run the failed step again, alone; the steps before it stay done."""
    job.refresh_from_db()
    step = job.steps.filter(state=StepState.FAILED).first()
    if job.state != JobState.FAILED or step is None:
        raise NotAllowedNow("Only a failed onboarding can be retried.")
    with transaction.atomic():
        _update_step(step, state=StepState.PENDING, attempts=0, message="Retry requested.", finished_at=None,
                     next_attempt_at=None, deadline_at=None)
        _set_job_state(job, JobState.RUNNING, current_step=step.key)
    dispatch(job.pk)
    return step


def cancel(job: OnboardingJob) -> None:
    job.refresh_from_db()
    if job.is_finished:
        raise NotAllowedNow(f"This onboarding is already {job.get_state_display().lower()}.")
    now = timezone.now()
    OnboardingJob.objects.filter(pk=job.pk).update(
        state=JobState.CANCELLED, finished_at=now, state_changed_at=now
    )
    job.steps.filter(state__in=[StepState.PENDING, StepState.WAITING]).update(
        state=StepState.SKIPPED, message="Cancelled.", wake_at=None, next_attempt_at=None
    )
    job.refresh_from_db()
    events.emit(job, events.CANCELLED)


# --- the sweeper ---------------------------------------------------------------------------------
def sweep() -> dict[str, int]:
    """Recover what a dead worker or a lost broker message left behind, and fire due timers."""
    now = timezone.now()
    counts = {
        "recovered": _recover_expired_leases(now),
        "timed_out": _time_out_waits(now),
        "woken": _wake_due_timers(now),
    }
    counts["redispatched"] = _redispatch_stalled(now)
    return counts


def _active_steps():
    return Step.objects.exclude(job__state__in=[JobState.COMPLETED, JobState.CANCELLED, JobState.FAILED])


def _recover_expired_leases(now) -> int:
    recovered = 0
    for step in _active_steps().filter(state=StepState.RUNNING, lease_expires_at__lt=now):
        message = "The worker running this step stopped; resuming it."
        if Step.objects.filter(pk=step.pk, state=StepState.RUNNING, lease_expires_at__lt=now).update(
            state=StepState.PENDING, lease_expires_at=None, message=message
        ):
            recovered += 1
            dispatch(step.job_id)
    return recovered


def _time_out_waits(now) -> int:
    timed_out = 0
    for step in _active_steps().filter(state=StepState.WAITING, deadline_at__lt=now).select_related("job"):
        spec = spec_for(step.key)
        _fail(step.job, step, spec.timeout_message if spec else "Timed out.", held=False)
        timed_out += 1
    return timed_out


def _wake_due_timers(now) -> int:
    woken = 0
    for step in _active_steps().filter(state=StepState.WAITING, wake_at__lte=now).select_related("job"):
        woken += resume(step.job, step.key)
    return woken


def _redispatch_stalled(now) -> int:
    """Jobs that should be running but that no worker holds (a lost broker message): send them again.

    Any unfinished job counts, not only `queued`/`running` ones: a step woken by the consent callback, the
    approval or a timer is pending while its job still shows waiting_customer, waiting_review or countdown
    until a worker claims it, and a lost message there would otherwise strand the job for good."""
    stale = now - timedelta(seconds=settings.REDISPATCH_AFTER_SECONDS)
    busy = Step.objects.filter(job=OuterRef("pk")).filter(
        Q(state__in=[StepState.RUNNING, StepState.WAITING]) | Q(state=StepState.PENDING, next_attempt_at__gt=now)
    )
    job_ids = list(
        OnboardingJob.objects.exclude(state__in=[JobState.COMPLETED, JobState.CANCELLED, JobState.FAILED])
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale))
        .exclude(Exists(busy))
        .values_list("pk", flat=True)
    )
    for job_id in job_ids:
        dispatch(job_id)
    return len(job_ids)
