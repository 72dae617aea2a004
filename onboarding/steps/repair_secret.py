"""Repair: the sync app gets a new client secret when the one Proofpoint uses is gone, expired or
expires within SECRET_ROTATE_DAYS (api.md: secret_expired, secret_expiring, app_missing), in the
order of the rotation (domain.md §6): addPassword → a token with it works → PUT settings/azure with
it → removePassword of the old one.

Crash-safe at every line: the key id being replaced is saved first, the new secret's display name
before addPassword (a re-run removes an orphan it cannot use), and the new secret is stored at once;
a re-run after that verifies it, saves it in Proofpoint again and removes the old one if there.
The old secret stays valid until Proofpoint holds the new one."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onboarding import clients
from onboarding.secrets.credentials import (
    SECRET_PREFIX,
    add_and_store,
    prove_secret_works,
    remove_leftovers,
)
from onboarding.steps.base import Done, Outcome, Skipped, StepContext, tenant_id_of, unheld_app_kept
from onboarding.sync_app import find_sync_app, save_azure_settings
from tenants.models import EntraApplication


def _healthy(app: EntraApplication, credentials: list[dict]) -> str | None:
    """Why no new secret is needed, or None when one is."""
    current = next((c for c in credentials if c.get("keyId") == app.secret_key_id), None)
    ends = parse_datetime(current.get("endDateTime") or "") if current else None
    if not app.secret or ends is None:
        return None
    if ends - timezone.now() < timedelta(days=settings.SECRET_ROTATE_DAYS):
        return None
    return f"The client secret is valid until {ends:%Y-%m-%d}."


def repair_secret(ctx: StepContext) -> Outcome:
    kept = unheld_app_kept(ctx.tenant)
    if kept:
        return Skipped(kept)
    tenant_id = tenant_id_of(ctx)
    app = find_sync_app(ctx.tenant, registered=True)
    graph = clients.msp_graph(tenant_id)
    credentials = graph.list_password_credentials(app.object_id)
    if "replacing" not in ctx.data:
        reason = _healthy(app, credentials)
        if reason:
            return Skipped(reason)
        ctx.save_data(replacing=app.secret_key_id if app.secret else "")
    old = ctx.data["replacing"]
    if not app.secret or app.secret_key_id == old:
        _add_new(ctx, graph, app, old)
    _verify(ctx, tenant_id, app)
    save_azure_settings(
        ctx.tenant,
        frequency=ctx.tenant.sync_frequency_hours,
        attempt=ctx.step.attempts,
        job=ctx.job,
    )
    ctx.record(
        "proofpoint.settings_updated",
        f"Saved the new client secret (hint {app.secret_hint}…) in the "
        f"Azure sync settings of the Proofpoint org {ctx.tenant.primary_domain} (sync every "
        f"{ctx.tenant.sync_frequency_hours} h).",
    )
    if old and old != app.secret_key_id and any(c.get("keyId") == old for c in credentials):
        # https://learn.microsoft.com/en-us/graph/api/application-removepassword
        graph.remove_password(app.object_id, old)
        ctx.record(
            "entra.secret_removed",
            f"Removed the old client secret (keyId {old}) now that Proofpoint uses the new one.",
        )
    return Done(
        f"New client secret in use (hint {app.secret_hint}…, valid until "
        f"{app.secret_expires_at:%Y-%m-%d}); Proofpoint has it."
    )


def _add_new(ctx: StepContext, graph, app: EntraApplication, old: str) -> None:
    # Whatever has our prefix but is not the current secret is unusable: we lack its secretText.
    remove_leftovers(graph, app, [old], ctx.record)
    name = f"{SECRET_PREFIX}repair {ctx.job.pk}-{uuid.uuid4().hex[:12]}"
    add_and_store(
        graph,
        app,
        name,
        remember=lambda n: ctx.save_data(secret_display_name=n),
        log=ctx.log,
        record=ctx.record,
    )


def _verify(ctx: StepContext, tenant_id: str, app: EntraApplication) -> None:
    """A token with the new secret works, retried while Entra spreads it (domain.md §3)."""
    started = ctx.data.get("first_try_at") or timezone.now().isoformat()
    ctx.save_data(first_try_at=started)
    prove_secret_works(tenant_id, app, parse_datetime(started) or timezone.now())
