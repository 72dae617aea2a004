"""The manager dashboard: every client's state, filters, needs attention, durations, CSV, constant
queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onboarding.engine import lifecycle
from onboarding.models import ConsentLink, OnboardingJob
from onboarding.tracking import completion_times
from tests.onboarding.views.jobs_in_any_state import make_job, make_tenants


def test_only_managers_see_the_dashboard(tech_client, outsider_client, client, manager_client, db):
    assert manager_client.get("/dashboard/").status_code == 200
    assert tech_client.get("/dashboard/").status_code == 403
    assert outsider_client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/").status_code == 302


def test_each_client_shows_state_step_time_and_who(
    manager_client, tenant_a, tenant_b, technician, settings
):
    make_job(tenant_a, "running", step="create_app", user=technician, age=timedelta(hours=5))
    page = manager_client.get("/dashboard/").content.decode()
    assert "Fabrikam" in page and "Northwind" in page
    assert "Create the Proofpoint sync app registration" in page
    assert "5 h 0 min" in page and "alice" in page
    assert "Running: 1" in page and "Not onboarded: 2" in page


def test_filters(manager_client, tenant_a, tenant_b, technician, manager):
    make_job(tenant_a, "failed", user=technician, age=timedelta(hours=30))
    make_job(tenant_b, "running", user=manager, age=timedelta(hours=1))

    def names(query):
        return [
            row[0] for row in rows(manager_client.get("/dashboard/", {**query, "export": "csv"}))
        ]

    assert names({"state": "failed"}) == ["Fabrikam"]
    assert names({"failed": "on"}) == ["Fabrikam"]
    assert names({"technician": manager.pk}) == ["Northwind"]
    assert names({"stuck_hours": "24"}) == ["Fabrikam"]
    assert names({}) == ["Fabrikam", "Northwind"]
    # A bad filter value shows the error and filters nothing away, never a 500.
    response = manager_client.get(
        "/dashboard/", {"stuck_hours": "x" * 50, "technician": "99999999999999999999"}
    )
    assert response.status_code == 200


def rows(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))[1:]


def test_needs_attention(manager_client, tenant_a, tenant_b, technician):
    from tenants.models import Tenant

    make_job(tenant_a, "failed", user=technician)
    waiting = make_job(tenant_b, "waiting_customer", step="customer_consent", user=technician)
    ConsentLink.objects.create(
        job=waiting,
        token_hash="h" * 64,
        sent_to="it@northwind.example",
        sent_at=timezone.now() - timedelta(days=3),
        expires_at=timezone.now() + timedelta(days=1),
    )
    review_tenant = Tenant.objects.create(
        name="Tailspin",
        primary_domain="tailspin.example",
        customer_admin_email="a@tailspin.example",
    )
    make_job(review_tenant, "waiting_review", step="review", age=timedelta(days=2))
    fresh = Tenant.objects.create(
        name="Fresh Review", primary_domain="fresh.example", customer_admin_email="a@f.example"
    )
    make_job(fresh, "waiting_review", step="review", age=timedelta(hours=2))
    page = manager_client.get("/dashboard/").content.decode()
    attention = page.split("Needs attention")[1].split("Start to completed")[0]
    assert (
        "Fabrikam" in attention and "it@northwind.example" in attention and "Tailspin" in attention
    )
    assert "Fresh Review" not in attention


def test_long_attention_lists_show_the_first_ten_and_how_many_in_all(manager_client, technician):
    for index, tenant in enumerate(make_tenants(23, prefix="failing")):
        make_job(tenant, "failed", user=technician, age=timedelta(hours=23 - index))
    page = manager_client.get("/dashboard/").content.decode()
    attention = page.split("Needs attention")[1].split("Start to completed")[0]
    assert 'Failed <span class="text-muted">(23)</span>' in attention
    listed = [f"failing {i:04d}" for i in range(23) if f"failing {i:04d}</a>" in attention]
    assert listed == [f"failing {i:04d}" for i in range(10)], "the longest failing come first"
    assert "and 13 more" in attention and 'href="?state=failed">see all 23</a>' in attention
    assert '<span class="badge bg-danger">23</span>' in attention


def test_average_and_p90_over_30_and_90_days(db):
    # One client each: the figures count each client's first completed onboarding (issue 11).
    now = timezone.now()
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    for index, (h, tenant) in enumerate(zip(hours, make_tenants(len(hours)), strict=True)):
        job = OnboardingJob.objects.create(tenant=tenant, state="completed")
        finished = now - timedelta(days=index * 8)  # 0..72 days ago
        OnboardingJob.objects.filter(pk=job.pk).update(
            created_at=finished - timedelta(hours=h), finished_at=finished
        )
        lifecycle.job_completed(OnboardingJob.objects.get(pk=job.pk))  # the engine's bookkeeping
    times = completion_times(now=now)
    assert times[90]["count"] == 10
    assert times[90]["average"] == pytest.approx(5.5 * 3600)
    assert times[90]["p90"] == pytest.approx(9 * 3600)
    assert times[30]["count"] == 4  # 0, 8, 16 and 24 days ago
    assert times[30]["p90"] == pytest.approx(4 * 3600)


def test_csv_export_has_every_client_and_quotes_formulas(manager_client, tenant_a, db):
    from tenants.models import Tenant

    Tenant.objects.create(
        name="=HYPERLINK(1)", primary_domain="evil.example", customer_admin_email="a@evil.example"
    )
    data = rows(manager_client.get("/dashboard/?export=csv"))
    assert data[0][:2] == ["'=HYPERLINK(1)", "evil.example"]
    assert len(data) == 2


def test_the_dashboard_runs_a_constant_number_of_queries(manager_client, technician):
    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(path).status_code == 200
        return len(captured)

    def grow(start: int, count: int) -> None:
        for index, tenant in enumerate(make_tenants(count, start=start)):
            state = ["running", "failed", "waiting_review", "completed"][index % 4]
            make_job(tenant, state, user=technician, age=timedelta(days=index % 5))

    grow(0, 30)
    small = {path: queries(path) for path in ("/dashboard/", "/dashboard/?page=1&state=running")}
    grow(30, 270)
    large = {path: queries(path) for path in small}
    assert large == small, "the dashboard's queries grow with the number of tenants"
    # One query a panel (counts, attention lists, charts, the page of tenants): a bound, so a new
    # panel that adds several queries is noticed.
    assert max(large.values()) <= 20
    with CaptureQueriesContext(connection) as captured:
        assert len(rows(manager_client.get("/dashboard/?export=csv"))) == 300
    assert len(captured) <= 10


def test_the_dashboard_paginates(manager_client, db):
    make_tenants(120)
    page = manager_client.get("/dashboard/?page=3").content.decode()
    assert "Page 3 of 3" in page and "client 0119" in page and "client 0001" not in page
