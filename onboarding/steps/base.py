"""The contract between the engine and a step: what a step function gets (StepContext: its job,
tenant
and step, a log, the audit trail, a place to keep its own state) and what it returns (Done, Skipped,
Wait), or raises (integrations.errors' TransientError and PermanentError).

The engine (onboarding/engine/) imports this module; steps import it and never the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from integrations.errors import PermanentError
from onboarding import audit
from onboarding.health import codes
from onboarding.models import (
    OnboardingJob,
    Step,
    StepState,
    TenantFinding,
    brought_in_without_app,
)
from tenants.models import Tenant

MAX_LOG_LINES = 200


class LeaseLost(Exception):
    """This worker held the step too long: the sweeper gave it to another worker, so stop here."""


@dataclass
class StepContext:
    job: OnboardingJob
    step: Step
    lease_seconds: int
    claimed: bool = (
        False  # run by the engine under a claim (tests and benchmarks call steps directly)
    )

    @property
    def tenant(self) -> Tenant:
        return self.job.tenant

    @property
    def data(self) -> dict:
        return self.step.data

    def log(self, text: str, level: str = "info") -> None:
        """Append a line the technician sees under the step. Never pass a secret here."""
        entry = {"at": timezone.now().isoformat(timespec="seconds"), "level": level, "text": text}
        self.step.log = [*self.step.log, entry][-MAX_LOG_LINES:]
        Step.objects.filter(pk=self.step.pk).update(log=self.step.log)

    def record(self, action: str, text: str) -> None:
        """An external change: a line in the step log and a row in the audit trail (actor
        "system")."""
        self.log(text)
        audit.record(action, text, job=self.job)

    def save_data(self, **values) -> None:
        """Persist bookkeeping at once, so a crash on the next line still finds it."""
        self.step.data = {**self.step.data, **values}
        Step.objects.filter(pk=self.step.pk).update(data=self.step.data)

    def heartbeat(self) -> None:
        """Extend the lease during long work so the sweeper does not hand the step to another
        worker.

        Raises LeaseLost when that already happened: the other worker's run is the one that counts.
        """
        expires = timezone.now() + timedelta(seconds=self.lease_seconds)
        steps = Step.objects.filter(pk=self.step.pk)
        if self.claimed:
            steps = steps.filter(state=StepState.RUNNING, attempts=self.step.attempts)
        if not steps.update(lease_expires_at=expires) and self.claimed:
            raise LeaseLost(f"step {self.step.key} of job {self.job.pk}")


@dataclass(frozen=True)
class Done:
    message: str = ""


@dataclass(frozen=True)
class Skipped:
    message: str = ""


@dataclass(frozen=True)
class Wait:
    """Park the step. It resumes on an event (`engine.jobs.resume`) or when `wake_at` passes.

    `job_state` is what the job shows meanwhile (waiting_customer, waiting_review, countdown).
    """

    message: str
    job_state: str
    wake_at: datetime | None = None
    deadline_at: datetime | None = None


Outcome = Done | Skipped | Wait


def tenant_id_of(ctx: StepContext) -> str:
    """The customer's Entra tenant id, found by the first step; a clear error when it is not
    known."""
    ctx.tenant.refresh_from_db(fields=["entra_tenant_id"])
    if not ctx.tenant.entra_tenant_id:
        raise PermanentError(
            message="The customer's Entra tenant is not known yet: run 'Find the customer's "
            "Microsoft "
            "Entra tenant' first.",
            code="no_tenant_id",
        )
    return ctx.tenant.entra_tenant_id


def unheld_app_kept(tenant: Tenant) -> str | None:
    """Why a repair leaves alone a sync app the portal does not hold (a tenant brought in from
    Proofpoint), or None when the repair goes on as usual: the portal holds its own app, or an open
    finding can be fixed only by replacing that app (codes.REPLACES_UNHELD_APP). So a repair asked
    for a missing domain never rebuilds the customer's sync app on the way."""
    if not brought_in_without_app(tenant):
        return None
    found = TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True)
    if found.filter(code__in=codes.REPLACES_UNHELD_APP).exists():
        return None
    return (
        "The sync app Proofpoint uses was not made by the portal, and nothing found needs it "
        "replaced: it is left as it is."
    )
