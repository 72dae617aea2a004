"""The dashboard's pictures: onboardings per week and time to onboard (median and p90), drawn as SVG
on the server (no script, no CDN), with the figures beside them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.charts import onboardings_per_week, time_to_onboard
from onboarding.engine import lifecycle as engine_lifecycle
from onboarding.models import JobState, OnboardingJob
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def completed_job(tenant, started, hours: float) -> OnboardingJob:
    job = OnboardingJob.objects.create(tenant=tenant, state=JobState.COMPLETED)
    OnboardingJob.objects.filter(pk=job.pk).update(
        created_at=started, finished_at=started + timedelta(hours=hours)
    )
    job.refresh_from_db()
    engine_lifecycle.job_completed(job)  # the engine's bookkeeping: the tenant goes live
    return job


def tenants(count: int) -> list[Tenant]:
    return [
        Tenant.objects.create(
            name=f"T{i}", primary_domain=f"t{i}.example", customer_admin_email=f"a@t{i}.example"
        )
        for i in range(count)
    ]


def test_weeks_count_started_and_completed_and_the_times(db):
    now = timezone.now()
    monday = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())
    for tenant, hours in zip(tenants(10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 30], strict=True):
        completed_job(tenant, monday - timedelta(days=7), hours)
    OnboardingJob.objects.create(
        tenant=Tenant.objects.create(
            name="Now", primary_domain="now.example", customer_admin_email="a@now.example"
        )
    )
    weeks = onboardings_per_week(now=now)
    assert (
        len(weeks) == 12
        and weeks[-1]["started"] == 1
        and weeks[-2] == {**weeks[-2], "started": 10, "completed": 10}
    )
    times = time_to_onboard(now=now)
    last_week = next(t for t in times if t["count"])
    assert last_week["count"] == 10 and last_week["median"] == 5.5 and last_week["p90"] == 9


def test_the_dashboard_draws_them_as_svg(manager_client, db):
    start = timezone.now() - timedelta(days=8)
    for tenant, hours in zip(tenants(3), [2, 4, 6], strict=True):
        completed_job(tenant, start, hours)
    page = manager_client.get("/dashboard/").content.decode()
    assert page.count('<svg class="chart"') == 2 and "<script" not in page.split("<main")[1]
    assert "3 started</title>" in page and "3 completed</title>" in page
    assert "median 4.0 h (3 onboarding(s))" in page
    assert "4.0 h" in page and "6.0 h" in page  # the figures table: median and p90


def test_the_dashboard_counts_tenants_by_lifecycle_and_health(manager_client, db):
    for index, (lifecycle, health) in enumerate(
        [("live", "ok"), ("live", "critical"), ("onboarding", "unknown")]
    ):
        Tenant.objects.create(
            name=f"S{index}",
            primary_domain=f"s{index}.example",
            customer_admin_email=f"a@s{index}.example",
            lifecycle=lifecycle,
            health_state=health,
        )
    page = manager_client.get("/dashboard/").content.decode()
    assert 'aria-label="Live: 2"' in page and 'aria-label="Onboarding: 1"' in page
    assert 'aria-label="Critical: 1"' in page and 'aria-label="Healthy: 1"' in page
