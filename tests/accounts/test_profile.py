"""The profile page: who may see it, what it shows (never a key after creation), creating and
revoking one's own API tokens with a Bootstrap confirmation, and the authenticator section."""

import re

import pytest

from accounts.api_tokens import ApiToken
from accounts.tokens import issue_token
from tests.accounts.conftest import code_for, enrolled_device

PAGES = [
    ("get", "/profile/"),
    ("post", "/profile/tokens/"),
    ("post", "/profile/tokens/1/revoke/"),
    ("get", "/profile/authenticator/"),
    ("post", "/profile/authenticator/"),
    ("get", "/login/code/"),
    ("get", "/profile/sign-ins/"),
    ("post", "/profile/sign-ins/unlock/1/"),
    ("post", "/profile/sign-ins/authenticator/1/reset/"),
]


@pytest.mark.parametrize("method,path", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, db, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("method,path", PAGES)
def test_people_without_a_role_are_refused(outsider_client, method, path):
    assert getattr(outsider_client, method)(path).status_code == 403
    assert not ApiToken.objects.exists()


def test_the_page_shows_name_role_and_tokens_but_no_key(technician, tech_client):
    technician.first_name, technician.last_name = "Alice", "Archer"
    technician.save()
    token, key = issue_token(technician, name="PSA sync")
    response = tech_client.get("/profile/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Alice Archer" in text and "Technician" in text and "PSA sync" in text
    assert key not in text and token.digest not in text
    assert f"{token.created:%Y-%m-%d}" in text and f"{token.expiry:%Y-%m-%d}" in text
    assert "never" in text  # not used yet
    assert "no-store" in response["Cache-Control"]


def test_a_manager_sees_the_manager_role_and_the_staff_sign_ins_page(manager_client, tech_client):
    text = manager_client.get("/profile/").content.decode()
    assert "Manager" in text and 'href="/profile/sign-ins/"' in text
    assert 'href="/profile/sign-ins/"' not in tech_client.get("/profile/").content.decode()


def test_the_navbar_links_to_the_profile(tech_client):
    assert 'href="/profile/"' in tech_client.get("/tenants/").content.decode()


def test_revoking_asks_in_a_bootstrap_modal_not_window_confirm(technician, tech_client):
    token, _ = issue_token(technician, name="old script")
    text = tech_client.get("/profile/").content.decode()
    assert f'data-bs-target="#revoke-{token.pk}"' in text
    modal = re.search(
        rf'<div class="modal fade[^"]*" id="revoke-{token.pk}".*?</form>', text, re.S
    ).group(0)
    assert f'action="/profile/tokens/{token.pk}/revoke/"' in modal and 'method="post"' in modal
    assert "data-confirm" not in text and "confirm(" not in text


def test_the_new_key_comes_with_a_copy_button(tech_client):
    text = tech_client.post("/profile/tokens/", {"name": "n8n"}).content.decode()
    assert 'data-copy-target="new-token-key"' in text
    assert "/static/accounts/profile.js" in text and "<script>" not in text
    assert "will not be shown again" in text


@pytest.mark.parametrize(
    "days,message",
    [
        ("0", "greater than or equal to 1"),
        ("abc", "whole number"),
        ("99999", "less than or equal to 3650"),
    ],
)
def test_a_bad_lifetime_is_explained_next_to_the_field(tech_client, days, message):
    response = tech_client.post("/profile/tokens/", {"name": "x", "days": days})
    assert response.status_code == 400 and message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_too_long_name_is_refused_not_a_500(tech_client):
    response = tech_client.post("/profile/tokens/", {"name": "x" * 500})
    assert response.status_code == 400 and "at most 100 characters" in response.content.decode()


def test_the_authenticator_section_offers_set_up_or_move(technician, tech_client):
    assert "Set up an authenticator app" in tech_client.get("/profile/").content.decode()
    device = enrolled_device(technician)
    assert tech_client.get("/profile/")["Location"].startswith("/login/code/"), "a password session"
    tech_client.post("/login/code/", {"otp_token": code_for(device)})
    assert "Move to a new phone or app" in tech_client.get("/profile/").content.decode()


def test_technicians_may_not_unlock_or_reset_anyone(technician, manager, tech_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = enrolled_device(manager)
    assert tech_client.get("/profile/sign-ins/").status_code == 403
    assert (
        tech_client.post(f"/profile/sign-ins/authenticator/{manager.pk}/reset/").status_code == 403
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
