"""A partner's existing customers: child orgs in mixed states, each with its Entra tenant."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import dns.resolver
import pytest

from sandbox.fleet import STATES
from sandbox.scenario import default_scenario
from sandbox.state import World
from tests.sandbox_fixtures import SandboxAdmin

from .conftest import Graph, msal_token
from .live_tenant import proofpoint

PARTNER = "msp-partner.example"


@pytest.fixture
def admin(sb):
    return SandboxAdmin(sb)


@pytest.fixture
def pp(sb, http):
    return proofpoint(sb, http)


@pytest.fixture
def fleet(admin):
    return {o["domain"]: o for o in admin.child_orgs(50)["orgs"]}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def by_state(fleet: dict, state: str) -> list[dict]:
    return [o for o in fleet.values() if o["state"] == state]


def test_fifty_orgs_in_every_state_listed_with_domains_licences_and_users(fleet, pp):
    assert len(fleet) == 50 and {o["state"] for o in fleet.values()} == set(STATES)
    listed = {o["primary_domain"]: o for o in pp("GET", f"/orgs/{PARTNER}/orgs").json()["orgs"]}
    assert set(fleet) <= set(listed) and "fabrikam.example" in listed
    for domain, org in fleet.items():
        row = listed[domain]
        assert row["parent_primary_domain"] == PARTNER and row["domains"][0]["name"] == domain
        assert isinstance(row["user_licenses"], int) and row["active_users"] >= 1
    for domain in fleet:  # the counts listed before the users were made match the users made
        users = pp("GET", f"/orgs/{domain}/users").json()["users"]
        assert sum(u["is_active"] for u in users) == listed[domain]["active_users"], domain
        assert any(u["type"] == "organization_admin" for u in users)
    short = [
        d
        for d in fleet
        if listed[d]["user_licenses"]
        < sum(u["is_billable"] for u in pp("GET", f"/orgs/{d}/users").json()["users"])
    ]
    assert short and all(int(d[5:9]) % 7 == 0 for d in short)


def test_never_synced_has_no_settings(fleet, pp, sb, http):
    for org in by_state(fleet, "never_synced"):
        answer = pp("GET", f"/orgs/{org['domain']}/settings/azure")
        assert answer.status_code == 404
        assert org["app_id"] is None
    domain = by_state(fleet, "never_synced")[0]["domain"]
    assert "error" in msal_token(
        sb, http, domain, sb.msp["app_id"], sb.msp["secret"]
    )  # no consent yet


def test_portal_synced_runs_with_an_app_the_portal_can_see(fleet, pp, sb, http):
    org = by_state(fleet, "portal_synced")[0]
    settings = pp("GET", f"/orgs/{org['domain']}/settings/azure").json()
    assert settings["application_id"] == org["app_id"] and settings["sync_frequency"] == 24
    assert parse(settings["secret_expiry"]) > datetime.now(UTC)
    assert (datetime.now(UTC) - parse(settings["last_successful_sync"])).total_seconds() < 24 * 3600
    token = msal_token(sb, http, org["domain"], sb.msp["app_id"], sb.msp["secret"])["access_token"]
    app = Graph(sb, http, token).get(f"/applications(appId='{org['app_id']}')").json()
    assert app["uniqueName"].startswith("proofpoint-sync-") and app["displayName"] == "ProofPoint"
    assert app["web"]["redirectUris"] == [f"https://{org['stack']}.proofpointessentials.com"]


def test_foreign_apps_without_msp_consent(fleet, admin, sb, http, pp):
    for org in by_state(fleet, "foreign_synced")[:3]:
        settings = pp("GET", f"/orgs/{org['domain']}/settings/azure").json()
        assert settings["sync_frequency"] in (1, 3, 6, 12, 24)
        assert parse(settings["secret_expiry"]) > datetime.now(UTC)
        tenant = admin.tenant(org["domain"])
        assert [a["uniqueName"] for a in tenant["applications"]] == [None]
        assert "error" in msal_token(sb, http, org["domain"], sb.msp["app_id"], sb.msp["secret"])


def test_foreign_expired_secret(fleet, admin, pp):
    for org in by_state(fleet, "foreign_expired"):
        settings = pp("GET", f"/orgs/{org['domain']}/settings/azure").json()
        expiry, last = parse(settings["secret_expiry"]), parse(settings["last_successful_sync"])
        assert expiry < datetime.now(UTC) and last <= expiry
        credential = admin.tenant(org["domain"])["applications"][0]["passwordCredentials"][0]
        assert parse(credential["endDateTime"]) == expiry


def test_domain_missing_and_paused(fleet, admin, pp):
    for org in by_state(fleet, "domain_missing"):
        entra = set(admin.tenant(org["domain"])["domains"]) - {
            d for d in admin.tenant(org["domain"])["domains"] if d.endswith(".onmicrosoft.example")
        }
        pp_domains = {
            d["name"] for d in pp("GET", f"/orgs/{org['domain']}/domains").json()["domains"]
        }
        assert entra - pp_domains == {org["domain"].replace(".", "-mail.", 1)}
        last = parse(
            pp("GET", f"/orgs/{org['domain']}/settings/azure").json()["last_successful_sync"]
        )
        assert (datetime.now(UTC) - last).days >= 2
    for org in by_state(fleet, "sync_paused"):
        assert pp("GET", f"/orgs/{org['domain']}/settings/azure").json()["sync_frequency"] == 0


def test_mx_routed_for_most(fleet, sb):
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], sb.dns_port
    for domain, org in list(fleet.items())[:10]:
        host = resolver.resolve(domain, "MX")[0].exchange.to_text()
        routed = int(domain[5:9]) % 5 != 0
        assert host == (
            f"mx1-{org['stack']}.ppe-hosted.com."
            if routed
            else f"{domain.replace('.', '-')}.mail.protection.outlook.com."
        )


def test_paging(fleet, pp, admin):
    seen, page, pages = [], 1, 0
    while page:
        body = pp("GET", f"/orgs/{PARTNER}/orgs", params={"page": page, "page_size": 20}).json()
        assert body["total"] == 51 and body["page_size"] == 20 and len(body["orgs"]) <= 20
        seen += [o["primary_domain"] for o in body["orgs"]]
        page, pages = body["next_page"], pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 51
    admin.knobs(proofpoint_orgs_page_size=30)
    first = pp("GET", f"/orgs/{PARTNER}/orgs").json()
    assert len(first["orgs"]) == 30 and first["next_page"] == 2
    bad = pp("GET", f"/orgs/{PARTNER}/orgs", params={"page": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["identifier"] == "page"


def test_without_paging_parameters_the_list_is_whole(fleet, pp):
    body = pp("GET", f"/orgs/{PARTNER}/orgs").json()
    assert set(body) == {"orgs"} and len(body["orgs"]) == 51


def test_a_mix_and_bad_requests(admin, sb, http):
    made = admin.child_orgs(10, mix={"foreign_synced": 4, "never_synced": 1}, prefix="mix")
    assert made["states"] == {"foreign_synced": 8, "never_synced": 2}
    for body, words in [
        ({"count": 0}, "count"),
        ({"count": 2, "states": ["odd"]}, "unknown state"),
        ({"count": 2, "mix": {"never_synced": 0}}, "weight"),
        ({"count": 2, "prefix": "mix"}, "exists already"),
        ({"count": 2, "prefix": "a b"}, "prefix"),
    ]:
        answer = http.post(f"{sb.login_url}/_sandbox/child_orgs", json=body)
        assert answer.status_code == 400 and words in answer.json()["error"], body


def test_a_scenario_can_hold_child_orgs():
    scenario = default_scenario()
    scenario["proofpoint"]["child_orgs"] = {"count": 12}
    world = World(scenario)
    children = [o for o in world.orgs.values() if o.parent == "msp-partner.example"]
    assert len(children) == 13 and world.tenant("child0012.example") is not None
    world.reset()
    assert len([o for o in world.orgs.values() if o.parent]) == 13


def test_two_thousand_orgs_are_cheap(admin, pp):
    tracemalloc.start()
    started = time.monotonic()
    try:
        made = admin.child_orgs(2000, prefix="bench")
        elapsed = time.monotonic() - started
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert made["created"] == 2000 and "orgs" not in made
    assert elapsed < 60 and used < 80 * 2**20, (elapsed, used)
    body = pp("GET", f"/orgs/{PARTNER}/orgs", params={"page": 20, "page_size": 100}).json()
    assert body["total"] == 2001 and body["next_page"] == 21
