"""What the live job page says and offers, worked out from the job's state at each poll.

The buttons (retry, resend, revoke, cancel, review) and the step texts are decided here, once, so
the
htmx refresh that redraws the steps redraws the buttons too, and a text whose moment has passed
("paused until the report is approved", "the portal checks it") is told as what happened instead.
Codes meant for support ("[org_missing]", request ids) are taken out of the words and shown apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils import timezone

from onboarding.models import JobState, StepState
from onboarding.pipeline import StepKey

CONSENT_STEPS = (StepKey.CUSTOMER_CONSENT.value, StepKey.GRANT_CONSENT.value)
# "[org_missing]" and "(request-id 1234-...)" as integrations.errors.IntegrationError writes them.
CODE_RE = re.compile(r"\s*\[([A-Za-z0-9_.:\-]{1,80})\]")
REQUEST_ID_RE = re.compile(r"\s*\(request-id ([A-Za-z0-9_.:\-]{1,80})\)")
# Titles that describe a moment which passes: the title once the import has run.
TITLES_AFTER_IMPORT = {StepKey.CONFIGURE_SYNC.value: "Configure Azure sync in Proofpoint"}
# Failures no retry can mend (a national cloud, a domain no Entra tenant uses): the page offers
# editing the tenant, or cancelling, instead of "Retry".
NO_RETRY_CODES = frozenset({"national_cloud", "AADSTS90002"})
SYNC_ON_MESSAGE = (
    "Azure sync is configured in Proofpoint, and was switched on when the accounts were imported."
)


@dataclass(frozen=True)
class Worded:
    """A message split into the words for people and the codes for support ("" when none)."""

    words: str
    details: str


def split_codes(text: str) -> Worded:
    """Take "[code]" and "(request-id …)" out of a message; they go in a details line for
    support."""
    text = text or ""
    codes = CODE_RE.findall(text)
    request_ids = REQUEST_ID_RE.findall(text)
    words = REQUEST_ID_RE.sub("", CODE_RE.sub("", text))
    words = re.sub(r"\(\s*\)", "", words)
    words = re.sub(r"[ \t]+([.,;:)])", r"\1", words)
    words = re.sub(r"[ \t]{2,}", " ", words).strip()
    details = [f"code {code}" for code in codes] + [f"request id {rid}" for rid in request_ids]
    return Worded(words, " · ".join(details))


def _imported(states: dict[str, str]) -> bool:
    return states.get(StepKey.IMPORT_ACCOUNTS.value) == StepState.SUCCEEDED


def import_started(states: dict[str, str]) -> bool:
    """The import is running or done: cancelling would no longer undo anything."""
    return states.get(StepKey.IMPORT_ACCOUNTS.value) in (StepState.RUNNING, StepState.SUCCEEDED)


def present_steps(job, steps: list) -> list:
    """Give each step its title, its message in words, support details and how long it has run."""
    states = {step.key: step.state for step in steps}
    now = timezone.now()
    for step in steps:
        if _imported(states) and step.key in TITLES_AFTER_IMPORT:
            step.title = TITLES_AFTER_IMPORT[step.key]
            if step.key == StepKey.CONFIGURE_SYNC.value and step.state == StepState.SUCCEEDED:
                step.message = SYNC_ON_MESSAGE
        worded = split_codes(step.message)
        step.words, step.details = worded.words, worded.details
        step.running_seconds = None
        if step.state == StepState.RUNNING and step.started_at:
            step.running_seconds = max(0, int((now - step.started_at).total_seconds()))
    return steps


def consent_words(consent: dict | None, steps: list) -> dict | None:
    """The consent panel's answer in words: an approval the portal has since proven says so."""
    if not consent or not consent.get("purpose"):
        return consent
    step_key = (
        StepKey.GRANT_CONSENT.value
        if consent["purpose"] == "sync_app"
        else StepKey.CUSTOMER_CONSENT.value
    )
    step_state = next((step.state for step in steps if step.key == step_key), None)
    message = consent.get("message") or ""
    if consent["state"] == "approved":
        if step_state == StepState.SUCCEEDED:
            message = (
                "The administrator approved, and the portal confirmed it can now work in "
                "the tenant."
            )
        elif step_state in (StepState.PENDING, StepState.RUNNING):
            message = "The administrator approved; the portal is checking that the approval works."
        elif step_state == StepState.WAITING:
            message = (
                "The administrator's answer said yes, but the approval does not work yet "
                "(see the step)."
            )
    worded = split_codes(message)
    return {**consent, "message": worded.words, "details": worded.details}


def job_actions(job, steps: list, consent: dict | None) -> dict:
    """Which buttons the job page shows now."""
    states = {step.key: step.state for step in steps}
    failed = next((step for step in steps if step.state == StepState.FAILED), None)
    codes = set(CODE_RE.findall(failed.message)) if failed else set()
    permanent = bool(codes & NO_RETRY_CODES)
    consent_waiting = any(
        step.key in CONSENT_STEPS and step.state == StepState.WAITING for step in steps
    )
    resend = job.state == JobState.WAITING_CUSTOMER and consent_waiting
    return {
        "retry": job.state == JobState.FAILED and failed is not None and not permanent,
        "edit": job.state == JobState.FAILED and failed is not None,
        "permanent": job.state == JobState.FAILED and permanent,
        "cancel": not job.is_finished and not import_started(states),
        "resend": resend,
        "revoke": resend and bool(consent and consent.get("url")),
        "review": job.state == JobState.WAITING_REVIEW,
    }
