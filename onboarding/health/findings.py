"""Recording a health check: open findings keep their first_seen_at, gone ones are closed, and the
tenant's health_state follows (api.md v1.1: ok without findings, else the worst severity).

One check of a tenant records at a time (the tenant row is locked), so two checks finishing together
cannot both open the same finding. A change of state is audited and announced once
(events.tenant_health_changed): the notifications app listens (emails, the signed webhook).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from onboarding import audit
from onboarding.engine import events
from onboarding.health import codes
from onboarding.health.checks import CheckResult, Found
from onboarding.models import HealthCheck, TenantFinding
from tenants.models import Tenant

STATE_WORDS = {
    "unknown": "not checked",
    "ok": "healthy",
    "warning": "warning",
    "critical": "critical",
}


def record_check(tenant: Tenant, result: CheckResult, now=None) -> tuple[str, str]:
    """Store the result; returns (previous state, new state)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        previous = locked.health_state
        open_now = {
            f.code: f for f in TenantFinding.objects.filter(tenant=locked, closed_at__isnull=True)
        }
        seen: dict[str, Found] = {}
        for found in result.findings:
            seen.setdefault(found.code, found)
        for code, found in seen.items():
            spec = codes.CODES[code]
            fields = {
                "severity": spec.severity,
                "fixable": spec.fixable,
                "message": found.message,
                "details": found.details,
            }
            existing = open_now.get(code)
            if existing is None:
                TenantFinding.objects.create(tenant=locked, code=code, first_seen_at=now, **fields)
            else:
                TenantFinding.objects.filter(pk=existing.pk).update(**fields)
        # A finding this run could not evaluate stays open as it was; the others not seen are gone.
        kept = {code for code in open_now if code not in seen and code in result.skipped}
        gone = [f.pk for code, f in open_now.items() if code not in seen and code not in kept]
        TenantFinding.objects.filter(pk__in=gone).update(closed_at=now)
        state = codes.worst(codes.CODES[c].severity for c in {*seen, *kept})
        Tenant.objects.filter(pk=locked.pk).update(health_state=state, health_checked_at=now)
        HealthCheck.objects.update_or_create(
            tenant=locked,
            defaults={
                "checked_at": now,
                "unchecked": result.unchecked,
                "requests": result.requests,
                "error": "",
            },
        )
        tenant.health_state, tenant.health_checked_at = state, now
        if state != previous:
            findings = list(open_findings(locked))
            listed = "; ".join(codes.CODES[f.code].title for f in findings) or "no findings"
            audit.record(
                "tenant.health_changed",
                f"Health of {tenant.name} changed from "
                f"{STATE_WORDS[previous]} to {STATE_WORDS[state]} ({listed})",
                tenant=tenant,
            )
    if state != previous:
        # Outside the lock: a listener's failure must not undo the check (they queue work on commit)
        events.tenant_health_changed.send(
            sender=Tenant, tenant=tenant, previous=previous, state=state, findings=findings
        )
    return previous, state


def record_failure(tenant: Tenant, message: str, now=None) -> None:
    """A check that could not run (the portal is not configured): findings stay as they were."""
    HealthCheck.objects.update_or_create(
        tenant=tenant, defaults={"error": message[:2000], "checked_at": now or timezone.now()}
    )


def open_findings(tenant: Tenant) -> QuerySet[TenantFinding]:
    return TenantFinding.objects.filter(tenant=tenant, closed_at__isnull=True).order_by(
        "first_seen_at", "pk"
    )


def has_repairable(tenant: Tenant) -> bool:
    return open_findings(tenant).filter(code__in=codes.REPAIRABLE).exists()
