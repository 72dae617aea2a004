"""Only managers see the IP addresses in the audit trail: the page, its CSV export (and no API has it)."""

import pytest

from onboarding.models import AuditEvent

ADDRESS = "203.0.113.77"


@pytest.fixture
def event(tenant_a):
    return AuditEvent.objects.create(action="consent.approved", description="Customer approved",
                                     tenant=tenant_a, actor_label="customer", ip_address=ADDRESS)


def test_a_technician_sees_the_trail_without_addresses(tech_client, event):
    page = tech_client.get(f"/tenants/{event.tenant_id}/audit/")
    assert page.status_code == 200 and "Customer approved" in page.content.decode()
    assert ADDRESS not in page.content.decode()
    export = tech_client.get(f"/tenants/{event.tenant_id}/audit/", {"export": "csv"})
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "Customer approved" in text
    assert ADDRESS not in text and "ip address" not in text


def test_a_manager_sees_the_addresses(manager_client, event):
    for path in (f"/tenants/{event.tenant_id}/audit/", "/audit/"):
        assert ADDRESS in manager_client.get(path).content.decode(), path
        export = manager_client.get(path, {"export": "csv"})
        text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
        assert "ip address" in text and ADDRESS in text


def test_the_api_exposes_no_addresses(tech_client, event):
    for path in (f"/api/v1/tenants/{event.tenant_id}/", "/api/v1/onboardings/", "/api/v1/tenants/"):
        response = tech_client.get(path)
        assert response.status_code == 200 and ADDRESS not in response.content.decode(), path
