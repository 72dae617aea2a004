"""What a step function returns to the engine: done, skipped, or waiting for an event or a time."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Done:
    message: str = ""


@dataclass(frozen=True)
class Skipped:
    message: str = ""


@dataclass(frozen=True)
class Wait:
    """Park the step. It resumes on an event (`workflow.resume`) or when `wake_at` passes.

    `job_state` is what the job shows meanwhile (waiting_customer, waiting_review, countdown).
    """

    message: str
    job_state: str
    wake_at: datetime | None = None
    deadline_at: datetime | None = None


Outcome = Done | Skipped | Wait
