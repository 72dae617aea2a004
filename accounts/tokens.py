"""Issuing and checking personal API tokens. The key is returned once, at creation; the database
keeps only its digest (knox), so nobody can read it back, not even a superuser."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from accounts.api_tokens import ApiToken

MAX_TOKENS_PER_USER = 20


def issue_token(user, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`, valid for `days` (default API_TOKEN_DAYS); returns it and its key."""
    lifetime = timedelta(days=days or settings.API_TOKEN_DAYS)
    return ApiToken.objects.create(user=user, expiry=lifetime, name=name[:100])


def token_from_key(key: str, user_id: int, name: str) -> ApiToken:
    """Store an existing key (e.g. one of the old plain-text tokens) the way knox would."""
    token = ApiToken(
        digest=hash_token(key),
        token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
        user_id=user_id,
        name=name,
        expiry=timezone.now() + timedelta(days=settings.API_TOKEN_DAYS),
    )
    token.save()  # not objects.create: knox's manager would make up a new key
    return token


def live_tokens(user):
    return ApiToken.objects.filter(user=user).exclude(expiry__lt=timezone.now())
