"""Sign in with Microsoft against the sandbox's identity platform over HTTPS, with the real msal and
PyJWT: roles from the token, the 403 without a role, another tenant's account refused and audited,
replayed or altered state and code, an expired id token, a role removed in Entra, link by oid."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.middleware import SESSION_KEY
from accounts.models import EntraIdentity
from onboarding.models import AuditEvent
from tenants.roles import MANAGERS, TECHNICIANS

pytestmark = pytest.mark.django_db


def groups_of(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_a_technician_gets_the_role_from_the_token(signin):
    client = Client()
    response = signin.sign_in("tess.tech", client)
    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_user(client)
    person = signin.person("tess.tech")
    assert user.entra_identity.object_id == person["oid"]
    assert user.entra_identity.tenant_id == signin.app["tenant_id"]
    assert groups_of(user) == {TECHNICIANS}
    assert not user.has_usable_password()
    assert client.get("/")["Location"] == "/tenants/"  # the technician's home
    event = AuditEvent.objects.get(action="staff_signin")
    assert event.actor == user and "Technician" in event.description


def test_a_manager_gets_the_manager_role_and_the_dashboard(signin):
    client = Client()
    assert signin.sign_in("max.manager", client).status_code == 302
    user = signed_in_user(client)
    assert groups_of(user) == {MANAGERS}
    assert client.get("/")["Location"] == "/dashboard/"


def test_the_session_of_a_microsoft_sign_in_ends_after_the_configured_hours(signin, settings):
    settings.STAFF_SESSION_HOURS = 2
    client = Client()
    before = time.time()
    signin.sign_in("tess.tech", client)
    until = client.session[SESSION_KEY]
    assert before + 2 * 3600 - 5 <= until <= time.time() + 2 * 3600
    assert client.get("/tenants/").status_code == 200
    session = client.session
    session[SESSION_KEY] = time.time() - 1  # two hours later
    session.save()
    response = client.get("/tenants/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert signed_in_user(client) is None


def test_no_role_gives_a_403_page_saying_whom_to_ask(signin):
    client = Client()
    response = signin.sign_in("nico.norole", client)
    assert response.status_code == 403
    text = response.content.decode()
    assert "Entra administrator" in text and "Technician" in text
    assert signed_in_user(client) is None
    assert not EntraIdentity.objects.exists() and not User.objects.exists()
    assert AuditEvent.objects.filter(action="staff_signin_no_role").count() == 1


def test_a_customer_tenant_account_is_stopped_by_entra_for_a_single_tenant_app(signin):
    """What Entra does by default (AADSTS50020): the portal never even gets a code."""
    start = Client().get("/login/microsoft/")
    page = signin.browser.post(
        start["Location"], data={"login": "it-admin@fabrikam.example"}, allow_redirects=False
    )
    assert page.status_code == 400 and "AADSTS50020" in page.text


def test_a_token_from_a_customer_tenant_is_refused_and_audited(signin, portal_sandbox):
    """Should a customer's token reach the callback (a misregistered app), the tid check holds."""
    portal_sandbox.knobs(signin_foreign_tenant_tokens=True)
    client = Client()
    response = signin.sign_in("it-admin", client)
    assert response.status_code == 403
    assert "another organization" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists()
    event = AuditEvent.objects.get(action="staff_signin_wrong_tenant")
    assert signin.person("it-admin")["tenant_id"] in event.description
    assert "it-admin@fabrikam.example" in event.description


def test_a_replayed_callback_is_refused(signin):
    first = Client()
    answer = signin.authorize("tess.tech", first)
    assert answer.callback().status_code == 302
    again = answer.callback()  # the same URL a second time (browser history, a leaked log line)
    assert again.status_code == 400 and "expired or was already used" in again.content.decode()
    stranger = Client()  # the same answer in another browser: no sign-in was started there
    code, state = answer.params["code"], answer.params["state"]
    replay = stranger.get(f"{answer.path}?code={code}&state={state}")
    assert replay.status_code == 400
    assert signed_in_user(stranger) is None


def test_a_replayed_code_is_refused_by_the_token_endpoint(signin):
    used = signin.authorize("tess.tech")
    assert used.callback().status_code == 302
    client = Client()
    fresh = signin.authorize("max.manager", client)
    response = fresh.callback(code=used.params["code"])  # right state, already-redeemed code
    assert response.status_code == 400
    assert "already redeemed" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_altered_state_is_refused(signin):
    client = Client()
    answer = signin.authorize("tess.tech", client)
    response = answer.callback(state=answer.params["state"] + "x")
    assert response.status_code == 400 and "state mismatch" in response.content.decode()
    assert signed_in_user(client) is None
    assert answer.callback().status_code == 400  # the attempt is spent: start again
    assert AuditEvent.objects.filter(action="staff_signin_refused").count() == 2


def test_an_altered_code_is_refused(signin):
    client = Client()
    answer = signin.authorize("tess.tech", client)
    response = answer.callback(code=answer.params["code"][:-3] + "xyz")
    assert response.status_code == 400
    assert "did not complete" in response.content.decode()
    assert signed_in_user(client) is None


def test_a_callback_without_state_is_refused(signin):
    client = Client()
    answer = signin.authorize("tess.tech", client)
    response = client.get(f"{answer.path}?code={answer.params['code']}")
    assert response.status_code == 400
    assert signed_in_user(client) is None


def test_cancelling_on_the_microsoft_page_comes_back_as_a_clear_page(signin):
    client = Client()
    start = client.get("/login/microsoft/")
    back = signin.browser.post(
        start["Location"], data={"decision": "cancel"}, allow_redirects=False
    )
    assert "error=access_denied" in back.headers["Location"]
    response = client.get(back.headers["Location"].split("127.0.0.1:8000", 1)[1])
    assert response.status_code == 400
    assert "User declined" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_expired_id_token_is_refused(signin, portal_sandbox):
    portal_sandbox.knobs(signin_time_shift_s=-2 * 3600)  # issued two hours ago: expired an hour ago
    client = Client()
    response = signin.sign_in("tess.tech", client)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.exists()


def test_a_not_yet_valid_id_token_is_refused(signin, portal_sandbox):
    portal_sandbox.knobs(signin_time_shift_s=3600)
    response = signin.sign_in("tess.tech")
    assert response.status_code == 400 and "not valid yet" in response.content.decode()


def test_a_role_removed_in_entra_takes_effect_at_the_next_sign_in(signin):
    assert signin.sign_in("tess.tech").status_code == 302
    user = EntraIdentity.objects.get().user
    assert groups_of(user) == {TECHNICIANS}

    signin.set_roles("tess.tech", ["Manager"])
    assert signin.sign_in("tess.tech").status_code == 302
    assert groups_of(user) == {MANAGERS}

    signin.set_roles("tess.tech", [])
    client = Client()
    response = signin.sign_in("tess.tech", client)
    assert response.status_code == 403
    assert groups_of(user) == set()  # the group is gone, not just this sign-in refused
    assert signed_in_user(client) is None
    assert EntraIdentity.objects.count() == 1


def test_the_first_sign_in_creates_a_user_linked_by_oid_never_by_email(signin):
    person = signin.person("tess.tech")
    local = User.objects.create_user(person["upn"], email=person["upn"], password="local-pass-123")
    client = Client()
    assert signin.sign_in("tess.tech", client).status_code == 302
    user = signed_in_user(client)
    assert user != local  # same username and e-mail, but not the same person to the portal
    assert user.username == f"{person['upn']}-2"
    assert user.entra_identity.object_id == person["oid"]
    assert user.first_name == "Tess" and user.last_name == "Technician"
    local.refresh_from_db()
    assert local.check_password("local-pass-123") and not hasattr(local, "entra_identity")
    assert not groups_of(local)

    again = Client()
    assert signin.sign_in("tess.tech", again).status_code == 302
    assert signed_in_user(again) == user
    assert User.objects.count() == 2


def test_next_is_kept_through_the_sign_in(signin):
    client = Client()
    start = client.get("/login/microsoft/?next=/help/")
    assert start.status_code == 302
    client2 = Client()
    assert client2.get("/login/microsoft/?next=https://evil.example/").status_code == 302
    assert client2.session["staff_signin_flow"]["next"] == ""
    assert client.session["staff_signin_flow"]["next"] == "/help/"


def test_the_public_sign_in_views_are_rate_limited_per_address(signin, settings):
    from django.core.cache import cache

    settings.RATELIMIT_ENABLE = True
    cache.clear()
    client = Client()
    answers = [
        client.get("/login/microsoft/callback/?code=x&state=y").status_code for _ in range(31)
    ]
    cache.clear()
    assert answers[:30] == [400] * 30 and answers[30] == 429
    assert AuditEvent.objects.filter(action="staff_signin_refused").count() == 30
