"""Authentication backends: local passwords (with the "Microsoft sign-in required" policy) and the
backend Microsoft sign-ins log in through.

The policy is a backend, not a view, so it holds whatever login view is used (the login page, the
admin's, a TOTP step in front): with STAFF_SIGNIN_REQUIRED on (or a manager's switch, policy.py), a
password is refused for everyone except the named break-glass usernames.
"""

from django.contrib.auth.backends import ModelBackend

from accounts.policy import password_signin_refused


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
    """Only ever authenticates a user that accounts/microsoft.py has matched to a validated id
    token; never a username and password."""

    def authenticate(self, request, entra_user=None, **kwargs):
        if entra_user is not None and self.user_can_authenticate(entra_user):
            return entra_user
        return None
