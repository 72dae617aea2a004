"""The report streams: building it for 50,000 users needs about the memory of 5,000 (tracemalloc
peak).

Ten times the users, as before at 10,000 and 100,000, which took minutes under tracemalloc. 5,000
users are still five Graph pages of 999, more than the build ever holds (the page being written
and at most two read ahead, onboarding/report/prefetch.py), so the small build already reaches its
steady state and a build that kept every page would still show ten times the peak."""

import gc
import time
import tracemalloc

import pytest

from onboarding.models import Step, SyncReportRow
from onboarding.pipeline import spec_for
from onboarding.steps.base import StepContext
from onboarding.steps.build_report import build_report
from tests.onboarding.proofpoint_fixtures import add_sandbox_tenant

pytestmark = pytest.mark.integration


def peak_while_building(job) -> int:
    step = Step.objects.get(job=job, key="build_report")
    gc.collect()
    tracemalloc.start()
    try:
        build_report(StepContext(job=job, step=step, lease_seconds=300))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def ready_job(onboard, portal_sandbox, domain, users):
    add_sandbox_tenant(portal_sandbox, domain, users, groups=200)
    job = onboard(domain, create_proofpoint_org=True)
    for key in ("prepare_org", "configure_sync"):
        spec = spec_for(key)
        spec.run(StepContext(job=job, step=Step.objects.get(job=job, key=key), lease_seconds=300))
    return job


def test_memory_does_not_grow_with_the_size_of_the_tenant(onboard, portal_sandbox):
    small = ready_job(onboard, portal_sandbox, "small.example", 5_000)
    large = ready_job(onboard, portal_sandbox, "large.example", 50_000)
    small_peak = peak_while_building(small)
    started = time.monotonic()
    large_peak = peak_while_building(large)
    elapsed = time.monotonic() - started
    assert SyncReportRow.objects.filter(job=large).count() > 40_000  # as >80,000 of 100,000
    print(
        f"peak 5k={small_peak / 1e6:.1f} MB, 50k={large_peak / 1e6:.1f} MB, 50k build "
        f"{elapsed:.1f} s"
    )
    assert large_peak < 2 * small_peak
