"""The job page: start, live progress by polling (286 when done), retry and cancel."""

from onboarding import engine
from onboarding.models import JobState, OnboardingJob


def test_start_onboarding_creates_a_job_and_opens_its_page(
    tech_client, tenant_a, dispatched, settings
):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"
    response = tech_client.post(f"/tenants/{tenant_a.pk}/onboard/")
    job = OnboardingJob.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    page = tech_client.get(f"/jobs/{job.pk}/").content.decode()
    assert "First" in page and 'hx-trigger="every 2s"' in page


def test_progress_polls_until_the_job_ends_then_answers_286(
    tech_client, tenant_a, dispatched, settings
):
    """A failed job polls slowly (a retry from the API or another tab shows up); a finished one
    stops."""
    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    job = engine.start_job(tenant_a)
    assert tech_client.get(f"/jobs/{job.pk}/progress/").status_code == 200
    engine.run_job(job.pk)
    response = tech_client.get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 200 and 'hx-trigger="every 10s"' in response.content.decode()
    assert "Authorization_RequestDenied" in response.content.decode()
    engine.cancel(job)
    response = tech_client.get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 286 and "hx-trigger" not in response.content.decode()


def test_retry_and_cancel_buttons_work_and_are_recorded(
    tech_client, tenant_a, dispatched, settings
):
    from onboarding.models import AuditEvent

    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    tech_client.post(f"/jobs/{job.pk}/retry/")
    job.refresh_from_db()
    assert job.state == JobState.RUNNING
    tech_client.post(f"/jobs/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "job.retried",
        "job.cancelled",
    }


def test_a_get_cannot_cancel(tech_client, tenant_a, dispatched, settings):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"
    job = engine.start_job(tenant_a)
    assert tech_client.get(f"/jobs/{job.pk}/cancel/").status_code == 405
