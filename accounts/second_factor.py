"""The TOTP second factor for password sign-ins, as one separable step.

A sign-in with a password (mark_password_sign_in, on user_logged_in) leaves a flag in the session.
While it is there and the session is not verified by django-otp, every request except the few below
is sent to the code page (or, with STAFF_LOCAL_MFA_REQUIRED and no authenticator yet, to enrolment).
Sign-ins through other backends (Microsoft Entra ID, whose own MFA applies) never set the flag, so
this step never applies to them.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

# Session flag: this session was opened with a password, so the TOTP step applies to it.
PASSWORD_SIGN_IN = "accounts.password_sign_in"
# Backends that check a password. Any sign-in whose request posted a password counts too, so a
# password backend missing here still gets the step; Microsoft's callback never posts one.
PASSWORD_BACKENDS = {
    "django.contrib.auth.backends.ModelBackend",
    "accounts.backends.StaffPasswordBackend",
}
ALWAYS_ALLOWED = ("/logout/", "/static/", "/healthz", "/favicon")


def is_password_sign_in(request, user) -> bool:
    if getattr(user, "backend", "") in PASSWORD_BACKENDS:
        return True
    return request.method == "POST" and bool(request.POST.get("password"))


def mark_password_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver."""
    if request is not None and hasattr(request, "session") and is_password_sign_in(request, user):
        request.session[PASSWORD_SIGN_IN] = True


def confirmed_device(user) -> TOTPDevice | None:
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device enrolment shows (the same one on reload, so the QR code holds)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def second_factor_pending(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.session.get(PASSWORD_SIGN_IN):
        return False
    return not user.is_verified()


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if second_factor_pending(request) and not request.path.startswith(ALWAYS_ALLOWED):
            target = self.target(request)
            if target and request.path != target:
                return self.send_to(request, target)
        return self.get_response(request)

    @staticmethod
    def target(request) -> str | None:
        if confirmed_device(request.user) is not None:
            return reverse("login-code")
        if settings.STAFF_LOCAL_MFA_REQUIRED:
            return reverse("totp-enrol")
        return None  # second factor optional and not set up: the password is enough

    @staticmethod
    def send_to(request, target: str):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Finish signing in with your authenticator code first."}, status=403
            )
        next_path = request.get_full_path() if request.method == "GET" else "/"
        url = f"{target}?{urlencode({'next': next_path})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
