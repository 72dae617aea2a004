"""Report rows and jobs for the Proofpoint tests."""

from onboarding.models import JobState, OnboardingJob, Step
from onboarding.models import SyncReportRow as Row
from onboarding.pipeline import pipeline


def job_waiting_review(tenant, user=None) -> OnboardingJob:
    """A job parked at the review step, as build_report leaves it."""
    job = OnboardingJob.objects.create(
        tenant=tenant, started_by=user, state=JobState.WAITING_REVIEW, current_step="review"
    )
    keys = [spec.key for spec in pipeline()]
    review_at = keys.index("review")
    Step.objects.bulk_create(
        Step(
            job=job,
            key=key,
            order=index,
            state="succeeded"
            if index < review_at
            else ("waiting" if index == review_at else "pending"),
        )
        for index, key in enumerate(keys)
    )
    return job


def add_rows(job, count=10, **fields) -> list[Row]:
    start = Row.objects.filter(job=job).count()
    defaults = {"section": "adding", "kind": "user", "licensed": True, "enabled": True}
    rows = [
        Row(
            job=job,
            email=f"user{start + n:05d}@{job.tenant.primary_domain}",
            display_name=f"User {start + n:05d}",
            **{**defaults, **fields},
        )
        for n in range(count)
    ]
    return Row.objects.bulk_create(rows)
