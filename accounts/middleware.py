"""The TOTP second factor for password sign-ins, as one separable step.

A sign-in through a password backend (accounts.receivers.mark_password_sign_in) leaves a flag in the
session. While it is there and the session is not verified by django-otp, every request except the
few below is sent to the code page (or, with STAFF_LOCAL_MFA_REQUIRED and no authenticator yet, to
enrolment). Sign-ins through other backends (Microsoft Entra ID, whose own MFA applies) never set the
flag, so this step never applies to them.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.second_factor import PASSWORD_SIGN_IN, confirmed_device

ALWAYS_ALLOWED = ("/logout/", "/static/", "/healthz", "/favicon")


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
            return JsonResponse({"detail": "Finish signing in with your authenticator code first."},
                                status=403)
        next_path = request.get_full_path() if request.method == "GET" else "/"
        url = f"{target}?{urlencode({'next': next_path})}"
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
