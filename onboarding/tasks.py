"""Thin Celery tasks: arguments are ids, load, call the workflow, nothing else (style.md, "Celery")."""

from celery import shared_task

from onboarding import workflow


@shared_task(name="onboarding.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int) -> None:
    # Every step is idempotent and claimed with a conditional UPDATE, so a redelivered message is harmless.
    workflow.run_job(job_id)


@shared_task(name="onboarding.sweep", ignore_result=True)
def sweep() -> dict:
    return workflow.sweep()
