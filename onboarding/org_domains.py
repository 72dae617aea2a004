"""The Proofpoint org's domains against the customer's verified Entra domains (domain.md §1, §8):
every one must be in the org or Proofpoint's sync fails. Used by the repair's domain step."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from integrations.errors import PermanentError
from integrations.proofpoint.client import ProofpointClient
from onboarding.report.classify import initial_domain, mail_domains
from tenants.models import Tenant


def delivery_destination(graph_domains: list[dict]) -> str | None:
    """Microsoft 365's inbound host for the tenant: {initial prefix}.mail.protection.outlook.com."""
    prefix = initial_domain(graph_domains).split(".")[0]
    return f"{prefix}.mail.protection.outlook.com" if prefix else None


def org_domain_names(client: ProofpointClient, tenant: Tenant) -> set[str]:
    return {d.get("name", "").lower() for d in client.list_domains(tenant.primary_domain)} - {""}


def add_missing_domains(
    client: ProofpointClient, tenant: Tenant, graph_domains: list[dict], log: Callable[[str], None]
) -> list[str]:
    """Add each verified Entra domain the org lacks; returns those added. A domain Proofpoint still
    lacks afterwards (another org holds it) is a PermanentError that says so."""
    wanted = sorted({tenant.primary_domain, *mail_domains(graph_domains)})
    present = org_domain_names(client, tenant)
    destination = delivery_destination(graph_domains)
    added = []
    for domain in wanted:
        if domain not in present and client.add_domain(
            tenant.primary_domain, domain, cast(str, destination)
        ):
            added.append(domain)
            log(
                f"Added the domain {domain} to the Proofpoint org {tenant.primary_domain} (to "
                f"{destination})."
            )
    if added:
        present = org_domain_names(client, tenant)
    missing = [d for d in wanted if d not in present]
    if missing:
        raise PermanentError(
            message=f"The domain(s) {', '.join(missing)} could not be added to the Proofpoint org "
            f"{tenant.primary_domain}: Proofpoint says they exist, so another org has them. "
            "Remove them there, or ask Proofpoint support; the sync fails until then.",
            code="domain_elsewhere",
        )
    return added
