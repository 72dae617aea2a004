"""Benchmarks of the whole fleet (issue 14): discovery of 2,000 child orgs (Proofpoint requests
against the minimum, memory flat from 200 to 2,000) and the fleet view at 2,000 tenants."""

from __future__ import annotations

import math
import time
import tracemalloc

from bench.flows import admin_for, sandbox_process

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
