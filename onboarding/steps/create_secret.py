"""Step 5: the sync app's client secret (seed step 17, domain.md §3): two years, or the longest the
customer's app policy allows; stored encrypted.

What the step needs to recognise its own earlier attempt (the secret's display name) is saved before
the call that makes it, so a crash right after addPassword leaves no orphan secret."""

from __future__ import annotations

import uuid

from onboarding import clients
from onboarding.secrets.credentials import SECRET_PREFIX, TWO_YEARS, add_and_store, remove_leftovers
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.sync_app import find_sync_app


# --- 5. the client secret
# ------------------------------------------------------------------------------
def create_secret(ctx: StepContext) -> Outcome:
    app = find_sync_app(ctx.tenant, registered=True)
    graph = clients.msp_graph(tenant_id_of(ctx))
    held = app.secret_key_id if app.secret else None
    if held and any(c.get("keyId") == held for c in graph.list_password_credentials(app.object_id)):
        remove_leftovers(graph, app, [held], ctx.record)
        return Done(
            f"A client secret is already stored (hint {app.secret_hint}…, expires "
            f"{app.secret_expires_at:%Y-%m-%d})."
        )
    # Whatever carries our prefix now is unusable to us: we do not hold its secretText.
    remove_leftovers(graph, app, [], ctx.record)
    name = f"{SECRET_PREFIX}{ctx.job.pk}-{uuid.uuid4().hex[:12]}"
    lifetime = add_and_store(
        graph,
        app,
        name,
        remember=lambda n: ctx.save_data(secret_display_name=n),
        log=ctx.log,
        record=ctx.record,
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
