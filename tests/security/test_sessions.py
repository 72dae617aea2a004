"""Sessions end when the browser closes and, at the latest, after a working day."""

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.world import PASSWORD

WORKING_DAY = 12 * 3600


def logged_in(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def test_the_session_cookie_dies_with_the_browser(technician):
    cookie = logged_in(technician).cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"], (
        "a persistent cookie outlives the browser"
    )
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_server_forgets_a_session_within_a_working_day(technician):
    client = logged_in(technician)
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.expire_date <= timezone.now() + timedelta(seconds=WORKING_DAY + 60)


def test_an_expired_session_is_sent_back_to_log_in(technician):
    client = logged_in(technician)
    assert client.get("/tenants/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/tenants/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logging_out_ends_the_session_on_the_server(technician):
    client = logged_in(technician)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
