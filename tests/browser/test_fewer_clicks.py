"""Fewer clicks, counted in a real browser: from "New tenant" to "waiting for the customer", and
from
"report ready" to "approved" when nothing needs excluding. Typing into fields is not counted; every
click on a link or button is (the confirmation modal's "Yes" included)."""

from __future__ import annotations

import re

import pytest

from onboarding.models import JobState, OnboardingJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STEP_WAIT_MS = 60_000


class Clicks:
    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)


def test_onboarding_fabrikam_takes_two_plus_two_clicks(
    portal, page, chromium, technician, browser_problems
):
    portal.login(page, technician)
    clicks = Clicks(page)
    clicks.click("text=New tenant")
    page.fill("#id_name", "Fabrikam")
    page.fill("#id_primary_domain", "fabrikam.example")
    page.fill("#id_customer_admin_email", "admin@fabrikam.example")
    with page.expect_navigation(url=re.compile(r".*/jobs/\d+/$")):
        clicks.click("#submit-id-save_start")
    page.locator("li.step").nth(1).locator(".step-badge-waiting").wait_for(timeout=STEP_WAIT_MS)
    to_waiting = clicks.count
    print(f"clicks from New tenant to waiting for the customer: {to_waiting}")
    assert to_waiting <= 3, to_waiting
    portal.snap(page, "clicks-01-waiting-for-the-customer")

    # The customer approves in their own browser (not the technician's clicks).
    link = portal.outbox_link("approve")
    customer_context = chromium.new_context()
    try:
        customer = customer_context.new_page()
        customer.goto(link)
        with customer.expect_navigation():
            customer.click("button:has-text('Continue to Microsoft')")
        with customer.expect_navigation(
            url=re.compile(re.escape(portal.base_url) + r"/consent/callback/.*")
        ):
            customer.click("button:has-text('Accept')")
    finally:
        customer_context.close()

    page.locator(".action-approve").wait_for(
        timeout=STEP_WAIT_MS
    )  # the report is ready, on the job page
    clicks = Clicks(page)
    clicks.click(".action-approve")
    with page.expect_navigation():
        question = page.locator("#confirm-modal.show .confirm-text")
        question.wait_for()
        assert "Approve and sync will add" in question.inner_text()
        clicks.click("#confirm-modal .confirm-yes")
    to_approved = clicks.count
    print(f"clicks from report ready to approved: {to_approved}")
    assert to_approved <= 2, to_approved
    job = OnboardingJob.objects.get(tenant__primary_domain="fabrikam.example")
    assert job.steps.get(key="review").data.get("approved_by") == technician.get_username()
    assert job.state in (JobState.RUNNING, JobState.COUNTDOWN, JobState.COMPLETED)
    portal.snap(page, "clicks-02-approved")
    assert browser_problems == [], browser_problems
