"""Small things people expect: My jobs (what needs me first), a link to the API docs from Help, the
tenant page listing every domain, no "<email>" for an empty contact name, a skip link, and a 403
logged as one line."""

import logging

import pytest

from onboarding.models import ConsentState, JobState, StepState
from onboarding.pipeline import StepKey
from tenants.models import Tenant
from tests.onboarding.views.helpers import job_at, sent_link, visible_text

pytestmark = pytest.mark.django_db


def a_tenant(name: str, **fields) -> Tenant:
    slug = name.lower().replace(" ", "-")
    return Tenant.objects.create(
        name=name,
        primary_domain=f"{slug}.example",
        customer_admin_email=f"it@{slug}.example",
        **fields,
    )


def test_my_jobs_puts_what_needs_me_first(tech_client, technician, manager):
    review = job_at(a_tenant("Review me"), technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    failed = job_at(
        a_tenant("Broken"),
        technician,
        StepKey.CREATE_APP,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message="Graph refused.",
    )
    declined = job_at(
        a_tenant("Said no"), technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER
    )
    sent_link(declined, ConsentState.DECLINED, "Declined.")
    waiting = job_at(
        a_tenant("Asked"), technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER
    )
    sent_link(waiting)
    job_at(a_tenant("Not mine"), manager, StepKey.REVIEW, JobState.WAITING_REVIEW)
    page = tech_client.get("/jobs/mine/").content.decode()
    needs, rest = page.split('id="running"')
    for job in (review, failed, declined):
        assert job.tenant.name in needs
    assert "Asked" in rest and "Asked" not in needs and "Not mine" not in page
    assert f'href="/jobs/{review.pk}/report/"' in needs  # straight to the report
    assert "The sync report waits for your review." in visible_text(needs)
    assert 'href="/jobs/mine/"' in page  # in the navigation


def test_home_opens_my_jobs_when_something_needs_the_technician(tech_client, technician):
    assert tech_client.get("/")["Location"] == "/tenants/"
    job_at(a_tenant("Review me"), technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    assert tech_client.get("/")["Location"] == "/jobs/mine/"


def test_help_links_to_the_api_docs(tech_client):
    page = tech_client.get("/help/").content.decode()
    assert 'href="/api/docs/"' in page


def test_the_tenant_page_lists_every_domain_and_hides_an_empty_name(tech_client, technician):
    tenant = a_tenant("Fabrikam", domains=["fabrikam.example.org"], customer_admin_name="")
    job = job_at(tenant, technician, StepKey.CONFIGURE_SYNC, JobState.RUNNING)
    job.steps.filter(key=StepKey.PREPARE_ORG).update(
        data={"domains": ["fabrikam-mail.example", "fabrikam.example"]}
    )
    text = visible_text(tech_client.get(f"/tenants/{tenant.pk}/").content.decode())
    for domain in ("fabrikam.example", "fabrikam.example.org", "fabrikam-mail.example"):
        assert domain in text
    assert "found in Entra ID" in text
    assert "<it@fabrikam.example>" not in text and "it@fabrikam.example" in text


def test_a_skip_link_leads_to_the_content(tech_client):
    page = tech_client.get("/tenants/").content.decode()
    assert 'href="#main">Skip to the content</a>' in page and '<main id="main"' in page


def test_a_403_is_one_line_with_its_reason(outsider_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert outsider_client.get("/tenants/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is None and record.exc_text is None
    assert (
        record.getMessage()
        == "Forbidden (Permission denied): /tenants/ (Your account has no technician or "
        "manager role.)"
    )
