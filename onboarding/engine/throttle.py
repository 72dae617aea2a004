"""Jobs in flight per external service (issue 14): 200 bulk starts must not trip throttling.

A step names the services it calls (StepSpec.services). Before the runner claims such a step it
counts the steps already RUNNING under a live lease for the same scope: the Proofpoint partner
(every Proofpoint step: one channel-admin account serves every org) and the customer's Graph
tenant.
At the bound, the step is not claimed: the job is dispatched again after a short delay and keeps its
place, never failed. The count and the claim happen under one PostgreSQL advisory lock per scope, so
two workers cannot both take the last slot; the lease makes a dead worker's slot lapse by itself.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from onboarding.engine.dispatch import dispatch
from onboarding.models import OnboardingJob, Step, StepState
from onboarding.pipeline import pipeline, spec_for

PROOFPOINT, GRAPH = "proofpoint", "graph"


def keys_calling(service: str) -> list[str]:
    return [spec.key for spec in pipeline() if service in spec.services]


def limits() -> dict[str, int]:
    return {
        PROOFPOINT: settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER,
        GRAPH: settings.MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT,
    }


def in_flight(service: str, job: OnboardingJob) -> int:
    """Steps of other jobs running now (lease not passed) against this job's scope of `service`."""
    running = Step.objects.filter(
        state=StepState.RUNNING, lease_expires_at__gt=timezone.now(), key__in=keys_calling(service)
    ).exclude(job_id=job.pk)
    if service == GRAPH:
        tenant = job.tenant
        if tenant.entra_tenant_id:
            running = running.filter(job__tenant__entra_tenant_id=tenant.entra_tenant_id)
        else:
            running = running.filter(job__tenant_id=tenant.pk)
    return running.count()


def _scope_key(service: str, job: OnboardingJob) -> str:
    if service == GRAPH:
        return f"graph:{job.tenant.entra_tenant_id or job.tenant_id}"
    return f"proofpoint:{settings.PROOFPOINT_PARTNER_DOMAIN}"


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
    with transaction.atomic():
        for service in sorted(services):
            _lock(_scope_key(service, job))
        busy = [s for s in services if in_flight(s, job) >= limits()[s]]
        if not busy:
            return claim(step)
    dispatch(job.pk, float(settings.IN_FLIGHT_DEFER_SECONDS))
    return False
