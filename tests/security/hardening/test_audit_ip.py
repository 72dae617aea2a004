"""Only managers see the IP addresses in the audit trail: the page, its CSV export, no API."""

import pytest

from onboarding.models import AuditEvent

ADDRESS = "203.0.113.77"


@pytest.fixture
def event(tenant_a):
    return AuditEvent.objects.create(
        action="consent.approved",
        description="Customer approved",
        tenant=tenant_a,
        actor_label="customer",
        ip_address=ADDRESS,
    )


def csv_text(response) -> str:
    return (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else response.content.decode()
    )


def test_only_managers_see_the_addresses(tech_client, manager_client, event):
    page = tech_client.get(f"/tenants/{event.tenant_id}/audit/")
    assert page.status_code == 200 and "Customer approved" in page.content.decode()
    assert ADDRESS not in page.content.decode()
    text = csv_text(tech_client.get(f"/tenants/{event.tenant_id}/audit/", {"export": "csv"}))
    assert "Customer approved" in text
    assert ADDRESS not in text and "ip address" not in text
    # No API answer carries them either.
    for path in (f"/api/v1/tenants/{event.tenant_id}/", "/api/v1/onboardings/", "/api/v1/tenants/"):
        response = tech_client.get(path)
        assert response.status_code == 200 and ADDRESS not in response.content.decode(), path
    # Managers do see them, on both trails and in both exports.
    for path in (f"/tenants/{event.tenant_id}/audit/", "/audit/"):
        assert ADDRESS in manager_client.get(path).content.decode(), path
        text = csv_text(manager_client.get(path, {"export": "csv"}))
        assert "ip address" in text and ADDRESS in text
