"""`Authorization: Token <key>` (api.md) checked against the hashed tokens, noting each use."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication


class ApiTokenAuthentication(TokenAuthentication):
    """knox's check (digest comparison, expiry), plus the token's last-used time, written at most
    once per API_TOKEN_LAST_USED_EVERY_SECONDS. An expired token answers 401 and stays listed (as
    expired) on its owner's profile page until revoked; knox would delete it, and every other
    expired token of the user, with an extra query at each request."""

    def _cleanup_token(self, auth_token) -> bool:
        """True (skip it) when the token has expired."""
        return auth_token.expiry is not None and auth_token.expiry <= timezone.now()

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        every = timedelta(seconds=settings.API_TOKEN_LAST_USED_EVERY_SECONDS)
        if token.last_used is None or now - token.last_used >= every:
            type(token).objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return user, token
