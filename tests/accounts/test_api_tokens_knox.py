"""Personal API tokens are stored hashed (django-rest-knox), shown once, expire, record their last
use, can be revoked, and the plain-text tokens from before (rest_framework.authtoken) still work."""

import binascii
import hashlib
import importlib
import os
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_tokens import ApiToken
from accounts.tokens import issue_token
from onboarding.models import AuditEvent
from tests.world import client_for

MIGRATION = importlib.import_module("accounts.migrations.0003_api_tokens_from_authtoken")


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def created_on_profile(client, **data) -> tuple[str, object]:
    response = client.post("/profile/tokens/", {"name": "PSA sync", **data})
    assert response.status_code == 200, response.content[:500]
    key = re.search(r'id="new-token-key" value="([0-9a-f]+)"', response.content.decode()).group(1)
    return key, response


def every_stored_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return repr(cursor.fetchall())


def test_a_token_is_shown_once_and_the_database_holds_only_its_hash(technician, tech_client):
    key, response = created_on_profile(tech_client)
    assert len(key) == 64  # knox's format: 64 hex characters
    assert "no-store" in response["Cache-Control"]
    assert api(key).get("/api/v1/tenants/").status_code == 200
    token = ApiToken.objects.get(user=technician)
    assert token.digest == hashlib.sha512(key.encode()).hexdigest()
    assert key not in every_stored_text(ApiToken._meta.db_table)
    assert token.token_key == key[:15]  # knox's lookup prefix: not enough to use the token
    again = tech_client.get("/profile/")
    assert key not in again.content.decode() and "PSA sync" in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_tokens_expire_after_api_token_days(settings, technician):
    settings.API_TOKEN_DAYS = 30
    token, key = issue_token(technician)
    assert abs(token.expiry - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert api(key).get("/api/v1/tenants/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = api(key).get("/api/v1/tenants/")
    assert response.status_code == 401 and "detail" in response.json()
    assert ApiToken.objects.filter(pk=token.pk).exists(), (
        "still listed (as expired) on the profile page"
    )
    assert "expired" in client_for(technician).get("/profile/").content.decode()


def test_the_profile_form_takes_a_lifetime_in_days(technician, tech_client):
    created_on_profile(tech_client, days="7")
    token = ApiToken.objects.get(user=technician)
    assert abs(token.expiry - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_last_used_is_recorded_but_not_at_every_request(settings, technician):
    settings.API_TOKEN_LAST_USED_EVERY_SECONDS = 60
    token, key = issue_token(technician)
    assert token.last_used is None
    assert api(key).get("/api/v1/tenants/").status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used
    assert first is not None and timezone.now() - first < timedelta(seconds=30)
    recent = timezone.now() - timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used=recent)
    api(key).get("/api/v1/tenants/")
    assert ApiToken.objects.get(pk=token.pk).last_used == recent, "written again within a minute"
    ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now() - timedelta(minutes=2))
    api(key).get("/api/v1/tenants/")
    assert timezone.now() - ApiToken.objects.get(pk=token.pk).last_used < timedelta(seconds=30)


def test_a_revoked_token_answers_401(technician, tech_client):
    key, _ = created_on_profile(tech_client)
    token = ApiToken.objects.get(user=technician)
    response = tech_client.post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api(key).get("/api/v1/tenants/").status_code == 401
    assert "Revoked" in tech_client.get("/profile/").content.decode()


def test_nobody_revokes_someone_elses_token(manager, tech_client, manager_client):
    token, key = issue_token(manager)
    assert tech_client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 404
    assert tech_client.get(f"/profile/tokens/{token.pk}/revoke/").status_code == 405
    assert api(key).get("/api/v1/tenants/").status_code == 200


def test_a_wrong_key_or_header_form_is_401(technician):
    _, key = issue_token(technician)
    assert (
        api(key[:-1] + ("0" if key[-1] != "0" else "1")).get("/api/v1/tenants/").status_code == 401
    )
    assert api(key[:15]).get("/api/v1/tenants/").status_code == 401
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert bearer.get("/api/v1/tenants/").status_code == 401


# --- the tokens from before: rest_framework.authtoken kept 40-hex-character keys in plain text ---


@pytest.fixture
def old_token_table(db):
    """The table rest_framework.authtoken created (migration 0001..0004), with one row per user."""
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE authtoken_token ("key" varchar(40) PRIMARY KEY, '
            "created timestamp with time zone NOT NULL, user_id integer NOT NULL UNIQUE)"
        )
    return "authtoken_token"


def old_key() -> str:
    return binascii.hexlify(os.urandom(20)).decode()  # what rest_framework.authtoken's Token made


def historical_apps():
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(("accounts", "0003_api_tokens_from_authtoken")).apps


def test_old_tokens_keep_working_after_the_migration(old_token_table, technician, manager):
    keys = {technician: old_key(), manager: old_key()}
    created = timezone.now() - timedelta(days=100)
    with connection.cursor() as cursor:
        for user, key in keys.items():
            cursor.execute(
                'INSERT INTO authtoken_token ("key", created, user_id) VALUES (%s, %s, %s)',
                [key, created, user.pk],
            )
    moved = MIGRATION.copy_old_tokens(historical_apps(), SimpleNamespace(connection=connection))
    assert moved == 2
    for user, key in keys.items():
        assert api(key).get("/api/v1/tenants/").status_code == 200, (
            "the script's old key still works"
        )
        token = ApiToken.objects.get(user=user)
        assert token.digest == hashlib.sha512(key.encode()).hexdigest()
        assert abs(token.created - created) < timedelta(seconds=1)
        assert token.expiry > timezone.now() + timedelta(days=300)
    # The plain-text keys are gone from the database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    stored = every_stored_text(ApiToken._meta.db_table)
    assert not any(key in stored for key in keys.values())
    # Running it again moves nothing and breaks nothing.
    assert MIGRATION.copy_old_tokens(historical_apps(), SimpleNamespace(connection=connection)) == 0
    assert ApiToken.objects.count() == 2


def test_the_migration_does_nothing_where_the_old_app_never_ran(db):
    assert MIGRATION.copy_old_tokens(historical_apps(), SimpleNamespace(connection=connection)) == 0


def test_create_api_token_prints_a_working_key_alone_on_the_last_line(technician, capsys):
    from django.core.management import call_command

    call_command("create_api_token", "alice")
    captured = capsys.readouterr()
    key = captured.out.strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert api(key).get("/api/v1/tenants/").status_code == 200
    assert key not in captured.err
    assert ApiToken.objects.get(user=technician).name == "created with create_api_token"
    event = AuditEvent.objects.get(action="api_token.created")
    assert (
        "alice" in event.description
        and event.actor_label == "system"
        and key not in event.description
    )
