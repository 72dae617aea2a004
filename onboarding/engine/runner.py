"""Running a job: its steps in order, each claimed, run, and its outcome recorded (no HTTP, no
Celery).

Each step function is idempotent: it may run again after a crash at any line. A step is claimed with
a conditional UPDATE so that two workers never run it at once; transient errors are retried with
backoff and jitter, permanent ones fail the step with its own message, and waiting steps are parked
until an event or a timer (engine/jobs.py resumes them, engine/sweeper.py recovers dead workers).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.errors import PermanentError, TransientError
from onboarding.engine import budgets, events, lifecycle, throttle, undo
from onboarding.engine.dispatch import dispatch
from onboarding.models import HALTED_JOB_STATES, JobState, OnboardingJob, Step, StepState
from onboarding.pipeline import all_specs, spec_for
from onboarding.steps.base import LeaseLost, Outcome, Skipped, StepContext, Wait

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 300


# --- running -------------------------------------------------------------------------------------
def run_job(job_id: int) -> None:
    """Run the job's steps in order until one waits, fails, is held by another worker, or all are
    done."""
    for _ in range(len(all_specs()) + 1):
        job = OnboardingJob.objects.select_related("tenant").filter(pk=job_id).first()
        if job is None or job.state in HALTED_JOB_STATES:
            return
        step = job.steps.exclude(state__in=[StepState.SUCCEEDED, StepState.SKIPPED]).first()
        if step is None:
            _complete(job)
            return
        if step.state != StepState.PENDING or not throttle.claim_within_bounds(job, step, _claim):
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
    return (
        spec.lease_seconds if spec and spec.lease_seconds else None
    ) or settings.STEP_LEASE_SECONDS


def _execute(job: OnboardingJob, step: Step) -> bool:
    """Run one claimed step. True when the job may go straight on to the next step."""
    step.refresh_from_db()
    spec = spec_for(step.key)
    set_job_state(job, JobState.RUNNING, current_step=step.key)
    if spec is None:
        return fail_step(job, step, f"This portal version has no step called {step.key!r}.")
    # A last-resort guard against a step that kills its worker every time: claims since the last
    # recorded outcome (transient retries are bounded by time, engine/budgets.py, not by this).
    interrupted = step.attempts - 1 - int(_trouble(step).get("attempt", 0))
    if interrupted >= settings.STEP_MAX_ATTEMPTS:
        message = f"Stopped after {interrupted} interrupted attempts. {step.message}"
        return fail_step(job, step, message)
    try:
        outcome = spec.run(
            StepContext(job=job, step=step, lease_seconds=_lease_seconds(step.key), claimed=True)
        )
    except LeaseLost:
        log.warning(
            "Step %s of job %s outlived its lease; another worker owns it now", step.key, job.pk
        )
        return False
    except TransientError as error:
        return _retry_later(job, step, error)
    except PermanentError as error:
        return fail_step(job, step, str(error))
    except Exception as error:  # noqa: BLE001  a bug must fail the step visibly, not kill the worker loop
        log.exception("Step %s of job %s crashed", step.key, job.pk)
        return fail_step(
            job,
            step,
            f"Unexpected error ({type(error).__name__}): {error}. Retry, or tell an admin.",
        )
    return _record(job, step, outcome)


def _record(job: OnboardingJob, step: Step, outcome: Outcome) -> bool:
    now = timezone.now()
    cleared = _without_trouble(step)
    if isinstance(outcome, Wait):
        if not _settle(
            step,
            state=StepState.WAITING,
            message=outcome.message,
            wake_at=outcome.wake_at,
            deadline_at=outcome.deadline_at or step.deadline_at,
            lease_expires_at=None,
            attempts=0,
            **cleared,
        ):
            return False
        if set_job_state(job, outcome.job_state, current_step=step.key):
            events.emit(job, events.WAITING, step)
        return False
    state = StepState.SKIPPED if isinstance(outcome, Skipped) else StepState.SUCCEEDED
    if not _settle(
        step,
        state=state,
        message=outcome.message,
        finished_at=now,
        lease_expires_at=None,
        wake_at=None,
        deadline_at=None,
        **cleared,
    ):
        return False
    events.emit(job, events.STEP_SUCCEEDED, step)
    job.refresh_from_db(fields=["state"])
    return job.state == JobState.RUNNING


def _retry_later(job: OnboardingJob, step: Step, error: TransientError) -> bool:
    """Try again later, within the time budget of this kind of trouble (engine/budgets.py)."""
    now = timezone.now()
    kind = budgets.kind_of(error)
    trouble = _trouble(step)
    if trouble.get("kind") != kind or not trouble.get("since"):
        trouble = {"kind": kind, "since": now.isoformat(), "tries": 0}
    since = datetime.fromisoformat(trouble["since"])
    elapsed = (now - since).total_seconds()
    budget = budgets.budget_seconds(kind, step.key)
    tries = int(trouble.get("tries", 0)) + 1
    if elapsed >= budget:
        message = budgets.gave_up_message(kind, step.key, error, since, elapsed, tries)
        return fail_step(job, step, message)
    delay = max(0.0, min(budgets.backoff_seconds(tries, error.retry_after, kind), budget - elapsed))
    when = now + timedelta(seconds=delay)
    trouble.update(tries=tries, attempt=step.attempts)
    message = budgets.waiting_message(kind, error, since, when, budget, tries)
    if _settle(
        step,
        state=StepState.PENDING,
        message=message,
        next_attempt_at=when,
        lease_expires_at=None,
        data={**step.data, "trouble": trouble},
    ):
        dispatch(job.pk, delay)
    return False


def _trouble(step: Step) -> dict:
    trouble = (step.data or {}).get("trouble")
    return trouble if isinstance(trouble, dict) else {}


def _without_trouble(step: Step) -> dict:
    """{"data": ...} without the trouble record when there is one (the step is past it), else {}."""
    if "trouble" not in (step.data or {}):
        return {}
    return {"data": {key: value for key, value in step.data.items() if key != "trouble"}}


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Honour the service's Retry-After; otherwise capped exponential backoff with jitter."""
    return min(budgets.backoff_seconds(attempt, retry_after, budgets.OUTAGE), MAX_BACKOFF_SECONDS)


def fail_step(job: OnboardingJob, step: Step, message: str, held: bool = True) -> bool:
    """Fail the step. `held`: this worker claimed it, so write only while the claim is still
    ours."""
    fields = {
        "state": StepState.FAILED,
        "message": message,
        "finished_at": timezone.now(),
        "lease_expires_at": None,
        "next_attempt_at": None,
        **_without_trouble(step),
    }
    if held and not _settle(step, **fields):
        return False
    if not held:
        update_step(step, **fields)
    if set_job_state(job, JobState.FAILED, current_step=step.key):
        undo.request_restore(job)  # a failed job leaves Proofpoint as it found it, until retried
        events.emit(job, events.STEP_FAILED, step)
    return False


def _complete(job: OnboardingJob) -> None:
    now = timezone.now()
    done = OnboardingJob.objects.filter(
        pk=job.pk, state__in=[JobState.RUNNING, JobState.QUEUED, JobState.COUNTDOWN]
    ).update(state=JobState.COMPLETED, current_step="", finished_at=now, state_changed_at=now)
    if done:
        job.refresh_from_db()
        lifecycle.job_completed(job)
        events.emit(job, events.COMPLETED)


def _settle(step: Step, **fields) -> bool:
    """Record a claimed step's outcome, fenced by the claim: when the lease ran out and the sweeper
    gave
    the step to another worker (attempts moved on), this late outcome is dropped, not written over
    it."""
    held = Step.objects.filter(pk=step.pk, state=StepState.RUNNING, attempts=step.attempts).update(
        **fields
    )
    if not held:
        log.warning(
            "Dropped the outcome of step %s (attempt %s): its lease had passed",
            step.key,
            step.attempts,
        )
        return False
    for name, value in fields.items():
        setattr(step, name, value)
    return True


def update_step(step: Step, **fields) -> None:
    for name, value in fields.items():
        setattr(step, name, value)
    Step.objects.filter(pk=step.pk).update(**fields)


def set_job_state(job: OnboardingJob, state: str, current_step: str | None = None) -> bool:
    """Move the job unless it was cancelled meanwhile. True when the state changed."""
    fields: dict[str, object] = {"state": state}
    if current_step is not None:
        fields["current_step"] = current_step
    changed = job.state != state
    if changed:
        fields["state_changed_at"] = timezone.now()
    updated = (
        OnboardingJob.objects.filter(pk=job.pk).exclude(state=JobState.CANCELLED).update(**fields)
    )
    if updated:
        for name, value in fields.items():
            setattr(job, name, value)
    return bool(updated) and changed
