"""The sandbox's DNS server over real UDP, read with dnspython as the portal's MX check will."""

from __future__ import annotations

import json
from pathlib import Path

import dns.flags
import dns.rcode
import dns.resolver
import pytest

from tests.sandbox_fixtures import SandboxAdmin, sandbox_env, sandbox_settings

STACKS = json.loads(
    (Path(__file__).resolve().parents[2] / "onboarding" / "stacks.json").read_text()
)


@pytest.fixture
def resolver(sb):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = sb.dns_port
    r.lifetime = 3
    r.cache = None
    return r


@pytest.fixture
def admin(sb):
    return SandboxAdmin(sb)


def mx(resolver, name: str) -> list[tuple[int, str]]:
    return sorted((r.preference, r.exchange.to_text()) for r in resolver.resolve(name, "MX"))


def test_the_sandbox_reports_its_dns_address(sb):
    assert sb.dns_port == sb.ports["dns"] and sb.dns_port > 0
    assert sb.dns_nameservers == [f"127.0.0.1:{sb.dns_port}"]
    assert sandbox_settings(sb)["DNS_NAMESERVERS"] == [f"127.0.0.1:{sb.dns_port}"]
    assert sandbox_env(sb)["DNS_NAMESERVERS"] == f"127.0.0.1:{sb.dns_port}"


@pytest.mark.parametrize(
    "domain",
    [
        "fabrikam.example",
        "fabrikam-mail.example",
        "northwind.example",
        "fabrikam.onmicrosoft.example",
        "FABRIKAM.example.",
    ],
)
def test_every_tenant_domain_answers_microsoft_365_mx_authoritatively(resolver, domain):
    answer = resolver.resolve(domain, "MX")
    name = domain.lower().rstrip(".")
    assert [(r.preference, r.exchange.to_text()) for r in answer] == [
        (0, f"{name.replace('.', '-')}.mail.protection.outlook.com.")
    ]
    flags = answer.response.flags
    assert flags & dns.flags.AA and flags & dns.flags.QR and not flags & dns.flags.RA


def test_spf_verification_and_a_records(resolver):
    texts = [b"".join(r.strings).decode() for r in resolver.resolve("fabrikam.example", "TXT")]
    assert "v=spf1 include:spf.protection.outlook.com -all" in texts
    assert any(t.startswith("MS=ms") for t in texts)
    address = resolver.resolve("fabrikam.example", "A")[0].to_text()
    assert address.startswith("192.0.2.")


@pytest.mark.parametrize(
    "name", ["unknown-customer.example", "www.fabrikam.example", "mx1-us1.ppe-hosted.com"]
)
def test_unknown_names_are_nxdomain(resolver, name):
    with pytest.raises(dns.resolver.NXDOMAIN) as raised:
        resolver.resolve(name, "MX")
    response = raised.value.responses()[dns.name.from_text(name)]
    assert response.rcode() == dns.rcode.NXDOMAIN and response.flags & dns.flags.AA


def test_a_known_name_without_that_type_is_nodata(resolver):
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve("fabrikam.example", "AAAA")


def test_mx_changed_through_the_admin_endpoint(sb, http, resolver):
    body = {
        "domain": "fabrikam.example",
        "mx": [[5, "mail.fabrikam.example"], [20, "backup.example."]],
    }
    answer = http.post(f"{sb.login_url}/_sandbox/dns", json=body)
    assert answer.status_code == 200 and answer.json()["mx"] == [
        [5, "mail.fabrikam.example"],
        [20, "backup.example"],
    ]
    assert mx(resolver, "fabrikam.example") == [
        (5, "mail.fabrikam.example."),
        (20, "backup.example."),
    ]
    assert mx(resolver, "fabrikam-mail.example")[0][1].endswith(
        "mail.protection.outlook.com."
    )  # others unchanged
    assert http.get(f"{sb.login_url}/_sandbox/dns", params={"domain": "fabrikam.example"}).json()[
        "mx"
    ][0] == [5, "mail.fabrikam.example"]
    http.post(f"{sb.login_url}/_sandbox/dns", json={"domain": "fabrikam.example", "reset": True})
    assert mx(resolver, "fabrikam.example") == [
        (0, "fabrikam-example.mail.protection.outlook.com.")
    ]


@pytest.mark.parametrize("stack", sorted(k for k in STACKS if not k.startswith("_")))
def test_routing_to_proofpoint_matches_the_portals_stack_data(admin, resolver, stack):
    admin.route_mx("northwind.example", stack)
    hosts = [host for _, host in mx(resolver, "northwind.example")]
    assert hosts == [f"{h}." for h in STACKS[stack]["mx"]]
    assert hosts[0] == f"mx1-{stack}.ppe-hosted.com."


def test_route_with_spf_and_the_break_helper(admin, resolver):
    admin.route_mx("fabrikam.example", "eu1", spf=True)
    texts = [b"".join(r.strings).decode() for r in resolver.resolve("fabrikam.example", "TXT")]
    assert any("dispatch-eu.ppe-hosted.com" in t for t in texts)
    admin.break_tenant(
        "fabrikam.example", "mx", mx=[[0, "fabrikam-example.mail.protection.outlook.com"]]
    )
    assert mx(resolver, "fabrikam.example") == [
        (0, "fabrikam-example.mail.protection.outlook.com.")
    ]
    admin.break_tenant("fabrikam.example", "route_mx")  # the org's stack (us1)
    assert mx(resolver, "fabrikam.example") == [
        (10, "mx1-us1.ppe-hosted.com."),
        (10, "mx2-us1.ppe-hosted.com."),
    ]


def test_new_tenants_and_added_domains_answer_at_once(admin, sb, http, resolver):
    assert (
        http.post(
            f"{sb.login_url}/_sandbox/tenants", json={"domain": "tailspin.example"}
        ).status_code
        == 201
    )
    assert mx(resolver, "tailspin.example") == [
        (0, "tailspin-example.mail.protection.outlook.com.")
    ]
    admin.add_domain("fabrikam.example", "fabrikam-brand.example")
    assert (
        mx(resolver, "fabrikam-brand.example")[0][1]
        == "fabrikam-brand-example.mail.protection.outlook.com."
    )


def test_a_reset_forgets_changes(admin, sb, http, resolver):
    admin.route_mx("fabrikam.example", "us2")
    http.post(f"{sb.login_url}/_sandbox/reset")
    assert mx(resolver, "fabrikam.example") == [
        (0, "fabrikam-example.mail.protection.outlook.com.")
    ]


def test_failures_a_check_cannot_read(admin, resolver):
    admin.dns_fail("fabrikam.example", "nxdomain")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("fabrikam.example", "MX")
    admin.dns_fail("fabrikam.example", "servfail")
    with pytest.raises(dns.resolver.NoNameservers):
        resolver.resolve("fabrikam.example", "MX")
    admin.dns_fail("fabrikam.example", "timeout")
    resolver.lifetime = 0.5
    with pytest.raises(dns.resolver.LifetimeTimeout):
        resolver.resolve("fabrikam.example", "MX")
    admin.dns_fail("fabrikam.example", None)
    assert mx(resolver, "fabrikam.example")


@pytest.mark.parametrize(
    "body, words",
    [
        ({"domain": "fabrikam.example", "mx": "mx1.example"}, "list"),
        ({"domain": "fabrikam.example", "mx": [[-1, "a.example"]]}, "preference"),
        ({"domain": "fabrikam.example", "mx": [[10]]}, "preference"),
        ({"domain": "nobody.example", "mx": [[10, "a.example"]]}, "unknown domain"),
        ({"domain": "fabrikam.example", "route": "ap9"}, "unknown stack"),
        ({"domain": "fabrikam.example", "fail": "sometimes"}, "fail"),
        ({"mx": [[10, "a.example"]]}, "domain is required"),
    ],
)
def test_bad_dns_changes_are_400_with_a_reason(sb, http, body, words):
    answer = http.post(f"{sb.login_url}/_sandbox/dns", json=body)
    assert answer.status_code == 400 and words in answer.json()["error"]


def test_queries_are_in_the_request_log_as_reads(admin, resolver):
    admin.clear_requests()
    resolver.resolve("fabrikam.example", "MX")
    entries = admin.requests(service="dns")["recent"]
    assert [(e["method"], e["route"], e["path"], e["write"]) for e in entries] == [
        ("QUERY", "QUERY MX", "fabrikam.example", False)
    ]
