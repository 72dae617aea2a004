"""The job page in real Chromium: buttons arrive and leave with the htmx refresh (no reload),
confirmations are Bootstrap modals, times are shown in the viewer's zone, and at 390 px the job
page and the report fit the screen (no sideways scrolling)."""

from __future__ import annotations

import pytest

from onboarding.models import ConsentState, JobState, OnboardingJob, Step, StepState
from onboarding.pipeline import StepKey
from tenants.models import Tenant
from tests.onboarding.views.helpers import job_at, sent_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_tenant(technician, name: str) -> Tenant:
    slug = name.lower().replace(" ", "-")
    return Tenant.objects.create(
        name=name,
        primary_domain=f"{slug}.example",
        customer_admin_email=f"admin@{slug}.example",
        created_by=technician,
    )


def no_sideways_scroll(page) -> int:
    """How far the page, or any scrolling box in it (a .table-responsive), scrolls sideways."""
    return page.evaluate("""() => Math.max(
        document.documentElement.scrollWidth - document.documentElement.clientWidth,
        ...Array.from(document.querySelectorAll("main *")).filter(
            el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX)
        ).map(el => el.scrollWidth - el.clientWidth))""")


def test_buttons_follow_the_job_without_a_reload(portal, page, technician, browser_problems):
    job = job_at(
        a_tenant(technician, "Live buttons"),
        technician,
        StepKey.CUSTOMER_CONSENT,
        JobState.WAITING_CUSTOMER,
        message="Waiting for the customer.",
    )
    sent_link(job)
    portal.login(page, technician)
    page.goto(portal.url(f"/jobs/{job.pk}/"))
    page.evaluate("window.__sameDocument = true")
    assert (
        page.locator(".action-resend").count() == 1 and page.locator(".action-retry").count() == 0
    )
    portal.snap(page, "live-01-waiting-for-the-customer")

    # What a worker does when the step fails for good (no worker runs this job: it is written here).
    Step.objects.filter(job=job, key=StepKey.CUSTOMER_CONSENT).update(
        state=StepState.FAILED, message="Microsoft refused the onboarding app. [AADSTS700016]"
    )
    OnboardingJob.objects.filter(pk=job.pk).update(state=JobState.FAILED)
    page.locator(".action-retry").wait_for(timeout=10_000)
    assert page.locator(".action-resend").count() == 0
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    text = page.locator("#job-progress").inner_text()
    assert "[AADSTS700016]" not in text and "Details for support: code AADSTS700016" in text
    portal.snap(page, "live-02-failed-retry-offered")
    assert browser_problems == [], browser_problems


def test_cancel_asks_in_a_modal_and_not_now_keeps_the_job(
    portal, page, technician, browser_problems
):
    job = job_at(a_tenant(technician, "Modal"), technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    portal.login(page, technician)
    page.goto(portal.url(f"/jobs/{job.pk}/"))
    page.click(".action-cancel")
    page.locator("#confirm-modal.show").wait_for()
    page.locator("#confirm-modal .confirm-yes:focus").wait_for()  # the keyboard lands on the answer
    portal.snap(page, "live-03-cancel-modal")
    assert "Steps already done" in portal.confirm(page, accept=False)
    page.wait_for_timeout(300)
    assert OnboardingJob.objects.get(pk=job.pk).state == JobState.WAITING_REVIEW
    page.evaluate("document.querySelector('.action-cancel').dataset.old = '1'")
    page.click(".action-cancel")
    page.locator("#confirm-modal.show").wait_for()
    # A poll redraws the buttons behind the open modal; "Yes" must still cancel.
    page.locator(".action-cancel:not([data-old])").wait_for(state="attached", timeout=10_000)
    with page.expect_navigation():
        portal.confirm(page)
    assert OnboardingJob.objects.get(pk=job.pk).state == JobState.CANCELLED
    assert page.locator(".action-cancel").count() == 0
    assert browser_problems == [], browser_problems


def test_times_show_in_the_viewers_zone_with_the_full_time_on_hover(portal, chromium, technician):
    job = job_at(
        a_tenant(technician, "Zones"),
        technician,
        StepKey.CUSTOMER_CONSENT,
        JobState.WAITING_CUSTOMER,
    )
    sent_link(job, ConsentState.OPENED)
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris"
    )
    try:
        page = context.new_page()
        portal.login(page, technician)
        page.goto(portal.url(f"/jobs/{job.pk}/"))
        first = page.locator("time[data-local='1']").first
        first.wait_for()
        assert first.inner_text().endswith(("CET", "CEST")), first.inner_text()
        assert "Central European" in first.get_attribute("title"), first.get_attribute("title")
        portal.snap(page, "live-04-times-in-paris")
    finally:
        context.close()


@pytest.mark.parametrize("where", ["job", "report"])
def test_a_390px_screen_needs_no_sideways_scroll(portal, chromium, technician, where):
    from tests.browser.test_end_to_end import _job_waiting_for_review

    job = _job_waiting_for_review(technician, users=12)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    try:
        page = context.new_page()
        portal.login(page, technician)
        page.goto(portal.url(f"/jobs/{job.pk}/" if where == "job" else f"/jobs/{job.pk}/report/"))
        page.wait_for_load_state("networkidle")
        portal.snap(page, f"live-05-390px-{where}")
        assert no_sideways_scroll(page) <= 0, (
            f"the {where} page scrolls {no_sideways_scroll(page)} px sideways"
        )
    finally:
        context.close()


def test_report_counts_follow_exclusions_without_a_reload(
    portal, page, technician, browser_problems
):
    from tests.browser.test_end_to_end import _job_waiting_for_review

    job = _job_waiting_for_review(technician, users=8)
    portal.login(page, technician)
    page.goto(portal.url(f"/jobs/{job.pk}/report/?section=adding"))
    page.evaluate("window.__sameDocument = true")
    tabs = page.locator("#report-tabs")
    assert "Adding 8" in tabs.inner_text() and "excluded" not in tabs.inner_text()
    rows = page.locator("table.report-table tbody tr")
    for index in range(2):
        rows.nth(index).locator("button:has-text('Exclude')").click()
        page.locator("tr.report-excluded").nth(index).wait_for()
    page.locator("#report-tabs", has_text="2 excluded").wait_for()
    summary = page.locator(".report-summary").inner_text()
    assert "Adding 6 · 2 excluded" in summary, summary
    assert "exempt 2 excluded account(s)" in page.locator(".approval-plan").inner_text()
    assert page.evaluate("window.__sameDocument === true"), "the report reloaded"
    portal.snap(page, "live-06-report-after-two-exclusions")
    # Select-all ticks every box of the page.
    page.check("input.select-all")
    assert page.locator("input[name=ids]:checked").count() == rows.count()
    assert browser_problems == [], browser_problems
