"""Pages looked at in real Chromium: the Next steps checklist keeps its ticks across a reload, My
jobs,
the tenant form's pre-flight problems next to their fields, keyboard basics (skip link, focus on the
first field), and the pictures of each kept in test-artifacts/browser/."""

from __future__ import annotations

import pytest

from onboarding.models import JobState, NextStepTick
from onboarding.pipeline import StepKey
from tenants.models import Tenant
from tests.onboarding.views.helpers import job_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checklist_ticks_survive_a_reload(portal, page, technician, browser_problems):
    tenant = Tenant.objects.create(
        name="Fabrikam",
        primary_domain="fabrikam.example",
        customer_admin_email="admin@fabrikam.example",
        created_by=technician,
    )
    job_at(tenant, technician, StepKey.ROUTING_COUNTDOWN, JobState.COMPLETED)
    portal.login(page, technician)
    page.goto(portal.url(f"/tenants/{tenant.pk}/next-steps/"))
    with page.expect_response(lambda r: "/next-steps/tick/" in r.url and r.status == 204):
        page.check("#tick-transport_rule")
    with page.expect_response(lambda r: "/next-steps/tick/" in r.url and r.status == 204):
        page.check("#tick-mx-fabrikam-example")
    assert "2 of" in page.locator(".checklist-progress").inner_text()
    portal.snap(page, "pages-01-next-steps-two-ticked")
    page.reload()
    assert page.is_checked("#tick-transport_rule") and page.is_checked("#tick-mx-fabrikam-example")
    assert not page.is_checked("#tick-outbound_connector")
    assert set(NextStepTick.objects.values_list("item", flat=True)) == {
        "transport_rule",
        "mx:fabrikam.example",
    }
    page.goto(portal.url(f"/tenants/{tenant.pk}/next-steps/handout/"))
    portal.snap(page, "pages-02-handout")
    assert browser_problems == [], browser_problems


def test_the_tenant_form_says_what_to_fix_next_to_the_field(
    portal, page, technician, browser_problems
):
    portal.login(page, technician)
    page.goto(portal.url("/tenants/new/"))
    assert page.evaluate("document.activeElement.id") == "id_name", "the first field has no focus"
    page.fill("#id_name", "Contoso Gov")
    page.fill("#id_primary_domain", "contoso-gov.example")
    page.fill("#id_customer_admin_email", "admin@contoso-gov.example")
    page.click("#submit-id-save")
    error = page.locator("#error_1_id_primary_domain")
    assert "national cloud" in error.inner_text()
    portal.snap(page, "pages-03-tenant-form-national-cloud")
    page.fill("#id_name", "Northwind")
    page.fill("#id_primary_domain", "northwind.example")
    page.fill("#id_customer_admin_email", "it@northwind.example")
    page.click("#submit-id-save")
    assert (
        'Tick "Create the Proofpoint org"'
        in page.locator("#error_1_id_create_proofpoint_org").inner_text()
    )
    portal.snap(page, "pages-04-tenant-form-org-missing")
    page.check("#id_create_proofpoint_org")
    page.click("#submit-id-save")
    page.wait_for_url("**/tenants/*/")
    assert Tenant.objects.filter(primary_domain="northwind.example").exists()
    portal.snap(page, "pages-05-tenant-page")
    assert browser_problems == [], browser_problems


def test_my_jobs_and_the_skip_link(portal, page, technician, browser_problems):
    tenant = Tenant.objects.create(
        name="Review me",
        primary_domain="review-me.example",
        customer_admin_email="it@review-me.example",
        created_by=technician,
    )
    job_at(tenant, technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    portal.login(page, technician)
    assert page.url.endswith("/jobs/mine/"), page.url  # what needs me, first
    assert "Review me" in page.locator(".needs-me").inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    portal.snap(page, "pages-06-my-jobs")
    assert browser_problems == [], browser_problems


def test_the_dashboard_pictures(portal, page, manager, browser_problems):
    from datetime import timedelta

    from django.utils import timezone

    from onboarding.engine import lifecycle
    from onboarding.models import OnboardingJob

    now = timezone.now()
    for index in range(9):
        tenant = Tenant.objects.create(
            name=f"Client {index}",
            primary_domain=f"client{index}.example",
            customer_admin_email=f"it@client{index}.example",
        )
        job = OnboardingJob.objects.create(tenant=tenant, state=JobState.COMPLETED)
        started = now - timedelta(days=7 * (index % 5) + 1)
        OnboardingJob.objects.filter(pk=job.pk).update(
            created_at=started, finished_at=started + timedelta(hours=2 + 3 * index)
        )
        job.refresh_from_db()
        lifecycle.job_completed(job)  # the engine's bookkeeping: live, with its time to onboard
    portal.login(page, manager)
    page.goto(portal.url("/dashboard/"))
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect").count() == 24  # 12 weeks, started and completed
    portal.snap(page, "pages-07-dashboard-charts")
    assert browser_problems == [], browser_problems
