"""What managers track across every client: the latest job per tenant and how long onboardings
take (what needs attention is in attention.py). Shared by the dashboard page, its CSV export and the
daily digest email.

Every function here runs a fixed number of queries however many tenants there are.
"""

import math
from datetime import timedelta

from django.db.models import (
    Avg,
    Count,
    F,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from onboarding.models import (
    ACTIVE_JOB_STATES,
    JobState,
    OnboardingJob,
    Step,
)
from tenants.models import HealthState, Lifecycle, Tenant


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
    """How many tenants are in each lifecycle, how healthy the live ones are, and how many have a
    job under way per state (finished jobs are history and are not counted).

    The tenant's own state, not its latest job's: a live tenant with a cancelled re-run counts as
    live. Two grouped queries: a tenant has at most one job under way (one_active_job_per_tenant),
    so the jobs are counted from that index, not by finding every tenant's latest job."""
    lifecycles = {value: 0 for value in Lifecycle.values}
    health = {value: 0 for value in HealthState.values}
    jobs = {state: 0 for state in ACTIVE_JOB_STATES}
    grouped = tenants.values("lifecycle", "health_state").annotate(n=Count("pk")).order_by()
    for row in grouped:
        lifecycles[row["lifecycle"]] = lifecycles.get(row["lifecycle"], 0) + row["n"]
        if row["lifecycle"] == Lifecycle.LIVE:
            health[row["health_state"]] = health.get(row["health_state"], 0) + row["n"]
    under_way = (
        OnboardingJob.objects.filter(tenant__in=tenants, state__in=ACTIVE_JOB_STATES)
        .values("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in under_way:
        jobs[row["state"]] += row["n"]
    return {"lifecycle": lifecycles, "health": health, "jobs": jobs}


def completion_times(windows=(30, 90), now=None) -> dict[int, dict]:
    """Average and nearest-rank p90 seconds from start to completed of each tenant's FIRST completed
    onboarding, per window of days (re-runs and repairs, completed or not, change nothing here).

    Read from the tenants (engine/lifecycle.py keeps `live_since` and `onboarded_in` when a tenant
    goes live), two small queries a window, so the cost follows the number of tenants, not of jobs.
    """
    now = now or timezone.now()
    return {days: _window_times(now - timedelta(days=days)) for days in windows}


def onboarded_tenants():
    """Tenants the portal onboarded, each with how long its first completed onboarding took."""
    return Tenant.objects.filter(onboarded_in__isnull=False, live_since__isnull=False)


def _window_times(since) -> dict:
    tenants = onboarded_tenants().filter(live_since__gte=since)
    totals = tenants.aggregate(count=Count("pk"), average=Avg("onboarded_in"))
    count = totals["count"]
    if not count:
        return {"count": 0, "average": None, "p90": None}
    rank = max(1, math.ceil(round(0.9 * count, 6)))  # round: 0.9 * 10 is 9.000000000000002
    p90 = tenants.order_by("onboarded_in").values_list("onboarded_in", flat=True)[rank - 1]
    return {
        "count": count,
        "average": totals["average"].total_seconds(),
        "p90": p90.total_seconds(),
    }
