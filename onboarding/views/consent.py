"""Consent pages: what the customer's admin opens from the email (public), and the staff actions.

Public pages (no login, rate-limited per IP): the landing page explaining the request, the button
that
sends the admin to Microsoft's admin-consent page, and the callback Microsoft sends them back to.
The callback checks `error` first, then `state` (signed, single use, expiring, bound to one link and
job); it never trusts the returned `tenant`: the waiting step proves consent with a token.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from integrations.errors import PermanentError
from onboarding.access import get_job_for_user
from onboarding.consent import answers, links
from onboarding.models import ConsentPurpose
from onboarding.views.actions import job_action
from tenants.access import staff_required

PUBLIC_RATE = "30/m"
PROBLEM_STATUS = {"unknown": 404, "expired": 410, "used": 410, "revoked": 410, "misconfigured": 503}


def public(view):
    """No login, no caching, at most 30 requests a minute from one address."""
    return login_not_required(ratelimit(key="ip", rate=PUBLIC_RATE, block=True)(never_cache(view)))


def _problem(request, kind: str):
    return render(
        request, "consent/problem.html", {"kind": kind}, status=PROBLEM_STATUS.get(kind, 400)
    )


def _landing_context(link) -> dict:
    job = link.job
    asker = job.started_by
    sync_app = link.purpose == ConsentPurpose.SYNC_APP
    return {
        "link": link,
        "tenant": job.tenant,
        "sync_app": sync_app,
        "app_name": settings.SYNC_APP_DISPLAY_NAME,
        "technician": (asker.get_full_name() or asker.get_username()) if asker else "",
        "permissions": links.SYNC_APP_PERMISSIONS if sync_app else links.MSP_APP_PERMISSIONS,
    }


@public
@require_GET
def consent_landing(request, token: str):
    try:
        link = links.link_for_token(token)
    except links.ConsentLinkProblem as problem:
        return _problem(request, problem.kind)
    links.mark_opened(link, request)
    return render(request, "consent/landing.html", {**_landing_context(link), "token": token})


@public
@require_POST
def consent_go(request, token: str):
    try:
        link = links.link_for_token(token)
        links.mark_opened(link, request)
        url = links.admin_consent_redirect(link)
    except links.ConsentLinkProblem as problem:
        return _problem(request, problem.kind)
    except PermanentError:
        return _problem(request, "misconfigured")
    return redirect(url)


@public
@require_GET
def consent_callback(request):
    query = request.GET
    error = query.get("error", "")
    try:
        link = links.link_for_state(query.get("state", ""))
    except links.ConsentLinkProblem as problem:
        # An error answer with a state we cannot use: say what Microsoft said, record nothing.
        if error:
            return render(
                request,
                "consent/result.html",
                {"outcome": "declined", "detail": answers.describe_error(query)},
            )
        return _problem(request, problem.kind)
    context = {"tenant": link.job.tenant, "sync_app": link.purpose == ConsentPurpose.SYNC_APP}
    outcome, state, message = answers.read_callback(link, query)
    if not answers.record_answer(link, state, message, request):
        return _problem(request, "used")
    detail = answers.describe_error(query)
    return render(request, "consent/result.html", {**context, "outcome": outcome, "detail": detail})


# --- staff actions on the job page
# ---------------------------------------------------------------------
@staff_required
@require_POST
def consent_resend(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request,
        job,
        lambda: answers.resend_consent(job, request.user, request),
        lambda link: (
            f"A new consent link was emailed to {link.sent_to}; the old one no longer works."
        ),
    )


@staff_required
@require_POST
def consent_revoke(request, pk: int):
    job = get_job_for_user(request.user, pk)
    return job_action(
        request,
        job,
        lambda: answers.revoke_consent(job, request.user, request),
        "The consent link was revoked. Resend a new one to continue.",
    )
