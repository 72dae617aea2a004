"""What the job page and the API show of a job: its steps with titles, in one query."""

from django.utils import timezone

from onboarding.workflow import step_titles


def steps_with_titles(job):
    titles = step_titles()
    steps = list(job.steps.all())
    for step in steps:
        step.title = titles.get(step.key, step.key)
    return steps


def routing_progress(job) -> dict | None:
    """Seconds left and percent done of the routing countdown; the server clock is the truth."""
    if not job.routing_ready_at:
        return None
    from django.conf import settings

    total = max(1, settings.ROUTING_WAIT_SECONDS)
    left = max(0, int((job.routing_ready_at - timezone.now()).total_seconds()))
    return {"ready_at": job.routing_ready_at, "seconds_left": left, "percent": int(100 * (total - left) / total)}


def job_view(job) -> dict:
    return {
        "job": job,
        "tenant": job.tenant,
        "steps": steps_with_titles(job),
        "routing": routing_progress(job),
        "finished": job.state in ("completed", "cancelled", "failed"),
    }
