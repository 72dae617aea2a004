"""The Django admin is for superusers, and never shows a stored secret."""

import pytest
from django.contrib.auth.models import User

from tenants.models import EntraApplication


@pytest.fixture
def admin_client(client, db):
    client.force_login(
        User.objects.create_superuser("root", "root@msp.example", "x-long-password-1")
    )
    return client


def test_staff_without_superuser_cannot_use_the_admin(tech_client):
    assert tech_client.get("/admin/").status_code == 302


def test_the_admin_never_shows_the_client_secret(admin_client, tenant_a):
    app = EntraApplication.objects.create(
        tenant=tenant_a, unique_name="k", client_id="c", secret="s3cr3t-Value~x"
    )
    page = admin_client.get(f"/admin/tenants/entraapplication/{app.pk}/change/").content.decode()
    assert "s3cr3t-Value~x" not in page
    assert "gAAAA" not in page  # nor its Fernet ciphertext


def test_the_secret_is_stored_encrypted(tenant_a):
    from django.db import connection

    EntraApplication.objects.create(tenant=tenant_a, unique_name="k", secret="s3cr3t-Value~x")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM tenants_entraapplication")
        stored = cursor.fetchone()[0]
    assert "s3cr3t" not in stored and stored.startswith("gAAAA")
    assert EntraApplication.objects.get().secret == "s3cr3t-Value~x"
