"""Repair: every verified Entra domain is in the Proofpoint org again (api.md v1.1, domain_missing),
or the sync keeps failing. Reads both lists; adds only what is missing."""

from __future__ import annotations

from integrations.errors import PermanentError
from onboarding import clients
from onboarding.org_domains import add_missing_domains
from onboarding.steps.base import Done, Outcome, Skipped, StepContext, tenant_id_of


def repair_domains(ctx: StepContext) -> Outcome:
    tenant = ctx.tenant
    client = clients.proofpoint_client(tenant)
    if client.get_org(tenant.primary_domain) is None:
        raise PermanentError(
            message=f"No Proofpoint organisation uses {tenant.primary_domain} any more: "
            "repair cannot rebuild it. Start an onboarding to create it again.",
            code="org_missing",
        )
    graph_domains = clients.msp_graph(tenant_id_of(ctx)).list_domains()
    added = add_missing_domains(client, tenant, graph_domains, lambda _text: None)
    if not added:
        return Skipped("Every verified Microsoft 365 domain is in the Proofpoint organisation.")
    for domain in added:
        ctx.record(
            "proofpoint.domain_added",
            f"Added the domain {domain} to the Proofpoint org {tenant.primary_domain}.",
        )
    return Done(f"Added {', '.join(added)} to the Proofpoint organisation.")
