"""Staff sign-in against the real sandbox over HTTPS, with the real msal: the Django test client is
the portal's side, a `requests` session plays the browser on the sandbox's sign-in page. Also: real
TOTP codes from a device's key, and sign-in through the real form.

    def test_x(signin):
        response = signin.sign_in("tess.tech")     # the callback's response (not followed)
        signin.set_roles("tess.tech", [])          # what an Entra admin does
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.sandbox_fixtures import staff_signin_settings
from tests.world import PASSWORD


@dataclass
class Authorization:
    """What the sandbox sent the browser back with, before the portal has seen it."""

    client: Client
    path: str
    params: dict

    def callback(self, **changes):
        params = {**self.params, **changes}
        return self.client.get(f"{self.path}?{urlencode(params)}")


class SignIn:
    def __init__(self, admin, settings):
        self.admin = admin
        self.app = admin.sb.staff_signin
        for name, value in staff_signin_settings(admin.sb).items():
            setattr(settings, name, value)
        self.browser = requests.Session()
        self.browser.trust_env = False

    def person(self, username: str) -> dict:
        return next(p for p in self.app["users"] if p["upn"].split("@")[0] == username)

    def authorize(self, username: str, client: Client | None = None) -> Authorization:
        """Start on the portal, pick the account on the sandbox's page; stop before the callback."""
        client = client or Client()
        start = client.get("/login/microsoft/")
        assert start.status_code == 302, start.content[:500]
        page_url = start["Location"]
        assert page_url.startswith(self.admin.sb.login_browser_url), page_url
        page = self.browser.get(page_url)
        assert page.status_code == 200 and "Pick an account" in page.text, page.text[:500]
        answer = self.browser.post(page_url, data={"login": username}, allow_redirects=False)
        assert answer.status_code == 302, answer.text[:800]
        back = urlsplit(answer.headers["Location"])
        return Authorization(client, back.path, dict(parse_qsl(back.query)))

    def sign_in(self, username: str, client: Client | None = None):
        return self.authorize(username, client).callback()

    def set_roles(self, username: str, roles: list[str]) -> None:
        response = self.admin.http.post(
            f"{self.admin.sb.login_url}/_sandbox/staff", json={"user": username, "roles": roles}
        )
        response.raise_for_status()


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    """Every test here signs in from one address; test_rate_limit turns the limit back on."""
    settings.RATELIMIT_ENABLE = False


@pytest.fixture
def signin(portal_sandbox, settings, db) -> SignIn:
    return SignIn(portal_sandbox, settings)


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
