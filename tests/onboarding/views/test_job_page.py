"""The live job page: its buttons follow the job's state in the polled partial itself, step texts
change once their moment has passed, a running step says for how long, every time names its zone,
and no page shows a step key or a bracketed code."""

import re

import pytest

from onboarding import engine
from onboarding.models import ConsentState, JobState, StepState
from onboarding.pipeline import StepKey
from tests.onboarding.views.helpers import internal_words, job_at, sent_link, visible_text

pytestmark = pytest.mark.django_db
BUTTONS = (
    "action-retry",
    "action-resend",
    "action-cancel",
    "action-review",
    "action-revoke",
    "action-edit",
)


def progress(client, job) -> str:
    response = client.get(f"/jobs/{job.pk}/progress/")
    assert response.status_code in (200, 286)
    return response.content.decode()


def buttons(page: str) -> set[str]:
    return {name for name in BUTTONS if re.search(rf'class="[^"]*\b{name}\b', page)}


def test_waiting_for_the_customer_offers_resend_revoke_and_cancel(
    tech_client, tenant_a, technician
):
    job = job_at(tenant_a, technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER)
    sent_link(job)
    assert buttons(progress(tech_client, job)) == {
        "action-resend",
        "action-revoke",
        "action-cancel",
    }


def test_the_review_offers_review_and_cancel(tech_client, tenant_a, technician):
    job = job_at(tenant_a, technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    assert buttons(progress(tech_client, job)) == {"action-review", "action-cancel"}


def test_a_failed_step_offers_retry_and_cancel(tech_client, tenant_a, technician):
    job = job_at(
        tenant_a,
        technician,
        StepKey.CREATE_APP,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message="Graph refused. [Authorization_RequestDenied]",
    )
    assert buttons(progress(tech_client, job)) == {"action-retry", "action-edit", "action-cancel"}


def test_a_permanent_failure_offers_editing_and_cancelling_not_retry(
    tech_client, tenant_a, technician
):
    job = job_at(
        tenant_a,
        technician,
        StepKey.RESOLVE_TENANT,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message="fabrikam.example is in a US Government (GCC High / DoD) or other national cloud "
        "(usgovcloudapi). [national_cloud]",
    )
    page = progress(tech_client, job)
    assert buttons(page) == {"action-edit", "action-cancel"}
    assert "Retrying cannot help here" in visible_text(page)
    assert (
        tech_client.post(f"/jobs/{job.pk}/retry/").status_code == 302
    )  # the engine still allows it by API


def test_cancel_goes_once_the_import_has_run_and_the_engine_refuses_it(
    tech_client, tenant_a, technician
):
    job = job_at(tenant_a, technician, StepKey.ROUTING_COUNTDOWN, JobState.COUNTDOWN)
    page = progress(tech_client, job)
    assert buttons(page) == set()
    with pytest.raises(engine.NotAllowedNow):
        engine.cancel(job)
    tech_client.post(f"/jobs/{job.pk}/cancel/")
    job.refresh_from_db()
    assert job.state == JobState.COUNTDOWN


def test_a_finished_job_offers_nothing_and_stops_polling(tech_client, tenant_a, technician):
    job = job_at(
        tenant_a,
        technician,
        StepKey.ROUTING_COUNTDOWN,
        JobState.COMPLETED,
        stop_state=StepState.SUCCEEDED,
    )
    response = tech_client.get(f"/jobs/{job.pk}/progress/")
    assert response.status_code == 286 and buttons(response.content.decode()) == set()


def test_paused_is_no_longer_said_after_the_import(tech_client, tenant_a, technician):
    before = job_at(tenant_a, technician, StepKey.REVIEW, JobState.WAITING_REVIEW)
    before.steps.filter(key=StepKey.CONFIGURE_SYNC).update(
        message="Azure sync is configured in Proofpoint and paused until the report is approved."
    )
    page = visible_text(progress(tech_client, before))
    assert "(paused)" in page and "paused until the report is approved" in page
    engine.cancel(before)

    after = job_at(tenant_a, technician, StepKey.ROUTING_COUNTDOWN, JobState.COUNTDOWN)
    after.steps.filter(key=StepKey.CONFIGURE_SYNC).update(
        message="Azure sync is configured in Proofpoint and paused until the report is approved."
    )
    page = visible_text(progress(tech_client, after))
    assert "(paused)" not in page and "paused until" not in page
    assert "switched on when the accounts were imported" in page


def test_the_portal_checks_it_turns_into_the_result(tech_client, tenant_a, technician):
    job = job_at(
        tenant_a,
        technician,
        StepKey.CUSTOMER_CONSENT,
        JobState.RUNNING,
        stop_state=StepState.PENDING,
    )
    sent_link(job, ConsentState.APPROVED, "The administrator approved; the portal checks it.")
    assert "the portal is checking" in visible_text(progress(tech_client, job))
    job.steps.filter(key=StepKey.CUSTOMER_CONSENT).update(state=StepState.SUCCEEDED)
    page = visible_text(progress(tech_client, job))
    assert "the portal checks it" not in page and "confirmed it can now work in the tenant" in page


def test_a_running_step_says_how_long_it_has_run(tech_client, tenant_a, technician):
    job = job_at(
        tenant_a, technician, StepKey.CREATE_APP, JobState.RUNNING, stop_state=StepState.RUNNING
    )
    page = progress(tech_client, job)
    match = re.search(r'class="elapsed" data-seconds="(\d+)">([^<]+)<', page)
    assert match and 75 <= int(match.group(1)) < 90 and match.group(2).startswith("1 min 1"), match


def test_every_time_names_its_zone_with_the_full_time_on_hover(tech_client, tenant_a, technician):
    job = job_at(tenant_a, technician, StepKey.CUSTOMER_CONSENT, JobState.WAITING_CUSTOMER)
    sent_link(job)
    page = tech_client.get(f"/jobs/{job.pk}/").content.decode()
    times = re.findall(
        r"<time datetime=\"([^\"]+)\" data-style=\"\w+\" title=\"([^\"]+)\">([^<]+)</time>", page
    )
    assert len(times) >= 4, times  # started, sent, expires, a step's end
    for iso, full, shown in times:
        assert iso.endswith("+00:00") and shown.endswith(" UTC") and full.endswith(" UTC"), (
            iso,
            full,
            shown,
        )
    assert 'src="/static/portal/localtime.js"' in page
    shown_text = visible_text(page)
    bare = re.search(r"\b\d\d:\d\d(?::\d\d)?(?![:\d])(?! UTC)", shown_text)
    assert not bare, f"a time without its zone: {shown_text[bare.start() - 60 : bare.end() + 10]}"


def test_no_page_shows_a_step_key_or_a_bracketed_code(
    tech_client, manager_client, tenant_a, tenant_b, technician
):
    failed = job_at(
        tenant_a,
        technician,
        StepKey.PREPARE_ORG,
        JobState.FAILED,
        stop_state=StepState.FAILED,
        message="Proofpoint has no organisation for fabrikam.example. [org_missing] "
        "(request-id 7f-1)",
    )
    declined = job_at(
        tenant_b,
        technician,
        StepKey.CUSTOMER_CONSENT,
        JobState.WAITING_CUSTOMER,
        message="The customer's administrator declined consent (Declined: The user declined "
        "to consent. [access_denied]). Resend the link when they are ready.",
    )
    sent_link(
        declined, ConsentState.DECLINED, "Declined: The user declined to consent. [access_denied]"
    )
    pages = {
        "failed job": tech_client.get(f"/jobs/{failed.pk}/").content.decode(),
        "declined job": tech_client.get(f"/jobs/{declined.pk}/").content.decode(),
        "tenant list": tech_client.get("/tenants/").content.decode(),
        "tenant page": tech_client.get(f"/tenants/{tenant_a.pk}/").content.decode(),
        "dashboard": manager_client.get("/dashboard/").content.decode(),
        "my jobs": tech_client.get("/jobs/mine/").content.decode(),
        "next steps": tech_client.get(f"/tenants/{tenant_a.pk}/next-steps/").content.decode(),
        "report": tech_client.get(f"/jobs/{failed.pk}/report/").content.decode(),
    }
    for name, page in pages.items():
        assert internal_words(visible_text(page)) == [], (name, internal_words(visible_text(page)))
    assert "Details for support: code org_missing · request id 7f-1" in visible_text(
        pages["failed job"]
    )
    assert "Details for support: code access_denied" in visible_text(pages["declined job"])
    assert "Prepare the Proofpoint organisation and domains" in visible_text(pages["tenant list"])
