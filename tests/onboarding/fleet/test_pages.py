"""The fleet view, its CSV and API filters; the CSV import pages; bulk start and the batch page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onboarding.models import OnboardingBatch, OnboardingJob, ProofpointSnapshot
from tenants.models import HealthState, Lifecycle, Tenant
from tests.onboarding.api.conftest import token_client


def tenant(i: int, **fields) -> Tenant:
    snapshot = fields.pop("snapshot", None)
    made = Tenant.objects.create(
        name=fields.pop("name", f"Fleet {i:03d}"),
        primary_domain=f"fleet{i:03d}.example",
        customer_admin_email=f"it@fleet{i:03d}.example",
    )
    if fields:
        Tenant.objects.filter(pk=made.pk).update(**fields)
    if snapshot is not None:
        ProofpointSnapshot.objects.create(tenant=made, read_at=timezone.now(), **snapshot)
    return made


@pytest.fixture
def world(db):
    now = timezone.now()
    return {
        "expired": tenant(
            1,
            lifecycle=Lifecycle.LIVE,
            adopted=True,
            health_state=HealthState.CRITICAL,
            snapshot={
                "sync_configured": True,
                "secret_expiry": now - timedelta(days=3),
                "last_successful_sync": now - timedelta(days=4),
                "user_licenses": 10,
                "active_users": 12,
            },
        ),
        "healthy": tenant(
            2,
            lifecycle=Lifecycle.LIVE,
            health_state=HealthState.OK,
            snapshot={
                "sync_configured": True,
                "secret_expiry": now + timedelta(days=300),
                "last_successful_sync": now - timedelta(hours=1),
                "user_licenses": 50,
                "active_users": 20,
            },
        ),
        "new": tenant(3, name="=cmd|' /C calc'!A0"),
    }


def rows_of(response) -> list[str]:
    return [t.name for t in response.context["page"].object_list]


def test_managers_and_technicians_see_the_fleet_filtered_and_sorted(
    world, manager_client, tech_client
):
    page = manager_client.get(reverse("fleet"))
    assert page.status_code == 200 and len(rows_of(page)) == 3
    assert page.context["can_act"] and b'name="tenant"' in page.content
    only = manager_client.get(reverse("fleet"), {"lifecycle": "live", "health": "critical"})
    assert rows_of(only) == ["Fleet 001"]
    assert rows_of(manager_client.get(reverse("fleet"), {"secret": "expired"})) == ["Fleet 001"]
    assert rows_of(manager_client.get(reverse("fleet"), {"licences": "over"})) == ["Fleet 001"]
    assert rows_of(manager_client.get(reverse("fleet"), {"sync": "stale"})) == ["Fleet 001"]
    assert rows_of(manager_client.get(reverse("fleet"), {"adopted": "true"})) == ["Fleet 001"]
    assert (
        rows_of(manager_client.get(reverse("fleet"), {"sort": "-secret_expiry"}))[0] == "Fleet 002"
    )
    bad = manager_client.get(reverse("fleet"), {"health": "purple"}, follow=True)
    assert bad.status_code == 200 and "is not one of" in bad.content.decode()
    read_only = tech_client.get(reverse("fleet"))
    assert read_only.status_code == 200 and not read_only.context["can_act"]
    assert b'name="tenant"' not in read_only.content


def test_the_fleet_view_runs_the_same_queries_for_3_or_30_tenants(world, manager_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(reverse("fleet")).status_code == 200
        return len(queries)

    few = count()
    for i in range(10, 37):
        tenant(i, snapshot={"user_licenses": 5, "active_users": 1})
    assert count() == few


def test_the_fleet_csv_makes_formula_cells_inert(world, manager_client):
    response = manager_client.get(reverse("fleet"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["tenant", "primary domain", "lifecycle"]
    names = [r[0] for r in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names
    expired = next(r for r in rows if r[0] == "Fleet 001")
    assert expired[3] == "yes" and expired[8:10] == ["12", "10"]


def test_the_api_filters_tenants_like_the_fleet_view(world, manager):
    api = token_client(manager)
    body = api.get("/api/v1/tenants/", {"lifecycle": "live", "health": "critical"}).json()
    assert [t["primary_domain"] for t in body["results"]] == ["fleet001.example"]
    everyone = api.get("/api/v1/tenants/").json()
    assert everyone["count"] == 3
    bad = api.get("/api/v1/tenants/", {"lifecycle": "gone"})
    assert bad.status_code == 400 and "lifecycle" in bad.json()


CSV = (
    "name;primary domain;admin email;stack\n"
    "Good One;good1.example;it@good1.example;us1\n"
    "Broken;broken_domain;it@broken.example;us1\n"
)


def test_csv_pages_dry_run_then_import_only_the_valid_rows(tech_client, technician):
    upload = SimpleUploadedFile("tenants.csv", ("\ufeff" + CSV).encode(), content_type="text/csv")
    response = tech_client.post(reverse("fleet-csv-upload"), {"file": upload})
    assert response.status_code == 302
    check = tech_client.get(response.url)
    text = check.content.decode()
    assert check.context["counts"] == {"new": 1, "existing": 0, "invalid": 1}
    assert (
        "broken_domain is not a valid domain name" in text and "Import only the valid rows" in text
    )
    assert tech_client.post(response.url).status_code == 302  # all rows: refused
    assert not Tenant.objects.exists()
    done = tech_client.post(response.url, {"only_valid": "1"})
    assert done.status_code == 200
    assert list(Tenant.objects.values_list("primary_domain", flat=True)) == ["good1.example"]


def test_an_oversized_upload_gets_a_clear_message(tech_client):
    upload = SimpleUploadedFile("big.csv", b"x" * (10 * 1024 * 1024 + 10), content_type="text/csv")
    response = tech_client.post(reverse("fleet-csv-upload"), {"file": upload})
    assert response.status_code == 400 and "the limit is 10 MB" in response.content.decode()


def test_bulk_start_makes_a_batch_with_its_progress_page(world, tech_client, settings, dispatched):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"
    ids = [world["new"].pk, tenant(50).pk]
    response = tech_client.post(reverse("fleet-bulk-start"), {"tenant": ids, "name": "Two"})
    batch = OnboardingBatch.objects.get()
    assert response.url == reverse("fleet-batch", args=[batch.pk])
    assert OnboardingJob.objects.filter(tenant_id__in=ids).count() == 2
    page = tech_client.get(response.url)
    assert page.context["progress"].total == 2 and b"batch-progress" in page.content
    tech_client.post(response.url, {"action": "cancel"})
    assert set(OnboardingJob.objects.values_list("state", flat=True)) == {"cancelled"}
    nothing = tech_client.post(reverse("fleet-bulk-start"), {"back": "https://evil.example/"})
    assert nothing.url == reverse("fleet")


def test_starting_every_tenant_a_filter_shows_skips_the_live_and_adopted(
    world, manager_client, settings, dispatched
):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"
    response = manager_client.post(reverse("fleet-bulk-start"), {"matching": "sort=name"})
    batch = OnboardingBatch.objects.get()
    assert response.url == reverse("fleet-batch", args=[batch.pk])
    items = {i.tenant_id: i for i in batch.items.all()}
    assert len(items) == 3
    assert items[world["new"].pk].job_id is not None
    assert items[world["expired"].pk].job_id is None
    assert "Adopted" in items[world["expired"].pk].skipped_reason
    assert "Already live" in items[world["healthy"].pk].skipped_reason
    assert OnboardingJob.objects.count() == 1
    only = manager_client.post(reverse("fleet-bulk-start"), {"matching": "lifecycle=not_onboarded"})
    # the one not onboarded is onboarding now: nothing matches, so no second batch
    assert OnboardingBatch.objects.count() == 1 and only.url == reverse("fleet")


def test_the_tenant_list_offers_bulk_start(world, tech_client):
    page = tech_client.get(reverse("tenant-list"))
    assert reverse("fleet-bulk-start") in page.content.decode() and b'name="tenant"' in page.content
