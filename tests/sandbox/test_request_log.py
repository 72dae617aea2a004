"""The request log proves what a client did: which calls (method, path, service), whether any wrote,
and how many were in flight at once per service and per scope (Graph tenant, Proofpoint partner)."""

from __future__ import annotations

import threading

import dns.resolver
import pytest

from tests.sandbox_fixtures import SandboxAdmin

from .conftest import Graph, consent, msal_token
from .live_tenant import SETTINGS, TENANT, make_live, proofpoint

PARTNER = "msp-partner.example"


@pytest.fixture
def admin(sb):
    return SandboxAdmin(sb)


@pytest.fixture
def pp(sb, http):
    return proofpoint(sb, http)


def together(calls: list) -> None:
    """Run the calls at the same time, each on its own thread."""
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_each_entry_names_method_path_service_scope_and_timing(sb, http, admin, pp):
    consent(sb, http, TENANT)
    admin.clear_requests()
    token = msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])["access_token"]
    Graph(sb, http, token).get("/domains")
    pp("GET", f"/orgs/{TENANT}")
    log = admin.requests()
    tenant_id = admin.tenant(TENANT)["id"]
    rows = [(e["service"], e["method"], e["path"], e["scope"], e["write"]) for e in log["recent"]]
    tokens = [e for e in log["recent"] if e["route"] == "POST /{tenant}/oauth2/v2.0/token"]
    assert [(t["service"], t["scope"], t["write"]) for t in tokens] == [
        ("login", tenant_id, False)
    ]  # no write
    assert rows[-2:] == [
        ("graph", "GET", "/v1.0/domains", tenant_id, False),
        ("proofpoint", "GET", f"/api/v1/orgs/{TENANT}", PARTNER, False),
    ]
    for entry in log["recent"]:
        assert entry["started"] <= entry["ended"] and entry["ms"] >= 0 and entry["status"] == 200
    assert [e["seq"] for e in log["recent"]] == sorted(e["seq"] for e in log["recent"])
    assert log["writes"] == 0 and log["in_flight"] == {}


def test_writes_are_flagged_and_can_be_listed_alone(sb, http, admin, pp):
    live = make_live(sb, http)
    mark = admin.requests()["total"]
    live.graph.get(f"/applications(appId='{live.app_id}')")
    pp("GET", SETTINGS)
    assert admin.writes(since=mark) == []
    pp("PUT", f"/orgs/{TENANT}/domains/fabrikam-mail.example", json={"is_active": True})
    writes = admin.writes(since=mark)
    assert [(w["service"], w["method"], w["route"]) for w in writes] == [
        ("proofpoint", "PUT", "PUT /api/v1/orgs/{org}/domains/{domain}")
    ]


def test_a_read_only_health_check_shape_makes_no_write(sb, http, admin, pp):
    """The calls a health check would make (token, Graph reads, Proofpoint reads, DNS) write
    nothing."""
    live = make_live(sb, http)
    admin.clear_requests()
    graph = Graph(
        sb, http, msal_token(sb, http, TENANT, sb.msp["app_id"], sb.msp["secret"])["access_token"]
    )
    graph.get(f"/applications(appId='{live.app_id}')")
    graph.get(f"/servicePrincipals/{live.sp['id']}/appRoleAssignments")
    graph.get("/oauth2PermissionGrants", params={"$filter": f"clientId eq '{live.sp['id']}'"})
    graph.get("/domains")
    pp("GET", SETTINGS)
    pp("GET", f"/orgs/{TENANT}/domains")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], sb.dns_port
    resolver.resolve(TENANT, "MX")
    log = admin.requests()
    assert log["writes"] == 0 and admin.writes() == []
    assert {e["service"] for e in log["recent"]} == {"login", "graph", "proofpoint", "dns"}


def test_in_flight_peaks_per_service_and_per_scope(sb, http, admin, pp):
    consent(sb, http, TENANT)
    consent(sb, http, "northwind.example")
    graphs = {
        t: Graph(
            sb, http, msal_token(sb, http, t, sb.msp["app_id"], sb.msp["secret"])["access_token"]
        )
        for t in (TENANT, "northwind.example")
    }
    admin.knobs(latency_ms=300)
    admin.clear_requests()
    together(
        [lambda: graphs[TENANT].get("/domains") for _ in range(4)]
        + [lambda: graphs["northwind.example"].get("/domains") for _ in range(2)]
        + [lambda: pp("GET", "/me") for _ in range(3)]
    )
    fabrikam, northwind = admin.tenant(TENANT)["id"], admin.tenant("northwind.example")["id"]
    assert admin.max_in_flight("graph") == 6
    assert (
        admin.max_in_flight("graph", fabrikam) == 4 and admin.max_in_flight("graph", northwind) == 2
    )
    assert (
        admin.max_in_flight("proofpoint") == 3 and admin.max_in_flight("proofpoint", PARTNER) == 3
    )
    assert admin.requests()["in_flight"] == {}
    admin.clear_requests()
    for _ in range(3):
        pp("GET", "/me")
    assert admin.max_in_flight("proofpoint") == 1 and admin.max_in_flight("graph") == 0


def test_entries_overlap_as_the_peaks_say(sb, http, admin, pp):
    admin.knobs(latency_ms=200)
    admin.clear_requests()
    together([lambda: pp("GET", "/me") for _ in range(2)])
    first, second = admin.requests(service="proofpoint")["recent"]
    assert max(first["started"], second["started"]) < min(first["ended"], second["ended"])
    assert first["ms"] >= 200 and second["ms"] >= 200


def test_faults_and_refusals_are_logged_too(sb, http, admin, pp):
    admin.knobs(
        fail_next=[{"service": "proofpoint", "route": "GET /api/v1/me", "status": 429, "count": 1}]
    )
    admin.clear_requests()
    assert pp("GET", "/me").status_code == 429
    assert http.get(f"{sb.proofpoint_url}/me").status_code == 401
    assert [(e["status"], e["route"]) for e in admin.requests()["recent"]] == [
        (429, "GET /api/v1/me"),
        (401, "GET (unauthenticated)"),
    ]


def test_filters_and_clear(sb, http, admin, pp):
    pp("GET", "/me")
    pp("GET", f"/orgs/{TENANT}")
    log = admin.requests(service="proofpoint")
    assert log["recent"] and all(e["service"] == "proofpoint" for e in log["recent"])
    assert log["by_service"]["proofpoint"] == 2  # every call counted, though `recent` is capped
    assert admin.requests(since=log["total"])["recent"] == []
    admin.clear_requests()
    assert admin.requests() == {
        "counts": {},
        "by_service": {},
        "total": 0,
        "writes": 0,
        "recent": [],
        "in_flight": {},
        "max_in_flight": {},
        "max_in_flight_by_scope": {},
    }
