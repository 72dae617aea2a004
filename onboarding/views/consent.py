"""Consent pages: what the customer's admin opens from the email (public), and the staff actions.

Public pages (no login, rate-limited per IP): the landing page explaining the request, the button that
sends the admin to Microsoft's admin-consent page, and the callback Microsoft sends them back to.
The callback checks `error` first, then `state` (signed, single use, expiring, bound to one link and
job); it never trusts the returned `tenant`: the waiting step proves consent with a token.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from integrations.errors import PermanentError
from onboarding import consent, workflow
from onboarding.access import get_job_for_user
from onboarding.models import ConsentPurpose, ConsentState
from tenants.access import staff_required

PUBLIC_RATE = "30/m"
DECLINE_ERRORS = {"access_denied", "consent_required", "permission_denied"}
PROBLEM_STATUS = {"unknown": 404, "expired": 410, "used": 410, "revoked": 410, "misconfigured": 503}


def public(view):
    """No login, no caching, at most 30 requests a minute from one address."""
    return login_not_required(ratelimit(key="ip", rate=PUBLIC_RATE, block=True)(never_cache(view)))


def _problem(request, kind: str):
    return render(request, "consent/problem.html", {"kind": kind}, status=PROBLEM_STATUS.get(kind, 400))


def _landing_context(link) -> dict:
    job = link.job
    asker = job.started_by
    sync_app = link.purpose == ConsentPurpose.SYNC_APP
    return {
        "link": link, "tenant": job.tenant, "sync_app": sync_app, "app_name": settings.SYNC_APP_DISPLAY_NAME,
        "technician": (asker.get_full_name() or asker.get_username()) if asker else "",
        "permissions": consent.SYNC_APP_PERMISSIONS if sync_app else consent.MSP_APP_PERMISSIONS,
    }


@public
@require_GET
def consent_landing(request, token: str):
    try:
        link = consent.link_for_token(token)
    except consent.ConsentLinkProblem as problem:
        return _problem(request, problem.kind)
    consent.mark_opened(link, request)
    return render(request, "consent/landing.html", {**_landing_context(link), "token": token})


@public
@require_POST
def consent_go(request, token: str):
    try:
        link = consent.link_for_token(token)
        consent.mark_opened(link, request)
        url = consent.admin_consent_redirect(link)
    except consent.ConsentLinkProblem as problem:
        return _problem(request, problem.kind)
    except PermanentError:
        return _problem(request, "misconfigured")
    return redirect(url)


def _clean(text: str, limit: int = 300) -> str:
    """Text from the URL, safe to store and show: first line, no control characters (PostgreSQL refuses NUL)."""
    lines = (text or "").splitlines()
    first = lines[0] if lines else ""
    return "".join(ch if ch.isprintable() else " " for ch in first)[:limit].strip()


def _describe_error(query) -> str:
    return _clean(query.get("error_description") or query.get("error", "")) or "no reason given"


@public
@require_GET
def consent_callback(request):
    query = request.GET
    error = query.get("error", "")
    try:
        link = consent.link_for_state(query.get("state", ""))
    except consent.ConsentLinkProblem as problem:
        # An error answer with a state we cannot use: say what Microsoft said, record nothing.
        if error:
            return render(request, "consent/result.html", {"outcome": "declined", "detail": _describe_error(query)})
        return _problem(request, problem.kind)
    context = {"tenant": link.job.tenant, "sync_app": link.purpose == ConsentPurpose.SYNC_APP}
    if error:
        declined = error in DECLINE_ERRORS or "AADSTS65004" in query.get("error_description", "")
        outcome, state = ("declined", ConsentState.DECLINED) if declined else ("failed", ConsentState.FAILED)
        message = f"{'Declined' if declined else 'Failed'}: {_describe_error(query)} [{_clean(error, 60)}]"
    elif query.get("admin_consent", "").lower() != "true":
        outcome, state, message = "failed", ConsentState.FAILED, "Microsoft's answer did not say consent was granted."
    elif query.get("tenant", "").lower() not in ("", link.job.tenant.entra_tenant_id.lower()):
        outcome, state = "wrong_tenant", ConsentState.FAILED
        message = (f"Consent was given in another organization ({_clean(query['tenant'], 40)}), not in "
                   f"{link.job.tenant.name}'s tenant.")
    else:
        outcome, state, message = "approved", ConsentState.APPROVED, "The administrator approved; the portal checks it."
    if not consent.record_answer(link, state, message, request):
        return _problem(request, "used")
    return render(request, "consent/result.html", {**context, "outcome": outcome, "detail": _describe_error(query)})


# --- staff actions on the job page ---------------------------------------------------------------------
@staff_required
@require_POST
def consent_resend(request, pk: int):
    job = get_job_for_user(request.user, pk)
    try:
        link = consent.resend_consent(job, request.user, request)
    except workflow.NotAllowedNow as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"A new consent link was emailed to {link.sent_to}; the old one no longer works.")
    return redirect(job)


@staff_required
@require_POST
def consent_revoke(request, pk: int):
    job = get_job_for_user(request.user, pk)
    try:
        consent.revoke_consent(job, request.user, request)
    except workflow.NotAllowedNow as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The consent link was revoked. Resend a new one to continue.")
    return redirect(job)


