"""Enqueue a job's next run on the broker, after the current transaction commits (NetBox Job.enqueue).

The task is sent by name so the engine does not import the task module (tasks → workflow, not back).
"""

import logging

from celery import current_app
from django.conf import settings
from django.db.transaction import on_commit
from django.utils import timezone

from onboarding.models import OnboardingJob

log = logging.getLogger(__name__)
RUN_JOB_TASK = "onboarding.run_job"


def dispatch(job_id: int, delay: float = 0) -> None:
    def send() -> None:
        OnboardingJob.objects.filter(pk=job_id).update(dispatched_at=timezone.now())
        try:
            current_app.send_task(RUN_JOB_TASK, args=[job_id], countdown=max(0.0, delay) or None,
                                  queue=settings.CELERY_TASK_DEFAULT_QUEUE)
        except Exception:  # noqa: BLE001  the sweeper re-dispatches; a broker hiccup must not fail a page
            log.exception("Could not enqueue job %s; the sweeper will pick it up", job_id)

    on_commit(send)
