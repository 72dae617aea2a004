"""Step 3: the "ProofPoint" app registration and its service principal (seed steps 1-12, domain.md §1).

Idempotent through Graph's uniqueName upsert: a re-run after a crash finds and updates the same app.
Each external change goes to the step log and to the audit trail as "system"."""

from __future__ import annotations

from django.conf import settings

from onboarding import clients
from onboarding.steps.base import Done, Outcome, StepContext, tenant_id_of
from onboarding.sync_app import sync_app_body, unique_key
from tenants.models import EntraApplication


def create_app(ctx: StepContext) -> Outcome:
    tenant = ctx.tenant
    graph = clients.msp_graph(tenant_id_of(ctx))
    record, _ = EntraApplication.objects.get_or_create(tenant=tenant, defaults={"unique_name": unique_key(tenant)})
    # https://learn.microsoft.com/en-us/graph/api/application-upsert
    app, created = graph.upsert_application(record.unique_name, sync_app_body(tenant))
    EntraApplication.objects.filter(pk=record.pk).update(object_id=app["id"], client_id=app["appId"])
    verb = "Created" if created else "Updated"
    ctx.record("entra.app_upserted", f"{verb} the app registration '{settings.SYNC_APP_DISPLAY_NAME}' "
            f"(client id {app['appId']}, uniqueName {record.unique_name}).")
    # https://learn.microsoft.com/en-us/graph/api/serviceprincipal-upsert
    sp = graph.upsert_service_principal(app["appId"])
    if record.service_principal_id != sp["id"]:
        EntraApplication.objects.filter(pk=record.pk).update(service_principal_id=sp["id"])
        ctx.record("entra.sp_ready", f"Service principal {sp['id']} is ready for the app {app['appId']}.")
    return Done(f"App registration '{settings.SYNC_APP_DISPLAY_NAME}' ready (client id {app['appId']}).")
