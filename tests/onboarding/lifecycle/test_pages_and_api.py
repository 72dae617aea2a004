"""The tenant, not its latest job, is what people and scripts see: lifecycle and health first on the
tenant list, tenant page, dashboard, Next steps and the API (api.md v1.1), in constant queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onboarding.engine import lifecycle
from onboarding.models import JobState, OnboardingJob
from onboarding.tracking import completion_times
from tenants.models import HealthState, Lifecycle, Tenant
from tests.onboarding.api.conftest import token_client
from tests.onboarding.views.jobs_in_any_state import make_tenants

pytestmark = pytest.mark.django_db


def job(
    tenant, state, *, took=timedelta(hours=2), ago=timedelta(days=1), **fields
) -> OnboardingJob:
    made = OnboardingJob.objects.create(tenant=tenant, state=state, **fields)
    finished = timezone.now() - ago
    OnboardingJob.objects.filter(pk=made.pk).update(
        created_at=finished - took,
        state_changed_at=finished,
        finished_at=finished if state in (JobState.COMPLETED, JobState.CANCELLED) else None,
    )
    made.refresh_from_db()
    return made


def make_live(tenant, health=HealthState.OK, rerun=JobState.CANCELLED) -> Tenant:
    """A tenant live since its first onboarding (2 h, 3 days ago), with a later re-run in
    `rerun`."""
    first = job(tenant, JobState.COMPLETED, took=timedelta(hours=2), ago=timedelta(days=3))
    lifecycle.job_completed(first)  # what the engine does when a job completes
    if rerun:
        job(tenant, rerun, took=timedelta(hours=9), ago=timedelta(hours=1))
    Tenant.objects.filter(pk=tenant.pk).update(
        health_state=health,
        health_checked_at=timezone.now(),
    )
    tenant.refresh_from_db()
    return tenant


# --- pages ---------------------------------------------------------------------------------------
def test_a_live_tenant_with_a_cancelled_re_run_is_live_everywhere(
    tech_client, manager_client, tenant_a, tenant_b
):
    make_live(tenant_a, health=HealthState.WARNING)
    listing = tech_client.get("/tenants/").content.decode()
    row = listing.split("Fabrikam</a>")[1].split("</tr>")[0]
    assert "lifecycle-live" in row and "health-warning" in row and "state-cancelled" in row
    assert row.index("lifecycle-live") < row.index(
        "state-cancelled"
    )  # the tenant first, its job after

    page = tech_client.get(tenant_a.get_absolute_url()).content.decode()
    assert page.index('id="tenant-state"') < page.index("Job history")
    assert "Live</span> since" in page and "Warning" in page

    dashboard = manager_client.get("/dashboard/").content.decode()
    assert "Live: 1" in dashboard and "Not onboarded: 1" in dashboard
    assert "Cancelled: " not in dashboard.split("Needs attention")[0]  # finished jobs are history
    assert "Warning: 1" in dashboard

    steps = tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/").content.decode()
    assert "The onboarding is not finished" not in steps
    assert "is live" in steps and "does not change the routing" in steps


def test_next_steps_still_warns_for_a_tenant_not_onboarded_yet(tech_client, tenant_a):
    job(tenant_a, JobState.CANCELLED)
    page = tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/").content.decode()
    assert "The onboarding is not finished" in page


def test_time_to_onboard_counts_each_tenants_first_completed_onboarding(tenant_a, tenant_b):
    make_live(tenant_a, rerun=JobState.CANCELLED)
    make_live(tenant_b, rerun=None)
    rerun = job(tenant_b, JobState.COMPLETED, took=timedelta(hours=20), ago=timedelta(hours=2))
    repair = job(
        tenant_b,
        JobState.COMPLETED,
        took=timedelta(hours=30),
        ago=timedelta(hours=1),
        kind="repair",
    )
    for later in (rerun, repair):
        lifecycle.job_completed(later)  # the engine's bookkeeping for each completed job
    times = completion_times()
    assert times[30]["count"] == 2
    assert times[30]["average"] == pytest.approx(2 * 3600, abs=5)
    assert times[30]["p90"] == pytest.approx(2 * 3600, abs=5)


def test_the_tenant_page_says_what_a_re_run_of_a_live_tenant_touches(
    tech_client, tenant_a, tenant_b
):
    make_live(tenant_a, rerun=JobState.CANCELLED)
    page = tech_client.get(tenant_a.get_absolute_url()).content.decode()
    promise = page.split('id="rerun-promise">')[1].split("</div>")[0]
    assert "keeps running every 1 h" in promise and "never paused" in promise
    will, will_not = promise.split("It will:")[1].split("It will not:")
    assert "no account is added, changed or deleted until you approve it" in will
    assert (
        "touch mail routing (MX records, connectors)" in will_not and "pause the sync" in will_not
    )
    assert "put back as they were" in promise
    modal = page.split('id="rerun-confirm"')[1].split("</form>")[0]
    assert "modal" in modal and "keeps running every 1 h" in modal and "It will not:" in modal
    assert (
        f'action="/tenants/{tenant_a.pk}/onboard/"' in modal and "Start the new onboarding" in modal
    )
    assert 'data-bs-target="#rerun-confirm"' in page
    assert "<script>" not in page  # strict CSP: the modal is Bootstrap's data API, no inline script
    fresh = tech_client.get(tenant_b.get_absolute_url()).content.decode()
    assert "rerun-confirm" not in fresh and 'data-confirm="Start onboarding Northwind?' in fresh


def test_the_tenant_list_filters_by_lifecycle_and_health_and_words_bad_values(
    tech_client, tenant_a, tenant_b
):
    make_live(tenant_a, health=HealthState.CRITICAL)
    live = tech_client.get("/tenants/", {"lifecycle": "live"}).content.decode()
    assert "Fabrikam" in live and "Northwind" not in live
    critical = tech_client.get("/tenants/", {"health": "critical"}).content.decode()
    assert "Fabrikam" in critical and "Northwind" not in critical
    bad = tech_client.get("/tenants/", {"lifecycle": "dead", "health": "x" * 300})
    assert bad.status_code == 200
    text = bad.content.decode()
    assert (
        "Unknown lifecycle “dead”: choose one of Not onboarded, Onboarding, Live, Offboarded."
        in text
    )
    assert "Unknown health" in text and "Fabrikam" in text and "Northwind" in text


def test_the_dashboard_filters_by_lifecycle_and_health(manager_client, tenant_a, tenant_b):
    make_live(tenant_a, health=HealthState.WARNING)
    csv_rows = manager_client.get(
        "/dashboard/", {"lifecycle": "live", "export": "csv"}
    ).content.decode()
    assert "Fabrikam" in csv_rows and "Northwind" not in csv_rows
    assert ",live," in csv_rows and ",warning," in csv_rows
    none = manager_client.get(
        "/dashboard/", {"health": "critical", "export": "csv"}
    ).content.decode()
    assert "Fabrikam" not in none
    assert manager_client.get("/dashboard/", {"lifecycle": "zombie"}).status_code == 200


# --- the API -------------------------------------------------------------------------------------
def test_the_api_shows_lifecycle_and_health(technician, tenant_a, tenant_b):
    api = token_client(technician)
    fresh = api.get(f"/api/v1/tenants/{tenant_b.pk}/").json()
    assert fresh["lifecycle"] == "not_onboarded" and fresh["live_since"] is None
    assert fresh["health"] == {"state": "unknown", "checked_at": None, "findings": []}
    make_live(tenant_a, health=HealthState.WARNING)
    body = api.get(f"/api/v1/tenants/{tenant_a.pk}/").json()
    assert body["lifecycle"] == "live" and body["live_since"].startswith(
        f"{tenant_a.live_since:%Y-%m-%dT%H:%M}"
    )
    assert (
        body["health"]["state"] == "warning"
        and body["health"]["checked_at"]
        and body["health"]["findings"] == []
    )
    rows = {row["id"]: row for row in api.get("/api/v1/tenants/").json()["results"]}
    assert (
        rows[tenant_a.pk]["lifecycle"] == "live"
        and rows[tenant_b.pk]["health"]["state"] == "unknown"
    )
    # Read-only: a PATCH cannot make a tenant live.
    api.patch(
        f"/api/v1/tenants/{tenant_b.pk}/",
        {"lifecycle": "live", "health": {"state": "ok"}},
        format="json",
    )
    tenant_b.refresh_from_db()
    assert (
        tenant_b.lifecycle == Lifecycle.NOT_ONBOARDED
        and tenant_b.health_state == HealthState.UNKNOWN
    )


def test_the_api_filters_by_lifecycle_and_health_and_refuses_bad_values_in_words(
    technician, tenant_a, tenant_b
):
    api = token_client(technician)
    make_live(tenant_a, health=HealthState.OK)

    def ids(**query):
        response = api.get("/api/v1/tenants/", query)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids(lifecycle="live") == [tenant_a.pk]
    assert ids(lifecycle="not_onboarded") == [tenant_b.pk]
    assert ids(health="ok") == [tenant_a.pk] and ids(health="unknown") == [tenant_b.pk]
    assert ids(lifecycle="live", health="critical") == []
    bad = api.get("/api/v1/tenants/", {"lifecycle": "dead", "health": "fine"})
    assert bad.status_code == 400
    assert bad.json() == {
        "lifecycle": ["“dead” is not one of: not_onboarded, onboarding, live, offboarded."],
        "health": ["“fine” is not one of: unknown, ok, warning, critical."],
    }


def test_the_api_starts_a_re_run_of_a_live_tenant_without_confirmation(
    technician, tenant_a, settings, dispatched
):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.lifecycle.pipelines.WAITS"
    make_live(tenant_a, rerun=None)
    response = token_client(technician).post(f"/api/v1/tenants/{tenant_a.pk}/onboardings/")
    assert response.status_code == 201, response.json()
    tenant_a.refresh_from_db()
    assert tenant_a.lifecycle == Lifecycle.LIVE


# --- constant query counts -----------------------------------------------------------------------
def populate(count: int, prefix: str) -> None:
    for index, tenant in enumerate(make_tenants(count, prefix=prefix)):
        if index % 3 == 0:
            make_live(
                tenant,
                health=[HealthState.OK, HealthState.WARNING, HealthState.CRITICAL][index % 3],
            )
        elif index % 3 == 1:
            job(tenant, JobState.RUNNING, current_step="create_app")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/tenants/",
        "/dashboard/",
        "/dashboard/?lifecycle=live",
        "/dashboard/?export=csv",
        "/api/v1/tenants/",
        "/api/v1/tenants/?health=ok",
    ],
)
def test_lists_and_the_dashboard_run_constant_queries(url, manager, manager_client):
    client = token_client(manager) if url.startswith("/api/") else manager_client
    populate(3, "few")
    client.get(url)  # a token's first use records its last-used time: not a per-tenant query
    few = queries(client, url)
    populate(27, "many")
    assert queries(client, url) == few
