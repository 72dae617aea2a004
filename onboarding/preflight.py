"""What can be checked before any email goes to the customer (registered with tenants.preflight):

- the primary domain resolves to a Microsoft Entra tenant, and not one in a national cloud;
- the tenant's Proofpoint stack answers the channel-admin API user's credentials;
- the Proofpoint org exists, or "Create the Proofpoint org" is ticked and the portal's account is a
  partner that may create it;
- the org has licences left for at least one user.

Messages name the form's own labels and say what to do. A service that cannot be reached is a note,
never a reason to refuse the save: the steps check again, and retry by themselves.
"""

from __future__ import annotations

import logging

from django.conf import settings

from integrations.errors import (
    IntegrationError,
    PermanentError,
    ProofpointAuthFailed,
    TenantNotFound,
    TransientError,
)
from onboarding import clients
from tenants.models import ProofpointStack
from tenants.preflight import Problem

log = logging.getLogger(__name__)
# Failures no retry can mend: the job page offers editing the tenant or cancelling instead.
PERMANENT_CODES = frozenset({"national_cloud", "tenant_not_found"})
DOMAIN = "primary_domain"
STACK = "proofpoint_stack"
CREATE = "create_proofpoint_org"


def _not_checked(what: str, error: Exception) -> Problem:
    words = error.message if isinstance(error, IntegrationError) else str(error)
    return Problem(
        f"{what} could not be checked just now ({words}); the onboarding checks it again.",
        code="not_checked",
        blocking=False,
    )


def check_entra(tenant) -> list[Problem]:
    domain = tenant.primary_domain
    try:
        info = clients.find_tenant(domain)
    except TenantNotFound:
        return [
            Problem(
                f"No Microsoft 365 (Entra ID) tenant answers for {domain}. Check the Primary email "
                "domain: it must be a domain the customer uses in Microsoft 365.",
                DOMAIN,
                "tenant_not_found",
            )
        ]
    except (TransientError, PermanentError, OSError) as error:
        return [_not_checked(f"The Microsoft tenant of {domain}", error)]
    if info.is_national_cloud:
        cloud = info.cloud_instance_name or info.tenant_region_scope
        return [
            Problem(
                f"{domain} is in a US Government (GCC High / DoD) or other national cloud "
                f"({cloud}). "
                "Proofpoint Essentials' Azure sync does not support it, so the portal cannot "
                "onboard "
                "this customer.",
                DOMAIN,
                "national_cloud",
                permanent=True,
            )
        ]
    return []


def _stack_field(tenant) -> str:
    return "proofpoint_api_url" if tenant.proofpoint_stack == ProofpointStack.CUSTOM else STACK


def check_proofpoint(tenant) -> list[Problem]:
    stack = tenant.get_proofpoint_stack_display()
    try:
        client = clients.proofpoint_client(tenant)
        client.me()
    except ProofpointAuthFailed:
        return [
            Problem(
                f"The Proofpoint stack {stack} refused the portal's channel-admin API user. Choose "
                "the stack your partner account lives on in Proofpoint stack, or ask an admin to "
                "check "
                "PROOFPOINT_API_USER and PROOFPOINT_API_PASSWORD.",
                _stack_field(tenant),
                "proofpoint_auth",
            )
        ]
    except (TransientError, PermanentError, OSError, ValueError) as error:
        return [_not_checked(f"The Proofpoint stack {stack}", error)]
    try:
        org = client.get_org(tenant.primary_domain)
    except (IntegrationError, OSError) as error:
        return [_not_checked("The Proofpoint organisation", error)]
    if org is None:
        return _missing_org(tenant, client)
    return _licences(tenant, org)


def _other_stack(tenant, client) -> str:
    try:
        found = client.endpoint(tenant.primary_domain)
    except (IntegrationError, OSError):
        return ""
    stack = str(found.get("stack") or "").lower()
    return stack if stack and stack != tenant.proofpoint_stack else ""


def _missing_org(tenant, client) -> list[Problem]:
    domain = tenant.primary_domain
    other = _other_stack(tenant, client)
    if other:
        label = dict(ProofpointStack.choices).get(other, other.upper())
        return [
            Problem(
                f"The Proofpoint organisation of {domain} is on the {label} stack: choose {label} "
                "in "
                "Proofpoint stack.",
                STACK,
                "org_other_stack",
            )
        ]
    if not tenant.create_proofpoint_org:
        return [
            Problem(
                f'No Proofpoint organisation uses {domain} on this stack. Tick "Create the '
                "Proofpoint "
                'org", or create the organisation in the Proofpoint portal first.',
                CREATE,
                "org_missing",
            )
        ]
    problems = []
    try:
        partner_domain = clients.partner_domain()
        partner = client.get_org(partner_domain)
    except (IntegrationError, OSError) as error:
        return [_not_checked("Whether the portal may create Proofpoint organisations", error)]
    if partner is None or str(partner.get("type", "partner")).lower() != "partner":
        problems.append(
            Problem(
                f"The portal's Proofpoint account ({partner_domain}) is not a partner "
                'organisation on this stack, so it cannot create organisations. Untick "Create '
                'the Proofpoint org" and create it in the Proofpoint portal, or choose the '
                "partner's stack in Proofpoint stack.",
                CREATE,
                "partner_cannot_create",
            )
        )
    if settings.PROOFPOINT_NEW_ORG_USER_LICENSES < 1:
        problems.append(
            Problem(
                "The new Proofpoint organisation will start with no user licences "
                "(PROOFPOINT_NEW_ORG_USER_LICENSES): add licences to it in the Proofpoint portal "
                "before you approve the sync report.",
                CREATE,
                "no_licences",
                blocking=False,
            )
        )
    return problems


def _licences(tenant, org: dict) -> list[Problem]:
    try:
        licences = int(org.get("user_licenses"))
    except (TypeError, ValueError):
        return []  # Proofpoint did not say: nothing to judge
    try:
        used = int(org.get("active_users") or 0)
    except (TypeError, ValueError):
        used = 0
    if licences - used >= 1:
        return []
    return [
        Problem(
            f"The Proofpoint organisation {tenant.primary_domain} has {licences:,} user licences "
            "and "
            f"{used:,} are in use: no licence is left for a new user. Add licences in the "
            "Proofpoint "
            "portal (Licensing) before onboarding.",
            None,
            "no_licences",
        )
    ]


def check_tenant(tenant) -> list[Problem]:
    """Both services' checks; never raises (a bug here must not stop a technician from saving)."""
    problems: list[Problem] = []
    for check in (check_entra, check_proofpoint):
        try:
            problems += check(tenant)
        except Exception as error:  # noqa: BLE001
            log.exception(
                "Pre-flight check %s failed for %s", check.__name__, tenant.primary_domain
            )
            problems.append(_not_checked("Part of the set-up", error))
    return problems
