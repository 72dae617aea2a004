"""The health checks of a live tenant: what Entra, Proofpoint and DNS say now (api.md v1.1).

Every call here is a read, and each fact comes from the fewest requests that can answer it:

  Proofpoint  GET /orgs/{d}/settings/azure   sync_paused, sync_app_mismatch, sync_stale
              GET /orgs/{d}                  licences_short (user_licenses against active_users)
              GET /orgs/{d}/domains          domain_missing (with Graph's domains), the MX domains
  Graph       GET /applications/{id}?$select=passwordCredentials   app_missing, secret_expir*
  (as the     GET /servicePrincipals/{sp}/appRoleAssignments        app_missing, permissions_missing
  MSP app)    GET /oauth2PermissionGrants?$filter=clientId eq ..     permissions_missing
              GET /domains                                           domain_missing
              (a token for the MSP app first, cached: msp_access_lost when it is refused)
  Entra       a sync-app token, as Proofpoint signs in (cached, so rarely a request)  secret_expired
  DNS         one MX query per domain of the org, once routing is ready   mx_not_routed

So a healthy tenant costs 7 HTTPS requests (plus tokens when none are cached) and one DNS query per
mail domain. A fact a check cannot read raises no finding: it goes to `unchecked`, in words.

A tenant brought in from Proofpoint (discovery) has no sync app the portal holds: no ids, no
secret. Its sync app is the one settings/azure's `application_id` names, read as the MSP app by
Graph's alternate key, so such a tenant costs 8 requests:

  Graph       GET /applications(appId='{id}')?$select=id,appId,passwordCredentials
                                         app_missing, secret_expir* (the credential ending last)
              GET /servicePrincipals(appId='{id}')?$select=id     app_missing
              then the role assignments and delegated grants, as above; nothing signs in as it.

Where the portal never had consent (never_consented(): facts it holds, not hope), a refused MSP
token is not msp_access_lost: Entra goes to `unchecked` with how to take the tenant over, and the
secret is judged by Proofpoint's own `secret_expiry`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.dns import DnsUnavailable, mx_hosts
from integrations.errors import (
    ConsentMissing,
    InsufficientPrivileges,
    IntegrationError,
    InvalidClientCredentials,
    NotFound,
)
from onboarding.clients import graph_client, msp_graph, proofpoint_client
from onboarding.health import codes
from onboarding.models import (
    JobKind,
    JobState,
    Step,
    StepKey,
    StepState,
    brought_in_without_app,
)
from onboarding.report.classify import mail_domains
from onboarding.sync_app import APP_ROLES, DELEGATED_SCOPES
from tenants.models import EntraApplication, Tenant

# The token endpoint's answers when the MSP app is not (or no longer) consented in the tenant.
NOT_CONSENTED_CODES = {"AADSTS700016", "AADSTS7000229", "AADSTS65001"}
DIRECTORY_READ_ALL = APP_ROLES["Directory.Read.All"]
# What the MSP app's reads in Entra answer (besides the domains).
ENTRA_CODES = (
    codes.APP_MISSING,
    codes.PERMISSIONS_MISSING,
    codes.SECRET_EXPIRING,
    codes.SECRET_EXPIRED,
)


@dataclass
class Found:
    code: str
    message: str
    details: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return codes.CODES[self.code].severity

    @property
    def fixable(self) -> bool:
        return codes.CODES[self.code].fixable


@dataclass
class CheckResult:
    findings: list[Found] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    requests: int = 0
    # Codes this run could not evaluate: an open finding of one of them stays open (no flapping when
    # Graph or Proofpoint has a bad minute).
    skipped: set[str] = field(default_factory=set)

    def skip(self, *skipped: str) -> None:
        self.skipped.update(skipped)

    def add(self, code: str, message: str, **details) -> None:
        self.findings.append(Found(code, message, details))

    def codes(self) -> set[str]:
        return {found.code for found in self.findings}

    def could_not(self, what: str, error: Exception | str) -> None:
        why = error.message if isinstance(error, IntegrationError) else str(error)
        self.unchecked.append(f"{what}: {why}")


@dataclass
class Facts:
    """What the reads returned (None: not read), shared between the checks."""

    azure: dict | None = None
    azure_read: bool = False
    org: dict | None = None
    org_domains: list[str] | None = None
    entra_domains: list[str] | None = None
    credentials: list[dict] | None = None
    access_lost: bool = False
    # Entra was not read because the portal never had consent there (an adopted tenant).
    never_consented: bool = False


# --- the run -------------------------------------------------------------------------------------
def run_checks(tenant: Tenant, now: datetime | None = None) -> CheckResult:
    """Read the tenant's state and say what is wrong. Raises only for a portal not configured."""
    now = now or timezone.now()
    result, facts = CheckResult(), Facts()
    app = EntraApplication.objects.filter(tenant=tenant).first()
    _read_proofpoint(tenant, result, facts)
    _check_entra(tenant, app, result, facts, now)
    _check_sync_settings(tenant, app, result, facts, now)
    _check_domains(tenant, result, facts)
    _check_licences(result, facts)
    _check_mx(tenant, result, facts, now)
    _name_stale_cause(result, facts)
    return result


# --- Proofpoint ----------------------------------------------------------------------------------
def _read_proofpoint(tenant: Tenant, result: CheckResult, facts: Facts) -> None:
    client = proofpoint_client(tenant)
    org = tenant.primary_domain
    try:
        result.requests += 1
        # GET /orgs/{org}/settings/azure (404 = never set up, or deleted: "no further sync")
        facts.azure = client.get_azure_settings(org)
        facts.azure_read = True
    except IntegrationError as error:
        result.could_not("Proofpoint's Azure sync settings could not be read", error)
        result.skip(codes.SYNC_PAUSED, codes.SYNC_APP_MISMATCH, codes.SYNC_STALE)
    try:
        result.requests += 1
        facts.org = client.get_org(org)
        if facts.org is not None:
            result.requests += 1
            facts.org_domains = sorted(
                {d.get("name", "").lower() for d in client.list_domains(org)} - {""}
            )
    except IntegrationError as error:
        result.could_not("The Proofpoint organisation could not be read", error)
        result.skip(codes.LICENCES_SHORT)


def _check_sync_settings(
    tenant: Tenant, app: EntraApplication | None, result: CheckResult, facts: Facts, now: datetime
) -> None:
    if not facts.azure_read:
        return
    azure = facts.azure
    if azure is None:
        result.add(
            codes.SYNC_PAUSED,
            "Proofpoint has no Azure sync settings for this organisation, so no "
            "directory sync runs: new and removed Microsoft 365 users are not synced.",
            missing=True,
        )
        return
    frequency = azure.get("sync_frequency")
    if frequency in (0, "0", None):
        result.add(
            codes.SYNC_PAUSED,
            'Proofpoint\'s Azure sync is set to "Never" (frequency 0), so no '
            "directory sync runs: new and removed Microsoft 365 users are not synced.",
            sync_frequency=frequency,
        )
    application_id = (azure.get("application_id") or "").lower()
    if app is not None and app.client_id and application_id != app.client_id.lower():
        result.add(
            codes.SYNC_APP_MISMATCH,
            f"Proofpoint's Azure sync uses the application "
            f"{application_id or '(none)'}, not this tenant's sync app {app.client_id}: the sync "
            "signs in with the wrong app (or none) and fails.",
            application_id=application_id,
            expected=app.client_id,
        )
    if frequency not in (0, "0", None):
        _check_stale(tenant, azure, int(frequency), result, now)


def _check_stale(
    tenant: Tenant, azure: dict, frequency: int, result: CheckResult, now: datetime
) -> None:
    limit = timedelta(hours=2 * frequency + 1)
    raw = azure.get("last_successful_sync")
    if raw in (None, ""):
        if tenant.live_since and now - tenant.live_since > limit:
            result.add(
                codes.SYNC_STALE,
                f"Proofpoint shows no successful directory sync, although the "
                f"tenant is live since {tenant.live_since:%Y-%m-%d %H:%M} UTC and syncs every "
                f"{frequency} h.",
                last_successful_sync=None,
            )
        return
    last = parse_moment(raw)
    if last is None:
        result.unchecked.append(
            f"Proofpoint's last successful sync time could not be read ({raw!r})."
        )
        result.skip(codes.SYNC_STALE)
        return
    if now - last > limit:
        hours = int((now - last).total_seconds() // 3600)
        result.add(
            codes.SYNC_STALE,
            f"Proofpoint's last successful directory sync was {hours} hours ago "
            f"({last:%Y-%m-%d %H:%M} UTC), though it should run every {frequency} h.",
            last_successful_sync=last.isoformat(),
        )


def parse_moment(value) -> datetime | None:
    """last_successful_sync / secret_expiry: the format is undocumented (domain.md §8): ISO 8601
    (with Z, an offset, or a space), a date, or epoch seconds / milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number > 10**11:  # milliseconds
            number /= 1000
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        moment = parse_datetime(text.replace(" ", "T", 1)) if len(text) > 10 else None
        if moment is None:
            moment = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_licences(result: CheckResult, facts: Facts) -> None:
    if facts.org is None:
        return
    licences, active = facts.org.get("user_licenses"), facts.org.get("active_users")
    if not isinstance(licences, int) or isinstance(licences, bool) or licences <= 0:
        result.unchecked.append("Licences: the Proofpoint organisation shows no licence count.")
        result.skip(codes.LICENCES_SHORT)
        return
    if not isinstance(active, int) or isinstance(active, bool):
        result.unchecked.append(
            "Licences: the Proofpoint organisation does not say how many accounts it bills."
        )
        result.skip(codes.LICENCES_SHORT)
        return
    if active > licences:
        result.add(
            codes.LICENCES_SHORT,
            f"The Proofpoint organisation has {active} billable accounts but "
            f"only {licences} licences.",
            active_users=active,
            user_licenses=licences,
        )


# --- Entra ---------------------------------------------------------------------------------------
def _access_lost(error: Exception) -> bool:
    if isinstance(error, ConsentMissing | InsufficientPrivileges):
        return True
    return isinstance(error, InvalidClientCredentials) and error.code in NOT_CONSENTED_CODES


def _check_entra(
    tenant: Tenant, app: EntraApplication | None, result: CheckResult, facts: Facts, now: datetime
) -> None:
    named = app is None and brought_in_without_app(tenant)
    if not tenant.entra_tenant_id:
        result.unchecked.append("Microsoft Entra: the customer's tenant id is not known yet.")
        result.skip(codes.MSP_ACCESS_LOST, *ENTRA_CODES)
        if named:  # Proofpoint still says when the secret of the app it uses ends
            result.skipped -= {codes.SECRET_EXPIRING, codes.SECRET_EXPIRED}
            _check_proofpoint_secret(result, facts, now)
        return
    graph = msp_graph(tenant.entra_tenant_id)
    try:
        if named:  # brought in from Proofpoint: the sync app is the one its settings name
            _read_named_app(graph, result, facts, now)
        else:
            _read_entra(graph, app, result, facts, now)
    except IntegrationError as error:
        if _access_lost(error) and named and never_consented(tenant):
            _not_consented(tenant, result, facts, now)
        elif _access_lost(error):
            facts.access_lost = True
            result.add(
                codes.MSP_ACCESS_LOST,
                "The portal's onboarding app can no longer work in the "
                "customer's Microsoft 365 tenant (its consent was removed or revoked), so the "
                "sync app, its permissions and the domains could not be checked.",
                error=error.code or error.message[:200],
            )
            result.skip(*ENTRA_CODES)
        else:
            result.could_not("Microsoft Entra could not be read", error)
            result.skip(codes.MSP_ACCESS_LOST, *ENTRA_CODES)


def _read_entra(
    graph, app: EntraApplication | None, result: CheckResult, facts: Facts, now: datetime
) -> None:
    # The domains first: the cheapest read, and it proves the MSP app still gets a token here.
    result.requests += 1
    facts.entra_domains = mail_domains(graph.list_domains())
    if app is None or not app.object_id:
        result.add(
            codes.APP_MISSING,
            "This tenant has no Proofpoint sync app registration the portal knows of.",
            part="registration",
        )
        result.skip(codes.PERMISSIONS_MISSING, codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    try:
        result.requests += 1
        facts.credentials = graph.list_password_credentials(app.object_id)
    except NotFound:
        result.add(
            codes.APP_MISSING,
            f"The sync app registration (client id {app.client_id}) was deleted "
            "from the customer's Microsoft Entra ID: Proofpoint cannot sign in to sync.",
            part="registration",
        )
        result.skip(codes.PERMISSIONS_MISSING, codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    if not _check_secret(app, facts.credentials, result, now):
        _check_sign_in(graph.tenant_id, app, result)
    if not app.service_principal_id:
        result.add(
            codes.APP_MISSING,
            "The sync app has no service principal (enterprise application) the portal knows of.",
            part="service_principal",
        )
        result.skip(codes.PERMISSIONS_MISSING)
        return
    try:
        result.requests += 1
        assignments = graph.list_app_role_assignments(app.service_principal_id)
    except NotFound:
        result.add(
            codes.APP_MISSING,
            "The sync app's service principal (its enterprise application) was "
            "deleted from the customer's Entra ID, with its permissions: Proofpoint cannot "
            "sign in to sync.",
            part="service_principal",
        )
        result.skip(codes.PERMISSIONS_MISSING)
        return
    result.requests += 1
    grants = graph.list_delegated_grants(app.service_principal_id)
    _check_permissions(assignments, grants, result)


def _check_secret(
    app: EntraApplication, credentials: list[dict], result: CheckResult, now: datetime
) -> bool:
    """True when it found a problem with the secret."""
    current = next((c for c in credentials if c.get("keyId") == app.secret_key_id), None)
    if current is None:
        result.add(
            codes.SECRET_EXPIRED,
            "The client secret Proofpoint signs in with is no longer on the sync "
            "app registration (it was removed): the sync stops adding and removing users.",
            missing=True,
            key_id=app.secret_key_id,
        )
        return True
    ends = parse_moment(current.get("endDateTime"))
    if ends is None:
        result.unchecked.append("The sync app's client secret shows no end date.")
        result.skip(codes.SECRET_EXPIRING)
        return False
    return _judge_secret_end(ends, result, now)


def _judge_secret_end(
    ends: datetime, result: CheckResult, now: datetime, whose: str = "The sync app's client secret"
) -> bool:
    """secret_expired / secret_expiring from the moment the secret ends; True when it found one.
    `whose` says where the date comes from (Entra's credential, or Proofpoint's settings)."""
    if ends <= now:
        result.add(
            codes.SECRET_EXPIRED,
            f"{whose} expired on {ends:%Y-%m-%d}: "
            "Proofpoint's sync has silently stopped adding and removing users (mail still flows).",
            expires_at=ends.isoformat(),
        )
    elif ends - now < timedelta(days=settings.SECRET_ROTATE_DAYS):
        days = max(0, (ends - now).days)
        result.add(
            codes.SECRET_EXPIRING,
            f"{whose} expires on {ends:%Y-%m-%d} (in "
            f"{days} days); when it does, Proofpoint's sync stops adding and removing users.",
            expires_at=ends.isoformat(),
        )
    else:
        return False
    return True


def _check_sign_in(tenant_id: str, app: EntraApplication, result: CheckResult) -> None:
    """Sign in with the stored secret, as Proofpoint does: Entra's own clock says whether it has
    expired (AADSTS7000222). A token is cached for its lifetime, so this is usually no request."""
    if not (app.secret and app.client_id):
        return
    try:
        graph_client(tenant_id, app.client_id, app.secret).acquire_token()
    except InvalidClientCredentials as error:
        if error.code == "AADSTS7000222":
            result.add(
                codes.SECRET_EXPIRED,
                "Microsoft Entra refuses the sync app's client secret as expired: Proofpoint's "
                "sync has silently stopped adding and removing users (mail still flows).",
                refused=error.code,
            )
        else:
            result.could_not("Signing in as the sync app did not work", error)
    except IntegrationError as error:
        result.could_not("Signing in as the sync app did not work", error)


# --- a sync app the portal does not hold (brought in from Proofpoint) -----------------------------
# The portal holds neither the app's ids nor any of its secrets: the app is the one Proofpoint's
# settings name, read by its appId (Graph's alternate key), and nothing signs in as it.
NAMED_APP_SELECT = "id,appId,passwordCredentials"


def never_consented(tenant: Tenant) -> bool:
    """The portal never had consent in the customer's tenant, from facts it holds: the tenant was
    brought in from Proofpoint (adopted, or with a discovery snapshot), it has no sync app the
    portal made, and no job of the portal's ever proved the MSP app's consent there (a consent
    step that succeeded, or a completed onboarding). So a refused token is not access *lost*."""
    if not brought_in_without_app(tenant):
        return False
    proved = Step.objects.filter(
        job__tenant=tenant, key=StepKey.CUSTOMER_CONSENT, state=StepState.SUCCEEDED
    ).exists()
    onboarded = tenant.jobs.filter(kind=JobKind.ONBOARDING, state=JobState.COMPLETED).exists()
    return not (proved or onboarded)


def _named_app_id(facts: Facts) -> str:
    return str((facts.azure or {}).get("application_id") or "").strip()


def _read_named_app(graph, result: CheckResult, facts: Facts, now: datetime) -> None:
    """Read-only, as the MSP app: the domains, the app Proofpoint's settings name (its secrets'
    metadata in the same answer), its service principal, then its permissions."""
    result.requests += 1
    facts.entra_domains = mail_domains(graph.list_domains())
    client_id = _named_app_id(facts)
    if not client_id:
        why = "could not be read" if not facts.azure_read else "name no sync app"
        result.unchecked.append(
            f"The sync app in Microsoft Entra ID: Proofpoint's Azure sync settings {why}, and the "
            "portal holds no sync app of its own for this tenant, so there was no app to check."
        )
        result.skip(*ENTRA_CODES)
        return
    result.requests += 1
    registration = graph.find_application_by_app_id(client_id, select=NAMED_APP_SELECT)
    if registration is None:
        result.add(
            codes.APP_MISSING,
            f"The sync app Proofpoint's Azure sync settings name (client id {client_id}) is not "
            "in the customer's Microsoft Entra ID (it was deleted): Proofpoint cannot sign in to "
            "sync.",
            part="registration",
            client_id=client_id,
        )
        result.skip(codes.PERMISSIONS_MISSING, codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    facts.credentials = registration.get("passwordCredentials") or []
    _check_last_ending_secret(client_id, facts.credentials, result, now)
    result.requests += 1
    principal = graph.find_service_principal_by_app_id(client_id, select="id")
    if principal is None or not principal.get("id"):
        _named_principal_missing(client_id, result)
        return
    try:
        result.requests += 1
        assignments = graph.list_app_role_assignments(principal["id"])
    except NotFound:  # deleted between the two reads
        _named_principal_missing(client_id, result)
        return
    result.requests += 1
    _check_permissions(assignments, graph.list_delegated_grants(principal["id"]), result)


def _named_principal_missing(client_id: str, result: CheckResult) -> None:
    result.add(
        codes.APP_MISSING,
        f"The sync app (client id {client_id}) has no service principal (enterprise "
        "application) in the customer's Entra ID, so it has no permissions: Proofpoint cannot "
        "sign in to sync.",
        part="service_principal",
        client_id=client_id,
    )
    result.skip(codes.PERMISSIONS_MISSING)


def _check_last_ending_secret(
    client_id: str, credentials: list[dict], result: CheckResult, now: datetime
) -> None:
    """The portal does not know which secret Proofpoint holds: judge by the one that ends last
    (if even that one has ended, every secret has, whichever Proofpoint uses)."""
    ends = [moment for c in credentials if (moment := parse_moment(c.get("endDateTime")))]
    if not credentials:
        result.add(
            codes.SECRET_EXPIRED,
            f"The sync app (client id {client_id}) has no client secret at all: Proofpoint "
            "cannot sign in, so the sync stops adding and removing users.",
            missing=True,
        )
        return
    if not ends:
        result.unchecked.append("The sync app's client secrets show no end date.")
        result.skip(codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    _judge_secret_end(max(ends), result, now, "The sync app's last-ending client secret")


def _not_consented(tenant: Tenant, result: CheckResult, facts: Facts, now: datetime) -> None:
    """No consent was ever had here: say so as something not checked (not msp_access_lost), and
    judge the secret by Proofpoint's own secret_expiry instead."""
    facts.never_consented = True
    how = (
        "the tenant was adopted from Proofpoint (its sync app was not made by the portal)"
        if tenant.adopted
        else "the tenant was brought in from Proofpoint and never onboarded by this portal"
    )
    result.unchecked.append(
        f"Microsoft Entra ID was not checked: the portal has no consent in {tenant.name}'s "
        f"Microsoft 365, because {how}. So the sync app, its permissions and the Microsoft 365 "
        "domains were not checked. To check and manage them, onboard the tenant: its admin "
        "approves the portal's app from an emailed link, and the portal then takes over the sync "
        "with a sync app of its own."
    )
    result.skip(codes.APP_MISSING, codes.PERMISSIONS_MISSING)
    _check_proofpoint_secret(result, facts, now)


def _check_proofpoint_secret(result: CheckResult, facts: Facts, now: datetime) -> None:
    """secret_expired / secret_expiring from settings/azure's secret_expiry (domain.md §8)."""
    if not facts.azure_read or facts.azure is None:
        result.skip(codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    raw = facts.azure.get("secret_expiry")
    ends = parse_moment(raw) if raw not in (None, "") else None
    if ends is None:
        result.unchecked.append(
            "The sync app's client secret: neither Entra (no consent) nor Proofpoint's settings "
            "(no readable secret expiry) say when it ends."
        )
        result.skip(codes.SECRET_EXPIRING, codes.SECRET_EXPIRED)
        return
    _judge_secret_end(ends, result, now, "Proofpoint says the sync app's client secret")


def _check_permissions(assignments: list[dict], grants: list[dict], result: CheckResult) -> None:
    missing = []
    if not any(a.get("appRoleId") == DIRECTORY_READ_ALL for a in assignments):
        missing.append("Directory.Read.All (application)")
    granted: set[str] = set()
    for grant in grants:
        if grant.get("consentType", "AllPrincipals") == "AllPrincipals":
            granted |= set((grant.get("scope") or "").split())
    lacking = [name for name in DELEGATED_SCOPES if name not in granted]
    if lacking:
        missing.append(f"{', '.join(lacking)} (delegated)")
    if missing:
        result.add(
            codes.PERMISSIONS_MISSING,
            f"The sync app lacks {' and '.join(missing)}: Proofpoint cannot "
            "read the whole directory, so the sync fails or misses users.",
            missing_role=not any(a.get("appRoleId") == DIRECTORY_READ_ALL for a in assignments),
            missing_scopes=lacking,
        )


def _check_domains(tenant: Tenant, result: CheckResult, facts: Facts) -> None:
    if facts.entra_domains is None or facts.org_domains is None:
        result.skip(codes.DOMAIN_MISSING)
        return
    missing = [d for d in facts.entra_domains if d not in facts.org_domains]
    if missing:
        result.add(
            codes.DOMAIN_MISSING,
            f"The customer's Microsoft 365 has the verified domain(s) "
            f"{', '.join(missing)}, which the Proofpoint organisation lacks: the sync fails "
            "until every domain is in the organisation.",
            domains=missing,
        )


# --- DNS -----------------------------------------------------------------------------------------
def proofpoint_mx_hosts(stack: str) -> set[str] | None:
    """A stack's MX hosts from PROOFPOINT_STACKS_FILE (onboarding/stacks.json); None if unknown."""
    try:
        data = json.loads(Path(settings.PROOFPOINT_STACKS_FILE).read_text())
    except (OSError, ValueError):
        return None
    hosts = (data.get(stack) or {}).get("mx") if isinstance(data.get(stack), dict) else None
    return {h.lower().rstrip(".") for h in hosts} if hosts else None


def live_mx(domain: str, stack: str, timeout: float = 2.0) -> dict:
    """What `domain`'s MX points to now (the Next steps page): {"hosts", "routed", "error"}.

    `routed` follows mx_not_routed's rule: every MX host is one of the stack's Proofpoint hosts.
    A lookup that cannot answer says why in `error`; the page never waits long for it."""
    expected = proofpoint_mx_hosts(stack) or set()
    try:
        found = mx_hosts(
            domain, settings.DNS_NAMESERVERS, min(timeout, settings.DNS_TIMEOUT_SECONDS)
        )
    except DnsUnavailable as error:
        return {"hosts": [], "routed": None, "error": str(error)}
    return {"hosts": found, "routed": bool(found) and set(found) <= expected, "error": ""}


def routing_ready(tenant: Tenant, now: datetime) -> bool:
    """Mail may be routed: an onboarding completed and its routing_ready_at has passed."""
    return tenant.jobs.filter(
        kind=JobKind.ONBOARDING, state=JobState.COMPLETED, routing_ready_at__lte=now
    ).exists()


def _check_mx(tenant: Tenant, result: CheckResult, facts: Facts, now: datetime) -> None:
    if not routing_ready(tenant, now):
        return
    hosts = proofpoint_mx_hosts(tenant.proofpoint_stack)
    if hosts is None:
        result.unchecked.append(
            f"MX records: no Proofpoint MX hosts are known for the stack "
            f"{tenant.get_proofpoint_stack_display()} (see PROOFPOINT_STACKS_FILE)."
        )
        return
    domains = facts.org_domains if facts.org_domains is not None else tenant.all_domains
    wrong = {}
    for domain in domains:
        try:
            found = mx_hosts(domain, settings.DNS_NAMESERVERS, settings.DNS_TIMEOUT_SECONDS)
        except DnsUnavailable as error:
            result.unchecked.append(f"MX records: {error}.")
            result.skip(codes.MX_NOT_ROUTED)
            continue
        if not found or not set(found) <= hosts:
            wrong[domain] = found
    if wrong:
        listed = "; ".join(f"{d} → {', '.join(h) or 'none'}" for d, h in sorted(wrong.items()))
        result.add(
            codes.MX_NOT_ROUTED,
            f"Mail routing is ready, but these domains' MX records do not point "
            f"only to Proofpoint's ({', '.join(sorted(hosts))}): {listed}. Until they do, mail "
            "reaches Microsoft 365 without Proofpoint's filtering.",
            domains=wrong,
        )


def _name_stale_cause(result: CheckResult, facts: Facts) -> None:
    """sync_stale is a symptom: name the likely cause among the other findings."""
    stale = next((f for f in result.findings if f.code == codes.SYNC_STALE), None)
    if stale is None:
        return
    causes = [
        f.code
        for f in result.findings
        if f.code != codes.SYNC_STALE and f.severity == codes.CRITICAL
    ]
    words = {
        codes.SYNC_PAUSED: "the sync is paused",
        codes.SYNC_APP_MISMATCH: "the settings name the wrong app",
        codes.SECRET_EXPIRED: "the client secret has expired or is gone",
        codes.APP_MISSING: "the sync app was deleted",
        codes.PERMISSIONS_MISSING: "the sync app lacks permissions",
        codes.DOMAIN_MISSING: "a Microsoft 365 domain is missing from the Proofpoint organisation",
        codes.MSP_ACCESS_LOST: "the portal lost its access (the cause was not checked)",
    }
    named = [words[c] for c in causes if c in words]
    if named:
        stale.message += f" Likely cause: {'; '.join(named)}."
    elif facts.never_consented:
        stale.message += (
            " No cause was found in Proofpoint's settings, and Entra ID was not checked (the "
            "portal has no consent there): check the sync's log in the Proofpoint portal."
        )
    else:
        stale.message += (
            " No cause was found in Entra or the settings: check the sync's log in the "
            "Proofpoint portal."
        )
    stale.details["likely_causes"] = causes
