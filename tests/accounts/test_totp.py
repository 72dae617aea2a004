"""The TOTP second factor for password sign-ins (django-otp): enrolment with a QR code confirmed
by a real code, the code step at sign-in, wrong codes slowed down and locked out, and sign-ins
that do not use a password (Microsoft) left alone."""

from datetime import timedelta

import pytest
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from onboarding.models import AuditEvent
from tests.accounts.conftest import code_for, enrolled_device, password_sign_in
from tests.world import PASSWORD

LIMIT = 5


class ExternalBackend(BaseBackend):
    """Stands for a sign-in proved another way (Microsoft Entra ID, with its own MFA)."""

    def get_user(self, user_id):
        return User.objects.filter(pk=user_id).first()


class MicrosoftLikeBackend(ModelBackend):
    """Like accounts.backends.MicrosoftSignInBackend: a ModelBackend subclass, no password."""

    def authenticate(self, request, entra_user=None, **kwargs):
        return entra_user


def unthrottle(device: TOTPDevice) -> None:
    """Let django-otp's growing wait (1 s, 2 s, 4 s...) pass without sleeping through it."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(hours=1)
    )


def test_required_and_not_enrolled_means_enrolment_before_anything_else(mfa_required, technician):
    client, response = password_sign_in(technician)
    assert response.status_code == 302
    for path in ("/", "/tenants/", "/profile/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/profile/authenticator/"
        ), path
    api = client.get("/api/v1/tenants/")
    assert api.status_code == 403 and "authenticator" in api.json()["detail"]

    page = client.get("/profile/authenticator/?next=/tenants/")
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "Set up your authenticator app" in text
    assert 'href="/tenants/"' not in text, "no navigation while the step is due"
    assert "no-store" in page["Cache-Control"]
    assert "unsafe-inline" not in page["Content-Security-Policy"] and " style=" not in text
    device = TOTPDevice.objects.get(user=technician)
    assert not device.confirmed
    assert client.get("/profile/authenticator/").content.decode().count("<svg") == 1
    assert TOTPDevice.objects.filter(user=technician).count() == 1, (
        "a reload keeps the same QR code"
    )

    wrong = client.post(
        "/profile/authenticator/",
        {"otp_token": "000000" if code_for(device) != "000000" else "111111", "next": "/tenants/"},
    )
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed, "not counted before one valid code"
    throttled = client.post("/profile/authenticator/", {"otp_token": code_for(device)})
    assert (
        "wait" in throttled.content.decode() and not TOTPDevice.objects.get(pk=device.pk).confirmed
    )
    unthrottle(device)

    done = client.post(
        "/profile/authenticator/", {"otp_token": code_for(device), "next": "/tenants/"}
    )
    assert done.status_code == 302 and done["Location"] == "/tenants/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/tenants/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.totp_enrolled", actor=technician).exists()


def test_an_enrolled_user_signs_in_with_password_then_code(mfa_required, technician):
    device = enrolled_device(technician)
    client, response = password_sign_in(technician)
    assert response.status_code == 302
    response = client.get("/tenants/")
    assert response.status_code == 302 and response["Location"] == "/login/code/?next=%2Ftenants%2F"
    # Enrolling a new app is no way around the code.
    assert client.get("/profile/authenticator/")["Location"].startswith("/login/code/")
    page = client.get("/login/code/?next=/tenants/")
    assert page.status_code == 200 and "Enter your authenticator code" in page.content.decode()
    first_code = code_for(device)
    done = client.post(
        "/login/code/?next=/tenants/", {"otp_token": first_code, "next": "/tenants/"}
    )
    assert done.status_code == 302 and done["Location"] == "/tenants/"
    assert client.get("/tenants/").status_code == 200
    # A code works once: the next sign-in needs a fresh one (the next period's, here).
    other, _ = password_sign_in(technician)
    # The very same code (not "the current one": a 30 s period may have ended meanwhile).
    assert other.post("/login/code/", {"otp_token": first_code}).status_code == 400
    unthrottle(device)
    assert (
        other.post("/login/code/", {"otp_token": code_for(device, steps_ahead=1)}).status_code
        == 302
    )


def test_the_admin_asks_for_the_code_too(mfa_required, db):
    root = User.objects.create_superuser("root", "root@msp.example", PASSWORD)
    device = enrolled_device(root)
    client, response = password_sign_in(root, path="/admin/login/")
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == "/login/code/?next=%2Fadmin%2F"
    client.post("/login/code/", {"otp_token": code_for(device)})
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_makes_the_next_try_wait(mfa_required, technician):
    device = enrolled_device(technician)
    client, _ = password_sign_in(technician)
    assert (
        client.post("/login/code/", {"otp_token": "12345a"}).status_code == 200
    )  # not digits: form error
    bad = "000000" if code_for(device) != "000000" else "111111"
    response = client.post("/login/code/", {"otp_token": bad})
    assert response.status_code == 400 and "4 more wrong tries" in response.content.decode()
    response = client.post("/login/code/", {"otp_token": code_for(device)})
    assert response.status_code == 429 and "wait" in response.content.decode()
    assert client.get("/tenants/").status_code == 302


def test_wrong_codes_lock_the_account_out(mfa_required, technician):
    device = enrolled_device(technician)
    client, _ = password_sign_in(technician, address="203.0.113.7")
    bad = "000000" if code_for(device) != "000000" else "111111"
    for _ in range(LIMIT - 1):
        unthrottle(device)
        assert client.post("/login/code/", {"otp_token": bad}).status_code == 400
    unthrottle(device)
    response = client.post("/login/code/", {"otp_token": bad})
    assert response.status_code == 429
    assert "Too many failed sign-ins for this account" in response.content.decode()
    assert not client.get("/tenants/").wsgi_request.user.is_authenticated, "signed out"
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert "second-factor code" in event.description and event.ip_address == "203.0.113.7"
    # The password (and so a fresh code) is refused from there until the cool-off ends.
    assert password_sign_in(technician, address="203.0.113.7")[1].status_code == 429


@pytest.mark.parametrize("backend", ["ExternalBackend", "MicrosoftLikeBackend"])
def test_a_sign_in_without_a_password_skips_the_code(mfa_required, settings, technician, backend):
    path = f"tests.accounts.test_totp.{backend}"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, path]
    enrolled_device(technician)
    microsoft = Client()
    microsoft.force_login(technician, backend=path)
    assert microsoft.get("/tenants/").status_code == 200
    local = Client()
    local.force_login(technician, backend="accounts.backends.StaffPasswordBackend")
    assert local.get("/tenants/")["Location"].startswith("/login/code/")


def test_with_the_setting_off_only_enrolled_people_are_asked(settings, technician, manager):
    settings.STAFF_LOCAL_MFA_REQUIRED = False
    client, _ = password_sign_in(manager)
    assert client.get("/tenants/").status_code == 200, "password only for someone with no app"
    enrolled_device(technician)
    client, _ = password_sign_in(technician)
    assert client.get("/tenants/")["Location"].startswith("/login/code/")


def test_moving_to_a_new_phone_needs_a_code_from_the_new_one(mfa_required, technician):
    old = enrolled_device(technician)
    client, _ = password_sign_in(technician)
    client.post("/login/code/", {"otp_token": code_for(old)})
    assert client.get("/tenants/").status_code == 200
    page = client.get("/profile/authenticator/")
    assert page.status_code == 200 and "Set up a new authenticator app" in page.content.decode()
    new = TOTPDevice.objects.get(user=technician, confirmed=False)
    assert TOTPDevice.objects.get(pk=old.pk).confirmed, (
        "the old app works until the new one is confirmed"
    )
    response = client.post("/profile/authenticator/", {"otp_token": code_for(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=technician)) == [TOTPDevice.objects.get(pk=new.pk)]
    assert client.get("/tenants/").status_code == 200


@pytest.mark.parametrize("debug,expected", [("false", True), ("true", False)])
def test_the_default_follows_django_debug(debug, expected):
    import os
    import subprocess
    import sys

    from tests.worker import ROOT

    env = {
        "DJANGO_DEBUG": debug,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PATH": "/usr/bin:/bin",
        "VAR_DIR": os.environ.get("VAR_DIR", str(ROOT / "var" / "test")),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.STAFF_LOCAL_MFA_REQUIRED)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == str(expected)


def test_a_manager_resets_a_lost_authenticator(mfa_required, settings, technician, manager):
    path = "tests.accounts.test_totp.ExternalBackend"  # the manager signed in with Microsoft
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, path]
    manager_client = Client()
    manager_client.force_login(manager, backend=path)
    device = enrolled_device(technician)  # technicians cannot reset anyone's: test_profile.py
    assert "alice" in manager_client.get("/profile/sign-ins/").content.decode()
    assert (
        manager_client.post(f"/profile/sign-ins/authenticator/{technician.pk}/reset/").status_code
        == 302
    )
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(
        action="auth.totp_reset", description__contains="alice"
    ).exists()
    client, _ = password_sign_in(technician)
    assert client.get("/tenants/")["Location"].startswith("/profile/authenticator/"), (
        "sets up a new one"
    )
    assert (
        manager_client.post(f"/profile/sign-ins/authenticator/{technician.pk}/reset/").status_code
        == 404
    )
