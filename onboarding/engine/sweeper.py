"""The sweeper (beat, every minute): recover what a dead worker or a lost broker message left
behind,
time out waits, and fire due timers. Every part is a conditional UPDATE, safe to run on two
hosts."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from onboarding.engine.dispatch import dispatch
from onboarding.engine.jobs import resume
from onboarding.engine.runner import fail_step
from onboarding.engine.undo import resend_stalled_restores
from onboarding.models import HALTED_JOB_STATES, OnboardingJob, Step, StepState
from onboarding.pipeline import spec_for


def sweep() -> dict[str, int]:
    """Recover what a dead worker or a lost broker message left behind, and fire due timers."""
    now = timezone.now()
    counts = {
        "recovered": _recover_expired_leases(now),
        "timed_out": _time_out_waits(now),
        "woken": _wake_due_timers(now),
    }
    counts["redispatched"] = _redispatch_stalled(now)
    counts["restores_resent"] = resend_stalled_restores(now)
    return counts


def _active_steps():
    return Step.objects.exclude(job__state__in=HALTED_JOB_STATES)


def _recover_expired_leases(now) -> int:
    recovered = 0
    for step in _active_steps().filter(state=StepState.RUNNING, lease_expires_at__lt=now):
        message = "The worker running this step stopped; resuming it."
        if Step.objects.filter(
            pk=step.pk, state=StepState.RUNNING, lease_expires_at__lt=now
        ).update(state=StepState.PENDING, lease_expires_at=None, message=message):
            recovered += 1
            dispatch(step.job_id)
    return recovered


def _time_out_waits(now) -> int:
    timed_out = 0
    for step in (
        _active_steps().filter(state=StepState.WAITING, deadline_at__lt=now).select_related("job")
    ):
        spec = spec_for(step.key)
        fail_step(step.job, step, spec.timeout_message if spec else "Timed out.", held=False)
        timed_out += 1
    return timed_out


def _wake_due_timers(now) -> int:
    woken = 0
    for step in (
        _active_steps().filter(state=StepState.WAITING, wake_at__lte=now).select_related("job")
    ):
        woken += resume(step.job, step.key)
    return woken


def _redispatch_stalled(now) -> int:
    """Jobs that should be running but that no worker holds (a lost broker message): send them
    again.

    Any unfinished job counts, not only `queued`/`running` ones: a step woken by the consent
    callback, the
    approval or a timer is pending while its job still shows waiting_customer, waiting_review or
    countdown
    until a worker claims it, and a lost message there would otherwise strand the job for good."""
    stale = now - timedelta(seconds=settings.REDISPATCH_AFTER_SECONDS)
    busy = Step.objects.filter(job=OuterRef("pk")).filter(
        Q(state__in=[StepState.RUNNING, StepState.WAITING])
        | Q(state=StepState.PENDING, next_attempt_at__gt=now)
    )
    job_ids = list(
        OnboardingJob.objects.exclude(state__in=HALTED_JOB_STATES)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale))
        .exclude(Exists(busy))
        .values_list("pk", flat=True)
    )
    for job_id in job_ids:
        dispatch(job_id)
    return len(job_ids)
