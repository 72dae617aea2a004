"""A partner's existing customers (issue 14): N child orgs in mixed states, each with its Entra
tenant.

    POST /_sandbox/child_orgs {"count": 50}                     # states in turn, see STATES
    POST /_sandbox/child_orgs {"count": 2000, "mix": {"never_synced": 1, "foreign_synced": 3}}

or `"proofpoint": {"child_orgs": {...same fields...}}` in a scenario (made again at every reset).
The answer lists each org when there are at most 200, or always with `"list": true`; with
`"with_apps": true` each listed org also carries its sync app (object id, service principal id,
secret key id and the secret itself): what a benchmark needs to seed the portal with tenants it
onboarded, without onboarding 2,000 of them first.
Org i is `{prefix}{i:04d}.example` (plus `{prefix}{i:04d}-mail.example`), on a stack drawn from the
index, and its tenant has the same domains. Kept compact for 2,000 orgs: the Entra directories are
generated (sandbox/generate.py), and each org's Proofpoint users are made from its directory on
first use only.

States (what discovery should find):
- never_synced: no settings/azure (404), no sync app; the MSP has no consent.
- portal_synced: an app like the portal's (uniqueName `proofpoint-sync-...`), secret valid, settings
  at 24 h, a recent last_successful_sync; the MSP app has consent (the portal made it).
- foreign_synced: a hand-made "ProofPoint" app (no uniqueName), secret valid, sync running; no MSP
  consent.
- foreign_expired: a hand-made app whose secret ended 10-200 days ago; secret_expiry in the past and
  last_successful_sync from just before; no MSP consent.
- domain_missing: like foreign_synced, but the tenant has a verified domain the org lacks, so the
  sync fails (last_successful_sync days old).
- sync_paused: settings with sync_frequency 0, last synced weeks ago; no MSP consent.
Every fifth org's MX still points to Microsoft 365; the others' to Proofpoint's hosts for their
stack. Every seventh org has fewer licences than billable users.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from .common import guid, iso
from .dns import proofpoint_mx
from .objects import new_assignment, new_grant, new_service_principal, required_access
from .state import add_secret

STATES = (
    "never_synced",
    "portal_synced",
    "foreign_synced",
    "foreign_expired",
    "domain_missing",
    "sync_paused",
)
STACK_DRAW = ("us1", "us1", "us1", "us2", "us3", "us4", "us5", "eu1")
SYNC_SCOPES = ["Directory.Read.All", "Group.Read.All", "User.ReadBasic.All"]
MAX_COUNT = 5000
HOUR = 3600.0
DAY = 86400.0


def _draw(*parts: object) -> int:
    return int.from_bytes(
        hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest(), "big"
    )


def plan(body: dict) -> list[str]:
    """The state of each org, in order: `states` in turn, or `mix` {state: weight} spread evenly."""
    count = body.get("count", 50)
    if type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be a whole number from 1 to {MAX_COUNT}")
    if body.get("mix"):
        mix = body["mix"]
        if not isinstance(mix, dict) or any(
            k not in STATES or type(v) is not int or v < 0 for k, v in mix.items()
        ):
            raise ValueError(f"mix must map states ({', '.join(STATES)}) to whole-number weights")
        cycle = [state for state, weight in mix.items() for _ in range(weight)]
        if not cycle:
            raise ValueError("mix must have a weight above 0")
    else:
        cycle = list(body.get("states") or STATES)
        unknown = [s for s in cycle if s not in STATES]
        if unknown:
            raise ValueError(f"unknown state(s) {', '.join(unknown)}; one of {', '.join(STATES)}")
    return [cycle[i % len(cycle)] for i in range(count)]


def create_child_orgs(world, body: dict) -> dict:
    """Make the orgs (and tenants); returns a summary (and each org when there are at most 200)."""
    from .scenario import new_org

    states = plan(body)
    prefix = str(body.get("prefix") or "child").lower()
    if not prefix.replace("-", "").isalnum():
        raise ValueError("prefix must be letters, digits and dashes")
    start = int(body.get("start", 1))
    low, high = body.get("users", [8, 40])
    partner = _partner(world, body.get("partner"))
    now = time.time()
    made = []
    with world.lock:
        for offset, state in enumerate(states):
            index = start + offset
            domain = f"{prefix}{index:04d}.example"
            if world.tenant(domain) is not None or domain in world.orgs:
                raise ValueError(f"{domain} exists already: pick another prefix or start")
            draw = _draw("fleet", domain)
            users = low + draw % max(1, high - low + 1)
            stack = STACK_DRAW[(draw >> 8) % len(STACK_DRAW)]
            second = f"{prefix}{index:04d}-mail.example"
            tenant = world.add_tenant(
                f"{prefix.capitalize()} {index:04d}", [domain, second], users, domain
            )
            org_domains = [domain] if state == "domain_missing" else [domain, second]
            org = new_org(
                world,
                {
                    "primary_domain": domain,
                    "name": tenant.name,
                    "stack": stack,
                    "domains": org_domains,
                    "licensing_package": "business",
                },
                "organization",
                partner,
            )
            _users(org, tenant, state, index)
            app = _sync_setup(world, tenant, org, state, draw, now)
            if index % 5 != 0:
                for name in org_domains:
                    world.dns[name] = {"mx": proofpoint_mx(stack)}
            item = {
                "domain": domain,
                "state": state,
                "tenant_id": tenant.id,
                "stack": stack,
                "app_id": app.data["appId"] if app else None,
            }
            if body.get("with_apps") and app is not None:
                item["app"] = _app_detail(world, tenant, app, org)
            made.append(item)
    counts: dict[str, int] = {}
    for item in made:
        counts[item["state"]] = counts.get(item["state"], 0) + 1
    summary = {"created": len(made), "partner": partner, "states": counts}
    if len(made) <= 200 or body.get("list") or body.get("with_apps"):
        summary["orgs"] = made
    return summary


def _app_detail(world, tenant, app, org) -> dict:
    sp = tenant.sp_by_app_id(app.data["appId"], visible_only=False)
    return {
        "object_id": app.data["id"],
        "unique_name": app.data.get("uniqueName"),
        "service_principal_id": sp.data["id"],
        "secret_key_id": guid("fleet-key", org.primary_domain),
        "secret": org.azure["ad_key"],
    }


def _partner(world, key: str | None) -> str:
    partners = [o for o in world.orgs.values() if o.type == "partner"]
    if key:
        partners = [o for o in partners if o.primary_domain == key.lower()]
    if not partners:
        raise ValueError(
            "no Proofpoint partner org" + (f" {key}" if key else "") + " in the scenario"
        )
    return partners[0].primary_domain


def _users(org, tenant, state: str, index: int) -> None:
    """Proofpoint users from the directory (made on first use); never-synced orgs hold only their
    admin."""
    directory = tenant.directory
    admin = f"admin@{org.primary_domain}"
    synced = state != "never_synced"
    kinds = [directory.user_kind(i) for i in range(directory.user_count)] if synced else []
    billable = sum(1 for k in kinds if k == "member") + 1
    active = sum(1 for k in kinds if k in ("member", "shared_enabled", "unlicensed")) + 1
    org.user_licenses = billable - 2 if index % 7 == 0 else billable + 5
    org.generated_active = active

    def factory() -> dict[str, dict]:
        from .proofpoint_users import normalised_user

        users = {
            admin: normalised_user(
                org,
                {
                    "primary_email": admin,
                    "firstname": "IT",
                    "surname": "Admin",
                    "type": "organization_admin",
                },
            )
        }
        for i, kind in enumerate(kinds):
            if kind == "guest":
                continue
            user = directory.user(i)
            email = (user["mail"] or user["userPrincipalName"]).lower()
            if email.split("@", 1)[1] not in org.domains or email in users:
                continue
            is_user = kind == "member"
            aliases = [
                p[5:].lower()
                for p in user["proxyAddresses"]
                if p.startswith("smtp:") and p[5:].split("@", 1)[1].lower() in org.domains
            ]
            users[email] = normalised_user(
                org,
                {
                    "primary_email": email,
                    "firstname": user["givenName"],
                    "surname": user["surname"],
                    "uid": user["id"],
                    "type": "end_user" if is_user else "functional_account",
                    "is_active": kind in ("member", "shared_enabled", "unlicensed"),
                    "is_billable": is_user,
                    "alias_emails": aliases,
                },
            )
        return users

    org.users_factory = factory
    if (
        state == "domain_missing"
    ):  # users on the missing domain are not in the org: count them exactly
        made = factory().values()
        billable = sum(1 for u in made if u["is_billable"])
        org.user_licenses = billable - 2 if index % 7 == 0 else billable + 5
        org.generated_active = sum(1 for u in made if u["is_active"])


def _sync_setup(world, tenant, org, state: str, draw: int, now: float):
    """The sync app, its consent and secret, and settings/azure, as the state says."""
    if state == "never_synced":
        return None
    portal = state == "portal_synced"
    redirect = f"https://{org.stack}.proofpointessentials.com"
    body = {
        "displayName": "ProofPoint",
        "signInAudience": "AzureADMyOrg",
        "requiredResourceAccess": required_access(["Directory.Read.All"], SYNC_SCOPES),
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [redirect],
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
        },
    }
    created = now - (30 + draw % 600) * DAY
    if portal:
        body["uniqueName"] = (
            f"proofpoint-sync-{org.primary_domain.split('.')[0]}-"
            f"{hashlib.sha256(org.primary_domain.encode()).hexdigest()[:8]}"
        )
    app = world.register_app(tenant, body)
    app.data["createdDateTime"] = iso(created)
    sp = new_service_principal(world, tenant, app.data, tenant.id)
    graph_sp = tenant.graph_sp()
    role_id = next(r["id"] for r in graph_sp.data["appRoles"] if r["value"] == "Directory.Read.All")
    new_assignment(world, tenant, sp, graph_sp, role_id)
    new_grant(world, tenant, sp.data["id"], graph_sp.data["id"], " ".join(SYNC_SCOPES))
    if state == "foreign_expired":
        end = now - (10 + draw % 190) * DAY
        start = end - 730 * DAY
    else:
        start = max(created, now - 400 * DAY)
        end = start + 730 * DAY
    secret = f"Sbx8Q~fleet-{guid('fleet-secret', org.primary_domain)[:24]}"
    add_secret(
        app,
        secret,
        "Proofpoint sync",
        _dt(start),
        _dt(end),
        key_id=guid("fleet-key", org.primary_domain),
    )
    if portal:
        from .identity import grant_admin_consent

        grant_admin_consent(world, tenant, world.msp["app_id"])
    frequency = 0 if state == "sync_paused" else (24 if portal else (1, 3, 6, 12, 24)[draw % 5])
    org.azure = {
        "primary_domain": org.primary_domain,
        "application_id": app.data["appId"],
        "ad_key": secret,
        "default_user_role_name": "end_user",
        "sync_frequency": frequency,
        "sync_active_users": True,
        "sync_distribution_groups": True,
        "sync_security_groups": False,
        "add_users": True,
        "update_users": True,
        "remove_deleted_users": False,
        "add_groups": True,
        "update_groups": True,
        "remove_deleted_groups": False,
        "disable_login": False,
    }
    org.secret_expiry = end
    period = (frequency or 24) * HOUR
    if state == "foreign_expired":
        org.last_sync = end - (draw % 20) * HOUR
    elif state == "domain_missing":
        org.last_sync = now - (2 + draw % 10) * DAY
    elif state == "sync_paused":
        org.last_sync = now - (14 + draw % 60) * DAY
    else:
        org.last_sync = now - (draw % int(period))
    org.sync_next_at = org.last_sync + period if frequency else None
    if org.sync_next_at is not None and org.sync_next_at < now:
        org.sync_next_at = (
            now + period
        )  # a failing sync was just tried; the next try is a period away
    return app


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(microsecond=0)
