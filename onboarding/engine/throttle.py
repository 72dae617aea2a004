"""Jobs in flight per external service (issue 14): 200 bulk starts must not trip throttling.

A step names the services it calls (StepSpec.services). Before the runner claims such a step it
counts what already works against the same scope: the Proofpoint partner (every Proofpoint call:
one channel-admin account serves every org) and the customer's Graph tenant. What counts: steps
RUNNING under a live lease, and health checks running (the check every job's end sends reads both
services: HealthCheck.running_until is its slot, taken by `claim_check`).
At the bound, the step is not claimed: the job is dispatched again after a short delay and keeps its
place, never failed (a check is sent again the same way, health/service.py). The count and the
claim happen under one PostgreSQL advisory lock per scope, so two workers cannot both take the last
slot; the lease makes a dead worker's slot lapse by itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from onboarding.engine.dispatch import dispatch
from onboarding.models import HealthCheck, OnboardingJob, Step, StepState
from onboarding.pipeline import pipeline, spec_for
from tenants.models import Tenant

PROOFPOINT, GRAPH = "proofpoint", "graph"
# A health check makes about seven reads (each within OUTBOUND_TIMEOUT_SECONDS); past this its slot
# lapses, as a dead worker's step lease does.
CHECK_LEASE_SECONDS = 120


def keys_calling(service: str) -> list[str]:
    return [spec.key for spec in pipeline() if service in spec.services]


def limits() -> dict[str, int]:
    return {
        PROOFPOINT: settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER,
        GRAPH: settings.MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT,
    }


def in_flight(
    services: list[str], job: OnboardingJob | None = None, tenant: Tenant | None = None
) -> dict[str, int]:
    """Per service: steps of other jobs and health checks of other tenants running now (lease not
    passed) against that service's scope for this job (or, for a check, this tenant).

    Two queries whatever the number of services (a count per service in each): a health sweep asks
    this twice per check, so its cost is part of every check's."""
    tenant = tenant if tenant is not None else job.tenant if job is not None else None
    assert tenant is not None
    now = timezone.now()
    steps = Step.objects.filter(state=StepState.RUNNING, lease_expires_at__gt=now)
    steps = steps.exclude(job_id=job.pk) if job is not None else steps
    checks = HealthCheck.objects.filter(running_until__gt=now)
    checks = checks.exclude(tenant_id=tenant.pk) if job is None else checks
    if tenant.entra_tenant_id:
        same_graph_step = Q(job__tenant__entra_tenant_id=tenant.entra_tenant_id)
        same_graph_check = Q(tenant__entra_tenant_id=tenant.entra_tenant_id)
    else:
        same_graph_step, same_graph_check = Q(job__tenant_id=tenant.pk), Q(tenant_id=tenant.pk)
    step_scope = {PROOFPOINT: Q(), GRAPH: same_graph_step}
    check_scope = {PROOFPOINT: Q(), GRAPH: same_graph_check}
    running_steps = steps.aggregate(
        **{s: Count("pk", filter=Q(key__in=keys_calling(s)) & step_scope[s]) for s in services}
    )
    running_checks = checks.aggregate(**{s: Count("pk", filter=check_scope[s]) for s in services})
    return {s: running_steps[s] + running_checks[s] for s in services}


def _scope_key(service: str, tenant: Tenant) -> str:
    if service == GRAPH:
        return f"graph:{tenant.entra_tenant_id or tenant.pk}"
    return f"proofpoint:{settings.PROOFPOINT_PARTNER_DOMAIN}"


def _at_bound(
    services: list[str], job: OnboardingJob | None = None, tenant: Tenant | None = None
) -> bool:
    counts = in_flight(services, job, tenant)
    return any(counts[s] >= limits()[s] for s in services)


def _lock(scope: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(scope.encode()) & 0x7FFFFFFF]
            )


def claim_within_bounds(job: OnboardingJob, step: Step, claim: Callable[[Step], bool]) -> bool:
    """Claim the step unless one of its services is at its bound; then re-dispatch the job later."""
    spec = spec_for(step.key)
    services = [s for s in (spec.services if spec else ()) if s in limits()]
    if not services:
        return claim(step)
    # Without the lock first: a job that finds its scope full (most of a bulk start's tries) defers
    # without queueing on the one partner-wide lock; a free slot is counted again under the lock.
    if _at_bound(services, job=job):
        dispatch(job.pk, float(settings.IN_FLIGHT_DEFER_SECONDS))
        return False
    with transaction.atomic():
        for service in sorted(services):
            _lock(_scope_key(service, job.tenant))
        if not _at_bound(services, job=job):
            return claim(step)
    dispatch(job.pk, float(settings.IN_FLIGHT_DEFER_SECONDS))
    return False


def claim_check(tenant: Tenant) -> bool:
    """Take a slot of both services for a health check of the tenant; False at either bound (the
    caller sends the check again after IN_FLIGHT_DEFER_SECONDS)."""
    if _at_bound(list(limits()), tenant=tenant):
        return False
    with transaction.atomic():
        for service in sorted(limits()):
            _lock(_scope_key(service, tenant))
        if _at_bound(list(limits()), tenant=tenant):
            return False
        until = timezone.now() + timedelta(seconds=CHECK_LEASE_SECONDS)
        if not HealthCheck.objects.filter(tenant=tenant).update(running_until=until):
            HealthCheck.objects.create(tenant=tenant, running_until=until)
        return True


def release_check(tenant: Tenant) -> None:
    HealthCheck.objects.filter(tenant=tenant).update(running_until=None)
