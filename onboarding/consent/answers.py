"""The customer's and the MSP's answers to a consent link: record the callback's answer (and wake
the
waiting step), resend a new link, revoke the live one. Used by the pages and the API."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from onboarding import audit, engine
from onboarding.consent.links import LIVE_STATES, issue_link, kill_live_links
from onboarding.engine import events
from onboarding.models import (
    ConsentLink,
    ConsentPurpose,
    ConsentState,
    JobState,
    OnboardingJob,
    Step,
    StepKey,
    StepState,
)

# The step that waits for each kind of link.
STEP_FOR_PURPOSE = {
    ConsentPurpose.MSP_APP: StepKey.CUSTOMER_CONSENT,
    ConsentPurpose.SYNC_APP: StepKey.GRANT_CONSENT,
}


def record_answer(link: ConsentLink, state: str, message: str, request=None) -> bool:
    """Store the customer's answer once (single use) and wake the waiting step. False if already
    answered."""
    now = timezone.now()
    answered = ConsentLink.objects.filter(pk=link.pk, state__in=LIVE_STATES).update(
        state=state,
        answered_at=now,
        outcome_message=message,
        token="",
        opened_at=link.opened_at or now,
    )
    if not answered:
        return False
    link.refresh_from_db()
    audit.record(
        f"consent.{state}",
        f"Customer answered the consent link: {message}",
        request=request,
        job=link.job,
    )
    if state in (ConsentState.DECLINED, ConsentState.FAILED):
        # The customer's page says "your MSP has been told": this is the telling.
        events.emit(link.job, events.CONSENT_DECLINED)
    engine.resume(link.job, STEP_FOR_PURPOSE.get(link.purpose))
    return True


def _waiting_consent_step(job: OnboardingJob) -> Step:
    job.refresh_from_db()
    step = job.steps.filter(state=StepState.WAITING, key__in=STEP_FOR_PURPOSE.values()).first()
    if job.state != JobState.WAITING_CUSTOMER or step is None:
        raise engine.NotAllowedNow(
            "A consent link can only be resent while the onboarding waits for the customer."
        )
    return step


def resend_consent(job: OnboardingJob, actor, request=None) -> ConsentLink:
    """A new link for what the job is waiting for; the old one stops working. NotAllowedNow
    otherwise."""
    step = _waiting_consent_step(job)
    purpose = next(p for p, key in STEP_FOR_PURPOSE.items() if key == step.key)
    link = issue_link(job, purpose, actor=actor, request=request)
    deadline = timezone.now() + timedelta(days=settings.CONSENT_WAIT_DAYS)
    Step.objects.filter(pk=step.pk).update(
        deadline_at=deadline,
        message=f"Waiting for the customer: a new consent link was sent to {link.sent_to}.",
    )
    return link


def revoke_consent(job: OnboardingJob, actor, request=None) -> None:
    """Kill the live link. The job keeps waiting (resend or cancel it). NotAllowedNow when none is
    live."""
    if not kill_live_links(job, ConsentState.REVOKED, "Revoked by the MSP."):
        raise engine.NotAllowedNow("There is no live consent link to revoke.")
    audit.record(
        "consent.revoked", "Revoked the consent link", request=request, user=actor, job=job
    )


# --- what Microsoft's redirect says ---------------------------------------------------------------
DECLINE_ERRORS = {"access_denied", "consent_required", "permission_denied"}


def read_callback(link: ConsentLink, query) -> tuple[str, str, str]:
    """(outcome for the page, ConsentState to record, message) for the admin-consent redirect.

    `error` first (v2 sends admin_consent=True with an error), then admin_consent, then the claimed
    tenant. Even "approved" proves nothing: the waiting step proves consent with a token and Graph.
    """
    error = query.get("error", "")
    if error:
        declined = error in DECLINE_ERRORS or "AADSTS65004" in query.get("error_description", "")
        state = ConsentState.DECLINED if declined else ConsentState.FAILED
        verb = "Declined" if declined else "Failed"
        return (
            "declined" if declined else "failed",
            state,
            f"{verb}: {describe_error(query)} [{clean(error, 60)}]",
        )
    if query.get("admin_consent", "").lower() != "true":
        return "failed", ConsentState.FAILED, "Microsoft's answer did not say consent was granted."
    claimed = query.get("tenant", "").lower()
    if claimed not in ("", link.job.tenant.entra_tenant_id.lower()):
        return (
            "wrong_tenant",
            ConsentState.FAILED,
            f"Consent was given in another organization ({clean(query['tenant'], 40)}), not in "
            f"{link.job.tenant.name}'s tenant.",
        )
    return "approved", ConsentState.APPROVED, "The administrator approved; the portal checks it."


def clean(text: str, limit: int = 300) -> str:
    """Text from the URL, safe to store and show: first line, no control characters (PostgreSQL
    refuses NUL)."""
    lines = (text or "").splitlines()
    first = lines[0] if lines else ""
    return "".join(ch if ch.isprintable() else " " for ch in first)[:limit].strip()


def describe_error(query) -> str:
    return clean(query.get("error_description") or query.get("error", "")) or "no reason given"
