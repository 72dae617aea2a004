"""Authentication backends: local passwords (with the "Microsoft sign-in required" policy) and the
backend Microsoft sign-ins log in through.

The policy is a backend, not a view, so it holds whatever login view is used (the login page, the
admin's, a TOTP step in front): with STAFF_SIGNIN_REQUIRED on, a password is refused for everyone
except the usernames in STAFF_BREAK_GLASS_USERS.
"""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def password_signin_refused(username: str | None) -> bool:
    """True when this username may not sign in with a local password."""
    if not settings.STAFF_SIGNIN_REQUIRED:
        return False
    allowed = {name.strip().lower() for name in settings.STAFF_BREAK_GLASS_USERS}
    return (username or "").strip().lower() not in allowed


class StaffPasswordBackend(ModelBackend):
    """Django's username/password check, unless Microsoft sign-in is required for this user."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if password is not None and password_signin_refused(username):
            if request is not None:
                request.password_signin_refused = True  # the login page says why
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class MicrosoftSignInBackend(ModelBackend):
    """Only ever authenticates a user that accounts/microsoft.py has matched to a validated id token;
    never a username and password."""

    def authenticate(self, request, entra_user=None, **kwargs):
        if entra_user is not None and self.user_can_authenticate(entra_user):
            return entra_user
        return None
