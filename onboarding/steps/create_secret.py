"""Step 5: the sync app's client secret (seed step 17, domain.md §3): two years, or the longest the
customer's app policy allows; stored encrypted.

What the step needs to recognise its own earlier attempt (the secret's display name) is saved before
the call that makes it, so a crash right after addPassword leaves no orphan secret."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.utils.dateparse import parse_datetime

from onboarding import clients
from onboarding.secrets.credentials import (
    SECRET_PREFIX,
    TWO_YEARS,
    add_password,
    remove_leftovers,
)
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.sync_app import find_sync_app
from tenants.models import EntraApplication


# --- 5. the client secret
# ------------------------------------------------------------------------------
def _audit_for(ctx: StepContext) -> Callable[[str, str], None]:
    return ctx.record


def _store_secret(app: EntraApplication, created: dict) -> None:
    app.secret = created["secretText"]
    app.secret_key_id = created["keyId"]
    app.secret_hint = created.get("hint") or ""
    app.secret_expires_at = parse_datetime(created.get("endDateTime") or "")
    app.save(
        update_fields=["secret", "secret_key_id", "secret_hint", "secret_expires_at", "updated_at"]
    )


def create_secret(ctx: StepContext) -> Outcome:
    app = find_sync_app(ctx.tenant, registered=True)
    graph = clients.msp_graph(tenant_id_of(ctx))
    held = app.secret_key_id if app.secret else None
    if held and any(c.get("keyId") == held for c in graph.list_password_credentials(app.object_id)):
        remove_leftovers(graph, app, [held], _audit_for(ctx))
        return Done(
            f"A client secret is already stored (hint {app.secret_hint}…, expires "
            f"{app.secret_expires_at:%Y-%m-%d})."
        )
    # Whatever carries our prefix now is unusable to us: we do not hold its secretText.
    remove_leftovers(graph, app, [], _audit_for(ctx))
    name = f"{SECRET_PREFIX}{ctx.job.pk}-{uuid.uuid4().hex[:12]}"
    ctx.save_data(
        secret_display_name=name
    )  # before addPassword, so a crash right after it is recognisable
    # https://learn.microsoft.com/en-us/graph/api/application-addpassword
    created, lifetime = add_password(graph, app, name, ctx.log)
    _store_secret(app, created)
    ctx.record(
        "entra.secret_created",
        f"Created the client secret '{name}' (keyId {created['keyId']}, valid "
        f"{lifetime}, expires {app.secret_expires_at:%Y-%m-%d}); stored encrypted.",
    )
    shorter = (
        ""
        if lifetime == TWO_YEARS
        else (
            f" The customer's app policy refused two years, so it is valid for {lifetime} only: "
            "plan its rotation."
        )
    )
    return Done(f"Client secret created, valid until {app.secret_expires_at:%Y-%m-%d}.{shorter}")
