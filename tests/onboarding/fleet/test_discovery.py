"""Discovery against the sandbox: a partner with 50 child orgs in mixed states."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from onboarding.fleet import discovery
from onboarding.models import ProofpointSnapshot
from tenants.models import HealthState, Lifecycle, Tenant

pytestmark = pytest.mark.integration


@pytest.fixture
def fleet(portal_sandbox, db, settings):
    settings.PROOFPOINT_ORGS_PAGE_SIZE = 20
    return {o["domain"]: o for o in portal_sandbox.child_orgs(50)["orgs"]}


def pick(fleet: dict, state: str) -> list[str]:
    return [domain for domain, org in fleet.items() if org["state"] == state]


def test_listing_streams_pages_and_reads_each_orgs_sync_settings(fleet, portal_sandbox):
    portal_sandbox.clear_requests()
    found = {org.primary_domain: org for org in discovery.discover()}
    assert set(fleet) <= set(found)
    log = portal_sandbox.requests("proofpoint")["counts"]
    list_calls = sum(
        n for route, n in log.items() if route.endswith("/orgs") and route.startswith("GET")
    )
    assert (
        3 <= list_calls <= 4
    )  # 50 children plus the demo's, 20 a page: pages, not one call per org
    assert Tenant.objects.count() == 0  # listing saves nothing

    never = found[pick(fleet, "never_synced")[0]]
    assert not never.sync_configured and never.application_id == "" and never.flags == []
    portal = found[pick(fleet, "portal_synced")[0]]
    assert (
        portal.sync_configured and portal.application_id == fleet[portal.primary_domain]["app_id"]
    )
    assert portal.sync_frequency == 24 and portal.last_successful_sync is not None
    assert portal.domains == [
        portal.primary_domain,
        portal.primary_domain.replace(".", "-mail.", 1),
    ]
    expired = found[pick(fleet, "foreign_expired")[0]]
    assert "secret_expired" in expired.flags and expired.secret_expiry is not None
    missing = found[pick(fleet, "domain_missing")[0]]
    assert missing.domains == [missing.primary_domain] and "sync_stale" in missing.flags
    paused = found[pick(fleet, "sync_paused")[0]]
    assert "sync_paused" in paused.flags
    for org in found.values():
        assert org.user_licenses is not None and org.active_users is not None
    short = [o for d, o in found.items() if d in fleet and int(d[5:9]) % 7 == 0]
    assert short and all("over_licensed" in o.flags for o in short)


def test_each_state_comes_in_with_the_right_lifecycle_and_flags_and_twice_duplicates_nothing(
    fleet, portal_sandbox, technician
):
    results = discovery.bring_in(list(fleet), actor=technician)
    assert {r.outcome for r in results} == {"created"}, [
        r for r in results if r.outcome != "created"
    ]
    tenants = {t.primary_domain: t for t in Tenant.objects.filter(primary_domain__in=fleet)}
    assert len(tenants) == 50
    for domain, org in fleet.items():
        tenant, state = tenants[domain], org["state"]
        snapshot = tenant.proofpoint_snapshot
        if state == "never_synced":
            assert (tenant.lifecycle, tenant.adopted) == (Lifecycle.NOT_ONBOARDED, False), domain
            assert not snapshot.sync_configured
        elif state == "portal_synced":
            assert (tenant.lifecycle, tenant.adopted) == (Lifecycle.LIVE, False), domain
            assert snapshot.app_origin == "portal"
        else:
            assert (tenant.lifecycle, tenant.adopted) == (Lifecycle.LIVE, True), (domain, state)
            assert snapshot.app_origin == "foreign"
        if state == "foreign_expired":
            assert tenant.health_state == HealthState.CRITICAL
        if state == "domain_missing":
            assert tenant.domains == [] and tenant.health_state == HealthState.WARNING
        else:
            assert tenant.domains == [domain.replace(".", "-mail.", 1)]
        assert tenant.entra_tenant_id == org["tenant_id"]
        assert tenant.proofpoint_stack == org["stack"]
        assert tenant.customer_admin_email == f"admin@{domain}"
        assert snapshot.application_id == (org["app_id"] or "")

    again = discovery.bring_in(list(fleet), actor=technician)
    assert {r.outcome for r in again} == {"matched"}
    assert Tenant.objects.filter(primary_domain__in=fleet).count() == 50
    assert ProofpointSnapshot.objects.count() == 50
    listed = [o for o in discovery.discover() if o.primary_domain in fleet]
    assert all(o.tenant_id == tenants[o.primary_domain].pk for o in listed)


def test_an_existing_tenant_is_matched_by_a_further_domain(fleet, technician):
    domain = pick(fleet, "foreign_synced")[0]
    second = domain.replace(".", "-mail.", 1)
    mine = Tenant.objects.create(
        name="Mine",
        primary_domain="mine.example",
        domains=[second],
        customer_admin_email="it@mine.example",
    )
    listed = next(o for o in discovery.discover() if o.primary_domain == domain)
    assert listed.tenant_id == mine.pk
    [result] = discovery.bring_in([domain], actor=technician)
    assert (result.outcome, result.tenant_id) == ("matched", mine.pk)
    assert not Tenant.objects.filter(primary_domain=domain).exists()
    mine.refresh_from_db()
    assert mine.adopted is False  # matching never changes what the technician set up


def test_the_command_lists_and_brings_in(fleet, capsys, technician):
    never = pick(fleet, "never_synced")[:2]
    call_command("discover_proofpoint")
    listing = capsys.readouterr().out
    assert never[0] in listing and "Azure sync never set up" in listing
    call_command("discover_proofpoint", "--bring-in", *never)
    assert Tenant.objects.filter(primary_domain__in=never).count() == 2
    assert "created" in capsys.readouterr().out


def test_the_page_and_the_api_list_and_bring_in(fleet, tech_client, technician):
    from django.urls import reverse

    from tests.onboarding.api.conftest import token_client

    never, foreign = pick(fleet, "never_synced")[0], pick(fleet, "foreign_expired")[0]
    page = tech_client.get(reverse("fleet-discover"))
    text = page.content.decode()
    assert page.status_code == 200 and never in text and "Never set up" in text
    assert "The sync app&#x27;s secret has expired" in text
    done = tech_client.post(reverse("fleet-discover"), {"domain": [never]})
    assert done.status_code == 200 and Tenant.objects.filter(primary_domain=never).exists()

    api = token_client(technician)
    listed = api.post("/api/v1/tenants/discover/", {}, format="json").json()["orgs"]
    row = next(o for o in listed if o["primary_domain"] == never)
    assert row["tenant_id"] == Tenant.objects.get(primary_domain=never).pk
    expired = next(o for o in listed if o["primary_domain"] == foreign)
    assert expired["sync_configured"] and "secret_expired" in expired["flags"]
    assert expired["secret_expiry"] and expired["application_id"]
    brought = api.post("/api/v1/tenants/discover/", {"bring_in": [foreign, never]}, format="json")
    outcomes = {r["domain"]: (r["outcome"], r["adopted"]) for r in brought.json()["results"]}
    assert outcomes == {foreign: ("created", True), never: ("matched", False)}
    bad = api.post("/api/v1/tenants/discover/", {"bring_in": "x"}, format="json")
    assert bad.status_code == 400


def test_a_proofpoint_failure_is_a_clear_message_not_a_500(fleet, tech_client, settings):
    settings.PROOFPOINT_API_PASSWORD = "wrong"
    page = tech_client.get("/fleet/discover/")
    assert page.status_code == 200 and "refused the API user" in page.content.decode()


def test_a_big_selection_is_brought_in_by_a_worker(fleet, tech_client, technician, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "onboarding.views.fleet.enqueue", lambda name, args: sent.append((name, args))
    )
    picked = list(fleet)[:25]
    response = tech_client.post("/fleet/discover/", {"domain": picked})
    assert (
        response.url == "/fleet/" and not Tenant.objects.filter(primary_domain__in=picked).exists()
    )
    [(name, args)] = sent
    assert name == "onboarding.fleet_bring_in" and args == [picked, technician.pk]
    from onboarding.tasks import fleet_bring_in

    fleet_bring_in(*args)  # what the worker runs
    fleet_bring_in(*args)  # redelivered: nothing twice
    assert Tenant.objects.filter(primary_domain__in=picked).count() == 25
