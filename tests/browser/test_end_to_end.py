"""The whole onboarding in real Chromium against the real portal (gunicorn + Celery worker +
sandbox):

a technician logs in, adds Fabrikam (the sandbox's demo tenant) and starts the onboarding; the
customer,
in a separate browser with no login, opens the emailed link and accepts on the sandbox's
Microsoft-style
consent page; the technician watches the steps, opens the sync report, excludes two users, approves
(the confirmation modal states the counts), sees the routing countdown and the job completes without
a
reload. Proofpoint then holds the two excluded users as exemptions and not as accounts; a manager
sees
Fabrikam as Completed on the dashboard. Finally every page, API answer, email, log line (the test's,
the
worker's and gunicorn's) and database text the run produced is scanned for the secrets it involved.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from onboarding.models import ImportState, JobState, OnboardingJob, Section, SyncReportRow
from onboarding.report import queries as report_queries
from tenants.models import EntraApplication, Tenant
from tests.security.scan import (
    database_texts,
    log_texts,
    outbox_texts,
    scan_for_secrets,
    worker_log_texts,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEP_WAIT_MS = 60_000


def job_state(job) -> str:
    return OnboardingJob.objects.values_list("state", flat=True).get(pk=job.pk)


def test_a_technician_onboards_fabrikam_end_to_end(
    portal, page, chromium, technician, manager, browser_problems
):
    started = time.monotonic()
    pages: dict[str, str] = {}
    portal.record_responses(page, pages, "technician")

    # --- the technician adds the tenant and starts the onboarding
    # -------------------------------------
    portal.login(page, technician)
    page.click("text=New tenant")
    page.fill("#id_name", "Fabrikam")
    page.fill("#id_primary_domain", "fabrikam.example")
    page.fill("#id_customer_admin_email", "admin@fabrikam.example")
    page.select_option("#id_proofpoint_stack", "us1")
    portal.snap(page, "e2e-01-tenant-form")
    page.click("#submit-id-save")
    page.wait_for_url("**/tenants/*/")
    tenant = Tenant.objects.get(primary_domain="fabrikam.example")
    portal.snap(page, "e2e-02-tenant-page")

    page.click("button:has-text('Start onboarding')")
    portal.confirm(page)
    page.wait_for_url("**/jobs/*/")
    job = OnboardingJob.objects.get(tenant=tenant)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    steps = page.locator("li.step")
    steps.nth(1).locator(".step-badge-waiting").wait_for(timeout=STEP_WAIT_MS)
    assert "Waiting for the customer" in page.locator("#job-progress").inner_text()
    page.locator(".action-resend").wait_for()  # the buttons come with the steps, no reload
    assert (
        page.locator(".action-cancel").count() == 1 and page.locator(".action-review").count() == 0
    )
    portal.snap(page, "e2e-03-job-waiting-for-the-customer")

    # --- the customer, in their own browser, approves from the email
    # -----------------------------------
    link = portal.outbox_link("approve")
    assert link.startswith(portal.base_url + "/consent/"), link
    customer_context = chromium.new_context(viewport={"width": 1100, "height": 900})
    try:
        customer = customer_context.new_page()
        customer.set_default_timeout(15_000)
        portal.record_responses(customer, pages, "customer")
        customer.goto(link)
        assert "asks for your approval" in customer.content()
        portal.snap(customer, "e2e-04-customer-landing")
        with customer.expect_navigation():
            customer.click("button:has-text('Continue to Microsoft')")
        assert customer.url.startswith(portal.sandbox.login_browser_url), customer.url
        assert "Permissions requested" in customer.content()
        portal.snap(customer, "e2e-05-microsoft-consent-page")
        with customer.expect_navigation(
            url=re.compile(re.escape(portal.base_url) + r"/consent/callback/.*")
        ):
            customer.click("button:has-text('Accept')")
        customer.wait_for_load_state()
        assert "Thank you" in customer.content()
        portal.snap(customer, "e2e-06-customer-thank-you")
    finally:
        customer_context.close()

    # --- the technician watches the steps run, live, up to the review
    # ----------------------------------
    review_link = page.locator("a.action-review")
    review_link.wait_for(timeout=STEP_WAIT_MS)
    assert page.evaluate("window.__sameDocument === true"), (
        "the job page reloaded instead of updating in place"
    )
    assert page.locator(".action-resend").count() == 0, "Resend stayed after the customer answered"
    assert "the portal checks it" not in page.locator("#job-progress").inner_text()
    for index in range(9):  # every step before the review succeeded
        assert steps.nth(index).locator(".step-badge-succeeded").count() == 1, steps.nth(
            index
        ).inner_text()
    portal.snap(page, "e2e-07-job-waiting-for-review")

    review_link.click()
    page.wait_for_url("**/report/**")
    portal.snap(page, "e2e-08-sync-report")
    page.goto(portal.url(f"/jobs/{job.pk}/report/?section=adding&kind=user&enabled=true"))
    rows = page.locator("table.report-table tbody tr")
    assert rows.count() >= 3, "the report should list users to add"
    excluded_emails = []
    for index in range(2):
        row = rows.nth(index)
        excluded_emails.append(row.locator("td").nth(1).inner_text().strip())
        row.locator("button:has-text('Exclude')").click()
        page.locator(f"tr.report-excluded:has-text('{excluded_emails[-1]}')").wait_for()
    assert set(
        SyncReportRow.objects.filter(job=job, excluded=True).values_list("email", flat=True)
    ) == set(excluded_emails)
    portal.snap(page, "e2e-09-two-users-excluded")

    # The plan and its confirm text are rendered with the page; htmx swaps only the rows (see
    # test_the_approve_dialog_counts_exclusions_made_in_place below), so read the page again first.
    page.reload()
    assert "exempt 2 excluded account(s)" in page.locator(".approval-plan").inner_text()
    counts = report_queries.summary(job)
    adding = counts["sections"][Section.ADDING] - counts["excluded"][Section.ADDING]
    updating = counts["sections"][Section.UPDATING] - counts["excluded"][Section.UPDATING]
    page.click("button:has-text('Approve and sync')")
    with page.expect_navigation():
        dialogs = [portal.confirm(page)]
    assert f"add {adding} account(s)" in dialogs[0], dialogs[0]
    assert f"update {updating}" in dialogs[0], dialogs[0]
    assert "exempt 2 excluded account(s)" in dialogs[0], dialogs[0]

    # --- the countdown, then Completed, without a reload
    # ----------------------------------------------
    if not page.url.rstrip("/").endswith(f"/jobs/{job.pk}"):
        page.goto(portal.url(f"/jobs/{job.pk}/"))
    page.evaluate("window.__sameDocument = true")
    countdown = page.locator(".routing-panel .countdown")
    countdown.wait_for(timeout=STEP_WAIT_MS)
    assert "Do not change MX records" in page.locator(".routing-panel").inner_text()
    assert page.locator(".action-cancel").count() == 0, (
        "Cancel is offered during the countdown, after the import"
    )
    portal.snap(page, "e2e-10-routing-countdown")
    page.locator("#job-progress .state-completed, #job-progress :text('Completed')").first.wait_for(
        timeout=STEP_WAIT_MS
    )
    assert page.evaluate("window.__sameDocument === true"), (
        "the page reloaded instead of updating in place"
    )
    assert job_state(job) == JobState.COMPLETED
    assert "Routing is ready since" in page.locator(".routing-panel").inner_text()
    progress = page.locator("#job-progress").inner_text()
    assert page.locator(".action-cancel").count() == 0, "Cancel is offered after the import"
    assert "(paused)" not in progress and "paused until the report is approved" not in progress, (
        progress
    )
    portal.snap(page, "e2e-11-job-completed")

    # --- Proofpoint: the excluded users are exemptions, not accounts; the rest are there once
    # ----------
    org = next(
        o
        for o in portal.sandbox_admin.state()["proofpoint"]["orgs"]
        if o["primary_domain"] == "fabrikam.example"
    )
    accounts = [u["primary_email"].lower() for u in org["users"]]
    assert len(accounts) == len(set(accounts)), "a duplicate account in Proofpoint"
    for email in excluded_emails:
        assert email.lower() in {e.lower() for e in org["exemptions"]}, (email, org["exemptions"])
        assert email.lower() not in accounts, email
    imported = SyncReportRow.objects.filter(
        job=job, section=Section.ADDING, import_state=ImportState.DONE
    )
    assert imported.count() == adding
    assert set(imported.values_list("email", flat=True)) <= set(accounts)

    # --- a manager sees Fabrikam completed on the dashboard
    # -------------------------------------------
    manager_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        boss = manager_context.new_page()
        boss.set_default_timeout(15_000)
        portal.record_responses(boss, pages, "manager")
        portal.login(boss, manager)
        boss.goto(portal.url("/dashboard/"))
        row = boss.locator("tr:has-text('Fabrikam')")
        assert row.count() == 1, boss.content()[:2000]
        assert "Completed" in row.inner_text(), row.inner_text()
        portal.snap(boss, "e2e-12-manager-dashboard")
    finally:
        manager_context.close()

    # --- nothing the run made shows a secret anywhere
    # --------------------------------------------------
    app = EntraApplication.objects.get(tenant=tenant)
    assert app.secret, "the portal stored no client secret"
    credentials = portal.sandbox.proofpoint_credentials
    secrets = {
        "customer app secret": app.secret,
        "MSP app secret": portal.sandbox.msp["secret"],
        "Proofpoint API password": credentials["password"],
    }
    texts = {
        **pages,
        **portal.api_texts(technician, job),
        **outbox_texts(),
        **database_texts(),
        **worker_log_texts(portal.worker),
        **log_texts(portal.server.output().splitlines(), "gunicorn log"),
        **log_texts(_sandbox_request_log(portal), "sandbox request log"),
    }
    assert len(pages) >= 15, sorted(pages)
    leaks = scan_for_secrets(texts, secrets)
    assert not leaks, [str(leak) for leak in leaks]

    assert browser_problems == [], browser_problems
    assert time.monotonic() - started < 120, (
        f"the end-to-end run took {time.monotonic() - started:.0f} s"
    )


def _sandbox_request_log(portal) -> list[str]:
    response = requests.get(
        f"{portal.sandbox.login_url}/_sandbox/requests",
        verify=str(portal.sandbox.ca_path),
        timeout=10,
    )
    return [str(entry) for entry in response.json()["recent"]]


def test_the_approve_dialog_counts_exclusions_made_in_place(portal, page, technician):
    """Excluding a row swaps that row in place (htmx); the "Approve and sync" confirm must still
    state
    the counts that approving will act on, not those of when the page was loaded."""
    job = _job_waiting_for_review(technician, users=5)
    portal.login(page, technician)
    page.goto(portal.url(f"/jobs/{job.pk}/report/?section=adding"))
    row = page.locator("table.report-table tbody tr").first
    row.locator("button:has-text('Exclude')").click()
    page.locator("tr.report-excluded").wait_for()
    assert SyncReportRow.objects.filter(job=job, excluded=True).count() == 1

    page.click("button:has-text('Approve and sync')")
    page.locator("#confirm-modal.show").wait_for()
    portal.snap(page, "approve-dialog-after-an-in-place-exclusion")
    dialogs = [portal.confirm(page, accept=False)]
    assert "add 4 account(s)" in dialogs[0] and "exempt 1 excluded account(s)" in dialogs[0], (
        f"the confirm states the counts of when the page loaded: {dialogs[0]!r}"
    )


def _job_waiting_for_review(technician, users: int) -> OnboardingJob:
    """A job parked at the review with `users` rows to add, written straight to the database (no
    worker
    runs it: a waiting review step has no timer the sweeper would fire)."""
    from django.utils import timezone

    from onboarding.models import Step, StepState
    from onboarding.pipeline import STEPS

    tenant = Tenant.objects.create(
        name="Review only",
        primary_domain="review-only.example",
        customer_admin_email="admin@review-only.example",
        created_by=technician,
    )
    job = OnboardingJob.objects.create(
        tenant=tenant, started_by=technician, state=JobState.WAITING_REVIEW, current_step="review"
    )
    review_at = [spec.key for spec in STEPS].index("review")
    Step.objects.bulk_create(
        Step(
            job=job,
            key=spec.key,
            order=index,
            state=StepState.SUCCEEDED
            if index < review_at
            else StepState.WAITING
            if index == review_at
            else StepState.PENDING,
            data={"built_at": timezone.now().isoformat()} if spec.key == "build_report" else {},
        )
        for index, spec in enumerate(STEPS)
    )
    SyncReportRow.objects.bulk_create(
        SyncReportRow(
            job=job,
            email=f"user{i}@review-only.example",
            display_name=f"User {i}",
            firstname="User",
            surname=str(i),
            section=Section.ADDING,
            kind="user",
            proofpoint_type="end_user",
            licensed=True,
            enabled=True,
        )
        for i in range(users)
    )
    return job
