"""What a step function gets: its job, tenant and step, a log, and a place to keep its own state."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from onboarding.models import OnboardingJob, Step
from tenants.models import Tenant

MAX_LOG_LINES = 200


class LeaseLost(Exception):
    """This worker held the step too long: the sweeper gave it to another worker, so stop here."""


@dataclass
class StepContext:
    job: OnboardingJob
    step: Step
    lease_seconds: int
    claimed: bool = False  # run by the engine under a claim (tests and benchmarks call steps directly)

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

    def save_data(self, **values) -> None:
        """Persist bookkeeping at once, so a crash on the next line still finds it."""
        self.step.data = {**self.step.data, **values}
        Step.objects.filter(pk=self.step.pk).update(data=self.step.data)

    def heartbeat(self) -> None:
        """Extend the lease during long work so the sweeper does not hand the step to another worker.

        Raises LeaseLost when that already happened: the other worker's run is the one that counts.
        """
        expires = timezone.now() + timedelta(seconds=self.lease_seconds)
        steps = Step.objects.filter(pk=self.step.pk)
        if self.claimed:
            steps = steps.filter(state="running", attempts=self.step.attempts)
        if not steps.update(lease_expires_at=expires) and self.claimed:
            raise LeaseLost(f"step {self.step.key} of job {self.job.pk}")
