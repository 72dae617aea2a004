"""My jobs: what a technician started, with what waits on them first (review, failed, declined)."""

from django.shortcuts import render

from onboarding.models import ConsentState, JobState, OnboardingJob
from onboarding.pipeline import step_titles
from tenants.access import staff_required

FINISHED_SHOWN = 20


def needs_me(user):
    """The user's jobs that wait on a person: a report to review, a failed step, a consent the
    customer declined (or that failed)."""
    jobs = OnboardingJob.objects.filter(started_by=user).select_related("tenant")
    declined = jobs.filter(
        state=JobState.WAITING_CUSTOMER,
        consent_links__state__in=[ConsentState.DECLINED, ConsentState.FAILED],
    )
    waiting = jobs.filter(state__in=[JobState.WAITING_REVIEW, JobState.FAILED])
    return (waiting | declined).distinct().order_by("state_changed_at")


def _why(job) -> str:
    if job.state == JobState.WAITING_REVIEW:
        return "The sync report waits for your review."
    if job.state == JobState.FAILED:
        return "A step failed: retry it, edit the tenant or cancel."
    return "The customer declined consent (or it failed): talk to them, then resend the link."


@staff_required
def my_jobs(request):
    titles = step_titles()
    mine = OnboardingJob.objects.filter(started_by=request.user).select_related("tenant")
    attention = list(needs_me(request.user))
    waiting_ids = {job.pk for job in attention}
    running = [
        job
        for job in mine.exclude(state__in=[JobState.COMPLETED, JobState.CANCELLED]).order_by(
            "-created_at"
        )
        if job.pk not in waiting_ids
    ]
    finished = list(
        mine.filter(state__in=[JobState.COMPLETED, JobState.CANCELLED]).order_by("-finished_at")[
            :FINISHED_SHOWN
        ]
    )
    for job in [*attention, *running, *finished]:
        job.step_title = titles.get(job.current_step, "") if job.current_step else ""
    for job in attention:
        job.why = _why(job)
    return render(
        request,
        "onboarding/my_jobs.html",
        {"attention": attention, "running": running, "finished": finished},
    )
