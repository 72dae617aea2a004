"""Fixtures for the Entra half: the sandbox, the Entra-only pipeline, a customer who answers the
email."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.core import mail
from django.utils import timezone

from onboarding import engine
from onboarding.models import JobState, StepState

LINK = re.compile(r"https?://\S+?/consent/([A-Za-z0-9_\-]+)/")
SETTLED = {
    JobState.COMPLETED,
    JobState.FAILED,
    JobState.CANCELLED,
    JobState.WAITING_CUSTOMER,
    JobState.WAITING_REVIEW,
}


@pytest.fixture
def entra(portal_sandbox, settings, dispatched):
    """The sandbox, the Entra-only pipeline, quick retries, no rate limit (pages are hit often
    here)."""
    settings.ONBOARDING_PIPELINE = "tests.onboarding.steps.pipelines.ENTRA"
    settings.STEP_RETRY_BASE_SECONDS = 0
    settings.STEP_MAX_ATTEMPTS = 30
    settings.ENTRA_REPLICATION_SECONDS = 20
    settings.ENTRA_SECRET_PROPAGATION_SECONDS = 30
    settings.RATELIMIT_ENABLE = False
    settings.PORTAL_BASE_URL = (
        settings.PORTAL_BASE_URL
    )  # the sandbox's MSP app is registered for this one
    return portal_sandbox


def drive(job, timeout: float = 90, settled=SETTLED):
    """Run the job in-process as workers would (retries after their delay) until its state is one
    of `settled`."""
    deadline = time.monotonic() + timeout
    while True:
        engine.run_job(job.pk)
        job.refresh_from_db()
        if job.state in settled:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(
                f"job stuck in {job.state}: "
                f"{[(s.key, s.state, s.message) for s in job.steps.all()]}"
            )
        step = job.steps.filter(state=StepState.PENDING).first()
        wait = 0.05
        if step and step.next_attempt_at:
            wait = min(2.0, max(0.0, (step.next_attempt_at - timezone.now()).total_seconds()))
        time.sleep(wait)


def last_link_token() -> str:
    """The token in the newest consent email (this process's mail.outbox, or a worker's DB
    outbox)."""
    from onboarding.models import OutboxMessage

    sent = OutboxMessage.objects.order_by("-pk").first()
    body = mail.outbox[-1].body if mail.outbox else (sent.body_text if sent else "")
    match = LINK.search(body)
    assert match, f"no consent email was sent: {body!r}"
    return match.group(1)


class Customer:
    """The customer's admin: opens the emailed link, goes to Microsoft (the sandbox), answers."""

    def __init__(self, client, sandbox):
        self.client = client
        self.http = requests.Session()
        self.http.trust_env = False

    def microsoft_answer(self, token: str, decision: str = "approve") -> str:
        """Landing page → button → Microsoft's consent page → answer. Returns the callback
        path+query."""
        assert self.client.get(f"/consent/{token}/").status_code == 200
        go = self.client.post(f"/consent/{token}/go/")
        assert go.status_code == 302, go.content
        answer = self.http.post(go["Location"], data={"decision": decision}, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:500]
        back = urlsplit(answer.headers["Location"])
        assert back.path == "/consent/callback/"
        return f"{back.path}?{back.query}"

    def answer(self, token: str, decision: str = "approve"):
        return self.client.get(self.microsoft_answer(token, decision))


@pytest.fixture
def customer(client, sandbox):
    return Customer(client, sandbox)
