"""Whether a local password may be used: the environment's contract, then the managers' switch.

- STAFF_SIGNIN_REQUIRED on: passwords only for STAFF_BREAK_GLASS_USERS (the page cannot loosen it).
- Otherwise, a manager's "Require Sign in with Microsoft" (SignInPolicy): passwords only for the
  break-glass users named there or in STAFF_BREAK_GLASS_USERS.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from accounts.models import SignInPolicy


@dataclass(frozen=True)
class EffectivePolicy:
    required: bool
    break_glass: frozenset[str]  # lower-case usernames
    from_environment: bool


def effective_policy() -> EffectivePolicy:
    env_users = {u.strip().lower() for u in settings.STAFF_BREAK_GLASS_USERS if u.strip()}
    if settings.STAFF_SIGNIN_REQUIRED:
        return EffectivePolicy(True, frozenset(env_users), True)
    stored = SignInPolicy.current()
    if stored.microsoft_required:
        users = env_users | {u.lower() for u in stored.usernames()}
        return EffectivePolicy(True, frozenset(users), False)
    return EffectivePolicy(False, frozenset(env_users), False)


def password_signin_refused(username: str | None) -> bool:
    """True when this username may not sign in with a local password."""
    policy = effective_policy()
    return policy.required and (username or "").strip().lower() not in policy.break_glass
