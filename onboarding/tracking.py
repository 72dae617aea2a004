"""What managers track across every client: the latest job per tenant, what needs attention, how
long
onboardings take. Shared by the dashboard page, its CSV export and the daily digest email.

Every function here runs a fixed number of queries however many tenants there are.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from onboarding.models import (
    ACTIVE_JOB_STATES,
    ConsentLink,
    ConsentState,
    JobKind,
    JobState,
    OnboardingJob,
    RestoreState,
    SettingsSnapshot,
    Step,
)
from tenants.models import EntraApplication, HealthState, Lifecycle, Tenant

CONSENT_UNANSWERED_AFTER = timedelta(days=2)
REVIEW_WAITING_AFTER = timedelta(days=1)
ATTENTION_LIMIT = 50


def latest_job_of(tenant_ref=None):
    """The jobs of the outer query's tenant, newest first: `[:1]` of it is the latest job. The order
    matches the job_latest_per_tenant index (created_at, then id), so each probe is one index
    read."""
    tenant_ref = OuterRef("pk") if tenant_ref is None else tenant_ref
    return OnboardingJob.objects.filter(tenant=tenant_ref).order_by("-created_at", "-pk")


def tenants_with_latest_job(tenants=None):
    """Tenants annotated with their latest job's id, state, step, starter and times (subqueries, no
    N+1)."""
    tenants = Tenant.objects.all() if tenants is None else tenants
    latest = latest_job_of()
    current = Step.objects.filter(job=OuterRef("job_id"), key=OuterRef("job_step")).values(
        "started_at"
    )[:1]

    def field(name):
        return Subquery(latest.values(name)[:1])

    return tenants.annotate(
        job_id=field("pk"),
        job_state=field("state"),
        job_step=field("current_step"),
        job_started_by=field("started_by__username"),
        job_started_by_id=field("started_by_id"),
        job_created_at=field("created_at"),
        job_state_changed_at=field("state_changed_at"),
        job_finished_at=field("finished_at"),
        job_routing_ready_at=field("routing_ready_at"),
    ).annotate(step_since=Coalesce(Subquery(current), F("job_state_changed_at")))


def filter_overview(
    tenants, *, state="", technician=None, failed=False, stuck_hours=None, lifecycle="", health=""
):
    if lifecycle:
        tenants = tenants.filter(lifecycle=lifecycle)
    if health:
        tenants = tenants.filter(health_state=health)
    if state == "none":
        tenants = tenants.filter(job_id__isnull=True)
    elif state:
        tenants = tenants.filter(job_state=state)
    if technician:
        tenants = tenants.filter(job_started_by_id=technician)
    if failed:
        tenants = tenants.filter(job_state=JobState.FAILED)
    if stuck_hours is not None:
        since = timezone.now() - timedelta(hours=stuck_hours)
        active = ACTIVE_JOB_STATES
        tenants = tenants.filter(job_state__in=active, step_since__lt=since)
    return tenants


def state_counts(tenants) -> dict[str, int]:
    """How many tenants' latest job is in each state ("none": never onboarded), in one query."""
    counts = {state: 0 for state in ["none", *JobState.values]}
    grouped = (
        tenants_with_latest_job(tenants).values("job_state").annotate(n=Count("pk")).order_by()
    )
    for row in grouped:
        key = row["job_state"] or "none"
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def tenant_counts(tenants) -> dict[str, dict[str, int]]:
    """In one query: how many tenants are in each lifecycle, how healthy the live ones are, and how
    many
    have a job under way per state (finished jobs are history and are not counted).

    The tenant's own state, not its latest job's: a live tenant with a cancelled re-run counts as
    live."""
    lifecycles = {value: 0 for value in Lifecycle.values}
    health = {value: 0 for value in HealthState.values}
    jobs = {state: 0 for state in ACTIVE_JOB_STATES}
    grouped = (
        tenants_with_latest_job(tenants)
        .values("lifecycle", "health_state", "job_state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in grouped:
        lifecycles[row["lifecycle"]] = lifecycles.get(row["lifecycle"], 0) + row["n"]
        if row["lifecycle"] == Lifecycle.LIVE:
            health[row["health_state"]] = health.get(row["health_state"], 0) + row["n"]
        if row["job_state"] in jobs:
            jobs[row["job_state"]] += row["n"]
    return {"lifecycle": lifecycles, "health": health, "jobs": jobs}


@dataclass
class Attention:
    failed: list
    consent_unanswered: list
    review_waiting: list
    secrets_expiring: list
    rotation_failed: list
    # Jobs whose Proofpoint settings could not be put back after a cancel or a failure.
    restore_failed: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            len(self.failed)
            + len(self.consent_unanswered)
            + len(self.review_waiting)
            + len(self.secrets_expiring)
            + len(self.rotation_failed)
            + len(self.restore_failed)
        )


def needs_attention(now=None) -> Attention:
    now = now or timezone.now()
    jobs = OnboardingJob.objects.select_related("tenant", "started_by")
    links = (
        ConsentLink.objects.select_related("job__tenant", "job__started_by")
        .filter(
            job__state=JobState.WAITING_CUSTOMER,
            answered_at__isnull=True,
            state__in=[ConsentState.SENT, ConsentState.OPENED],
            sent_at__lt=now - CONSENT_UNANSWERED_AFTER,
        )
        .order_by("sent_at")
    )
    return Attention(
        failed=list(
            jobs.filter(state=JobState.FAILED).order_by("state_changed_at")[:ATTENTION_LIMIT]
        ),
        consent_unanswered=list(links[:ATTENTION_LIMIT]),
        review_waiting=list(
            jobs.filter(
                state=JobState.WAITING_REVIEW, state_changed_at__lt=now - REVIEW_WAITING_AFTER
            ).order_by("state_changed_at")[:ATTENTION_LIMIT]
        ),
        **_secret_attention(now),
        restore_failed=list(
            SettingsSnapshot.objects.select_related("job__tenant")
            .filter(restore_state=RestoreState.FAILED)
            .order_by("-restore_requested_at", "-pk")[:ATTENTION_LIMIT]
        ),
    )


def _secret_attention(now) -> dict:
    """Sync app secrets expiring within SECRET_ROTATE_DAYS that no rotation renewed, and failed
    rotations."""
    apps = EntraApplication.objects.select_related("tenant").defer("secret", "pending_secret")
    expiring = apps.exclude(secret_key_id="").filter(
        secret_expires_at__lt=now + timedelta(days=settings.SECRET_ROTATE_DAYS),
        rotation_failed_at__isnull=True,
    )
    return {
        "secrets_expiring": list(expiring.order_by("secret_expires_at", "pk")[:ATTENTION_LIMIT]),
        "rotation_failed": list(
            apps.filter(rotation_failed_at__isnull=False).order_by("rotation_failed_at", "pk")[
                :ATTENTION_LIMIT
            ]
        ),
    }


def completion_times(windows=(30, 90), now=None) -> dict[int, dict]:
    """Average and nearest-rank p90 seconds from start to completed of each tenant's FIRST completed
    onboarding, per window of days (re-runs and repairs, completed or not, change nothing here).

    Computed in the database (two small queries a window) so the cost does not grow with the
    number of jobs pulled into Python.
    """
    now = now or timezone.now()
    return {days: _window_times(now - timedelta(days=days)) for days in windows}


def first_completed_onboardings():
    """Each tenant's first completed onboarding job (one row per tenant that was ever onboarded)."""
    completed = OnboardingJob.objects.filter(kind=JobKind.ONBOARDING, state=JobState.COMPLETED)
    earlier = completed.filter(tenant=OuterRef("tenant")).filter(
        Q(finished_at__lt=OuterRef("finished_at"))
        | Q(finished_at=OuterRef("finished_at"), pk__lt=OuterRef("pk"))
    )
    return completed.exclude(Exists(earlier))


def _window_times(since) -> dict:
    took = ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())
    jobs = first_completed_onboardings().filter(finished_at__gte=since).annotate(took=took)
    totals = jobs.aggregate(count=Count("pk"), average=Avg("took"))
    count = totals["count"]
    if not count:
        return {"count": 0, "average": None, "p90": None}
    rank = max(1, math.ceil(round(0.9 * count, 6)))  # round: 0.9 * 10 is 9.000000000000002
    p90 = jobs.order_by("took").values_list("took", flat=True)[rank - 1]
    return {
        "count": count,
        "average": totals["average"].total_seconds(),
        "p90": p90.total_seconds(),
    }
