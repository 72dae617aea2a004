"""Discovery (issue 14): the partner's existing customer orgs in Proofpoint, and bringing them in.

`discover()` streams the child orgs (`GET /orgs/{partner}/orgs`, a page at a time) and, for each,
reads its Azure sync settings (`GET /orgs/{org}/settings/azure`; 404 = never set up). Nothing is
saved: the
technician picks. `bring_in(domains)` makes a tenant of each picked org, unless a tenant already has
one of its domains (primary or further): then it is matched, never duplicated.

How an org comes in:
- no sync settings: `not_onboarded`, ready to be onboarded as usual;
- a sync app the portal made (its client id is one of ours, or its Entra uniqueName is the portal's
  `proofpoint-sync-...` where the MSP app may read it): `live`;
- any other sync app: `live` and `adopted` (checked read-only, never rebuilt without asking).
A live org brought in gets a health check at once (health.service.request_check, after commit).

A service layer module (pages, the API and the command call it); it reads Proofpoint and Graph
through onboarding.clients only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.errors import IntegrationError
from integrations.proofpoint.client import ProofpointClient, base_url_for_stack, parse_timestamp
from onboarding import audit
from onboarding.clients import (
    find_tenant,
    msp_graph,
    outbound_config,
    outbound_session,
    partner_domain,
)
from onboarding.health import service as health
from onboarding.models import ProofpointSnapshot
from tenants.models import (
    SYNC_FREQUENCIES,
    DefaultRole,
    EntraApplication,
    HealthState,
    Lifecycle,
    ProofpointStack,
    Tenant,
)
from tenants.validators import normalize_domain

log = logging.getLogger(__name__)
PORTAL_APP_PREFIX = "proofpoint-sync-"  # onboarding.sync_app.unique_key
STALE_AFTER = timedelta(hours=48)  # at least this, and two sync periods, without a successful sync


class DiscoveryError(Exception):
    """Discovery cannot run (configuration or Proofpoint); `message` is for the technician."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class DiscoveredOrg:
    """One child org as Proofpoint describes it, with what the portal already knows of it."""

    name: str
    primary_domain: str
    domains: list[str]
    sync_configured: bool = False
    application_id: str = ""
    sync_frequency: int | None = None
    secret_expiry: datetime | None = None
    last_successful_sync: datetime | None = None
    default_role: str = ""
    user_licenses: int | None = None
    active_users: int | None = None
    app_origin: str = ""  # "portal" when the client id is one the portal made; else not known yet
    tenant_id: int | None = None  # the tenant that already has one of its domains
    tenant_name: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def flag_words(self) -> list[str]:
        return [FLAG_WORDS[f] for f in self.flags]

    @property
    def further_domains(self) -> list[str]:
        return [d for d in self.domains if d != self.primary_domain]

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("secret_expiry", "last_successful_sync"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


FLAG_WORDS = {
    "secret_expired": "The sync app's secret has expired",
    "secret_expiring": "The sync app's secret expires within 30 days",
    "sync_stale": "No successful sync for a long time",
    "sync_never_succeeded": "Sync is set up but has never succeeded",
    "sync_paused": "Sync is set to never run",
    "over_licensed": "More active users than licences",
}


# --- reading Proofpoint -------------------------------------------------------------------------
def partner_client() -> ProofpointClient:
    """The channel-admin API user's client on the partner org's stack."""
    for name in ("PROOFPOINT_API_USER", "PROOFPOINT_API_PASSWORD", "PROOFPOINT_PARTNER_DOMAIN"):
        if not getattr(settings, name, ""):
            raise DiscoveryError(
                f"The portal is not configured: {name} is empty (see .env.example)."
            )
    try:
        base = base_url_for_stack(
            settings.PROOFPOINT_PARTNER_STACK, settings.PROOFPOINT_API_URL or None
        )
    except ValueError as error:
        raise DiscoveryError(f"PROOFPOINT_PARTNER_STACK: {error}") from None
    return ProofpointClient(
        base,
        settings.PROOFPOINT_API_USER,
        settings.PROOFPOINT_API_PASSWORD,
        outbound_session(),
        outbound_config(),
    )


def discover(
    client: ProofpointClient | None = None, page_size: int | None = None
) -> Iterator[DiscoveredOrg]:
    """Every child org of the partner, streamed a page at a time (memory stays flat for 2,000)."""
    client = client or partner_client()
    size = page_size or settings.PROOFPOINT_ORGS_PAGE_SIZE
    known = _domain_owners()
    try:
        for page in client.iter_child_org_pages(partner_domain(), size):
            orgs = [_org_of(item) for item in page if isinstance(item, dict)]
            orgs = [org for org in orgs if org.primary_domain]
            for org in orgs:
                _read_settings(client, org)
            ours = set(
                EntraApplication.objects.filter(
                    client_id__in=[o.application_id for o in orgs if o.application_id]
                ).values_list("client_id", flat=True)
            )
            for org in orgs:
                if org.application_id in ours:
                    org.app_origin = "portal"
                owner = next((known[d] for d in org.domains if d in known), None)
                if owner:
                    org.tenant_id, org.tenant_name = owner
                org.flags = flags_of(org)
                yield org
            del page, orgs, ours  # before the next page is read: one page in memory at a time
    except IntegrationError as error:
        raise DiscoveryError(error.message) from None


def _domain_owners() -> dict[str, tuple[int, str]]:
    """Every domain a tenant has (primary or further) → (tenant id, name): one query."""
    owners: dict[str, tuple[int, str]] = {}
    for pk, name, primary, further in Tenant.objects.values_list(
        "pk", "name", "primary_domain", "domains"
    ):
        for domain in [primary, *(further or [])]:
            owners.setdefault(str(domain).lower(), (pk, name))
    return owners


def _org_of(item: dict) -> DiscoveredOrg:
    primary = _domain(item.get("primary_domain"))
    domains = [primary] if primary else []
    for entry in item.get("domains") or []:
        name = _domain(entry.get("name") if isinstance(entry, dict) else entry)
        if name and name not in domains:
            domains.append(name)
    return DiscoveredOrg(
        name=str(item.get("name") or primary)[:200],
        primary_domain=primary,
        domains=domains,
        user_licenses=_int(item.get("user_licenses")),
        active_users=_int(item.get("active_users")),
    )


def _read_settings(client: ProofpointClient, org: DiscoveredOrg) -> None:
    azure = client.get_azure_settings(org.primary_domain)
    if not isinstance(azure, dict):
        return
    org.sync_configured = True
    org.application_id = str(azure.get("application_id") or "").strip()[:64]
    org.sync_frequency = _int(azure.get("sync_frequency"))
    org.secret_expiry = parse_timestamp(azure.get("secret_expiry"))
    org.last_successful_sync = parse_timestamp(azure.get("last_successful_sync"))
    org.default_role = str(azure.get("default_user_role_name") or "")


def flags_of(org: DiscoveredOrg, now: datetime | None = None) -> list[str]:
    """What a technician should look at first, as keys of FLAG_WORDS."""
    now = now or timezone.now()
    flags = []
    if org.sync_configured:
        if org.secret_expiry and org.secret_expiry <= now:
            flags.append("secret_expired")
        elif org.secret_expiry and org.secret_expiry <= now + timedelta(days=30):
            flags.append("secret_expiring")
        if org.sync_frequency == 0:
            flags.append("sync_paused")
        elif org.last_successful_sync is None:
            flags.append("sync_never_succeeded")
        else:
            period = timedelta(hours=org.sync_frequency or 24)
            if org.last_successful_sync < now - max(STALE_AFTER, 2 * period):
                flags.append("sync_stale")
    if (
        org.user_licenses is not None
        and org.active_users is not None
        and org.active_users > org.user_licenses
    ):
        flags.append("over_licensed")
    return flags


def _domain(value) -> str:
    return normalize_domain(str(value)) if value else ""


def _int(value) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


# --- bringing orgs in ---------------------------------------------------------------------------
@dataclass
class BroughtIn:
    domain: str
    outcome: str  # "created", "matched", "not_found", "failed"
    tenant_id: int | None = None
    lifecycle: str = ""
    adopted: bool = False
    message: str = ""


def bring_in(
    domains: Iterable[str], actor=None, request=None, client: ProofpointClient | None = None
) -> list[BroughtIn]:
    """Make (or match) a tenant for each picked org; each org is read again, fresh."""
    client = client or partner_client()
    wanted = list(dict.fromkeys(_domain(d) for d in domains if d))
    results = []
    for domain in wanted:
        try:
            results.append(_bring_in_one(client, domain, actor, request))
        except IntegrationError as error:
            results.append(BroughtIn(domain, "failed", message=error.message))
    return results


def _bring_in_one(client: ProofpointClient, domain: str, actor, request) -> BroughtIn:
    item = client.get_org(domain)
    if not item:
        return BroughtIn(domain, "not_found", message=f"Proofpoint has no org {domain}.")
    org = _org_of(item)
    _read_settings(client, org)
    users = client.list_users(org.primary_domain)
    if org.active_users is None:
        org.active_users = sum(1 for u in users if u.get("is_active"))
    org.flags = flags_of(org)
    existing = Tenant.objects.filter(
        primary_domain__in=org.domains
    ).first() or _tenant_with_further(org)
    if existing:
        save_snapshot(existing, org, _origin(existing, org))
        return BroughtIn(
            domain,
            "matched",
            existing.pk,
            existing.lifecycle,
            existing.adopted,
            f"Already in the portal as {existing.name}.",
        )
    entra_tenant_id = _entra_tenant_id(org.primary_domain)
    origin = _origin(None, org, entra_tenant_id)
    with transaction.atomic():
        tenant = Tenant(
            name=org.name,
            primary_domain=org.primary_domain,
            domains=org.further_domains,
            entra_tenant_id=entra_tenant_id,
            proofpoint_stack=_stack(client, org.primary_domain),
            default_role=org.default_role
            if org.default_role in DefaultRole.values
            else DefaultRole.END_USER,
            sync_frequency_hours=org.sync_frequency
            if org.sync_frequency in SYNC_FREQUENCIES
            else 24,
            customer_admin_email=_admin_email(users),
            created_by=actor,
            notes="Brought in from Proofpoint.",
        )
        if org.sync_configured:
            tenant.lifecycle = Lifecycle.LIVE
            tenant.live_since = timezone.now()
            tenant.adopted = origin != "portal"
            tenant.health_state = _health_of(org)
            tenant.health_checked_at = timezone.now()
        tenant.save()
        save_snapshot(tenant, org, origin)
        how = (
            "adopted (its sync app was not made by the portal)"
            if tenant.adopted
            else tenant.get_lifecycle_display()
        )
        audit.record(
            "tenant.discovered",
            f"Brought in {tenant.primary_domain} from Proofpoint: {how}",
            request=request,
            user=actor,
            tenant=tenant,
        )
    if tenant.lifecycle == Lifecycle.LIVE:
        # Discovery's flags are Proofpoint's view only: the real checks (Entra too, where the
        # portal has consent) run at once, not at the next hourly sweep. Sent after commit.
        health.request_check(tenant)
    return BroughtIn(domain, "created", tenant.pk, tenant.lifecycle, tenant.adopted)


def _tenant_with_further(org: DiscoveredOrg) -> Tenant | None:
    owners = _domain_owners()
    owner = next((owners[d] for d in org.domains if d in owners), None)
    return Tenant.objects.filter(pk=owner[0]).first() if owner else None


def _origin(tenant: Tenant | None, org: DiscoveredOrg, entra_tenant_id: str = "") -> str:
    """`portal` when the portal made the sync app, `foreign` when someone else did, "" without."""
    if not org.sync_configured or not org.application_id:
        return ""
    if EntraApplication.objects.filter(client_id=org.application_id).exists():
        return "portal"
    if entra_tenant_id:
        try:
            app = msp_graph(entra_tenant_id).find_application_by_app_id(org.application_id)
        except IntegrationError:  # no consent for the MSP app: it cannot be ours
            app = None
        if app and str(app.get("uniqueName") or "").startswith(PORTAL_APP_PREFIX):
            return "portal"
    return "foreign"


def _entra_tenant_id(domain: str) -> str:
    try:
        return find_tenant(domain).tenant_id
    except IntegrationError:
        return ""


def _stack(client: ProofpointClient, domain: str) -> str:
    try:
        stack = str(client.endpoint(domain).get("stack") or "").lower()
    except IntegrationError:
        stack = ""
    return stack if stack in ProofpointStack.values else settings.PROOFPOINT_PARTNER_STACK


def _admin_email(users: list[dict]) -> str:
    """The org's organization admin: the customer contact to start from (changeable)."""
    for user in users:
        if user.get("type") == "organization_admin" and user.get("primary_email"):
            return str(user["primary_email"]).lower()
    return ""


def _health_of(org: DiscoveredOrg) -> str:
    if "secret_expired" in org.flags:
        return HealthState.CRITICAL
    if set(org.flags) & {
        "sync_stale",
        "sync_never_succeeded",
        "sync_paused",
        "secret_expiring",
        "over_licensed",
    }:
        return HealthState.WARNING
    return HealthState.OK


def save_snapshot(tenant: Tenant, org: DiscoveredOrg, origin: str) -> ProofpointSnapshot:
    snapshot, _ = ProofpointSnapshot.objects.update_or_create(
        tenant=tenant,
        defaults={
            "org_name": org.name,
            "org_domains": org.domains,
            "sync_configured": org.sync_configured,
            "application_id": org.application_id,
            "app_origin": origin,
            "sync_frequency": org.sync_frequency,
            "secret_expiry": org.secret_expiry,
            "last_successful_sync": org.last_successful_sync,
            "user_licenses": org.user_licenses,
            "active_users": org.active_users,
            "read_at": timezone.now(),
        },
    )
    return snapshot
