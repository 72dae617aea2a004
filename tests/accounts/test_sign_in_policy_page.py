"""The managers' switch: require Microsoft sign-in for everyone except named break-glass accounts,
stored in the database; the environment's STAFF_SIGNIN_REQUIRED overrules it."""

import pytest
from django.test import Client

from accounts.models import SignInPolicy
from onboarding.models import AuditEvent
from tests.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings):
    settings.STAFF_SIGNIN_TENANT_ID = "67088e90-14f1-59e9-8a61-e9f82ad33052"
    settings.STAFF_SIGNIN_CLIENT_ID = "01076832-e262-5246-a2b6-d35467d9b278"
    settings.STAFF_SIGNIN_CLIENT_SECRET = "secret"


def password_login(username: str) -> bool:
    client = Client()
    client.post("/login/", {"username": username, "password": PASSWORD})
    return bool(client.session.get("_auth_user_id"))


def test_only_managers_see_the_page(tech_client, manager_client):
    assert tech_client.get("/sign-in-policy/").status_code == 403
    assert manager_client.get("/sign-in-policy/").status_code == 200


def test_a_manager_requires_microsoft_sign_in_except_for_break_glass(
    configured, manager_client, technician
):
    make_user("glass", "Managers")
    response = manager_client.post(
        "/sign-in-policy/", {"microsoft_required": "on", "break_glass_users": "glass"}
    )
    assert response.status_code == 302
    policy = SignInPolicy.current()
    assert policy.microsoft_required and policy.usernames() == ["glass"]
    assert AuditEvent.objects.filter(action="staff_signin_policy", actor_label="mandy").exists()
    assert not password_login(technician.username)
    assert password_login("glass")
    assert 'id="signin-required-note"' in Client().get("/login/").content.decode()

    manager_client.post("/sign-in-policy/", {"break_glass_users": "glass"})  # switched off again
    assert password_login(technician.username)


def test_it_cannot_be_required_before_microsoft_sign_in_is_set_up(manager_client):
    make_user("glass")
    response = manager_client.post(
        "/sign-in-policy/", {"microsoft_required": "on", "break_glass_users": "glass"}
    )
    assert response.status_code == 200
    assert "not set up on this portal" in response.content.decode()
    assert not SignInPolicy.current().microsoft_required


def test_break_glass_accounts_must_exist_and_one_is_needed(configured, manager_client):
    response = manager_client.post(
        "/sign-in-policy/", {"microsoft_required": "on", "break_glass_users": "nobody"}
    )
    assert "No active local account is named nobody" in response.content.decode()
    response = manager_client.post("/sign-in-policy/", {"microsoft_required": "on"})
    assert "Name at least one break-glass account" in response.content.decode()
    assert not SignInPolicy.objects.exists()


def test_the_environment_overrules_the_page(configured, settings, manager_client, manager):
    settings.STAFF_SIGNIN_REQUIRED = True
    settings.STAFF_BREAK_GLASS_USERS = ["root"]
    page = manager_client.get("/sign-in-policy/").content.decode()
    assert 'id="policy-from-environment"' in page and "root" in page
    manager_client.post("/sign-in-policy/", {"break_glass_users": "mandy"})
    assert not SignInPolicy.objects.exists()
    assert not password_login("mandy")
