"""Tenants over the API: the page's validation rules and messages, search, pagination, audit."""

from onboarding.models import AuditEvent
from tenants.models import Tenant
from tests.onboarding.api.conftest import tenant_body


def test_create_a_tenant(tech_api, technician):
    response = tech_api.post(
        "/api/v1/tenants/", tenant_body(domains=["Contoso.NET", "contoso.com"]), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["primary_domain"] == "contoso.com"
    assert body["domains"] == ["contoso.net"]
    assert body["default_role"] == "end_user" and body["sync_frequency_hours"] == 1
    assert body["allow_deletions"] is False and body["entra_tenant_id"] == ""
    tenant = Tenant.objects.get(pk=body["id"])
    assert tenant.created_by == technician
    event = AuditEvent.objects.get(action="tenant.created")
    assert event.via_api and event.actor == technician and event.ip_address == "127.0.0.1"


def test_validation_errors_name_the_field_with_the_forms_messages(tech_api, tenant_a, settings):
    settings.PROOFPOINT_CUSTOM_HOSTS = ["pp.example"]  # white-label hosts the operator allows
    response = tech_api.post(
        "/api/v1/tenants/", tenant_body(primary_domain="not a domain"), format="json"
    )
    assert response.status_code == 400
    assert "not a valid domain name" in response.json()["primary_domain"][0]
    clash = tech_api.post(
        "/api/v1/tenants/", tenant_body(primary_domain="FABRIKAM.example"), format="json"
    )
    message = "fabrikam.example already belongs to the tenant Fabrikam."
    assert (
        clash.status_code == 409
    )  # a conflict with what exists (schemathesis: schema-valid, not malformed)
    assert clash.json() == {"detail": message, "primary_domain": [message]}
    custom = tech_api.post(
        "/api/v1/tenants/", tenant_body(proofpoint_stack="custom"), format="json"
    )
    assert custom.json()["proofpoint_api_url"] == ["Required for a white-label (custom) stack."]
    missing = tech_api.post("/api/v1/tenants/", {}, format="json")
    assert set(missing.json()) >= {
        "name",
        "primary_domain",
        "proofpoint_stack",
        "customer_admin_email",
    }
    plain = tech_api.post(
        "/api/v1/tenants/",
        tenant_body(
            proofpoint_stack="custom",
            proofpoint_api_url="http://pp.example/api",
            proofpoint_portal_url="https://pp.example",
        ),
        format="json",
    )
    assert plain.json() == {"proofpoint_api_url": ["Use an https:// address."]}
    domains = tech_api.post(
        "/api/v1/tenants/", tenant_body(domains=["ok.example", "bad_domain.example"]), format="json"
    )
    assert domains.json() == {"domains": ["Not valid domain names: bad_domain.example."]}


def test_wrong_json_types_are_400_not_500(tech_api, tenant_a):
    for body in [
        [1, 2],
        "text",
        {"name": 5, "primary_domain": ["x"], "domains": "a.example"},
        tenant_body(sync_frequency_hours=10**30),
        tenant_body(allow_deletions="maybe"),
        tenant_body(name="a\x00b"),
        tenant_body(domains=[None]),
    ]:
        response = tech_api.post("/api/v1/tenants/", body, format="json")
        assert response.status_code == 400, (body, response.content)
    bad_json = tech_api.post("/api/v1/tenants/", '{"name": ', content_type="application/json")
    assert bad_json.status_code == 400 and "detail" in bad_json.json()
    surrogate = tech_api.post(
        "/api/v1/tenants/", '{"name": "\\ud800"}', content_type="application/json"
    )
    assert surrogate.status_code == 400


def test_list_search_and_paginate(tech_api, tenant_a, tenant_b):
    body = tech_api.get("/api/v1/tenants/").json()
    assert body["count"] == 2 and {"next", "previous"} <= set(body)
    assert [t["name"] for t in body["results"]] == ["Fabrikam", "Northwind"]
    found = tech_api.get("/api/v1/tenants/", {"search": "northwind"}).json()
    assert [t["name"] for t in found["results"]] == ["Northwind"]
    assert tech_api.get("/api/v1/tenants/", {"page": "999"}).status_code == 404


def test_read_and_patch(tech_api, tenant_a):
    assert tech_api.get(f"/api/v1/tenants/{tenant_a.pk}/").json()["name"] == "Fabrikam"
    response = tech_api.patch(
        f"/api/v1/tenants/{tenant_a.pk}/", {"sync_frequency_hours": 6, "notes": "x"}, format="json"
    )
    assert response.status_code == 200, response.json()
    tenant_a.refresh_from_db()
    assert tenant_a.sync_frequency_hours == 6 and tenant_a.primary_domain == "fabrikam.example"
    assert "sync_frequency_hours" in AuditEvent.objects.get(action="tenant.updated").description
    # The stack (where the MSP's Proofpoint credentials go) is a manager's to change (issue 12).
    bad = tech_api.patch(
        f"/api/v1/tenants/{tenant_a.pk}/", {"proofpoint_stack": "custom"}, format="json"
    )
    assert bad.status_code == 403 and "Only a manager" in bad.json()["detail"]
    tenant_a.refresh_from_db()
    assert tenant_a.proofpoint_stack == "us1"


def test_put_and_delete_are_not_offered(tech_api, tenant_a):
    assert tech_api.put(f"/api/v1/tenants/{tenant_a.pk}/", {}, format="json").status_code == 405
    assert tech_api.delete(f"/api/v1/tenants/{tenant_a.pk}/").status_code == 405


def test_unknown_and_huge_ids_are_404(tech_api, db):
    for path in [
        "/api/v1/tenants/999/",
        f"/api/v1/tenants/{10**40}/",
        f"/api/v1/onboardings/{2**63}/",
        f"/api/v1/tenants/{10**30}/onboardings/",
    ]:
        method = tech_api.post if path.endswith("onboardings/") else tech_api.get
        assert method(path).status_code == 404, path
