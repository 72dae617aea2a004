""" "Sign in with Microsoft": the two views of the staff sign-in flow and what a sign-in does to the
portal's users (api.md, "Staff sign-in with Microsoft Entra ID (v1.1)").

    GET /login/microsoft/            start: keep msal's flow in the session, send the browser on
    GET /login/microsoft/callback/   finish: check state, redeem the code, validate the id token

A person is linked by the token's `oid` (EntraIdentity), never by e-mail. Their portal role comes
from the token's `roles` claim at every sign-in: Technician and Manager map to the Technicians and
Managers groups, and a role removed in Entra removes the group at the next sign-in.
"""

from __future__ import annotations

import logging
import re
import time

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from accounts.middleware import SESSION_KEY
from accounts.models import EntraIdentity
from integrations.microsoft.signin import (
    SignInRefused,
    StaffIdentity,
    StaffSignInConfig,
    WrongTenant,
    finish,
    start,
)
from onboarding.audit import client_ip
from onboarding.clients import outbound_config, outbound_session
from onboarding.models import AuditEvent
from tenants.roles import MANAGERS, TECHNICIANS

logger = logging.getLogger("accounts.microsoft")

FLOW_KEY = "staff_signin_flow"
FLOW_MAX_AGE_SECONDS = 15 * 60  # a sign-in left open longer than this starts again
ROLE_GROUPS = {"Technician": TECHNICIANS, "Manager": MANAGERS}
CALLBACK_PATH = "/login/microsoft/callback/"
PUBLIC_RATE = "30/m"  # per address: both views are public, and a refused callback is audited


def callback_url() -> str:
    """The redirect URI to register on the staff sign-in app (shown on the Help page)."""
    return f"{settings.PORTAL_BASE_URL}{CALLBACK_PATH}"


def signin_enabled() -> bool:
    return bool(
        settings.STAFF_SIGNIN_TENANT_ID
        and settings.STAFF_SIGNIN_CLIENT_ID
        and settings.STAFF_SIGNIN_CLIENT_SECRET
    )


def signin_config() -> StaffSignInConfig:
    return StaffSignInConfig(
        login_url=settings.MICROSOFT_LOGIN_URL,
        browser_login_url=settings.MICROSOFT_LOGIN_BROWSER_URL,
        tenant_id=settings.STAFF_SIGNIN_TENANT_ID,
        client_id=settings.STAFF_SIGNIN_CLIENT_ID,
        client_secret=settings.STAFF_SIGNIN_CLIENT_SECRET,
        redirect_uri=callback_url(),
    )


def _refused(request, title: str, message: str, status: int, hint: str = ""):
    context = {"title": title, "message": message, "hint": hint, "status": status}
    return render(request, "accounts/microsoft_refused.html", context, status=status)


def _audit(request, action: str, description: str, user=None, label: str = "") -> None:
    AuditEvent.objects.create(
        actor=user,
        actor_label=(user.get_username() if user else label or "unknown")[:150],
        action=action,
        description=description,
        ip_address=client_ip(request),
    )


@login_not_required
@ratelimit(key="ip", rate=PUBLIC_RATE, block=True)
@never_cache
@require_GET
def microsoft_start(request):
    if not signin_enabled():
        return _refused(
            request,
            "Microsoft sign-in is not set up",
            "This portal has no staff sign-in app configured. Sign in with your "
            "username and password, or ask the portal's administrator to set "
            "STAFF_SIGNIN_TENANT_ID, STAFF_SIGNIN_CLIENT_ID and "
            "STAFF_SIGNIN_CLIENT_SECRET.",
            404,
        )
    try:
        flow, url = start(signin_config(), outbound_session())
    except SignInRefused as error:
        logger.warning("staff sign-in could not start: %s", error.code)
        return _refused(
            request,
            "Microsoft sign-in is unavailable",
            error.message,
            503,
            "Try again in a minute.",
        )
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, {request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    request.session[FLOW_KEY] = {"flow": flow, "next": next_url, "started": time.time()}
    return redirect(url)


@login_not_required
@ratelimit(key="ip", rate=PUBLIC_RATE, block=True)
@never_cache
@require_GET
def microsoft_callback(request):
    saved = request.session.pop(FLOW_KEY, None)  # single use: a replayed callback finds nothing
    if not signin_enabled():
        return redirect("login")
    if not saved or time.time() - float(saved.get("started", 0)) > FLOW_MAX_AGE_SECONDS:
        _audit(
            request,
            "staff_signin_refused",
            "Microsoft sign-in refused: the answer matched no sign-in in progress (expired, "
            "already used, or started in another browser).",
        )
        return _refused(
            request,
            "This sign-in has expired or was already used",
            "The answer from Microsoft does not match a sign-in started in this "
            "browser in the last 15 minutes.",
            400,
            "Start again from the login page.",
        )
    try:
        identity = finish(
            signin_config(),
            saved["flow"],
            request.GET.dict(),
            outbound_session(),
            outbound_config(),
        )
    except WrongTenant as error:
        _audit(
            request,
            "staff_signin_wrong_tenant",
            "Microsoft sign-in refused: an account of another directory (tenant "
            f"{error.tenant_id}, {error.identity_hint or 'unknown user'}) tried to sign in.",
            label=error.identity_hint,
        )
        return _refused(
            request,
            "This account cannot sign in here",
            "You signed in with an account from another organization's Microsoft Entra "
            "directory. Only the MSP's own staff accounts can use this portal.",
            403,
            "Sign out of Microsoft and sign in with your work account at the MSP.",
        )
    except SignInRefused as error:
        _audit(request, "staff_signin_refused", f"Microsoft sign-in refused ({error.code}).")
        status = 503 if error.code == "unavailable" else 400
        return _refused(
            request,
            "Microsoft sign-in did not complete",
            error.message,
            status,
            "Start again from the login page.",
        )
    return _signed_in(request, identity, saved.get("next") or "")


def _signed_in(request, identity: StaffIdentity, next_url: str):
    groups = {ROLE_GROUPS[role] for role in identity.roles}
    user = sync_user(identity, groups)
    if not groups:
        _audit(
            request,
            "staff_signin_no_role",
            f"Microsoft sign-in refused for {identity.username or identity.object_id}: no "
            "portal app role (Technician or Manager) in Entra.",
            user=user,
            label=identity.username,
        )
        return _refused(
            request,
            "You have no role in this portal yet",
            "Your Microsoft account is fine, but it has no app role on the portal's "
            "staff sign-in app.",
            403,
            "Ask your MSP's Microsoft Entra administrator to assign you the app role "
            "Technician (or Manager) on the staff sign-in app (Enterprise "
            "applications, Users and groups), then sign in again.",
        )
    user = authenticate(request, entra_user=user)
    if user is None:
        _audit(
            request,
            "staff_signin_refused",
            f"Microsoft sign-in refused for {identity.username}: the portal account is disabled.",
            label=identity.username,
        )
        return _refused(
            request,
            "Your portal account is disabled",
            "A manager has disabled your account in the portal.",
            403,
            "Ask a manager of the portal to enable it again.",
        )
    login(request, user)
    request.session[SESSION_KEY] = time.time() + settings.STAFF_SESSION_HOURS * 3600
    roles = ", ".join(sorted(identity.roles))
    _audit(
        request,
        "staff_signin",
        f"Signed in with Microsoft as {identity.username} ({roles}).",
        user=user,
    )
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


@transaction.atomic
def sync_user(identity: StaffIdentity, groups: set[str]):
    """The user linked to this oid (created at the first sign-in that has a role), with its role
    groups set to exactly what the token says. None when unknown and without a role."""
    link = (
        EntraIdentity.objects.select_for_update()
        .select_related("user")
        .filter(object_id=identity.object_id)
        .first()
    )
    if link is None and not groups:
        return None  # nobody to create: the 403 page says whom to ask
    if link is None:
        user = get_user_model().objects.create_user(_free_username(identity), email=identity.email)
        user.set_unusable_password()  # a Microsoft account never signs in with a local password
        link = EntraIdentity(user=user, tenant_id=identity.tenant_id, object_id=identity.object_id)
    user = link.user
    first, _, last = identity.name.partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]
    if identity.email:
        user.email = identity.email
    user.save()
    link.last_username = identity.username[:254]
    link.last_signed_in_at = timezone.now()
    link.save()
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*[g for g in role_groups if g.name not in groups])
    user.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in groups])
    return user


def _free_username(identity: StaffIdentity) -> str:
    """The UPN as username, made valid; never one a local user already has (suffix -2, -3...)."""
    base = re.sub(r"[^\w.@+-]", "-", identity.username or "")[:140]
    base = base or f"entra-{identity.object_id[:8]}"
    users = get_user_model().objects
    candidate, n = base, 1
    while users.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate
