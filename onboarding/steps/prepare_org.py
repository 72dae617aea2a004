"""Step 7: the customer's Proofpoint org exists (or is created under the partner) and holds every
verified Entra domain (domain.md §4). Reads what exists and adds what is missing, so a re-run after
a
crash at any line just resumes."""

from __future__ import annotations

from django.conf import settings

from integrations.errors import PermanentError
from onboarding.clients import msp_graph, partner_domain, proofpoint_client
from onboarding.report.classify import initial_domain, mail_domains
from onboarding.steps.base import Done, Outcome, StepContext
from onboarding.sync_app import has_usable_sync_app, sync_app_graph
from tenants.models import Tenant


# --- prepare_org ---------------------------------------------------------------------------------
def _entra_domains(tenant: Tenant) -> list[dict]:
    """The tenant's domains from Graph, as the sync app (what Proofpoint uses) or else the MSP
    app."""
    if has_usable_sync_app(tenant):
        return sync_app_graph(tenant).list_domains()
    if not tenant.entra_tenant_id:
        raise PermanentError(
            message="The customer's Entra tenant is not resolved yet; retry the first step.",
            code="tenant_unresolved",
        )
    return msp_graph(tenant.entra_tenant_id).list_domains()


def _new_org_body(tenant: Tenant, domains: list[str], destination: str | None) -> dict:
    admin = tenant.customer_admin_email.lower()
    if admin.rsplit("@", 1)[-1] not in domains:
        # Proofpoint wants the org's admin in one of its domains; postmaster@ exists for every mail
        # domain (RFC 2142), so it is a safe stand-in when the customer's contact is elsewhere.
        admin = f"postmaster@{tenant.primary_domain}"
    return {
        "primary_domain": tenant.primary_domain,
        "name": tenant.name,
        "type": "organization",
        "admin_user": {
            "primary_email": admin,
            "firstname": tenant.customer_admin_name or "Administrator",
        },
        "domains": [
            {"name": d, **({"destination": destination} if destination else {})} for d in domains
        ],
        "user_licenses": settings.PROOFPOINT_NEW_ORG_USER_LICENSES,
    }


def prepare_org(ctx: StepContext) -> Outcome:
    """The customer's org exists (or is created under the partner) and holds every verified
    domain."""
    tenant = ctx.tenant
    client = proofpoint_client(tenant)
    graph_domains = _entra_domains(tenant)
    wanted = sorted({tenant.primary_domain, *mail_domains(graph_domains)})
    prefix = initial_domain(graph_domains).split(".")[0]
    destination = f"{prefix}.mail.protection.outlook.com" if prefix else None
    org = client.get_org(tenant.primary_domain)
    if org is None:
        # The primary domain only: the others are added below with add_domain, which surely keeps
        # their
        # destination (the create body's domain objects are documented with a name alone).
        org = _create_org(ctx, client, tenant, [tenant.primary_domain], destination)
    present = {d.get("name", "").lower() for d in client.list_domains(tenant.primary_domain)}
    added = [
        d
        for d in wanted
        if d not in present and client.add_domain(tenant.primary_domain, d, destination)
    ]
    for domain in added:
        ctx.log(f"Added the domain {domain} to the Proofpoint org (delivering to {destination}).")
    _check_domains(client, tenant, wanted)
    ctx.save_data(org=tenant.primary_domain, domains=wanted, destination=destination)
    note = f"; added {', '.join(added)}" if added else ""
    return Done(
        f"Proofpoint org {tenant.primary_domain} is ready with {len(wanted)} domain(s){note}."
    )


def _create_org(
    ctx: StepContext, client, tenant: Tenant, domains: list[str], destination: str | None
) -> dict:
    domain = tenant.primary_domain
    if not tenant.create_proofpoint_org:
        raise PermanentError(
            message=f"No Proofpoint organisation uses {domain}. Create it in the Proofpoint "
            "portal, or tick "
            "'Create the Proofpoint org' on the tenant.",
            code="org_missing",
        )
    org = client.create_org(
        partner_domain(), _new_org_body(tenant, domains, destination)
    )  # 409 → read back: fine
    if not org:
        raise PermanentError(
            message=f"Proofpoint refused to create an org for {domain}: one of its domains belongs "
            "to another "
            "Proofpoint organisation. Remove it there, or ask Proofpoint support.",
            code="org_conflict",
        )
    ctx.log(f"Created the Proofpoint org {domain} under the partner org {partner_domain()}.")
    return org


def _check_domains(client, tenant: Tenant, wanted: list[str]) -> None:
    """A 409 on add can mean the domain is in ANOTHER org; the sync would fail, so say it now."""
    present = {d.get("name", "").lower() for d in client.list_domains(tenant.primary_domain)}
    missing = [d for d in wanted if d not in present]
    if missing:
        raise PermanentError(
            message=f"The domain(s) {', '.join(missing)} of the customer's Entra tenant could not "
            "be added to "
            f"the Proofpoint org {tenant.primary_domain}: Proofpoint says they exist, so another "
            "organisation "
            "holds them. The sync fails until every domain is in this org.",
            code="domain_elsewhere",
        )
