"""A technician, in a real Chromium against the real portal (gunicorn + Celery worker + sandbox):
logs in, adds a tenant through the form (after seeing a mistake flagged next to its field), starts
the
onboarding and watches the steps change without reloading, with the strict CSP raising no
complaint."""

import pytest

from tenants.models import Tenant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_technician_adds_a_tenant_and_watches_the_onboarding_live(
    portal, page, technician, browser_problems
):
    portal.login(page, technician)
    assert page.url.endswith("/tenants/")
    portal.snap(page, "01-tenant-list-empty")

    page.click("text=New tenant")
    page.fill("#id_name", "Fabrikam")
    page.fill("#id_primary_domain", "fabrikam example")  # a space: not a domain
    page.fill("#id_customer_admin_email", "admin@fabrikam.example")
    page.select_option("#id_proofpoint_stack", "us1")
    portal.snap(page, "02-tenant-form")
    page.click("#submit-id-save")
    error = page.locator("#error_1_id_primary_domain")
    assert "not a valid domain name" in error.inner_text()
    assert page.locator("#id_primary_domain.is-invalid").count() == 1  # the field itself is marked
    assert not Tenant.objects.exists()
    portal.snap(page, "03-tenant-form-with-an-error")

    page.fill("#id_primary_domain", "fabrikam.example")
    page.click("#submit-id-save")
    page.wait_for_url("**/tenants/*/")
    tenant = Tenant.objects.get()
    assert tenant.primary_domain == "fabrikam.example"
    portal.snap(page, "04-tenant-page")

    polls = []
    page.on(
        "request",
        lambda request: polls.append(request.url) if "/progress/" in request.url else None,
    )
    page.click("button:has-text('Start onboarding')")
    assert "will be emailed a consent link" in portal.confirm(page)
    page.wait_for_url("**/jobs/*/")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    page.evaluate(
        "document.getElementById('job-progress').dataset.firstRender = 'yes'"
    )  # gone once swapped
    resolve = page.locator("li.step").nth(0)
    consent = page.locator("li.step").nth(1)
    resolve.locator(".step-badge-succeeded").wait_for(timeout=45_000)
    consent.locator(".step-badge-waiting").wait_for(timeout=45_000)
    page.wait_for_function("!document.getElementById('job-progress').dataset.firstRender")
    assert page.evaluate("window.__sameDocument === true"), (
        "the page reloaded instead of updating in place"
    )
    assert polls, "htmx never polled the progress partial"
    assert "Waiting for the customer" in page.locator("#job-progress").inner_text()
    portal.snap(page, "05-job-waiting-for-the-customer")

    assert browser_problems == [], browser_problems


def test_the_csp_blocks_inline_code_and_says_so(portal, page, technician, browser_problems):
    """The listener the other tests rely on really hears violations: inject inline code and
    watch."""
    portal.login(page, technician)
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1';
                             document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran === undefined"), (
        "an inline script ran: the CSP did not apply"
    )
    assert any("script-src" in problem for problem in browser_problems), browser_problems
