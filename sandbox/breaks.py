"""`POST /_sandbox/break`: break a live tenant the way real customers do (issue 11, "Deliver 5").

    {"tenant": "fabrikam.example", "what": "<one of WHAT>", ...fields of that break}

Each break changes the world as the customer's (or Proofpoint's) action would, without any API call
the portal could see, and answers {"tenant", "what", "done": "<what changed, in words>", ...}. "The
sync app" is `app_id` when given, else the app whose appId is in the org's settings/azure (if it
lives in this tenant), else the tenant's only app registration; otherwise a 400 says which to pick.
"""

from __future__ import annotations

import time
from datetime import timedelta

from .catalog import APP_ROLES, ROLE_NAMES
from .common import iso, parse_iso, utcnow
from .dns import proofpoint_mx, set_records
from .state import Record, Tenant, _domain


class BreakError(ValueError):
    """A break that cannot be done as asked (answered 400 or 404 with the message)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# ---- lookups ------------------------------------------------------------------------------------
def tenant_for(world, key: str) -> Tenant:
    tenant = world.tenant(key)
    if tenant is None:
        raise BreakError(f"no Entra tenant has the domain or id {key!r}", 404)
    return tenant


def org_for(world, key: str):
    """The Proofpoint org of a tenant (any of its domains) or with that domain, or None."""
    key = (key or "").lower()
    if key in world.orgs:
        return world.orgs[key]
    tenant = world.tenant(key)
    names = [d["id"] for d in tenant.domains] if tenant else [key]
    for name in names:
        if name in world.orgs:
            return world.orgs[name]
    return next(
        (o for o in world.orgs.values() if o.type != "partner" and set(names) & set(o.domains)),
        None,
    )


def _org_or_404(world, key: str):
    org = org_for(world, key)
    if org is None:
        raise BreakError(f"no Proofpoint org has the domain {key!r}", 404)
    return org


def sync_app(world, tenant: Tenant, body: dict) -> Record:
    apps = list(tenant.apps.values())
    wanted = body.get("app_id")
    if not wanted:
        org = org_for(world, tenant.default_domain)
        wanted = (org.azure or {}).get("application_id") if org else None
        if wanted and not any(r.data["appId"] == wanted for r in apps):
            wanted = None
    if wanted:
        found = next((r for r in apps if r.data["appId"].lower() == wanted.lower()), None)
        if found is None:
            raise BreakError(
                f"no app registration with appId {wanted} in {tenant.default_domain}", 404
            )
        return found
    if len(apps) == 1:
        return apps[0]
    if not apps:
        raise BreakError(f"{tenant.default_domain} has no app registration (onboard it first)", 404)
    raise BreakError(
        f"{tenant.default_domain} has {len(apps)} app registrations: say which with app_id "
        f"({', '.join(r.data['appId'] for r in apps)})"
    )


def remove_service_principal(tenant: Tenant, sp_id: str) -> dict:
    """Delete an SP with what hangs on it (its app role assignments and delegated grants), as Entra
    does."""
    tenant.sps.pop(sp_id, None)
    assignments = [
        k
        for k, r in tenant.assignments.items()
        if sp_id in (r.data["principalId"], r.data["resourceId"])
    ]
    grants = [
        k for k, r in tenant.grants.items() if sp_id in (r.data["clientId"], r.data["resourceId"])
    ]
    for key in assignments:
        del tenant.assignments[key]
    for key in grants:
        del tenant.grants[key]
    return {"assignments_removed": len(assignments), "grants_removed": len(grants)}


def _sync_sp(world, tenant: Tenant, body: dict) -> tuple[Record, Record]:
    app = sync_app(world, tenant, body)
    sp = tenant.sp_by_app_id(app.data["appId"], visible_only=False)
    if sp is None:
        raise BreakError(
            f"the sync app {app.data['appId']} has no service principal in {tenant.default_domain}",
            404,
        )
    return app, sp


# ---- the breaks ---------------------------------------------------------------------------------
def add_domain(world, tenant: Tenant, body: dict) -> dict:
    """A verified domain added in Microsoft 365 (GET /v1.0/domains shows it, isVerified true)."""
    name = (body.get("domain") or "").lower().strip(".")
    if not name or "." not in name:
        raise BreakError('domain is required, e.g. "new-brand.example"')
    if world.tenant(name) is not None:
        raise BreakError(f"{name} already belongs to an Entra tenant")
    verified = bool(body.get("verified", True))
    domain = _domain({"name": name, "verified": verified}, False)
    initial = next(i for i, d in enumerate(tenant.domains) if d["isInitial"])
    tenant.domains.insert(initial, domain)
    world.by_domain[name] = tenant.id
    return {
        "done": f"{name} added to the tenant ({'verified' if verified else 'not verified'})",
        "domain": domain,
    }


def delete_app(world, tenant: Tenant, body: dict) -> dict:
    """The customer deletes the sync app registration (its service principal goes with it)."""
    app = sync_app(world, tenant, body)
    del tenant.apps[app.data["id"]]
    sp = tenant.sp_by_app_id(app.data["appId"], visible_only=False)
    removed = remove_service_principal(tenant, sp.data["id"]) if sp else {}
    return {
        "done": f"app registration {app.data['appId']} deleted, with its service principal",
        "app_id": app.data["appId"],
        **removed,
    }


def delete_service_principal(world, tenant: Tenant, body: dict) -> dict:
    """The enterprise application (service principal) deleted; the app registration stays."""
    app, sp = _sync_sp(world, tenant, body)
    removed = remove_service_principal(tenant, sp.data["id"])
    return {
        "done": f"service principal of {app.data['appId']} deleted",
        "app_id": app.data["appId"],
        **removed,
    }


def remove_grant(world, tenant: Tenant, body: dict) -> dict:
    """The delegated permission grant (oauth2PermissionGrant) of the sync app revoked."""
    app, sp = _sync_sp(world, tenant, body)
    keys = [k for k, r in tenant.grants.items() if r.data["clientId"] == sp.data["id"]]
    if not keys:
        raise BreakError(f"the sync app {app.data['appId']} has no delegated grant", 404)
    for key in keys:
        del tenant.grants[key]
    return {"done": f"delegated grant of {app.data['appId']} removed", "app_id": app.data["appId"]}


def narrow_grant(world, tenant: Tenant, body: dict) -> dict:
    """The delegated grant keeps only `scope` (space-separated names, default
    User.ReadBasic.All)."""
    app, sp = _sync_sp(world, tenant, body)
    grant = next((r for r in tenant.grants.values() if r.data["clientId"] == sp.data["id"]), None)
    if grant is None:
        raise BreakError(f"the sync app {app.data['appId']} has no delegated grant", 404)
    grant.data["scope"] = str(body.get("scope", "User.ReadBasic.All"))
    return {
        "done": f"delegated grant of {app.data['appId']} narrowed to {grant.data['scope']!r}",
        "app_id": app.data["appId"],
    }


def remove_role_assignment(world, tenant: Tenant, body: dict) -> dict:
    """An application permission (default every one) of the sync app on Graph removed."""
    app, sp = _sync_sp(world, tenant, body)
    role = body.get("role")
    if role and role not in APP_ROLES:
        raise BreakError(f"unknown role {role!r}")
    keys = [
        k
        for k, r in tenant.assignments.items()
        if r.data["principalId"] == sp.data["id"]
        and (not role or r.data["appRoleId"] == APP_ROLES[role])
    ]
    if not keys:
        raise BreakError(f"the sync app {app.data['appId']} has no such app role assignment", 404)
    names = [ROLE_NAMES.get(tenant.assignments[k].data["appRoleId"]) for k in keys]
    for key in keys:
        del tenant.assignments[key]
    return {
        "done": f"app role assignment(s) {', '.join(map(str, names))} of {app.data['appId']} "
        "removed",
        "app_id": app.data["appId"],
    }


def revoke_consent(world, tenant: Tenant, body: dict) -> dict:
    """The customer removes the MSP app (its service principal, role assignments and grants): its
    client-credentials tokens fail with AADSTS700016, as for a tenant that never consented, and
    Graph refuses the tokens it holds already (401)."""
    app_id = body.get("app_id") or world.msp.get("app_id")
    if tenant.id == world.msp.get("tenant_id") and app_id == world.msp.get("app_id"):
        raise BreakError("the MSP app cannot lose consent in its own tenant")
    sp = tenant.sp_by_app_id(app_id, visible_only=False)
    if sp is None:
        raise BreakError(
            f"{app_id} has no consent (service principal) in {tenant.default_domain}", 404
        )
    removed = remove_service_principal(tenant, sp.data["id"])
    return {
        "done": f"consent of {app_id} revoked in {tenant.default_domain}",
        "app_id": app_id,
        **removed,
    }


def _credentials(world, tenant: Tenant, body: dict) -> tuple[Record, list[dict]]:
    """The sync app's password credentials to change: `key_id`, else the one saved in Proofpoint,
    else all."""
    app = sync_app(world, tenant, body)
    credentials = app.data["passwordCredentials"]
    if body.get("key_id"):
        chosen = [c for c in credentials if c["keyId"] == body["key_id"]]
    else:
        org = org_for(world, tenant.default_domain)
        saved = (org.azure or {}).get("ad_key") if org else None
        chosen = [
            c for c in credentials if saved and app.secrets.get(c["keyId"], (None,))[0] == saved
        ] or credentials
    if not chosen:
        raise BreakError(f"the sync app {app.data['appId']} has no secret", 404)
    return app, chosen


def expire_secret(world, tenant: Tenant, body: dict) -> dict:
    """The sync app's secret ran out `days_ago` days ago (default 1): endDateTime moves into the
    past, so a token with it fails with AADSTS7000222 and settings/azure's secret_expiry shows that
    date."""
    days = float(body.get("days_ago", 1))
    if days <= 0:
        raise BreakError("days_ago must be above 0")
    return _move_secret_end(world, tenant, body, utcnow() - timedelta(days=days))


def secret_expiring(world, tenant: Tenant, body: dict) -> dict:
    """The sync app's secret ends in `days` days (default 7)."""
    days = float(body.get("days", 7))
    if days <= 0:
        raise BreakError("days must be above 0 (use expire_secret for a secret that has ended)")
    return _move_secret_end(world, tenant, body, utcnow() + timedelta(days=days))


def _move_secret_end(world, tenant: Tenant, body: dict, end) -> dict:
    app, chosen = _credentials(world, tenant, body)
    for credential in chosen:
        credential["endDateTime"] = iso(end)
        start = parse_iso(credential["startDateTime"])
        if start is not None and start >= end:
            credential["startDateTime"] = iso(end - timedelta(days=730))
    return {
        "done": f"{len(chosen)} secret(s) of {app.data['appId']} now end {iso(end)}",
        "app_id": app.data["appId"],
        "endDateTime": iso(end),
        "key_ids": [c["keyId"] for c in chosen],
    }


def _azure_or_404(world, body: dict):
    org = _org_or_404(world, body["tenant"])
    if org.azure is None:
        raise BreakError(f"{org.primary_domain} has no Azure sync settings", 404)
    return org


def sync_frequency(world, tenant, body: dict) -> dict:
    """settings/azure sync_frequency set (default 0, "Never"), as a person in Proofpoint's portal
    would."""
    org = _azure_or_404(world, body)
    value = body.get("value", 0)
    if type(value) is not int or value not in (0, 1, 3, 6, 12, 24):
        raise BreakError("value must be one of 0, 1, 3, 6, 12, 24")
    org.azure["sync_frequency"] = value
    org.sync_next_at = time.time() + value * 3600 if value else None
    return {
        "done": f"sync_frequency of {org.primary_domain} is now {value}",
        "org": org.primary_domain,
    }


def delete_sync_settings(world, tenant, body: dict) -> dict:
    """settings/azure deleted (GET answers 404): no further sync."""
    org = _azure_or_404(world, body)
    org.azure = None
    org.sync_next_at = None
    return {
        "done": f"Azure sync settings of {org.primary_domain} deleted",
        "org": org.primary_domain,
    }


def sync_app_id(world, tenant, body: dict) -> dict:
    """settings/azure application_id changed to `value` (default a made-up appId): another app
    syncs."""
    org = _azure_or_404(world, body)
    value = body.get("value") or "11111111-2222-4333-8444-555555555555"
    org.azure["application_id"] = str(value)
    return {
        "done": f"application_id of {org.primary_domain} is now {value}",
        "org": org.primary_domain,
    }


def last_successful_sync(world, tenant, body: dict) -> dict:
    """Set last_successful_sync: `value` (ISO 8601 or null) or `hours_ago`; the next scheduled sync
    is then a whole period away, so the value holds until then (or for good with the knob
    proofpoint_sync_runs=false)."""
    org = _org_or_404(world, body["tenant"])
    if "hours_ago" in body:
        org.last_sync = time.time() - float(body["hours_ago"]) * 3600
    elif body.get("value") is None:
        org.last_sync = None
    else:
        moment = parse_iso(body["value"])
        if moment is None:
            raise BreakError("value must be an ISO 8601 time, or null")
        org.last_sync = moment.timestamp()
    frequency = int((org.azure or {}).get("sync_frequency") or 0)
    org.sync_next_at = time.time() + frequency * 3600 if frequency else None
    shown = iso(org.last_sync) if org.last_sync else None
    return {
        "done": f"last_successful_sync of {org.primary_domain} is now {shown}",
        "org": org.primary_domain,
        "last_successful_sync": shown,
    }


def remove_org_domain(world, tenant, body: dict) -> dict:
    """A domain removed from the Proofpoint org (not the primary): the Entra tenant has one the org
    lacks."""
    org = _org_or_404(world, body["tenant"])
    name = (body.get("domain") or "").lower()
    if name not in org.domains:
        raise BreakError(f"{org.primary_domain} has no domain {name!r}", 404)
    if name == org.primary_domain:
        raise BreakError("the primary domain of an org cannot be removed")
    del org.domains[name]
    return {
        "done": f"{name} removed from the Proofpoint org {org.primary_domain}",
        "org": org.primary_domain,
    }


def licences(world, tenant, body: dict) -> dict:
    """The org's user_licenses set (e.g. below its billable accounts)."""
    org = _org_or_404(world, body["tenant"])
    value = body.get("user_licenses")
    if type(value) is not int or value < 0:
        raise BreakError("user_licenses must be a whole number, 0 or more")
    org.user_licenses = value
    return {
        "done": f"user_licenses of {org.primary_domain} is now {value}",
        "org": org.primary_domain,
    }


def mx(world, tenant, body: dict) -> dict:
    """A domain's MX records replaced: `mx` [[preference, host], ..] (default: the tenant's
    domain)."""
    domain = body.get("domain") or _default_domain(world, body)
    if "mx" not in body:
        raise BreakError("mx is required: [[preference, host], ..]")
    result = set_records(world, domain, {"mx": body["mx"]})
    return {"done": f"MX of {domain} changed", "records": result}


def route_mx(world, tenant, body: dict) -> dict:
    """A domain's MX pointed at Proofpoint's hosts for `stack` (default: the org's stack, else
    us1)."""
    domain = body.get("domain") or _default_domain(world, body)
    org = org_for(world, domain)
    stack = body.get("stack") or (org.stack if org else "us1")
    result = set_records(world, domain, {"route": stack, "spf": bool(body.get("spf"))})
    return {
        "done": f"MX of {domain} now {', '.join(h for _, h in proofpoint_mx(stack))}",
        "records": result,
    }


def clock_offset(world, tenant: Tenant, body: dict) -> dict:
    """This tenant's clock runs `seconds` (or `days`) ahead: its secrets expire, its tokens age.
    Sets the knob clock_offset_s for the tenant. The portal's clock is not shifted: for health
    checks that read endDateTime, use expire_secret."""
    seconds = float(body["days"]) * 86400 if "days" in body else float(body.get("seconds", 0))
    world.knobs.update({"tenants": {tenant.id: {"clock_offset_s": seconds}}})
    return {
        "done": f"the clock of {tenant.default_domain} runs {seconds:g} s ahead",
        "clock_offset_s": seconds,
    }


def _default_domain(world, body: dict) -> str:
    tenant = world.tenant(body["tenant"])
    return tenant.default_domain if tenant else body["tenant"].lower()


# name -> (handler, needs an Entra tenant)
WHAT = {
    "add_domain": (add_domain, True),
    "delete_app": (delete_app, True),
    "delete_service_principal": (delete_service_principal, True),
    "remove_grant": (remove_grant, True),
    "narrow_grant": (narrow_grant, True),
    "remove_role_assignment": (remove_role_assignment, True),
    "revoke_consent": (revoke_consent, True),
    "expire_secret": (expire_secret, True),
    "clock_offset": (clock_offset, True),
    "secret_expiring": (secret_expiring, True),
    "sync_frequency": (sync_frequency, False),
    "delete_sync_settings": (delete_sync_settings, False),
    "sync_app_id": (sync_app_id, False),
    "last_successful_sync": (last_successful_sync, False),
    "remove_org_domain": (remove_org_domain, False),
    "licences": (licences, False),
    "mx": (mx, False),
    "route_mx": (route_mx, False),
}


def apply(world, body: dict) -> dict:
    what = body.get("what")
    if what not in WHAT:
        raise BreakError(f"what must be one of: {', '.join(WHAT)}")
    if not body.get("tenant"):
        raise BreakError("tenant is required (a domain or tenant id)")
    handler, needs_tenant = WHAT[what]
    with world.lock:
        tenant = tenant_for(world, body["tenant"]) if needs_tenant else world.tenant(body["tenant"])
        result = handler(world, tenant, body)
    return {"tenant": tenant.id if tenant else None, "what": what, **result}
