"""Consent links and the callback: declined, resend, revoke, tampered/expired/reused state, wrong
tenant."""

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from onboarding import engine
from onboarding.consent import answers, links
from onboarding.models import AuditEvent, ConsentLink, ConsentState, JobState
from tests.onboarding.entra_fixtures import drive, last_link_token

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def waiting_job(entra, tenant_a, technician):
    job = drive(engine.start_job(tenant_a, technician))
    assert job.state == JobState.WAITING_CUSTOMER
    return job


def callback_query(customer, decision="approve") -> tuple[str, dict]:
    path = customer.microsoft_answer(last_link_token(), decision)
    return path.split("?")[0], {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def test_a_declining_customer_leaves_the_job_waiting_and_a_resend_works(
    waiting_job, customer, tech_client, entra
):
    old_token = last_link_token()
    page = customer.answer(old_token, decision="decline")
    assert page.status_code == 200 and b"You did not approve" in page.content
    job = drive(waiting_job)
    assert job.state == JobState.WAITING_CUSTOMER
    step = job.steps.get(key="customer_consent")
    assert "declined" in step.message and "Resend" in step.message
    assert AuditEvent.objects.filter(action="consent.declined", actor_label="customer").exists()

    response = tech_client.post(f"/jobs/{job.pk}/consent/resend/")
    assert response.status_code == 302
    new_token = last_link_token()
    assert new_token != old_token and len(mail.outbox) == 2
    assert customer.client.get(f"/consent/{old_token}/").status_code == 410

    customer.answer(new_token)
    assert drive(job).state == JobState.COMPLETED


def test_v2_consent_required_errors_count_as_declined(waiting_job, client):
    link = links.latest_link(waiting_job)
    state = links.state_for(link)
    query = urlencode(
        {
            "admin_consent": "True",
            "error": "consent_required",
            "state": state,
            "error_description": "AADSTS65004: User declined to consent to access the app.",
        }
    )
    page = client.get(f"/consent/callback/?{query}")
    assert b"You did not approve" in page.content
    link.refresh_from_db()
    assert link.state == ConsentState.DECLINED and link.answered_at


def test_a_tampered_state_is_refused(waiting_job, customer):
    path, query = callback_query(customer)
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    page = customer.client.get(f"{path}?{urlencode(query)}")
    assert page.status_code == 404 and b"not valid" in page.content
    assert links.latest_link(waiting_job).state == ConsentState.OPENED


def test_an_unknown_state_or_none_is_refused(waiting_job, client):
    assert client.get("/consent/callback/?admin_consent=True&state=made-up").status_code == 404
    assert client.get("/consent/callback/?admin_consent=True").status_code == 404


def test_an_expired_state_is_refused_and_says_to_ask_for_a_new_link(waiting_job, customer):
    path, query = callback_query(customer)
    ConsentLink.objects.filter(job=waiting_job).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = customer.client.get(f"{path}?{urlencode(query)}")
    assert page.status_code == 410 and b"expired" in page.content and b"new link" in page.content


def test_a_reused_state_is_refused(waiting_job, customer):
    path, query = callback_query(customer)
    url = f"{path}?{urlencode(query)}"
    assert customer.client.get(url).status_code == 200
    again = customer.client.get(url)
    assert again.status_code == 410 and b"already been used" in again.content


def test_an_expired_link_shows_a_clear_page(waiting_job, client):
    token = last_link_token()
    ConsentLink.objects.filter(job=waiting_job).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page = client.get(f"/consent/{token}/")
    assert page.status_code == 410 and b"expired" in page.content
    assert client.get("/consent/not-a-real-token/").status_code == 404


def test_consent_in_another_tenant_is_not_trusted(waiting_job, customer, entra):
    path, query = callback_query(customer, decision="decline")
    link = links.latest_link(waiting_job)
    ConsentLink.objects.filter(pk=link.pk).update(
        state=ConsentState.OPENED
    )  # pretend it came back approved
    query = {
        "admin_consent": "True",
        "tenant": entra.tenant("northwind.example")["id"],
        "state": query["state"],
    }
    page = customer.client.get(f"{path}?{urlencode(query)}")
    assert b"different organization" in page.content
    job = drive(waiting_job)
    assert job.state == JobState.WAITING_CUSTOMER
    assert "another organization" in job.steps.get(key="customer_consent").message


def test_a_claimed_success_without_real_consent_keeps_waiting(waiting_job, client, settings):
    settings.ENTRA_REPLICATION_SECONDS = 1
    link = links.latest_link(waiting_job)
    tenant_id = waiting_job.tenant.entra_tenant_id
    query = urlencode(
        {"admin_consent": "True", "tenant": tenant_id, "state": links.state_for(link)}
    )
    assert b"Thank you" in client.get(f"/consent/callback/?{query}").content
    ConsentLink.objects.filter(pk=link.pk).update(answered_at=timezone.now() - timedelta(seconds=5))
    job = drive(waiting_job)
    assert job.state == JobState.WAITING_CUSTOMER
    assert "still cannot work" in job.steps.get(key="customer_consent").message


def test_staff_see_the_link_timeline_and_can_revoke_it(waiting_job, tech_client, customer):
    token = last_link_token()
    customer.client.get(f"/consent/{token}/")
    status = links.consent_status(waiting_job)
    assert status["state"] == "opened" and status["sent_to"] == "admin@fabrikam.example"
    assert status["sent_at"] and status["opened_at"] and status["answered_at"] is None
    assert status["url"].endswith(f"/consent/{token}/")
    page = tech_client.get(f"/jobs/{waiting_job.pk}/").content.decode()
    assert "Customer consent" in page and status["url"] in page and "Resend consent link" in page

    assert tech_client.post(f"/jobs/{waiting_job.pk}/consent/revoke/").status_code == 302
    assert links.consent_status(waiting_job)["state"] == "revoked"
    assert links.consent_status(waiting_job)["url"] is None
    assert customer.client.get(f"/consent/{token}/").status_code == 410
    with pytest.raises(engine.NotAllowedNow):
        answers.revoke_consent(waiting_job, None)


def test_resend_is_refused_when_the_job_is_not_waiting_for_the_customer(
    entra, tenant_a, technician
):
    entra.consent("fabrikam.example")
    job = drive(engine.start_job(tenant_a))
    with pytest.raises(engine.NotAllowedNow):
        answers.resend_consent(job, technician)


def test_people_without_a_role_cannot_resend_or_revoke(waiting_job, outsider_client):
    assert outsider_client.post(f"/jobs/{waiting_job.pk}/consent/resend/").status_code == 403
    assert outsider_client.post(f"/jobs/{waiting_job.pk}/consent/revoke/").status_code == 403
    assert len(mail.outbox) == 1


def test_the_button_sends_the_admin_to_microsoft_for_their_own_tenant(
    waiting_job, client, settings
):
    token = last_link_token()
    landing = client.get(f"/consent/{token}/")
    assert b"Global Administrator" in landing.content and b"Fabrikam" in landing.content
    go = client.post(f"/consent/{token}/go/")
    target = urlsplit(go["Location"])
    params = parse_qs(target.query)
    assert go["Location"].startswith(settings.MICROSOFT_LOGIN_BROWSER_URL)
    assert target.path == f"/{waiting_job.tenant.entra_tenant_id}/adminconsent"
    assert params["client_id"] == [settings.MSP_APP_CLIENT_ID]
    assert params["redirect_uri"] == [f"{settings.PORTAL_BASE_URL}/consent/callback/"]
    assert token not in params["state"][0]
    assert client.get(f"/consent/{token}/go/").status_code == 405


def test_the_public_pages_are_rate_limited(waiting_job, client, settings):
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = True
    cache.clear()
    # django-ratelimit counts in fixed one-minute windows: 61 quick requests put more than 30 into
    # one
    # window even when they straddle a boundary.
    statuses = [client.get("/consent/nope/").status_code for _ in range(61)]
    cache.clear()
    assert statuses[:30] == [404] * 30  # the allowance is served (the counter starts empty)
    assert 429 in statuses
