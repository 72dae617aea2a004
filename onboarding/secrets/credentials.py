"""The sync app's client secrets in Entra (domain.md §3): add one with the lifetime-policy fallback,
remove our leftovers, tell a secret that is still spreading from a bad one.

Shared by the onboarding's create/verify steps (steps/entra.py) and the secret rotation
(rotation.py).
Every secret the portal makes carries SECRET_PREFIX in its display name, so an interrupted attempt
(whose secretText we never stored) is recognisable and removable afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import (
    InsufficientPrivileges,
    InvalidClientCredentials,
    PermanentError,
    SecretLifetimeRefused,
    TransientError,
)
from onboarding import clients
from tenants.models import EntraApplication

SECRET_PREFIX = "proofpoint-sync "
SECRET_FALLBACK_DAYS = (365, 182, 91)  # 12, 6, 3 months, when a policy refuses two years
PROPAGATION_CODES = {"AADSTS7000215", "AADSTS700016"}
TWO_YEARS = "24 months"


def in_two_years(now: datetime) -> datetime:
    try:
        return now.replace(year=now.year + 2)
    except ValueError:  # 29 February
        return now.replace(year=now.year + 2, day=28)


def _policy_max_days(error: PermanentError) -> int | None:
    match = re.search(r"(\d+)\s*days?\b", error.message)
    return int(match.group(1)) if match else None


def add_password(
    graph, app: EntraApplication, name: str, log: Callable[[str], None]
) -> tuple[dict, str]:
    """addPassword for two years (seed step 17); if a policy refuses, its stated maximum, else
    12/6/3 months.

    Returns Graph's answer (with the one-time `secretText`) and the lifetime in words.
    """
    now = datetime.now(UTC)
    try:
        # https://learn.microsoft.com/en-us/graph/api/application-addpassword
        return graph.add_password(app.object_id, name, in_two_years(now)), TWO_YEARS
    except SecretLifetimeRefused as error:
        log("The customer's app policy refused a secret valid for 24 months; trying a shorter one.")
        most = _policy_max_days(error)
    tries = [most] if most else []
    tries += [days for days in SECRET_FALLBACK_DAYS if not most or days < most]
    for days in tries:
        try:
            return graph.add_password(
                app.object_id, name, now + timedelta(days=days)
            ), f"{days} days"
        except SecretLifetimeRefused:
            log(f"The customer's app policy refused a secret valid for {days} days.")
    raise PermanentError(
        message="The customer's app policy refuses every client secret lifetime down to three "
        "months. Ask their administrator to allow a longer one for this app.",
        code="secret_lifetime_refused",
    )


def remove_leftovers(
    graph, app: EntraApplication, keep: Iterable[str | None], record: Callable[[str, str], None]
) -> None:
    """Remove every secret with our display-name prefix except those we hold (`keep`: keyIds)."""
    held = {key for key in keep if key}
    for credential in graph.list_password_credentials(app.object_id):
        name = credential.get("displayName") or ""
        if name.startswith(SECRET_PREFIX) and credential.get("keyId") not in held:
            # https://learn.microsoft.com/en-us/graph/api/application-removepassword
            graph.remove_password(app.object_id, credential["keyId"])
            record(
                "entra.secret_removed",
                f"Removed an unusable client secret '{name}' "
                f"(keyId {credential['keyId']}) left by an interrupted attempt.",
            )


def still_spreading(error: PermanentError) -> bool:
    """A refusal a brand-new secret gets for seconds while Entra replicates it (AADSTS7000215,
    §3)."""
    return isinstance(error, InsufficientPrivileges) or error.code in PROPAGATION_CODES


def store_secret(app: EntraApplication, created: dict) -> None:
    """Keep addPassword's answer as the app's current secret (encrypted), at once."""
    app.secret = created["secretText"]
    app.secret_key_id = created["keyId"]
    app.secret_hint = created.get("hint") or ""
    app.secret_expires_at = parse_datetime(created.get("endDateTime") or "")
    app.save(
        update_fields=["secret", "secret_key_id", "secret_hint", "secret_expires_at", "updated_at"]
    )


def add_and_store(
    graph,
    app: EntraApplication,
    name: str,
    *,
    remember: Callable[[str], None],
    log: Callable[[str], None],
    record: Callable[[str, str], None],
) -> str:
    """addPassword as `name`, kept at once as the app's current secret (encrypted). `remember`
    saves the name first, so a crash right after addPassword leaves a secret a re-run recognises
    (remove_leftovers). Returns the lifetime in words."""
    remember(name)
    # https://learn.microsoft.com/en-us/graph/api/application-addpassword
    created, lifetime = add_password(graph, app, name, log)
    store_secret(app, created)
    record(
        "entra.secret_created",
        f"Created the client secret '{name}' (keyId {created['keyId']}, valid {lifetime}, "
        f"expires {app.secret_expires_at:%Y-%m-%d}); stored encrypted.",
    )
    return lifetime


def prove_secret_works(tenant_id: str, app: EntraApplication, started: datetime) -> None:
    """A token with the app's secret works and reads the directory, as Proofpoint will.

    While Entra may still be spreading a new secret (since `started`, for
    ENTRA_SECRET_PROPAGATION_SECONDS, domain.md §3) a refusal is a TransientError; after that, a
    PermanentError in words."""
    try:
        clients.graph_client(tenant_id, app.client_id, app.secret).first_user()
    except (InvalidClientCredentials, InsufficientPrivileges) as error:
        clients.forget_token(tenant_id, app.client_id)  # a refused token must not be reused
        waited = (timezone.now() - started).total_seconds()
        limit = settings.ENTRA_SECRET_PROPAGATION_SECONDS
        if still_spreading(error) and waited < limit:
            raise TransientError(
                message=f"The new secret is not accepted yet ({error.message}); Microsoft Entra "
                "can take a minute to spread it.",
                code=error.code,
                retry_after=max(1.0, min(limit - waited, limit / 6)),
            ) from error
        raise PermanentError(
            message=f"The new app still cannot sign in after {int(waited)} s: {error.message}",
            code=error.code,
        ) from error
