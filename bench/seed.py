"""Bulk data for the benchmarks: realistic shapes, inserted with bulk_create (no signals, no
dispatch)."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

from django.utils import timezone

STEP_KEYS = [
    "resolve_tenant",
    "customer_consent",
    "create_app",
    "grant_consent",
    "create_secret",
    "verify_credentials",
    "prepare_org",
    "configure_sync",
    "build_report",
    "review",
    "import_accounts",
    "routing_countdown",
]
LATEST_STATES = [
    "running",
    "waiting_customer",
    "waiting_review",
    "countdown",
    "failed",
    "completed",
    "cancelled",
]
BATCH = 5_000


@contextmanager
def no_dispatch():
    """Nothing reaches a broker while benchmarks build and read data."""
    with mock.patch("onboarding.engine.dispatch.current_app.send_task"):
        yield


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have gathered them on a live database by
    now."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def wipe() -> None:
    """Start each benchmark from empty tables (ours, not Django's)."""
    from onboarding.models import AuditEvent, OnboardingJob, OutboxMessage
    from tenants.models import Tenant

    for model in (AuditEvent, OutboxMessage, OnboardingJob, Tenant):
        model.objects.all().delete()
    vacuum()


def vacuum() -> None:
    """Autovacuum may be off (it is on this machine): without this, each run's deleted rows stay
    behind and later benchmarks measure scans of dead rows instead of the portal."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _steps_for(job, done: int, state_of_current: str, now):
    from onboarding.models import Step

    for order, key in enumerate(STEP_KEYS):
        state = "succeeded" if order < done else (state_of_current if order == done else "pending")
        yield Step(
            job=job,
            key=key,
            order=order,
            state=state,
            attempts=1 if order <= done else 0,
            started_at=now - timedelta(minutes=30 - order) if order <= done else None,
            finished_at=now - timedelta(minutes=29 - order) if order < done else None,
            message="Done." if order < done else "",
        )


def tenants_with_jobs(tenant_count: int, job_count: int) -> None:
    """tenant_count tenants; job_count jobs spread evenly, all but each tenant's latest finished;
    every job
    has its 12 steps, as real ones do."""
    from django.contrib.auth.models import User

    from onboarding.models import OnboardingJob, Step
    from tenants.models import Tenant

    now = timezone.now()
    tech = User.objects.get_or_create(username="bench-technician")[0]
    tenants = Tenant.objects.bulk_create(
        (
            Tenant(
                name=f"Customer {i:05d}",
                primary_domain=f"customer{i:05d}.example",
                customer_admin_email=f"admin@customer{i:05d}.example",
                created_by=tech,
            )
            for i in range(tenant_count)
        ),
        batch_size=BATCH,
    )
    per_tenant = max(1, job_count // tenant_count)
    jobs = []
    for index, tenant in enumerate(tenants):
        for n in range(per_tenant):
            latest = n == per_tenant - 1
            state = (
                LATEST_STATES[index % len(LATEST_STATES)]
                if latest
                else ("completed" if n % 3 else "cancelled")
            )
            jobs.append(
                OnboardingJob(
                    tenant=tenant,
                    state=state,
                    started_by=tech,
                    current_step=STEP_KEYS[index % 12] if latest else "",
                    finished_at=None if latest and state not in ("completed", "cancelled") else now,
                )
            )
    jobs = OnboardingJob.objects.bulk_create(jobs, batch_size=BATCH)
    stamps = [now - timedelta(hours=len(jobs) - i) for i in range(len(jobs))]
    for job, stamp in zip(jobs, stamps, strict=True):
        job.created_at = job.state_changed_at = stamp
    OnboardingJob.objects.bulk_update(jobs, ["created_at", "state_changed_at"], batch_size=BATCH)
    steps = itertools.chain.from_iterable(
        _steps_for(
            job, STEP_KEYS.index(job.current_step) if job.current_step else 12, "running", now
        )
        for job in jobs
    )
    while batch := list(itertools.islice(steps, BATCH)):
        Step.objects.bulk_create(batch)
    analyze()


def job_with_report(row_count: int):
    """One tenant and one job waiting for review with row_count report rows across every section."""
    from onboarding.models import AccountKind, OnboardingJob, Section, SyncReportRow
    from tenants.models import Tenant

    tenant = Tenant.objects.create(
        name="Big customer", primary_domain="big.example", customer_admin_email="admin@big.example"
    )
    job = OnboardingJob.objects.create(tenant=tenant, state="waiting_review", current_step="review")
    sections = list(Section.values)
    kinds = list(AccountKind.values)
    rows = (
        SyncReportRow(
            job=job,
            email=f"user{i}@big.example",
            display_name=f"User {i}",
            firstname="User",
            surname=str(i),
            section=sections[i % len(sections)],
            kind=kinds[i % 7 % len(kinds)],
            licensed=i % 5 != 0,
            enabled=i % 11 != 0,
            guest=i % 17 == 0,
            excluded=i % 13 == 0,
        )
        for i in range(row_count)
    )
    while batch := list(itertools.islice(rows, BATCH)):
        SyncReportRow.objects.bulk_create(batch)
    analyze()
    return job


HEALTH_STATES = ["ok", "ok", "warning", "critical", "unknown"]
FINDINGS = {
    "warning": [("secret_expiring", "warning", True), ("mx_not_routed", "warning", False)],
    "critical": [("sync_paused", "critical", True), ("sync_stale", "warning", False)],
}


def health_for_all() -> None:
    """Lifecycle and health on every tenant, as the checks leave them: most live, a share with
    open findings (and closed ones behind them), each with its last check."""
    from onboarding.models import HealthCheck, TenantFinding
    from tenants.models import Tenant

    now = timezone.now()
    tenants = list(Tenant.objects.order_by("pk"))
    for index, tenant in enumerate(tenants):
        tenant.lifecycle = "onboarding" if index % 10 == 0 else "live"
        tenant.live_since = None if index % 10 == 0 else now - timedelta(days=index % 400)
        tenant.onboarded_in = None if index % 10 == 0 else timedelta(hours=1 + index % 48)
        tenant.health_state = "unknown" if index % 10 == 0 else HEALTH_STATES[index % 5]
        tenant.health_checked_at = None if index % 10 == 0 else now - timedelta(minutes=index % 60)
    fields = ["lifecycle", "live_since", "onboarded_in", "health_state", "health_checked_at"]
    Tenant.objects.bulk_update(tenants, fields, batch_size=BATCH)
    findings = []
    for tenant in tenants:
        for code, severity, fixable in FINDINGS.get(tenant.health_state, []):
            first = now - timedelta(days=3)
            findings.append(
                TenantFinding(
                    tenant=tenant,
                    code=code,
                    severity=severity,
                    message=f"{code} found.",
                    first_seen_at=first,
                    fixable=fixable,
                )
            )
            findings.append(
                TenantFinding(
                    tenant=tenant,
                    code=code,
                    severity=severity,
                    message=f"{code} found before.",
                    fixable=fixable,
                    first_seen_at=first - timedelta(days=30),
                    closed_at=first - timedelta(days=20),
                )
            )
    TenantFinding.objects.bulk_create(findings, batch_size=BATCH)
    HealthCheck.objects.bulk_create(
        (
            HealthCheck(tenant=t, checked_at=t.health_checked_at, requests=7)
            for t in tenants
            if t.health_checked_at
        ),
        batch_size=BATCH,
    )
    analyze()
