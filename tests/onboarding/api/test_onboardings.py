"""Onboardings over the API: start (201/409), list and read in api.md's shape, retry, cancel,
resend."""

from datetime import timedelta

from django.utils import timezone

from onboarding import engine
from onboarding.models import AuditEvent, ConsentLink, JobState, OnboardingJob
from tenants.models import EntraApplication

JOB_KEYS = {
    "id",
    "tenant",
    "state",
    "current_step",
    "started_by",
    "created_at",
    "finished_at",
    "routing_ready_at",
    "steps",
    "consent",
    "app",
    "kind",
}  # kind: onboarding | repair (api.md v1.1)
STEP_KEYS = {"key", "title", "state", "message", "attempts", "started_at", "finished_at"}
CONSENT_KEYS = {"state", "sent_to", "sent_at", "opened_at", "answered_at", "expires_at", "url"}
APP_KEYS = {"client_id", "tenant_id", "secret_hint", "secret_expires_at"}


def test_start_an_onboarding_then_409(tech_api, tenant_a, quick, technician):
    response = tech_api.post(f"/api/v1/tenants/{tenant_a.pk}/onboardings/")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == JOB_KEYS
    assert (
        body["tenant"] == tenant_a.pk
        and body["state"] == "queued"
        and body["started_by"] == "alice"
    )
    assert body["kind"] == "onboarding"
    assert [step["key"] for step in body["steps"]] == ["first", "flaky", "timer"]
    assert set(body["steps"][0]) == STEP_KEYS and body["steps"][0]["title"] == "First"
    assert set(body["consent"]) == CONSENT_KEYS and body["consent"]["state"] == "not_sent"
    assert body["app"] is None
    event = AuditEvent.objects.get(action="job.started")
    assert event.via_api and event.actor == technician
    again = tech_api.post(f"/api/v1/tenants/{tenant_a.pk}/onboardings/")
    assert again.status_code == 409 and "already has an onboarding" in again.json()["detail"]


def test_read_shows_consent_url_and_app_but_never_the_secret(tech_api, tenant_a, quick):
    job = engine.start_job(tenant_a)
    ConsentLink.objects.create(
        job=job,
        token_hash="a" * 64,
        token="tok123",
        sent_to="admin@fabrikam.example",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    EntraApplication.objects.create(
        tenant=tenant_a,
        unique_name="pp-sync",
        client_id="c1" * 8,
        secret="TOP-SECRET-VALUE",
        secret_hint="TOP",
        secret_expires_at=timezone.now(),
    )
    tenant_a.entra_tenant_id = "tid-1"
    tenant_a.save()
    response = tech_api.get(f"/api/v1/onboardings/{job.pk}/")
    body = response.json()
    assert body["consent"]["state"] == "sent" and body["consent"]["url"].endswith(
        "/consent/tok123/"
    )
    assert set(body["app"]) == APP_KEYS and body["app"]["tenant_id"] == "tid-1"
    assert "TOP-SECRET-VALUE" not in response.content.decode()
    assert "TOP-SECRET-VALUE" not in tech_api.get("/api/v1/onboardings/").content.decode()


def test_list_filters(tech_api, tenant_a, tenant_b, quick):
    job_a = engine.start_job(tenant_a)
    engine.start_job(tenant_b)
    engine.cancel(job_a)
    assert tech_api.get("/api/v1/onboardings/").json()["count"] == 2
    assert [
        j["id"] for j in tech_api.get("/api/v1/onboardings/?state=cancelled").json()["results"]
    ] == [job_a.pk]
    assert [
        j["tenant"]
        for j in tech_api.get(f"/api/v1/onboardings/?tenant={tenant_b.pk}").json()["results"]
    ] == [tenant_b.pk]
    for bad in ["state=nope", "tenant=abc", f"tenant={10**30}", "tenant=-1"]:
        response = tech_api.get(f"/api/v1/onboardings/?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json(), bad


def test_retry_and_cancel_fit_the_state_or_409(tech_api, tenant_a, dispatched, settings):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.FAILING"
    job = engine.start_job(tenant_a)
    early = tech_api.post(f"/api/v1/onboardings/{job.pk}/retry/")
    assert early.status_code == 409 and early.json() == {
        "detail": "Only a failed onboarding can be retried."
    }
    engine.run_job(job.pk)
    response = tech_api.post(f"/api/v1/onboardings/{job.pk}/retry/")
    assert response.status_code == 200 and response.json()["state"] == "running"
    assert tech_api.post(f"/api/v1/onboardings/{job.pk}/cancel/").json()["state"] == "cancelled"
    again = tech_api.post(f"/api/v1/onboardings/{job.pk}/cancel/")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]
    actions = set(AuditEvent.objects.filter(via_api=True).values_list("action", flat=True))
    assert {"job.retried", "job.cancelled"} <= actions


def test_consent_resend_outside_waiting_customer_is_409(tech_api, tenant_a, quick):
    job = engine.start_job(tenant_a)
    response = tech_api.post(f"/api/v1/onboardings/{job.pk}/consent/resend/")
    assert response.status_code == 409 and "detail" in response.json()


def test_get_on_an_action_is_405_and_unknown_jobs_404(tech_api, tenant_a, quick):
    job = engine.start_job(tenant_a)
    assert tech_api.get(f"/api/v1/onboardings/{job.pk}/cancel/").status_code == 405
    assert tech_api.post("/api/v1/onboardings/999999/cancel/").status_code == 404
    assert tech_api.get("/api/v1/onboardings/999999/").status_code == 404
    assert OnboardingJob.objects.get().state == JobState.QUEUED


def test_the_list_runs_a_constant_number_of_queries(tech_api, quick, django_assert_max_num_queries):
    from tests.onboarding.views.jobs_in_any_state import make_tenants

    tenants = make_tenants(60)
    for tenant in tenants:
        job = engine.start_job(tenant)
        ConsentLink.objects.create(
            job=job,
            token_hash=f"{tenant.pk:064d}",
            sent_to="x@y.example",
            expires_at=timezone.now(),
        )
        EntraApplication.objects.create(tenant=tenant, unique_name="u", client_id="c")
    with django_assert_max_num_queries(10):
        body = tech_api.get("/api/v1/onboardings/").json()
    assert body["count"] == 60 and len(body["results"]) == 50
    with django_assert_max_num_queries(8):
        assert tech_api.get("/api/v1/tenants/").json()["count"] == 60


def test_unknown_api_paths_answer_json_404(tech_api, anon_api):
    for path in ["/api/v1/onboardings/-1/", "/api/v1/nothing/", "/api/v1/tenants/abc/"]:
        response = tech_api.get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}, path
    assert tech_api.post("/api/v1/onboardings/-5/approve/").status_code == 404
    assert anon_api.get("/api/v1/nothing/").status_code == 401


def test_consent_resend_issues_a_new_link_while_waiting_for_the_customer(
    tech_api, tenant_a, technician
):
    from django.core import mail

    from onboarding.models import Step
    from tests.onboarding.views.jobs_in_any_state import make_job

    job = make_job(tenant_a, "waiting_customer", step="customer_consent", user=technician)
    Step.objects.filter(job=job).update(state="waiting")
    old = ConsentLink.objects.create(
        job=job,
        token_hash="b" * 64,
        token="old",
        sent_to="admin@fabrikam.example",
        sent_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    response = tech_api.post(f"/api/v1/onboardings/{job.pk}/consent/resend/")
    assert response.status_code == 200, response.content
    old.refresh_from_db()
    assert old.state == "revoked"
    assert (
        response.json()["consent"]["state"] == "sent"
        and "/consent/old/" not in response.json()["consent"]["url"]
    )
    assert mail.outbox and mail.outbox[-1].to == ["admin@fabrikam.example"]
    assert AuditEvent.objects.get(action="consent.sent").via_api
