"""STAFF_SIGNIN_REQUIRED: local passwords refused except for STAFF_BREAK_GLASS_USERS, whatever login
view is used (the backend decides); the login page offers "Sign in with Microsoft" and says why."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory

from tests.world import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.STAFF_SIGNIN_REQUIRED = True
    settings.STAFF_BREAK_GLASS_USERS = ["Breakglass"]


def post_login(username: str):
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    return client, response


def test_without_the_policy_passwords_work(settings):
    make_user("alice", "Technicians")
    client, response = post_login("alice")
    assert response.status_code == 302 and client.session.get("_auth_user_id")


def test_with_the_policy_a_password_is_refused_and_the_page_says_why(required):
    make_user("alice", "Technicians")
    client, response = post_login("alice")
    assert response.status_code == 200
    assert not client.session.get("_auth_user_id")
    assert 'id="password-signin-refused"' in response.content.decode()
    request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.0.1")
    assert (
        authenticate(request, username="alice", password=PASSWORD) is None
    )  # any view, not this one


def test_with_the_policy_a_break_glass_user_still_signs_in(required):
    make_user("breakglass", "Managers")
    client, response = post_login("breakglass")
    assert response.status_code == 302 and client.session.get("_auth_user_id")


def test_the_admin_login_obeys_the_policy_too(required):
    user = make_user("root")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert not client.session.get("_auth_user_id")


def test_the_login_page_shows_the_microsoft_button_only_when_configured(settings):
    page = Client().get("/login/").content.decode()
    assert "Sign in with Microsoft" not in page
    settings.STAFF_SIGNIN_TENANT_ID = "67088e90-14f1-59e9-8a61-e9f82ad33052"
    settings.STAFF_SIGNIN_CLIENT_ID = "01076832-e262-5246-a2b6-d35467d9b278"
    settings.STAFF_SIGNIN_CLIENT_SECRET = "not-rendered-secret"
    page = Client().get("/login/?next=/help/").content.decode()
    assert 'href="/login/microsoft/?next=/help/"' in page and "Sign in with Microsoft" in page
    assert "not-rendered-secret" not in page


def test_the_required_note_is_on_the_login_page(required):
    assert 'id="signin-required-note"' in Client().get("/login/").content.decode()


def test_microsoft_sign_in_unconfigured_says_so():
    response = Client().get("/login/microsoft/")
    assert response.status_code == 404 and "not set up" in response.content.decode()


def test_the_help_page_shows_the_exact_redirect_uri(tech_client, settings):
    page = tech_client.get("/help/").content.decode()
    expected = f"{settings.PORTAL_BASE_URL}/login/microsoft/callback/"
    assert f'<code class="fs-6" id="staff-signin-redirect-uri">{expected}</code>' in page


def test_a_domain_instead_of_a_tenant_id_is_flagged(settings):
    from accounts.checks import check_staff_signin

    settings.STAFF_SIGNIN_TENANT_ID = "contoso-msp.example"
    assert "accounts.W004" in [problem.id for problem in check_staff_signin(None)]
