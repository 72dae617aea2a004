"""Send work to the broker after the current transaction commits (NetBox Job.enqueue).

Tasks are sent by name, so nothing here imports the task module (tasks → engine, never back). A send
that fails is logged, not raised: the sweeper re-sends a job whose message was lost, and a page must
not fail for a broker hiccup.
"""

import logging

from celery import current_app
from django.conf import settings
from django.db.transaction import on_commit
from django.utils import timezone

from onboarding.models import OnboardingJob

log = logging.getLogger(__name__)
RUN_JOB_TASK = "onboarding.run_job"


def enqueue(task: str, args: list, delay: float = 0) -> None:
    """Send `task` with `args` once the transaction commits, on this portal's queue."""

    def send() -> None:
        try:
            current_app.send_task(
                task,
                args=args,
                countdown=max(0.0, delay) or None,
                queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            )
        except Exception:  # noqa: BLE001  see the module docstring
            log.exception("Could not enqueue %s%s; it will be sent again later", task, args)

    on_commit(send)


def dispatch(job_id: int, delay: float = 0) -> None:
    """Run the job (again) on a worker."""
    on_commit(lambda: OnboardingJob.objects.filter(pk=job_id).update(dispatched_at=timezone.now()))
    enqueue(RUN_JOB_TASK, [job_id], delay)
