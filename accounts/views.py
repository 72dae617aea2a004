"""The profile page (name, role, personal API tokens, the authenticator app), the TOTP sign-in
step, and the managers' page for lockouts and lost authenticator apps."""

import base64
import math
from datetime import timedelta

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_login_failed
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.api_tokens import ApiToken
from accounts.forms import CodeForm, TokenForm
from accounts.lockout import lockout_response
from accounts.second_factor import (
    PASSWORD_SIGN_IN,
    confirmed_device,
    pending_device,
    second_factor_pending,
)
from accounts.tokens import MAX_TOKENS_PER_USER, issue_token
from onboarding import audit
from tenants.access import manager_required, staff_required
from tenants.roles import is_manager


def _role(user) -> str:
    if user.is_superuser:
        return "Superuser"
    return "Manager" if is_manager(user) else "Technician"


def _next_url(request, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL if default == "home" else default


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _profile(request, *, form=None, new_key=None, new_token=None, status=200):
    user = request.user
    context = {
        "role": _role(user),
        "tokens": ApiToken.objects.filter(user=user),
        "now": timezone.now(),
        "form": form or TokenForm(),
        "new_key": new_key,  # shown on this one answer only
        "new_token": new_token,
        "default_days": settings.API_TOKEN_DAYS,
        "device": confirmed_device(user),
        "mfa_required": settings.STAFF_LOCAL_MFA_REQUIRED,
        "password_sign_in": bool(request.session.get(PASSWORD_SIGN_IN)),
    }
    return _no_store(render(request, "accounts/profile.html", context, status=status))


@staff_required
@never_cache
def profile(request):
    return _profile(request)


@staff_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _profile(request, form=form, status=400)
    if ApiToken.objects.filter(user=request.user).count() >= MAX_TOKENS_PER_USER:
        form.add_error(
            None,
            f"You already have {MAX_TOKENS_PER_USER} tokens: revoke one you no longer use first.",
        )
        return _profile(request, form=form, status=400)
    name = form.cleaned_data["name"] or "Personal token"
    token, key = issue_token(request.user, name=name, days=form.cleaned_data["days"])
    audit.record(
        "api_token.created",
        f"Created the API token '{token.name}' (expires {token.expiry:%Y-%m-%d})",
        request=request,
    )
    return _profile(request, new_key=key, new_token=token)


@staff_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)  # only one's own tokens
    name = token.name
    token.delete()
    audit.record("api_token.revoked", f"Revoked the API token '{name}'", request=request)
    messages.success(
        request, f"Revoked the token \u201c{name}\u201d. Scripts using it now get 401."
    )
    return redirect("profile")


def _wait_seconds(info: dict | None) -> int:
    """Seconds until django-otp's throttling lets the next code be tried."""
    until = (info or {}).get("locked_until") or timezone.now()
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def _qr_svg(url: str) -> str:
    """The otpauth:// URL as an inline SVG (attributes only, no inline style: the CSP holds)."""
    return segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=2)


@staff_required
@never_cache
def totp_enrol(request):
    """Set up (or replace) the authenticator app: scan the QR code, then prove it with one code."""
    device = pending_device(request.user)
    form = CodeForm(request.POST or None)
    allowed, info = device.verify_is_allowed()
    if request.method == "POST" and form.is_valid() and not allowed:
        form.add_error(
            "otp_token",
            f"Too many wrong codes in a row: wait {_wait_seconds(info)} seconds, "
            "then enter the code the app shows.",
        )
    elif request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["otp_token"]):
            device.confirmed = True
            device.save()
            request.user.totpdevice_set.exclude(pk=device.pk).delete()  # the old app stops working
            otp_login(request, device)
            audit.record(
                "auth.totp_enrolled", "Set up an authenticator app for sign-in", request=request
            )
            messages.success(
                request,
                "Your authenticator app is set up: sign-in with your password now "
                "also asks for its code.",
            )
            return redirect(_next_url(request, default="profile"))
        form.add_error(
            "otp_token",
            "That code is not right. Check the time on your phone and enter the "
            "code the app shows now.",
        )
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "replacing": confirmed_device(request.user) is not None,
        "forced": second_factor_pending(request),  # no way around it: no navigation either
        "required": settings.STAFF_LOCAL_MFA_REQUIRED,
        "next": request.GET.get("next") or request.POST.get("next") or "",
    }
    return _no_store(render(request, "accounts/totp_enrol.html", context))


@staff_required
@never_cache
def login_code(request):
    """The second sign-in step: a code from the authenticator app. Wrong codes count as failed
    sign-ins for django-axes (lockout) and are slowed down by django-otp's throttling."""
    device = confirmed_device(request.user)
    if device is None or request.user.is_verified():
        return redirect(_next_url(request))
    credentials = {"username": request.user.get_username()}
    if not AxesProxyHandler.is_allowed(request, credentials):
        logout(request)
        return lockout_response(request, credentials=credentials)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        allowed, info = device.verify_is_allowed()
        if not allowed:
            form.add_error(
                "otp_token",
                f"Too many wrong codes in a row: wait {_wait_seconds(info)} seconds, "
                "then try again.",
            )
            status = 429
        elif device.verify_token(form.cleaned_data["otp_token"]):
            otp_login(request, device)
            return redirect(_next_url(request))
        else:
            request.accounts_failed_step = "second-factor code"
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                request.axes_locked_out = False  # answered here; AxesMiddleware need not
                logout(request)
                return lockout_response(request, credentials=credentials)
            left = settings.AXES_FAILURE_LIMIT - AxesProxyHandler.get_failures(request, credentials)
            form.add_error(
                "otp_token",
                f"That code is not right. {left} more wrong "
                f"{'try' if left == 1 else 'tries'} and sign-in is locked for "
                f"{settings.LOGIN_COOLOFF_MINUTES} minutes.",
            )
            status = 400
    context = {"form": form, "next": request.GET.get("next") or request.POST.get("next") or ""}
    return _no_store(render(request, "accounts/login_code.html", context, status=status))


def _current_lockouts():
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    since = timezone.now() - (get_cool_off() or timedelta(0))
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")


@manager_required
@never_cache
def staff_sign_ins(request):
    """For managers: accounts locked out now (unlock), and who has an authenticator app (reset)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off() or timedelta(0)
    lockouts = [{"attempt": a, "until": a.attempt_time + cool_off} for a in _current_lockouts()]
    devices = (
        TOTPDevice.objects.filter(confirmed=True).select_related("user").order_by("user__username")
    )
    return render(
        request, "accounts/staff_sign_ins.html", {"lockouts": lockouts, "devices": devices}
    )


@manager_required
@require_POST
def unlock(request, pk: int):
    attempt = get_object_or_404(_current_lockouts(), pk=pk)
    username = attempt.username or ""
    attempt.delete()
    audit.record("auth.unlocked", f"Unlocked sign-in for '{username[:100]}'", request=request)
    messages.success(request, f"Unlocked sign-in for \u201c{username[:100]}\u201d.")
    return redirect("staff-sign-ins")


@manager_required
@require_POST
def totp_reset(request, user_id: int):
    devices = TOTPDevice.objects.filter(user_id=user_id)
    first = devices.select_related("user").first()
    if first is None:
        raise Http404("That person has no authenticator app.")
    name = first.user.get_username()
    devices.delete()
    audit.record("auth.totp_reset", f"Reset the authenticator app of {name}", request=request)
    messages.success(
        request,
        f"Reset the authenticator app of {name}: their next password sign-in "
        "sets up a new one"
        + (" (required)." if settings.STAFF_LOCAL_MFA_REQUIRED else " if they want."),
    )
    return redirect("staff-sign-ins")
