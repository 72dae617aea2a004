"""Creating and editing tenants: clear messages next to fields, nothing saved from a rejected
form."""

from tenants.models import Tenant

VALID = {
    "name": "Contoso",
    "primary_domain": "Contoso.Example",
    "domains": "mail.contoso.example\ncontoso.example",
    "customer_admin_email": "admin@contoso.example",
    "proofpoint_stack": "us2",
    "default_role": "silent_user",
    "sync_frequency_hours": "3",
}


def test_a_technician_creates_a_tenant_with_normalised_domains(tech_client):
    response = tech_client.post("/tenants/new/", VALID)
    tenant = Tenant.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tenants/{tenant.pk}/"
    assert tenant.primary_domain == "contoso.example"
    assert tenant.domains == ["mail.contoso.example"]
    assert tenant.portal_redirect_uri == "https://us2.proofpointessentials.com"


def test_bad_fields_get_messages_and_nothing_is_saved(tech_client):
    bad = {
        **VALID,
        "primary_domain": "not a domain",
        "customer_admin_email": "nope",
        "domains": "ok.example x_y",
    }
    response = tech_client.post("/tenants/new/", bad)
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert "not a valid domain name" in errors["primary_domain"][0]
    assert "x_y" in errors["domains"][0]
    assert "email" in errors["customer_admin_email"][0]
    assert not Tenant.objects.exists()


def test_a_custom_stack_needs_its_urls(tech_client):
    response = tech_client.post("/tenants/new/", {**VALID, "proofpoint_stack": "custom"})
    errors = response.context["form"].errors
    assert "Required for a white-label" in errors["proofpoint_api_url"][0]
    assert not Tenant.objects.exists()


def test_a_domain_that_belongs_to_another_tenant_is_refused(tech_client, tenant_a):
    response = tech_client.post(
        "/tenants/new/", {**VALID, "primary_domain": tenant_a.primary_domain}
    )
    assert (
        "already belongs to the tenant Fabrikam"
        in response.context["form"].errors["primary_domain"][0]
    )


def test_editing_keeps_the_tenant_and_records_who_changed_what(tech_client, tenant_a):
    from onboarding.models import AuditEvent

    # The stack stays: changing it is a manager's action (tests/security/test_credential_hosts.py).
    data = {
        **VALID,
        "primary_domain": tenant_a.primary_domain,
        "name": "Fabrikam Ltd",
        "proofpoint_stack": tenant_a.proofpoint_stack,
    }
    assert tech_client.post(f"/tenants/{tenant_a.pk}/edit/", data).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Fabrikam Ltd"
    event = AuditEvent.objects.get(action="tenant.updated")
    assert event.actor_label == "alice" and "name" in event.description
