"""Repair's last step: check the tenant again (reads only) and say what is left. A fixable finding
that is still there after the fixes is retried for a while (Entra and Proofpoint may lag behind
their own writes), then fails the step with what is left. The job's end records a full check too."""

from __future__ import annotations

from integrations.errors import PermanentError, TransientError
from onboarding.health import codes
from onboarding.health.checks import run_checks
from onboarding.steps.base import Done, Outcome, StepContext

RECHECK_ATTEMPTS = 4
RECHECK_PAUSE_SECONDS = 10


def recheck(ctx: StepContext) -> Outcome:
    result = run_checks(ctx.tenant)
    left = [f for f in result.findings if f.fixable]
    if left:
        words = " ".join(f.message for f in left)
        if ctx.step.attempts < RECHECK_ATTEMPTS:
            raise TransientError(
                message=f"Not everything is fixed yet: {words}", retry_after=RECHECK_PAUSE_SECONDS
            )
        raise PermanentError(
            message=f"Repair could not fix everything: {words} Retry, or fix it by hand.",
            code="repair_incomplete",
        )
    rest = [codes.CODES[f.code].title for f in result.findings]
    if rest:
        return Done(
            f"Everything repair can fix is fixed. Still open (repair cannot fix these): "
            f"{'; '.join(rest)}."
        )
    return Done("Checked again: the tenant is healthy.")
