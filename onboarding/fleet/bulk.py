"""Bulk onboarding (issue 14): many tenants started at once, each its own job and consent email.

The engine bounds how many jobs work against Proofpoint and each Graph tenant at a time
(engine/throttle.py); a batch only groups the jobs, counts their progress, resends every unanswered
consent and cancels the jobs that have not yet changed anything outside the portal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch

from onboarding import audit, engine
from onboarding.consent import answers
from onboarding.models import (
    FINISHED_JOB_STATES,
    BatchItem,
    JobState,
    OnboardingBatch,
    OnboardingJob,
    Step,
    StepState,
)
from onboarding.pipeline import pipeline
from tenants.models import Lifecycle

# Progress groups, in the order the batch page shows them: what needs the technician first.
NEEDS_YOU = "needs_you"
GROUPS = {
    NEEDS_YOU: "Needs you",
    "waiting_customer": "Waiting for the customer",
    "working": "Working",
    "queued": "Queued",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "skipped": "Not started",
}
GROUP_OF_STATE: dict[str, str] = {
    JobState.FAILED: NEEDS_YOU,
    JobState.WAITING_REVIEW: NEEDS_YOU,
    JobState.WAITING_CUSTOMER: "waiting_customer",
    JobState.RUNNING: "working",
    JobState.COUNTDOWN: "working",
    JobState.QUEUED: "queued",
    JobState.COMPLETED: "completed",
    JobState.CANCELLED: "cancelled",
}


# A bulk start never rebuilds what already runs: those are started one by one, on purpose.
LIVE_REASON = "Already live: start it from its own page to onboard it again."
ADOPTED_REASON = (
    "Adopted: its sync runs with an app the portal did not make. Start it from its own page if "
    "you mean to rebuild it."
)


def start_batch(tenants, actor=None, request=None, name: str = "") -> OnboardingBatch:
    """Start an onboarding for each tenant; one with an active job already is noted, not failed."""
    with transaction.atomic():
        batch = OnboardingBatch.objects.create(name=name[:200], created_by=actor)
    items = []
    for tenant in tenants:
        item = BatchItem(batch=batch, tenant=tenant)
        if tenant.lifecycle == Lifecycle.LIVE:
            item.skipped_reason = LIVE_REASON if not tenant.adopted else ADOPTED_REASON
            items.append(item)
            continue
        try:
            item.job = engine.start_job(tenant, actor, request)
        except engine.JobAlreadyActive as error:
            item.skipped_reason = str(error)
        items.append(item)
    BatchItem.objects.bulk_create(items)
    started = sum(1 for i in items if i.job_id)
    audit.record(
        "batch.started",
        f"Started {started} onboarding(s) at once ({batch})",
        request=request,
        user=actor,
    )
    return batch


@dataclass
class Progress:
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[str, BatchItem]] = field(
        default_factory=list
    )  # (group, item), needing you first

    @property
    def done(self) -> int:
        return sum(self.counts.get(k, 0) for k in ("completed", "cancelled", "skipped"))

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    def labelled(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.counts.get(key, 0)) for key, label in GROUPS.items()]


def items_of(batch: OnboardingBatch):
    """The batch's items with tenant, job and steps: a fixed number of queries for any size."""
    return (
        batch.items.select_related("tenant", "job")
        .prefetch_related(Prefetch("job__steps", queryset=Step.objects.order_by("order")))
        .order_by("tenant__name", "pk")
    )


def group_of(item: BatchItem) -> str:
    return GROUP_OF_STATE.get(item.job.state, "working") if item.job else "skipped"


def progress(batch: OnboardingBatch) -> Progress:
    rows = [(group_of(item), item) for item in items_of(batch)]
    order = list(GROUPS)
    rows.sort(key=lambda row: order.index(row[0]))
    return Progress(total=len(rows), counts=dict(Counter(g for g, _ in rows)), rows=rows)


def resend_unanswered(batch: OnboardingBatch, actor=None, request=None) -> int:
    """A new consent link for every job of the batch still waiting for the customer's consent."""
    sent = 0
    for item in items_of(batch).filter(job__state=JobState.WAITING_CUSTOMER):
        try:
            answers.resend_consent(item.job, actor, request)
        except engine.NotAllowedNow:
            continue
        sent += 1
    return sent


def has_started(job: OnboardingJob) -> bool:
    """True once a step that calls Microsoft or Proofpoint has run (changed things outside)."""
    outside = {spec.key for spec in pipeline() if spec.services}
    return any(step.key in outside and step.state != StepState.PENDING for step in job.steps.all())


def cancel_not_started(batch: OnboardingBatch, actor=None, request=None) -> int:
    cancelled = 0
    """Cancel every job of the batch that has not yet called Microsoft or Proofpoint."""
    for item in items_of(batch).exclude(job=None).exclude(job__state__in=FINISHED_JOB_STATES):
        if has_started(item.job):
            continue
        try:
            engine.cancel(item.job, actor, request)
        except engine.NotAllowedNow:
            continue
        cancelled += 1
    return cancelled
