"""Step 1: find the customer's Microsoft Entra tenant from its domain (OpenID discovery, domain.md
§2), and refuse a national cloud (GCC High, DoD) that Proofpoint's Azure sync does not support."""

from __future__ import annotations

from integrations.errors import (
    PermanentError,
)
from onboarding import clients
from onboarding.steps.base import Done, Outcome, StepContext
from tenants.models import Tenant


# --- 1. resolve the tenant -----------------------------------------------------------------------
def resolve_tenant(ctx: StepContext) -> Outcome:
    tenant = ctx.tenant
    info = clients.find_tenant(tenant.primary_domain)
    if info.is_national_cloud:
        raise PermanentError(
            message=f"{tenant.primary_domain} is in a US Government (GCC High / DoD) or other "
            "national cloud "
            f"({info.cloud_instance_name or info.tenant_region_scope}). Proofpoint Essentials' "
            "Azure sync does "
            "not support GCC High, so this customer cannot be onboarded this way.",
            code="national_cloud",
        )
    if tenant.entra_tenant_id != info.tenant_id:
        Tenant.objects.filter(pk=tenant.pk).update(entra_tenant_id=info.tenant_id)
        tenant.entra_tenant_id = info.tenant_id
        ctx.log(f"{tenant.primary_domain} belongs to Entra tenant {info.tenant_id}.")
    return Done(f"{tenant.primary_domain} belongs to Microsoft Entra tenant {info.tenant_id}.")
