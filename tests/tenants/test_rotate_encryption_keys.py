"""`manage.py rotate_encryption_keys` re-encrypts every encrypted value with the newest key."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from onboarding import engine
from onboarding.models import ConsentLink
from tenants.models import EntraApplication

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608  test-only names
        return cursor.fetchone()[0]


def test_every_encrypted_value_moves_to_the_newest_key(settings, tenant_a, dispatched):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    app = EntraApplication.objects.create(
        tenant=tenant_a, unique_name="k", secret="Sbx~the-sync-secret"
    )
    job = engine.start_job(tenant_a)
    link = ConsentLink.objects.create(
        job=job,
        token_hash="h" * 64,
        token="the-link-token",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert "the-sync-secret" not in raw("tenants_entraapplication", "secret", app.pk)
    Fernet(old.encode()).decrypt(raw("tenants_entraapplication", "secret", app.pk).encode())

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")

    secret_ct = raw("tenants_entraapplication", "secret", app.pk)
    token_ct = raw("onboarding_consentlink", "token", link.pk)
    assert Fernet(new.encode()).decrypt(secret_ct.encode()) == b"Sbx~the-sync-secret"
    assert Fernet(new.encode()).decrypt(token_ct.encode()) == b"the-link-token"
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(secret_ct.encode())
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can go now
    assert EntraApplication.objects.get(pk=app.pk).secret == "Sbx~the-sync-secret"
    assert ConsentLink.objects.get(pk=link.pk).token == "the-link-token"
