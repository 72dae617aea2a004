"""In a real Chromium: starting a new onboarding of a live tenant says what it will and will not
touch,
next to the button and in a Bootstrap modal, and starts only once the technician confirms, with the
strict CSP raising no complaint."""

import pytest
from django.utils import timezone

from onboarding.models import JobState, OnboardingJob
from tenants.models import Lifecycle, Tenant
from tests.browser.harness import CHROMIUM
from tests.worker import wait_for

PARKED = (JobState.WAITING_CUSTOMER, JobState.WAITING_REVIEW, JobState.FAILED, JobState.COMPLETED)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium is not installed at {CHROMIUM}"),
]


def test_a_re_run_of_a_live_tenant_is_confirmed_in_a_modal(
    portal, page, technician, browser_problems
):
    tenant = Tenant.objects.create(
        name="Fabrikam",
        primary_domain="fabrikam.example",
        sync_frequency_hours=3,
        customer_admin_email="admin@fabrikam.example",
        created_by=technician,
    )
    first = OnboardingJob.objects.create(
        tenant=tenant, state=JobState.COMPLETED, finished_at=timezone.now()
    )
    Tenant.objects.filter(pk=tenant.pk).update(
        lifecycle=Lifecycle.LIVE, live_since=first.finished_at
    )

    portal.login(page, technician)
    page.goto(portal.url(f"/tenants/{tenant.pk}/"))
    promise = page.locator("#rerun-promise")
    assert "keeps running every 3 h" in promise.inner_text()
    assert "touch mail routing (MX records, connectors)" in promise.inner_text()
    modal = page.locator("#rerun-confirm")
    assert not modal.is_visible()

    page.click("button:has-text('Start a new onboarding')")
    modal.wait_for(state="visible")
    assert "never paused" in modal.inner_text() and "It will not:" in modal.inner_text()
    page.wait_for_timeout(400)  # the fade-in, for the screenshot
    portal.snap(page, "lifecycle-rerun-confirmation")
    page.click("#rerun-confirm button:has-text('Keep it as it is')")
    modal.wait_for(state="hidden")
    assert OnboardingJob.objects.filter(tenant=tenant).count() == 1  # nothing started

    page.click("button:has-text('Start a new onboarding')")
    modal.wait_for(state="visible")
    with page.expect_navigation():
        page.click("#rerun-confirm-start")
    assert "/jobs/" in page.url
    assert OnboardingJob.objects.filter(tenant=tenant).count() == 2
    tenant.refresh_from_db()
    assert tenant.lifecycle == Lifecycle.LIVE
    assert browser_problems == []
    # Let the portal's worker park the new job (it waits for the customer's consent) before the test
    # database is flushed, so no worker holds rows meanwhile.
    rerun = OnboardingJob.objects.filter(tenant=tenant).order_by("-pk").first()
    wait_for(
        lambda: OnboardingJob.objects.get(pk=rerun.pk).state in PARKED,
        timeout=60,
        message="the new job to wait for the customer",
    )
