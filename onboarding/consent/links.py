"""Consent links: the emailed, single-use, expiring link a customer's admin opens to approve an app.

Issued and checked here (the consent steps use this module; answers.py records what came back). A
link's token is random (secrets.token_urlsafe); only its sha256 is looked up, and the token itself
is
kept encrypted so staff can copy the live link again. The admin-consent `state` sent to Microsoft is
a
signed value bound to the link (never the token itself), so the callback finds the link, and a
tampered state fails."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from onboarding import audit, clients
from onboarding.emails import send_templated
from onboarding.models import (
    ConsentLink,
    ConsentPurpose,
    ConsentState,
    OnboardingJob,
    StepKey,
    StepState,
)
from onboarding.models.consent import hash_token

STATE_SALT = "onboarding.consent.state"
LIVE_STATES = (ConsentState.SENT, ConsentState.OPENED)
# What each app may do, in the words the customer reads (domain.md §1 and §2).
MSP_APP_PERMISSIONS = [
    "Create and manage app registrations in your directory (to set up the Proofpoint sync app)",
    "Grant permissions to that app on your behalf (admin consent for its read-only permissions)",
    "Approve the app's delegated permissions for your organization",
    "Read your directory: users, groups and domains (read-only)",
]
SYNC_APP_PERMISSIONS = [
    "Read your directory: users, groups and domains (read-only, as the app itself)",
    "Read directory data, groups and basic user profiles for signed-in users (read-only)",
]


class ConsentLinkProblem(Exception):
    """Why a link or a callback `state` cannot be used; `kind` picks the page the customer sees."""

    def __init__(self, kind: str, link: ConsentLink | None = None):
        super().__init__(kind)
        self.kind = kind  # unknown, expired, used, revoked
        self.link = link


@dataclass(frozen=True)
class IssuedLink:
    link: ConsentLink
    token: str


# --- links ---------------------------------------------------------------------------------------
def link_url(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/consent/{token}/"


def latest_link(job: OnboardingJob, purpose: str | None = None) -> ConsentLink | None:
    links = job.consent_links.all()
    if purpose:
        links = links.filter(purpose=purpose)
    return links.order_by("-created_at", "-pk").first()


def kill_live_links(job: OnboardingJob, state: str, message: str) -> int:
    return ConsentLink.objects.filter(job=job, state__in=LIVE_STATES).update(
        state=state, token="", outcome_message=message
    )


def create_link(job: OnboardingJob, purpose: str) -> IssuedLink:
    """A new live link for the job; every older live link of the job stops working."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        kill_live_links(job, ConsentState.REVOKED, "Replaced by a newer link.")
        link = ConsentLink.objects.create(
            job=job,
            purpose=purpose,
            token_hash=hash_token(token),
            token=token,
            sent_to=job.tenant.customer_admin_email,
            expires_at=timezone.now() + timedelta(hours=settings.CONSENT_LINK_HOURS),
        )
    return IssuedLink(link, token)


def send_link(link: ConsentLink, actor=None) -> None:
    """Email the link (HTML and text) to the customer's admin; idempotent enough to call after a
    crash."""
    job, tenant = link.job, link.job.tenant
    asker = actor or job.started_by
    sync_app = link.purpose == ConsentPurpose.SYNC_APP
    send_templated(
        link.sent_to,
        "consent_request",
        {
            "tenant": tenant,
            "admin_name": tenant.customer_admin_name,
            "technician": (asker.get_full_name() or asker.get_username()) if asker else "",
            "url": link_url(link.token),
            "expires_at": link.expires_at,
            "sync_app": sync_app,
            "app_name": settings.SYNC_APP_DISPLAY_NAME
            if sync_app
            else f"{settings.MSP_NAME} onboarding app",
            "permissions": SYNC_APP_PERMISSIONS if sync_app else MSP_APP_PERMISSIONS,
        },
    )
    link.sent_at = timezone.now()
    ConsentLink.objects.filter(pk=link.pk).update(sent_at=link.sent_at)


def issue_link(job: OnboardingJob, purpose: str, actor=None, request=None) -> ConsentLink:
    """Create, email and audit a new link."""
    issued = create_link(job, purpose)
    send_link(issued.link, actor)
    audit.record(
        "consent.sent",
        f"Emailed a consent link ({issued.link.get_purpose_display().lower()}) to "
        f"{issued.link.sent_to}",
        request=request,
        user=actor,
        job=job,
    )
    return issued.link


def link_for_token(token: str) -> ConsentLink:
    """The live link behind a token from a URL, or ConsentLinkProblem."""
    link = (
        ConsentLink.objects.select_related("job__tenant")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    check_usable(link)
    return link


def check_usable(link: ConsentLink | None) -> None:
    if link is None:
        raise ConsentLinkProblem("unknown")
    if link.state == ConsentState.REVOKED:
        raise ConsentLinkProblem("revoked", link)
    if link.state not in LIVE_STATES:
        raise ConsentLinkProblem("used", link)
    if link.expires_at <= timezone.now():
        raise ConsentLinkProblem("expired", link)
    if link.job.is_halted:
        raise ConsentLinkProblem("revoked", link)


def mark_opened(link: ConsentLink, request=None) -> None:
    if link.opened_at:
        return
    now = timezone.now()
    if ConsentLink.objects.filter(pk=link.pk, opened_at__isnull=True).update(
        opened_at=now, state=ConsentState.OPENED
    ):
        link.opened_at, link.state = now, ConsentState.OPENED
        audit.record(
            "consent.opened", "The customer opened the consent link", request=request, job=link.job
        )


# --- the round trip through Microsoft -------------------------------------------------------------
def state_for(link: ConsentLink) -> str:
    return signing.dumps({"l": link.pk, "h": link.token_hash[:24]}, salt=STATE_SALT, compress=True)


def link_for_state(state: str) -> ConsentLink:
    """The link a callback `state` belongs to, or ConsentLinkProblem (unknown = tampered)."""
    try:
        value = signing.loads(state or "", salt=STATE_SALT)
        link = ConsentLink.objects.select_related("job__tenant").get(
            pk=value["l"], token_hash__startswith=value["h"]
        )
    except (signing.BadSignature, ConsentLink.DoesNotExist, KeyError, TypeError, ValueError):
        raise ConsentLinkProblem("unknown") from None
    check_usable(link)
    return link


def client_id_for(link: ConsentLink) -> str:
    if link.purpose == ConsentPurpose.SYNC_APP:
        return link.job.tenant.entra_app.client_id
    return clients.msp_credentials()[0]


def admin_consent_redirect(link: ConsentLink) -> str:
    """Microsoft's admin-consent URL for this link (the customer's own tenant, never /common)."""
    return clients.admin_consent_link(
        link.job.tenant.entra_tenant_id, client_id_for(link), state_for(link)
    )


# --- what staff and the API see and do ------------------------------------------------------------
def consent_status(job: OnboardingJob) -> dict:
    """The latest link, as api.md's `consent` object (url only while the link is live).

    Reads `job.consent_links.all()` and `job.steps.all()`, so a list that prefetched them (the API)
    asks the database nothing more per job.
    """
    links = sorted(
        job.consent_links.all(), key=lambda link: (link.created_at, link.pk), reverse=True
    )
    link = links[0] if links else None
    if link is None:
        step = next((s for s in job.steps.all() if s.key == StepKey.CUSTOMER_CONSENT), None)
        done = step is not None and step.state in (StepState.SUCCEEDED, StepState.SKIPPED)
        return {
            "state": "not_needed" if done else "not_sent",
            "purpose": None,
            "sent_to": None,
            "sent_at": None,
            "opened_at": None,
            "answered_at": None,
            "expires_at": None,
            "url": None,
            "message": "",
        }
    live = link.state in LIVE_STATES
    expired = live and link.expires_at <= timezone.now()
    return {
        "state": ConsentState.EXPIRED.value if expired else link.state,
        "purpose": link.purpose,
        "sent_to": link.sent_to or None,
        "sent_at": link.sent_at,
        "opened_at": link.opened_at,
        "answered_at": link.answered_at,
        "expires_at": link.expires_at,
        "url": link_url(link.token) if live and not expired and link.token else None,
        "message": link.outcome_message,
    }
