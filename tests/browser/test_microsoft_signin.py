"""A manager signs in with Microsoft in a real Chromium: the portal's login page, the sandbox's
"Pick an account" page on its browser front, back to the portal's dashboard; the strict CSP raises
no complaint, and gunicorn's access log holds the callback with its code and state masked."""

import re

import pytest

from accounts.models import EntraIdentity
from tenants.roles import MANAGERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_signs_in_with_microsoft_and_reaches_the_dashboard(
    portal, page, browser_problems
):
    callbacks = []
    page.on(
        "request",
        lambda r: callbacks.append(r.url) if "/login/microsoft/callback/" in r.url else None,
    )
    page.goto(portal.url("/login/"))
    portal.snap(page, "signin-01-login-page")
    with page.expect_navigation():
        page.click("text=Sign in with Microsoft")
    assert page.url.startswith(portal.sandbox.login_browser_url + "/")
    assert "/oauth2/v2.0/authorize?" in page.url and "code_challenge_method=S256" in page.url
    portal.snap(page, "signin-02-pick-an-account")

    with page.expect_navigation(url=re.compile(r".*/dashboard/$")):
        page.click("button:has-text('Max Manager')")
    assert page.locator("h1").first.inner_text() == "Dashboard"
    assert "max.manager@contoso-msp.example" in page.locator("nav").inner_text()
    portal.snap(page, "signin-03-dashboard")

    link = EntraIdentity.objects.select_related("user").get()
    assert link.user.groups.filter(name=MANAGERS).exists()
    assert browser_problems == [], browser_problems

    assert callbacks, "the browser never came back to the callback"
    code = re.search(r"[?&]code=([^&]+)", callbacks[0]).group(1)
    state = re.search(r"[?&]state=([^&]+)", callbacks[0]).group(1)
    log = portal.server.output()
    assert "/login/microsoft/callback/?code=[masked]" in log
    assert code not in log and state not in log
