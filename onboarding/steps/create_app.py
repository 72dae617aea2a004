"""Step 3: the "ProofPoint" app registration and its service principal (seed steps 1-12, domain.md
§1).

Idempotent through Graph's uniqueName upsert: a re-run after a crash finds and updates the same app.
Each external change goes to the step log and to the audit trail as "system"."""

from __future__ import annotations

from django.conf import settings

from onboarding import clients
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.sync_app import register_sync_app


def create_app(ctx: StepContext) -> Outcome:
    graph = clients.msp_graph(tenant_id_of(ctx))
    app = register_sync_app(ctx.tenant, graph, ctx.record)
    return Done(
        f"App registration '{settings.SYNC_APP_DISPLAY_NAME}' ready (client id {app.client_id})."
    )
