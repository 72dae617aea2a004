"""Waiting for the customer's consent: shared by the customer_consent and grant_consent steps (not a
step itself). Proves consent with a real Graph call, emails a link once, and words the wait."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.errors import (
    ConsentMissing,
    InsufficientPrivileges,
    InvalidClientCredentials,
    PermanentError,
    ReplicationPending,
)
from onboarding import clients
from onboarding.consent import links
from onboarding.models import ConsentLink, ConsentState, JobState
from onboarding.steps.base import StepContext, Wait

NOT_CONSENTED_CODES = {"AADSTS700016", "AADSTS7000229"}
# After the customer says yes, Entra may take a little while before tokens carry the new rights.
APPROVAL_SETTLE_SECONDS = 5


def msp_consent_missing(tenant_id: str) -> str | None:
    """None when the MSP app gets a token in the tenant and reads Graph; else why not, in plain
    words."""
    graph = clients.msp_graph(tenant_id)
    try:
        graph.first_user()
        return None
    except InvalidClientCredentials as error:
        if error.code not in NOT_CONSENTED_CODES:
            raise PermanentError(
                message="Microsoft refused the MSP onboarding app's own credentials: "
                f"{error.message} "
                "Check MSP_APP_CLIENT_ID and MSP_APP_CLIENT_SECRET.",
                code=error.code,
            ) from error
        why = "the onboarding app is not approved in the customer's tenant yet"
    except ConsentMissing:
        why = "the customer's administrator has not approved the onboarding app yet"
    except InsufficientPrivileges:
        why = (
            "the onboarding app cannot read the customer's directory yet "
            "(consent missing or still spreading)"
        )
    except PermanentError as error:
        if error.code not in NOT_CONSENTED_CODES:
            raise
        why = "the onboarding app is not approved in the customer's tenant yet"
    clients.forget_token(
        tenant_id, graph.client_id
    )  # a token without the new roles must not be reused
    return why


def wait_for_customer(ctx: StepContext, link: ConsentLink, why_not: str) -> Wait:
    """The Wait (or, just after an approval, a short retry) that fits the link's state."""
    deadline = ctx.step.deadline_at or timezone.now() + timedelta(days=settings.CONSENT_WAIT_DAYS)
    if link.state == ConsentState.APPROVED:
        settle = timedelta(seconds=settings.ENTRA_REPLICATION_SECONDS)
        left = 0.0
        if link.answered_at:
            left = (link.answered_at + settle - timezone.now()).total_seconds()
        if left > 0:
            # A replication wait, within the documented window; past it (below) the step waits for
            # the customer again: an answer that claims consent can never fail the job.
            raise ReplicationPending(
                message=f"The customer approved; Microsoft Entra is still applying it ({why_not}).",
                retry_after=min(APPROVAL_SETTLE_SECONDS, left),
            )
        message = (
            "The customer's answer said consent was granted, but the portal still cannot work in "
            "their "
            f"tenant after {settings.ENTRA_REPLICATION_SECONDS} s: {why_not}. A Global "
            "Administrator of the customer's own tenant must approve; resend the link."
        )
    elif link.state == ConsentState.DECLINED:
        message = (
            f"The customer's administrator declined consent ({link.outcome_message}). Resend the "
            "link "
            "when they are ready."
        )
    elif link.state == ConsentState.FAILED:
        message = f"The consent did not work: {link.outcome_message} Resend the link."
    elif link.state == ConsentState.REVOKED:
        message = "The consent link was revoked. Resend a new link to continue."
    elif link.expires_at <= timezone.now():
        message = "The consent link expired before the customer used it. Resend a new link."
    else:
        opened = f", opened {link.opened_at:%Y-%m-%d %H:%M %Z}" if link.opened_at else ""
        message = (
            f"Waiting for the customer: consent link emailed to {link.sent_to}{opened}; it expires "
            f"{link.expires_at:%Y-%m-%d %H:%M} UTC."
        )
    return Wait(message, job_state=JobState.WAITING_CUSTOMER, deadline_at=deadline)


def ensure_link_sent(ctx: StepContext, purpose: str) -> ConsentLink:
    """The job's link for `purpose`: issued and emailed once; a crash before the email sends it
    now."""
    link = links.latest_link(ctx.job, purpose)
    if link is None:
        link = links.issue_link(ctx.job, purpose)
        ctx.log(f"Emailed a consent link to {link.sent_to}.")
    elif link.sent_at is None and link.is_live:
        links.send_link(link)
        ctx.log(f"Emailed a consent link to {link.sent_to}.")
    return link
