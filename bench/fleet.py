"""Benchmarks of the whole fleet (issue 14): discovery of 2,000 child orgs (Proofpoint requests
against the minimum, memory flat from 200 to 2,000), the fleet view at 2,000 tenants, and 200 bulk
onboardings through two real worker processes with the in-flight bounds at their defaults."""

from __future__ import annotations

import math
import tempfile
import time
import tracemalloc
from pathlib import Path
from unittest import mock

from bench.flows import admin_for, onboarding_worker_env, sandbox_process, sandbox_tenants

PAGE_SIZE = 200


def discovery(Row, verdict) -> list:
    from django.conf import settings

    from onboarding.fleet import discovery as service

    name = "discovery, 2,000 child orgs"
    settings.PROOFPOINT_ORGS_PAGE_SIZE = PAGE_SIZE
    peaks, counts, seconds, children = {}, {}, {}, {}
    with sandbox_process() as (sb, _):
        admin = admin_for(sb)
        for n in (200, 2_000):
            admin.reset()
            admin.child_orgs(n, prefix=f"bench{n}")
            admin.clear_requests()
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            started = time.perf_counter()
            found = sum(1 for _ in service.discover())
            seconds[n] = time.perf_counter() - started
            peaks[n] = tracemalloc.get_traced_memory()[1] - baseline
            tracemalloc.stop()
            counts[n] = sum(admin.requests("proofpoint")["counts"].values())
            children[n] = found
    big = 2_000
    minimum = (
        math.ceil(children[big] / PAGE_SIZE) + children[big]
    )  # list pages + one settings read each
    growth = peaks[big] / peaks[200]
    return [
        Row(
            name,
            "Proofpoint requests / minimum (list pages + settings/azure per org)",
            f"{counts[big] / minimum:.2f}",
            "1.00",
            verdict(counts[big] <= minimum),
            f"{counts[big]} used for {children[big]} orgs, minimum {minimum}; {seconds[big]:.1f} s",
        ),
        Row(
            name,
            "peak traced memory at 2,000 orgs / at 200",
            f"{growth:.2f}",
            "<= 1.5 (flat)",
            verdict(growth <= 1.5),
            f"tracemalloc peak {peaks[200] / 2**20:.2f} MB at 200, "
            f"{peaks[big] / 2**20:.2f} MB at 2,000 (streamed a page at a time)",
        ),
    ]


def seed_fleet(count: int) -> None:
    from django.utils import timezone

    from onboarding.models import ProofpointSnapshot
    from tenants.models import Tenant

    now = timezone.now()
    tenants = Tenant.objects.bulk_create(
        Tenant(
            name=f"Fleet {i:05d}",
            primary_domain=f"fleet{i:05d}.example",
            customer_admin_email=f"it@fleet{i:05d}.example",
            lifecycle=("live", "not_onboarded", "onboarding")[i % 3],
            health_state=("ok", "warning", "critical", "unknown")[i % 4],
        )
        for i in range(count)
    )
    ProofpointSnapshot.objects.bulk_create(
        ProofpointSnapshot(
            tenant=t,
            read_at=now,
            sync_configured=True,
            user_licenses=50,
            active_users=40 + i % 20,
            secret_expiry=now,
            last_successful_sync=now,
        )
        for i, t in enumerate(tenants)
    )


def bulk_onboardings(Row, verdict, jobs_wanted: int = 200) -> list:
    """One batch of `jobs_wanted` through the bulk service (fleet/bulk.py, as the page and the API
    start it), run by 2 real workers (4 threads each); the sandbox's request log says whether the
    in-flight bounds (MAX_JOBS_IN_FLIGHT_PER_PARTNER / _PER_GRAPH_TENANT, defaults) held, counting
    the health check each job's end sends."""
    from celery import Celery
    from django.conf import settings

    from onboarding.fleet import bulk
    from onboarding.models import HealthCheck, JobState, OnboardingJob
    from tests.chaos.harness import Customer, RedisServer, approve_waiting_reviews
    from tests.worker import Worker

    name = f"{jobs_wanted} bulk onboardings, 2 workers"
    partner_bound = settings.MAX_JOBS_IN_FLIGHT_PER_PARTNER
    graph_bound = settings.MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT
    redis = RedisServer(Path(tempfile.mkdtemp(prefix="bench-redis-"))).start()
    workers: list = []
    try:
        with sandbox_process(settings.PORTAL_BASE_URL) as (sb, _):
            admin = admin_for(sb)
            admin.knobs(auto_consent=True)
            tenants = sandbox_tenants(admin, jobs_wanted, "bulk")
            admin.clear_requests()
            env = onboarding_worker_env(sb, redis.url)
            workers = [
                Worker(env=env, concurrency=4, beat=index == 0).start() for index in range(2)
            ]
            time.sleep(3)  # let both connect before the clock starts
            broker = Celery("bench", broker=redis.url, set_as_current=False)
            customer, approved = Customer(), set()
            with mock.patch("onboarding.engine.dispatch.current_app", broker):
                started = time.perf_counter()
                batch = bulk.start_batch(tenants, name=name)
                ids = list(batch.items.exclude(job=None).values_list("job_id", flat=True))
                deadline = started + 600
                while time.perf_counter() < deadline:
                    customer.answer_new_links()
                    approve_waiting_reviews(approved)
                    left = (
                        OnboardingJob.objects.filter(pk__in=ids)
                        .exclude(
                            state__in=[JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED]
                        )
                        .count()
                    )
                    if not left:
                        break
                    time.sleep(0.2)
                took = time.perf_counter() - started
                # The peaks count the health checks the jobs' ends sent: let them finish first.
                checks_deadline = time.perf_counter() + 120
                while time.perf_counter() < checks_deadline and (
                    HealthCheck.objects.filter(tenant__in=tenants, checked_at__isnull=False).count()
                    < jobs_wanted
                ):
                    time.sleep(0.5)
                checked = HealthCheck.objects.filter(
                    tenant__in=tenants, checked_at__isnull=False
                ).count()
            peaks = admin.requests(since=10**12)["max_in_flight_by_scope"]
            completed = OnboardingJob.objects.filter(pk__in=ids, state=JobState.COMPLETED).count()
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
    partner_peak = max(peaks.get("proofpoint", {}).values(), default=0)
    graph_peak = max(peaks.get("graph", {}).values(), default=0)
    return [
        Row(
            name,
            "jobs per minute (bulk service, in-flight bounds at their defaults)",
            f"{completed / took * 60:.0f}",
            "count",
            verdict(completed == jobs_wanted),
            f"{completed}/{jobs_wanted} completed in {took:.0f} s (20 users each, auto-consent, "
            f"1 s countdown); {checked} job-end health checks done",
        ),
        Row(
            name,
            "Proofpoint requests in flight, partner peak / MAX_JOBS_IN_FLIGHT_PER_PARTNER",
            f"{partner_peak / partner_bound:.2f}",
            "<= 1.00",
            verdict(partner_peak <= partner_bound),
            f"peak {partner_peak} of {partner_bound} (the sandbox's log, per partner; scopes "
            f"{sorted(peaks.get('proofpoint', {}))})",
        ),
        Row(
            name,
            "Graph requests in flight, worst tenant's peak / MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT",
            f"{graph_peak / graph_bound:.2f}",
            "<= 1.00",
            verdict(graph_peak <= graph_bound),
            f"peak {graph_peak} of {graph_bound} over {len(peaks.get('graph', {}))} Graph tenants",
        ),
    ]
