"""Repeated failed sign-ins lock the account from that address (django-axes), on the login page and
in the Django admin, with a page that says what happened and an audit event."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from onboarding.models import AuditEvent
from tests.accounts.conftest import password_sign_in
from tests.world import PASSWORD

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


def wrong(client: Client, username: str = "alice", path: str = "/login/"):
    return client.post(path, {"username": username, "password": "not-the-password"})


def test_sixty_wrong_passwords_are_not_all_answered_200(technician):
    client = Client()
    answers = [wrong(client).status_code for _ in range(60)]
    assert answers[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert set(answers[LIMIT - 1 :]) == {429}


def test_the_login_page_locks_the_account_with_a_clear_message(technician):
    client = Client()
    for _ in range(LIMIT - 1):
        response = wrong(client)
        assert response.status_code == 200 and "did not match" in response.content.decode()
    response = wrong(client)
    text = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in text
    assert "try again in 15 minutes" in text.lower() and "ask a manager" in text
    assert int(response["Retry-After"]) == 15 * 60
    assert "Content-Security-Policy" in response  # a real page of the portal, not a bare answer
    # Now even the right password is refused, and nobody is signed in.
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert not response.wsgi_request.user.is_authenticated
    assert client.get("/tenants/").status_code == 302


def test_one_audit_event_when_the_lockout_starts(technician):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT + 3):
        wrong(client)
    events = AuditEvent.objects.filter(action="auth.locked_out")
    assert events.count() == 1
    event = events.get()
    assert "'alice'" in event.description and "15 minutes" in event.description
    assert "wrong password" in event.description
    assert event.ip_address == "203.0.113.7" and event.actor is None


def test_the_lock_is_for_that_account_from_that_address(technician, manager):
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        wrong(attacker)
    _, elsewhere = password_sign_in(technician, address="198.51.100.9")
    assert elsewhere.status_code == 302, "alice at her own desk is not locked out by someone else"
    _, other_account = password_sign_in(manager, address="203.0.113.7")
    assert other_account.status_code == 302


def test_the_lock_ends_after_the_cool_off(technician):
    client = Client()
    for _ in range(LIMIT):
        wrong(client)
    assert password_sign_in(technician)[1].status_code == 429
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=16)
        attempt.save()
    assert password_sign_in(technician)[1].status_code == 302


@pytest.mark.parametrize("limit,minutes", [(3, 2)])
def test_the_limit_and_cool_off_come_from_the_settings(settings, technician, limit, minutes):
    settings.AXES_FAILURE_LIMIT = limit
    settings.AXES_COOLOFF_TIME = timedelta(minutes=minutes)
    settings.LOGIN_COOLOFF_MINUTES = minutes
    client = Client()
    assert [wrong(client).status_code for _ in range(limit)] == [200] * (limit - 1) + [429]
    assert f"try again in {minutes} minutes" in wrong(client).content.decode().lower()


def test_the_admin_login_locks_out_too(db):
    User.objects.create_superuser("root", "root@msp.example", PASSWORD)
    client = Client()
    for _ in range(LIMIT - 1):
        assert wrong(client, "root", "/admin/login/").status_code == 200
    response = wrong(client, "root", "/admin/login/")
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.content.decode()
    response = client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert "Django admin" in event.description


def test_a_huge_username_is_a_wrong_login_not_a_500(technician):
    client = Client()
    for _ in range(2):
        response = client.post("/login/", {"username": "x" * 5000, "password": "whatever"})
        assert response.status_code == 200 and "did not match" in response.content.decode()


def test_a_manager_sees_and_lifts_a_lockout(technician, manager_client, tech_client):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(LIMIT):
        wrong(client)
    assert tech_client.get("/profile/sign-ins/").status_code == 403
    page = manager_client.get("/profile/sign-ins/").content.decode()
    assert "alice" in page and "203.0.113.7" in page
    attempt = AccessAttempt.objects.get()
    assert tech_client.post(f"/profile/sign-ins/unlock/{attempt.pk}/").status_code == 403
    assert manager_client.post(f"/profile/sign-ins/unlock/{attempt.pk}/").status_code == 302
    assert password_sign_in(technician, address="203.0.113.7")[1].status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.unlocked", description__contains="'alice'"
    ).exists()
    assert manager_client.post(f"/profile/sign-ins/unlock/{attempt.pk}/").status_code == 404
