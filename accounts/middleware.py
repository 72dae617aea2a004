"""A Microsoft sign-in lasts at most STAFF_SESSION_HOURS, however active the session is."""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login

SESSION_KEY = "staff_signin_until"


class StaffSessionLimit:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        until = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if until is not None and time.time() > float(until):
            logout(request)  # flushes the session, so this happens once
            messages.info(request, "Your sign-in has expired. Sign in again to continue.")
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)
