"""Helpers for the accounts tests: real codes from a device's key, sign-in through the real form."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show for this device now (or `steps_ahead` periods later:
    a code is accepted once, so a second sign-in in the same 30 s uses the next period's)."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0 - steps_ahead * device.step,
        digits=device.digits,
        drift=device.drift,
    )
    return f"{value:0{device.digits}d}"


def enrolled_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def password_sign_in(
    user, password: str = PASSWORD, address: str = "127.0.0.1", path: str = "/login/"
):
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": user.get_username(), "password": password})
    return client, response


@pytest.fixture
def mfa_required(settings):
    settings.STAFF_LOCAL_MFA_REQUIRED = True
    return settings
