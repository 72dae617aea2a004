"""Retries measured in time, not attempts (issue 12, item 2), against the sandbox and its fault
knobs,
with the budgets shrunk to seconds. STEP_MAX_ATTEMPTS is set low throughout: it is only a guard
against
a step that kills its worker every time, never what ends a transient problem."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.errors import TransientError
from onboarding import engine
from onboarding.consent import links
from onboarding.models import ConsentLink, JobState, Step, StepState, SyncReportRow
from onboarding.pipeline import StepSpec
from onboarding.report import queries as rq
from onboarding.steps.base import Done
from tests.onboarding.entra_fixtures import drive as drive_until
from tests.onboarding.entra_fixtures import entra  # noqa: F401  (fixture)
from tests.onboarding.proofpoint_fixtures import add_sandbox_tenant, onboard  # noqa: F401  (fixture)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]
SETTLED = {
    JobState.COMPLETED,
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.WAITING_CUSTOMER,
    JobState.WAITING_REVIEW,
    JobState.COUNTDOWN,
}


def drive(job, timeout: float = 120):
    """Until the job settles, a countdown included (tests/onboarding/entra_fixtures.py drive)."""
    return drive_until(job, timeout, settled=SETTLED)


def import_step(job) -> Step:
    return Step.objects.get(job=job, key="import_accounts")


@pytest.fixture
def approved(onboard, portal_sandbox, technician, settings):  # noqa: F811
    """approved() -> a job whose report is approved: the next run is import_accounts."""
    settings.ROUTING_WAIT_SECONDS = 3600
    settings.STEP_MAX_ATTEMPTS = 2
    settings.STEP_RETRY_BASE_SECONDS = 1

    def make(domain="outage.example", users=40):
        add_sandbox_tenant(portal_sandbox, domain, users)
        job = onboard(domain, create_proofpoint_org=True)
        assert drive(job).state == JobState.WAITING_REVIEW
        rq.approve(job, actor=technician)
        return job

    return make


def test_a_proofpoint_outage_outlasting_the_old_attempts_does_not_fail_the_import(
    approved, portal_sandbox, settings
):
    settings.OUTAGE_BUDGET_MINUTES = 1
    job = approved()
    settings.STEP_MAX_ATTEMPTS = 1  # the old engine gave up at the first transient error then
    portal_sandbox.knobs(unavailable_rate=1.0, services=["proofpoint"])
    ended = threading.Timer(15, lambda: portal_sandbox.knobs(unavailable_rate=0.0))
    ended.start()
    try:
        started = time.monotonic()
        job = drive(job)
    finally:
        ended.cancel()
        portal_sandbox.knobs(unavailable_rate=0.0)
    assert time.monotonic() - started >= 14  # it really was out that long
    step = import_step(job)
    assert job.state == JobState.COUNTDOWN, step.message
    assert step.state == StepState.SUCCEEDED and step.attempts >= 2  # retried, not given up
    assert "trouble" not in step.data  # the record of the outage is cleared once past it
    rows = SyncReportRow.objects.filter(job=job, section="adding", excluded=False)
    assert step.message.startswith(f"{rows.count()} added")


def test_an_outage_past_its_budget_fails_the_step_in_words(approved, portal_sandbox, settings):
    settings.OUTAGE_BUDGET_MINUTES = 0.1  # 6 s
    job = approved()
    portal_sandbox.knobs(unavailable_rate=1.0, services=["proofpoint"])
    try:
        job = drive(job)
    finally:
        portal_sandbox.knobs(unavailable_rate=0.0)
    step = import_step(job)
    assert job.state == JobState.FAILED and step.state == StepState.FAILED
    assert step.message.startswith("Stopped after ")
    assert "Proofpoint Essentials is unavailable" in step.message
    assert "OUTAGE_BUDGET_MINUTES" in step.message and "press Retry" in step.message
    assert "trouble" not in step.data  # a Retry gets a fresh budget

    engine.retry(job)
    job = drive(job)
    assert job.state == JobState.COUNTDOWN, import_step(job).message


def test_after_an_interrupted_attempt_the_summary_counts_every_imported_account(
    approved, portal_sandbox
):
    job = approved(users=40)
    # The first attempt imports every account, then Proofpoint fails the last call (the Azure sync
    # settings): the second attempt has nothing left to add, and must still say what was added.
    portal_sandbox.knobs(
        fail_next=[
            {
                "service": "proofpoint",
                "route": "PUT /api/v1/orgs/{org}/settings/azure",
                "status": 500,
                "count": 1,
            }
        ]
    )
    job = drive(job)
    step = import_step(job)
    assert job.state == JobState.COUNTDOWN, step.message
    assert step.attempts == 2
    added = SyncReportRow.objects.filter(
        job=job, section="adding", excluded=False, import_state="done"
    ).count()
    assert added > 20
    assert step.message.startswith(f"{added} added, ")
    assert step.data["counts"]["added"] == added


def test_a_claimed_approval_without_consent_waits_for_the_customer_and_never_fails(
    entra,  # noqa: F811
    tenant_a,
    technician,
    client,
    settings,
):
    settings.ENTRA_REPLICATION_SECONDS = 8
    settings.STEP_MAX_ATTEMPTS = 2
    job = drive(engine.start_job(tenant_a, technician))
    assert job.state == JobState.WAITING_CUSTOMER
    link = links.latest_link(job)
    # A link holder answers "approved" without approving anything at Microsoft.
    from urllib.parse import urlencode

    query = urlencode(
        {
            "admin_consent": "True",
            "tenant": job.tenant.entra_tenant_id,
            "state": links.state_for(link),
        }
    )
    assert b"Thank you" in client.get(f"/consent/callback/?{query}").content
    answered = ConsentLink.objects.get(pk=link.pk).answered_at
    job = drive(job)
    step = job.steps.get(key="customer_consent")
    assert job.state == JobState.WAITING_CUSTOMER, step.message
    assert timezone.now() - answered >= timedelta(seconds=8)  # it waited out the replication window
    assert (
        "still cannot work in their tenant after 8 s" in step.message
        and "resend the link" in step.message
    )
    assert "trouble" not in step.data


# --- the engine's bookkeeping (a pipeline of its own) ---------------------------------------------
THROTTLED_CALLS: list[float] = []


def throttled_once(ctx):
    THROTTLED_CALLS.append(time.monotonic())
    if len(THROTTLED_CALLS) == 1:
        raise TransientError(
            "Graph answered 429", status=429, service="Microsoft Graph", retry_after=7
        )
    return Done("Done after the throttling.")


def always_down(ctx):
    raise TransientError("Proofpoint answered 503", status=503, service="Proofpoint Essentials")


THROTTLED = [StepSpec("throttled", "Throttled", throttled_once)]
DOWN = [StepSpec("down", "Down", always_down)]


def test_throttling_honours_retry_after_and_says_so(settings, tenant_a, dispatched):
    THROTTLED_CALLS.clear()
    settings.ONBOARDING_PIPELINE = "tests.onboarding.engine.test_retry_budgets.THROTTLED"
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    step = Step.objects.get(job=job)
    assert step.state == StepState.PENDING and dispatched[-1] == (job.pk, 7)
    assert 6 <= (step.next_attempt_at - timezone.now()).total_seconds() <= 7
    assert "Microsoft Graph asked the portal to slow down (HTTP 429)" in step.message
    assert step.data["trouble"]["kind"] == "throttling"


def test_the_budget_is_measured_from_when_the_trouble_began_even_across_a_crash(
    settings, tenant_a, dispatched
):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.engine.test_retry_budgets.DOWN"
    settings.OUTAGE_BUDGET_MINUTES = 5
    settings.STEP_MAX_ATTEMPTS = 3
    job = engine.start_job(tenant_a)
    engine.run_job(job.pk)
    step = Step.objects.get(job=job)
    assert step.state == StepState.PENDING and step.data["trouble"]["kind"] == "outage"
    # The outage began six minutes ago; a worker died meanwhile (its claim lapsed, attempts moved
    # on).
    began = (timezone.now() - timedelta(minutes=6)).isoformat()
    Step.objects.filter(pk=step.pk).update(
        data={"trouble": {**step.data["trouble"], "since": began}},
        attempts=step.attempts + 1,
        next_attempt_at=None,
    )
    engine.run_job(job.pk)
    step.refresh_from_db()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert step.message.startswith("Stopped after 6 min: Proofpoint Essentials is unavailable")


def test_a_step_that_kills_its_worker_every_time_is_stopped(settings, tenant_a, dispatched):
    settings.ONBOARDING_PIPELINE = "tests.onboarding.engine.test_retry_budgets.DOWN"
    settings.STEP_MAX_ATTEMPTS = 3
    job = engine.start_job(tenant_a)
    # Three claims in a row that never recorded an outcome (the worker was killed each time).
    Step.objects.filter(job=job).update(attempts=3)
    engine.run_job(job.pk)
    step = Step.objects.get(job=job)
    assert step.state == StepState.FAILED and step.message.startswith(
        "Stopped after 3 interrupted attempts"
    )
