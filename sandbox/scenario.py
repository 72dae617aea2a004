"""Scenarios: the world the sandbox starts with (MSP tenant and app, customer tenants, Proofpoint
orgs, knobs).

A scenario is a dict or a JSON file; "{PORTAL_BASE_URL}" anywhere in it is replaced by the portal's
base
URL so the MSP app's registered redirect URI matches the portal's consent callback. See
scenarios/demo.json for the format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .common import guid, years_from_now
from .objects import new_service_principal, required_access
from .signin import load_staff_signin
from .state import ProofpointOrg, World, add_secret

DEMO = Path(__file__).parent / "scenarios" / "demo.json"
DEFAULT_PORTAL = "http://127.0.0.1:8000"


def default_scenario(portal_base_url: str | None = None) -> dict:
    """The demo: an MSP, Fabrikam (40 users, Proofpoint org exists), Northwind (1,000), a GCC High
    tenant."""
    return load_scenario(DEMO, portal_base_url)


def load_scenario(source: dict | str | Path | None, portal_base_url: str | None = None) -> dict:
    base = (portal_base_url or os.environ.get("PORTAL_BASE_URL") or DEFAULT_PORTAL).rstrip("/")
    if source is None:
        source = DEMO
    text = json.dumps(source) if isinstance(source, dict) else Path(source).read_text()
    return json.loads(text.replace("{PORTAL_BASE_URL}", base))


def msp_app_id(scenario: dict) -> str:
    app = scenario.get("msp", {}).get("app", {})
    return app.get("client_id") or guid("msp-app", app.get("display_name", "msp"))


def load_world(world: World, scenario: dict) -> None:
    """Populate an empty world (called under world.lock by World.reset)."""
    _load_msp(world, scenario.get("msp") or {}, scenario)
    for spec in scenario.get("tenants", []):
        tenant = add_generated_tenant(world, spec)
        if spec.get("consented") and world.msp:
            from .identity import grant_admin_consent

            grant_admin_consent(world, tenant, world.msp["app_id"])
    _load_proofpoint(world, scenario.get("proofpoint") or {})
    # Last: its people may come from customer tenants (the one a staff sign-in must refuse).
    msp_tenant = world.tenant(world.msp["tenant_id"]) if world.msp else None
    load_staff_signin(world, msp_tenant, (scenario.get("msp") or {}).get("staff_signin") or {})


def add_generated_tenant(world: World, spec: dict):
    domains = spec.get("domains") or [spec["domain"]]
    first = domains[0] if isinstance(domains[0], str) else domains[0]["name"]
    if len(domains) == 1 and spec.get("extra_domain", True):
        domains = [*domains, first.replace(".", "-mail.", 1)]
    name = spec.get("name") or first.split(".")[0].capitalize()
    return world.add_tenant(
        name,
        domains,
        int(spec.get("users", 10)),
        spec.get("seed", first),
        bool(spec.get("gcc_high")),
        spec.get("id"),
        spec.get("groups"),
    )


def _load_msp(world: World, msp: dict, scenario: dict) -> None:
    if not msp:
        return
    tenant = add_generated_tenant(
        world, {**msp.get("tenant", {"domains": ["msp.example"]}), "extra_domain": False}
    )
    spec = msp.get("app", {})
    app_id = msp_app_id(scenario)
    record = world.register_app(
        tenant,
        {
            "appId": app_id,
            "displayName": spec.get("display_name", "Contoso MSP Onboarding"),
            "signInAudience": "AzureADMultipleOrgs",
            "requiredResourceAccess": required_access(spec.get("permissions", [])),
            "web": {
                "homePageUrl": None,
                "logoutUrl": None,
                "redirectUris": list(spec.get("redirect_uris", [])),
                "implicitGrantSettings": {
                    "enableAccessTokenIssuance": False,
                    "enableIdTokenIssuance": False,
                },
            },
        },
    )
    secret = spec.get("secret", "Sbx8Q~demo-msp-secret-not-for-production")
    # Long-lived, so a tenant's clock offset (knob clock_offset_s) expires its secrets, not ours.
    add_secret(record, secret, "sandbox", end=years_from_now(50), key_id=guid("msp-secret", app_id))
    new_service_principal(world, tenant, record.data, tenant.id)
    world.msp = {
        "tenant_id": tenant.id,
        "app_id": app_id,
        "secret": secret,
        "display_name": record.data["displayName"],
        "redirect_uris": list(spec.get("redirect_uris", [])),
    }


def _load_proofpoint(world: World, spec: dict) -> None:
    if not spec:
        return
    partner = spec.get("partner", {"primary_domain": "msp-partner.example", "name": "MSP partner"})
    org = new_org(world, partner, org_type="partner", parent=None)
    world.pp_users[spec.get("api_user", "api-admin@msp-partner.example").lower()] = {
        "password": spec.get("api_password", "sandbox-proofpoint-password"),
        "org": org.primary_domain,
        "firstname": "API",
        "surname": "Channel Admin",
        "type": "channel_admin",
    }
    for org_spec in spec.get("orgs", []):
        child = new_org(world, org_spec, org_type="organization", parent=org.primary_domain)
        for user in org_spec.get("users", []):
            from .proofpoint_users import normalised_user

            created = normalised_user(child, user)
            child.users[created["primary_email"]] = created
    if spec.get("child_orgs"):
        from .fleet import create_child_orgs

        create_child_orgs(world, spec["child_orgs"])


def new_org(world: World, spec: dict, org_type: str, parent: str | None) -> ProofpointOrg:
    primary = spec["primary_domain"].lower()
    org = ProofpointOrg(
        primary_domain=primary,
        name=spec.get("name", primary),
        type=org_type,
        parent=parent,
        eid=int(guid("pp-org", primary)[:7], 16),
        stack=spec.get("stack", "us1"),
        user_licenses=int(spec.get("user_licenses", 0) or 0),
        licensing_package=spec.get("licensing_package"),
        country=spec.get("country"),
        stateprov=spec.get("stateprov"),
    )
    for domain in spec.get("domains") or [primary]:
        name = domain if isinstance(domain, str) else domain["name"]
        org.domains[name.lower()] = pp_domain(name, domain if isinstance(domain, dict) else {})
    world.orgs[primary] = org
    return org


def pp_domain(name: str, spec: dict) -> dict:
    return {
        "name": name.lower(),
        "is_active": bool(spec.get("is_active", True)),
        "is_relay": bool(spec.get("is_relay", False)),
        "destination": spec.get("destination"),
        "failovers": list(spec.get("failovers") or []),
    }
