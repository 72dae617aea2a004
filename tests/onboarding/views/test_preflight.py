"""Checks before the customer is asked, against the real sandbox: when the tenant is saved and again
at Start, before any email. Each problem sits next to its field, in words that say what to do and
with the form's own labels."""

import pytest
from django.core import mail

from onboarding import clients
from onboarding.models import OnboardingJob, OutboxMessage
from tenants.models import Tenant

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Fabrikam",
    "primary_domain": "fabrikam.example",
    "customer_admin_email": "admin@fabrikam.example",
    "proofpoint_stack": "us1",
    "default_role": "end_user",
    "sync_frequency_hours": "1",
}


def save(client, **changes):
    response = client.post("/tenants/new/", {**FORM, **changes})
    form = response.context["form"] if response.status_code == 200 else None
    return response, form


def test_a_good_tenant_saves_without_a_word(tech_client, portal_sandbox):
    response, _ = save(tech_client)
    assert (
        response.status_code == 302
        and Tenant.objects.filter(primary_domain="fabrikam.example").exists()
    )


def test_a_national_cloud_is_refused_next_to_the_domain(tech_client, portal_sandbox):
    response, form = save(
        tech_client,
        name="Contoso Gov",
        primary_domain="contoso-gov.example",
        customer_admin_email="admin@contoso-gov.example",
    )
    assert form is not None and not Tenant.objects.exists()
    [message] = form.errors["primary_domain"]
    assert "national cloud" in message and "cannot onboard this customer" in message
    assert "[" not in message


def test_a_domain_no_entra_tenant_uses(tech_client, portal_sandbox):
    _, form = save(
        tech_client,
        name="Nowhere",
        primary_domain="nowhere-at-all.example",
        customer_admin_email="it@nowhere-at-all.example",
    )
    assert (
        "No Microsoft 365 (Entra ID) tenant answers for nowhere-at-all.example"
        in form.errors["primary_domain"][0]
    )
    assert "Primary email domain" in form.errors["primary_domain"][0]  # the label the form shows


def test_a_missing_org_names_the_checkbox_by_its_label(tech_client, portal_sandbox):
    response, form = save(
        tech_client,
        name="Northwind",
        primary_domain="northwind.example",
        customer_admin_email="it@northwind.example",
    )
    [message] = form.errors["create_proofpoint_org"]
    assert 'Tick "Create the Proofpoint org"' in message
    assert (
        "Create the Proofpoint org" in response.content.decode()
    )  # the checkbox's label says the same


def test_ticking_create_saves_with_a_note_about_licences(tech_client, portal_sandbox, settings):
    settings.PROOFPOINT_NEW_ORG_USER_LICENSES = 0
    response = tech_client.post(
        "/tenants/new/",
        {
            **FORM,
            "name": "Northwind",
            "primary_domain": "northwind.example",
            "customer_admin_email": "it@northwind.example",
            "create_proofpoint_org": "on",
        },
        follow=True,
    )
    assert Tenant.objects.filter(primary_domain="northwind.example").exists()
    assert "start with no user licences" in response.content.decode()


def test_the_partner_must_be_allowed_to_create_the_org(tech_client, portal_sandbox, settings):
    settings.PROOFPOINT_PARTNER_DOMAIN = "fabrikam.example"  # a customer org, not a partner
    _, form = save(
        tech_client,
        name="Northwind",
        primary_domain="northwind.example",
        customer_admin_email="it@northwind.example",
        create_proofpoint_org="on",
    )
    assert "is not a partner organisation" in form.errors["create_proofpoint_org"][0]


def test_wrong_channel_admin_credentials_are_named_at_the_stack(
    tech_client, portal_sandbox, settings
):
    settings.PROOFPOINT_API_PASSWORD = "not-the-password"
    _, form = save(tech_client)
    assert "refused the portal's channel-admin API user" in form.errors["proofpoint_stack"][0]
    assert "Proofpoint stack" in form.errors["proofpoint_stack"][0]


def test_an_org_without_a_free_licence(tech_client, portal_sandbox):
    tenant = Tenant(name="Fabrikam", primary_domain="fabrikam.example", proofpoint_stack="us1")
    client = clients.proofpoint_client(tenant)
    org = client.get_org("fabrikam.example")
    free = int(org["user_licenses"]) - int(org.get("active_users") or 0)
    client.create_users(
        "fabrikam.example",
        [
            {
                "primary_email": f"filler{i}@fabrikam.example",
                "firstname": "Filler",
                "surname": str(i),
                "type": "end_user",
                "is_active": True,
                "send_welcome_email": False,
            }
            for i in range(free)
        ],
    )
    _, form = save(tech_client)
    [message] = form.non_field_errors()
    assert (
        "no licence is left for a new user" in message
        and "Add licences in the Proofpoint portal" in message
    )


def test_start_checks_again_before_any_email(tech_client, portal_sandbox, settings, technician):
    tenant = Tenant.objects.create(
        name="Contoso Gov",
        primary_domain="contoso-gov.example",
        customer_admin_email="admin@contoso-gov.example",
        created_by=technician,
    )
    response = tech_client.post(f"/tenants/{tenant.pk}/onboard/", follow=True)
    page = response.content.decode()
    assert "national cloud" in page and "edit the tenant" in page
    assert not OnboardingJob.objects.exists()
    assert mail.outbox == [] and not OutboxMessage.objects.exists()
