"""Who may use the API: 401 without a good token, 403 without a role, and tokens are never shown."""

import pytest
from django.core.management import call_command

from accounts.api_tokens import ApiToken
from accounts.tokens import issue_token
from tests.onboarding.api.conftest import token_client

ENDPOINTS = ["/api/v1/tenants/", "/api/v1/onboardings/", "/api/schema/"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_missing_token_gets_401(anon_api, path):
    assert anon_api.get(path).status_code == 401


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_bad_token_gets_401(anon_api, path):
    anon_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anon_api.get(path)
    assert response.status_code == 401
    assert b"detail" in response.content


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_user_without_a_role_gets_403(outsider_api, path):
    assert outsider_api.get(path).status_code == 403


def test_an_inactive_user_is_refused(technician):
    client = token_client(technician)
    technician.is_active = False
    technician.save()
    assert client.get("/api/v1/tenants/").status_code in (401, 403)


def test_the_schema_and_docs_need_staff(tech_api, tech_client, outsider_client, client, db):
    assert tech_api.get("/api/schema/").status_code == 200
    assert tech_client.get("/api/docs/").status_code == 200
    assert outsider_client.get("/api/docs/").status_code == 403
    assert client.get("/api/schema/").status_code in (401, 403)


def test_create_api_token_prints_the_key_alone_on_the_last_line(technician, capsys):
    call_command("create_api_token", "alice")
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert token_client_for_key(first).get("/api/v1/tenants/").status_code == 200
    # Only a hash is stored, so the key cannot be printed again: a second run makes another token.
    call_command("create_api_token", "alice")
    second = capsys.readouterr().out.strip().splitlines()[-1]
    assert second != first and ApiToken.objects.filter(user=technician).count() == 2
    assert token_client_for_key(first).get("/api/v1/tenants/").status_code == 200
    call_command("create_api_token", "alice", "--replace")
    assert token_client_for_key(first).get("/api/v1/tenants/").status_code == 401


def token_client_for_key(key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_create_api_token_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody")


def test_no_user_can_read_anothers_token(tech_api, manager, technician, tenant_a):
    manager_key = issue_token(manager)[1]
    own_key = tech_api.token_key
    for path in [
        "/api/v1/tenants/",
        f"/api/v1/tenants/{tenant_a.pk}/",
        "/api/v1/onboardings/",
        "/api/schema/",
        "/api/v1/tokens/",
        "/api/v1/users/",
        "/api-token-auth/",
    ]:
        body = tech_api.get(path).content.decode()
        assert manager_key not in body and own_key not in body, path
    # The admin, where tokens live, is for superusers only.
    assert token_client(technician).get("/admin/authtoken/tokenproxy/").status_code != 200


def test_a_technician_token_cannot_do_what_only_a_manager_may(tech_api, tech_client):
    # Manager pages answer session logins only; a token alone is sent to log in, a technician
    # refused.
    for path in [
        "/dashboard/",
        "/webhooks/",
        "/audit/",
        "/dashboard/?export=csv",
        "/audit/?export=csv",
    ]:
        assert tech_api.get(path).status_code in (302, 403), path
        assert tech_client.get(path).status_code == 403, path
    assert tech_api.post("/webhooks/", {"url": "https://hooks.example/x"}).status_code in (302, 403)
    from notifications.models import Webhook

    assert not Webhook.objects.exists()
