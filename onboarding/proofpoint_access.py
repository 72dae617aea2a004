"""The one place that maps Django settings to a ProofpointClient (domain.md §4).

Steps never read PROOFPOINT_* themselves. A missing setting is a PermanentError that names the variable,
so the technician sees what to fix instead of a 401 from Proofpoint.
"""

from __future__ import annotations

from django.conf import settings

from integrations.errors import PermanentError
from integrations.proofpoint import ProofpointClient, base_url_for_stack
from onboarding.graph_access import outbound_config, outbound_session
from tenants.models import ProofpointStack, Tenant

REQUIRED_SETTINGS = ("PROOFPOINT_API_USER", "PROOFPOINT_API_PASSWORD")


def _missing(name: str, what: str) -> PermanentError:
    return PermanentError(
        message=f"The portal is not configured: {name} is empty. Set it to {what} (see .env.example) and retry.",
        code="missing_configuration",
    )


def api_url(tenant: Tenant) -> str:
    """A white-label tenant's own API; else PROOFPOINT_API_URL (one base for all); else the stack's."""
    if tenant.proofpoint_stack == ProofpointStack.CUSTOM:
        if not tenant.proofpoint_api_url:
            raise PermanentError(
                message=f"{tenant.name} uses a custom (white-label) Proofpoint stack but has no API URL. "
                "Edit the tenant and fill in the Proofpoint API URL.",
                code="missing_configuration",
            )
        return tenant.proofpoint_api_url.rstrip("/")
    return base_url_for_stack(tenant.proofpoint_stack, settings.PROOFPOINT_API_URL or None)


def proofpoint_client(tenant: Tenant) -> ProofpointClient:
    """The channel-admin API user's client for the tenant's stack."""
    for name in REQUIRED_SETTINGS:
        if not getattr(settings, name, ""):
            raise _missing(name, "the channel-admin API user's email and password")
    return ProofpointClient(api_url(tenant), settings.PROOFPOINT_API_USER, settings.PROOFPOINT_API_PASSWORD,
                            outbound_session(), outbound_config())


def partner_domain() -> str:
    """The MSP's own (partner) org, under which customer orgs are created."""
    if not settings.PROOFPOINT_PARTNER_DOMAIN:
        raise _missing("PROOFPOINT_PARTNER_DOMAIN", "the primary domain of your Proofpoint partner org")
    return settings.PROOFPOINT_PARTNER_DOMAIN
