"""What pages, the API and tasks call for health: ask for a check, run one, sweep the live tenants
on a schedule, and start a repair (api.md v1.1).

Checks run as tasks (sent by name through engine.dispatch.enqueue, after commit). A check requested
and not done within REQUEST_GRACE is sent again by the next sweep (a lost message, a dead worker).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from integrations.errors import PermanentError
from onboarding import audit, engine
from onboarding.engine import throttle
from onboarding.engine.dispatch import enqueue
from onboarding.health import checks, findings
from onboarding.models import HealthCheck, JobKind, OnboardingJob
from tenants.models import Lifecycle, Tenant

log = logging.getLogger(__name__)
CHECK_TASK = "onboarding.health_check"
REQUEST_GRACE = timedelta(minutes=10)


class NotCheckable(engine.NotAllowedNow):
    """Health is measured for live tenants only."""


class NothingToRepair(engine.NotAllowedNow):
    """No open finding that repair can do something about."""


def is_checkable(tenant: Tenant) -> bool:
    return tenant.lifecycle == Lifecycle.LIVE


def request_check(tenant: Tenant, actor=None, request=None) -> None:
    """Send a check of the tenant to a worker ("Check now", the API, a job's end)."""
    if not is_checkable(tenant):
        raise NotCheckable(
            f"{tenant.name} is not live yet: its health is checked once an onboarding has "
            "completed."
        )
    _mark_requested([tenant.pk])
    if actor is not None:
        audit.record(
            "tenant.health_check_requested",
            f"Asked for a health check of {tenant.name}",
            request=request,
            user=actor,
            tenant=tenant,
        )
    enqueue(CHECK_TASK, [tenant.pk])


def _mark_requested(tenant_ids: list[int]) -> None:
    now = timezone.now()
    existing = set(
        HealthCheck.objects.filter(tenant_id__in=tenant_ids).values_list("tenant_id", flat=True)
    )
    HealthCheck.objects.filter(tenant_id__in=existing).update(requested_at=now)
    HealthCheck.objects.bulk_create(
        [HealthCheck(tenant_id=pk, requested_at=now) for pk in tenant_ids if pk not in existing],
        ignore_conflicts=True,
    )


def run_check(tenant: Tenant) -> tuple[str, str] | None:
    """Check the tenant now and record it: (previous state, state), or None if it could not run.

    A check calls Proofpoint and Graph, so it takes a slot of the same in-flight bounds as the steps
    (engine/throttle.py): at a bound it is sent again after IN_FLIGHT_DEFER_SECONDS, not run."""
    if not throttle.claim_check(tenant):
        enqueue(CHECK_TASK, [tenant.pk], float(settings.IN_FLIGHT_DEFER_SECONDS))
        return None
    try:
        result = checks.run_checks(tenant)
    except (
        PermanentError
    ) as error:  # the portal is not configured (a setting missing): say so on the page
        findings.record_failure(tenant, error.message)
        return None
    finally:
        throttle.release_check(tenant)
    return findings.record_check(tenant, result)


def due_for_check(now=None) -> QuerySet[Tenant]:
    """Live tenants whose last check is older than HEALTH_CHECK_INTERVAL_MINUTES (or none ran) with
    no check sent in the last REQUEST_GRACE; those never checked first, then the oldest."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.HEALTH_CHECK_INTERVAL_MINUTES)
    return (
        Tenant.objects.filter(lifecycle=Lifecycle.LIVE)
        .filter(Q(health_checked_at__isnull=True) | Q(health_checked_at__lt=stale))
        .exclude(health_check__requested_at__gte=now - REQUEST_GRACE)
        .order_by("health_checked_at", "pk")
    )


def sweep(now=None) -> int:
    """One check per due tenant, at most HEALTH_SWEEP_BATCH per run (the rest: the next run)."""
    ids = list(due_for_check(now).values_list("pk", flat=True)[: settings.HEALTH_SWEEP_BATCH])
    if ids:
        _mark_requested(ids)
    for pk in ids:
        enqueue(CHECK_TASK, [pk])
    return len(ids)


def start_repair(tenant: Tenant, actor=None, request=None) -> OnboardingJob:
    """Start a repair job: 409-worthy errors when a job is active or nothing can be repaired."""
    if not findings.has_repairable(tenant):
        raise NothingToRepair(
            f"{tenant.name} has no finding repair can fix. Check its health again if "
            "you changed something."
        )
    return engine.start_job(tenant, actor, request, kind=JobKind.REPAIR)
