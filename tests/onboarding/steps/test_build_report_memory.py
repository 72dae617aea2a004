"""The report streams: building it for 100,000 users needs about the memory of 10,000 (tracemalloc
peak)."""

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
    small = ready_job(onboard, portal_sandbox, "small.example", 10_000)
    large = ready_job(onboard, portal_sandbox, "large.example", 100_000)
    small_peak = peak_while_building(small)
    started = time.monotonic()
    large_peak = peak_while_building(large)
    elapsed = time.monotonic() - started
    assert SyncReportRow.objects.filter(job=large).count() > 80_000
    print(
        f"peak 10k={small_peak / 1e6:.1f} MB, 100k={large_peak / 1e6:.1f} MB, 100k build "
        f"{elapsed:.1f} s"
    )
    assert large_peak < 2 * small_peak
