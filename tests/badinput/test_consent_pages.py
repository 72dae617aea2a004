"""The customer's public consent pages with whatever Microsoft, a proxy or an attacker puts in the
URL:
never a 500, always a page (HTML, with the strict CSP) that tells the customer what happened."""

from urllib.parse import quote

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboarding.consent import links
from onboarding.models import JobState, OnboardingJob
from tests.badinput.strategies import nasty_text
from tests.security.routes import find_route

ANSWERED = (200, 400, 404, 410, 503)
LIMITS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CALLBACK_PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "state": st.one_of(st.just("VALID"), nasty_text),
        "error": st.one_of(
            st.sampled_from(
                ["access_denied", "consent_required", "invalid_request", "server_error"]
            ),
            nasty_text,
        ),
        "error_description": st.one_of(
            st.just("AADSTS65004: User declined to consent."), nasty_text
        ),
        "tenant": st.one_of(st.uuids().map(str), st.just("TENANT"), nasty_text),
        "admin_consent": st.one_of(st.sampled_from(["True", "true", "False", ""]), nasty_text),
        "scope": st.one_of(st.just("https://graph.microsoft.com/.default"), nasty_text),
    },
)


@pytest.fixture
def waiting_job(tenant_a, technician, dispatched):
    from onboarding import engine

    tenant_a.entra_tenant_id = "6f1c2a3b-0000-4000-8000-00000000000a"
    tenant_a.save()
    job = engine.start_job(tenant_a, technician)
    OnboardingJob.objects.filter(pk=job.pk).update(state=JobState.WAITING_CUSTOMER)
    return job


def assert_clear_page(response):
    assert response.status_code in ANSWERED, response.status_code
    assert "text/html" in response["Content-Type"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "<h1" in body and "Traceback" not in body


@LIMITS
@given(params=CALLBACK_PARAMS)
def test_the_callback_answers_any_parameters_with_a_clear_page(client, waiting_job, params):
    if find_route("consent-callback") is None:
        pytest.skip("the consent callback does not exist yet")
    cache.clear()  # the page is rate-limited per address; this test is one address
    params = dict(params)
    if params.get("state") == "VALID":
        params["state"] = links.state_for(links.create_link(waiting_job, "msp_app").link)
    if params.get("tenant") == "TENANT":
        params["tenant"] = waiting_job.tenant.entra_tenant_id
    assert_clear_page(client.get("/consent/callback/", params))


@LIMITS
@given(token=nasty_text)
def test_the_landing_page_answers_any_token_with_a_clear_page(client, db, token):
    if find_route("consent-landing") is None:
        pytest.skip("the consent landing page does not exist yet")
    cache.clear()
    response = client.get(f"/consent/{quote(token, safe='')}/")
    if response.status_code == 404 and "text/html" in response["Content-Type"] and "/" in token:
        return  # a token with a slash is not this route at all: the ordinary 404 page
    assert_clear_page(response)


@LIMITS
@given(query=st.dictionaries(nasty_text, nasty_text, max_size=4))
def test_the_landing_page_ignores_any_query_string(client, waiting_job, query):
    cache.clear()
    token = links.create_link(waiting_job, "msp_app").token
    assert_clear_page(client.get(f"/consent/{token}/", query))
