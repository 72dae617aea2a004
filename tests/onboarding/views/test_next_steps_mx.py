"""Next steps shows what each mail domain's MX points to right now, through the configured resolver
(DNS_NAMESERVERS: the sandbox's DNS server over UDP here)."""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def mx_line(tech_client, tenant) -> str:
    page = tech_client.get(f"/tenants/{tenant.pk}/next-steps/").content.decode()
    start = page.index('class="list-group-item small mx-check" data-domain="fabrikam.example"')
    return page[start : page.index("</li>", start)]


def test_the_live_mx_check_follows_the_records(portal_sandbox, tech_client, tenant_a):
    line = mx_line(tech_client, tenant_a)
    assert "fabrikam-example.mail.protection.outlook.com" in line and "Not Proofpoint" in line
    portal_sandbox.route_mx("fabrikam.example", "us1")
    line = mx_line(tech_client, tenant_a)
    assert "mx1-us1.ppe-hosted.com" in line and "Mail goes through Proofpoint" in line


def test_a_lookup_that_cannot_answer_says_so(portal_sandbox, tech_client, tenant_a):
    portal_sandbox.dns_fail("fabrikam.example", "nxdomain")
    line = mx_line(tech_client, tenant_a)
    assert "could not be checked" in line and "NXDOMAIN" in line
