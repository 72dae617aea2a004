"""Short pipelines for engine tests and the real-worker test (set through ONBOARDING_PIPELINE)."""

from datetime import timedelta

from django.utils import timezone

from integrations.errors import PermanentError, TransientError
from onboarding.pipeline import StepSpec
from onboarding.steps.base import Done, Wait

CALLS: list[str] = []


def first(ctx):
    CALLS.append("first")
    ctx.log("first step ran")
    return Done("First done.")


def flaky_once(ctx):
    """Fails with a transient error on its first attempt, then succeeds."""
    CALLS.append("flaky")
    if not ctx.data.get("failed_once"):
        ctx.save_data(failed_once=True)
        raise TransientError("Graph answered 503", status=503, retry_after=0.2)
    return Done("Recovered after a temporary error.")


def broken(ctx):
    CALLS.append("broken")
    raise PermanentError("The customer's tenant refused: Authorization_RequestDenied.")


def short_timer(ctx):
    """Waits about a second (a countdown), then finishes when woken."""
    until = ctx.data.get("until")
    if until is None:
        until = (timezone.now() + timedelta(seconds=1)).isoformat()
        ctx.save_data(until=until)
    if timezone.now().isoformat() >= until:
        return Done("Timer ended.")
    return Wait(
        "Counting down.", job_state="countdown", wake_at=timezone.datetime.fromisoformat(until)
    )


def waits_for_approval(ctx):
    if ctx.job.tenant.notes == "approved":
        return Done("Approved.")
    return Wait(
        "Waiting for review.",
        job_state="waiting_review",
        deadline_at=timezone.now() + timedelta(hours=1),
    )


QUICK = [
    StepSpec("first", "First", first),
    StepSpec("flaky", "Flaky", flaky_once),
    StepSpec("timer", "Timer", short_timer),
]
FAILING = [StepSpec("first", "First", first), StepSpec("broken", "Broken", broken)]
REVIEW = [
    StepSpec("first", "First", first),
    StepSpec("review", "Review", waits_for_approval, timeout_message="Nobody approved in time."),
]
