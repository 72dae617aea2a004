"""The login form: any username and password is answered with the form and a plain message; nobody
is
logged in by junk, and no session row is created for a failed attempt."""

from urllib.parse import urljoin, urlsplit

from axes.utils import reset as reset_lockouts
from django.contrib.sessions.models import Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.badinput.strategies import nasty_text
from tests.world import PASSWORD


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    username=st.one_of(nasty_text, st.just("alice")),
    password=nasty_text,
    extra=st.dictionaries(
        st.sampled_from(["next", "remember", "csrfmiddlewaretoken"]), nasty_text, max_size=2
    ),
)
def test_a_wrong_login_is_refused_with_a_message_and_no_session(
    client, technician, username, password, extra
):
    reset_lockouts()  # one test, 60 examples: else the lockout (tests/accounts) answers them
    sessions = Session.objects.count()
    response = client.post("/login/", {"username": username, "password": password, **extra})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    assert Session.objects.count() == sessions
    assert not response.wsgi_request.user.is_authenticated


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(next_url=nasty_text)
def test_the_next_parameter_never_sends_a_person_off_site(client, technician, next_url):
    response = client.post("/login/", {"username": "alice", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    target = urlsplit(urljoin("http://testserver/login/", response["Location"]))
    assert (target.scheme, target.netloc) == ("http", "testserver"), response["Location"]
    client.logout()


def test_an_off_site_next_is_ignored(client, technician):
    for evil in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "https:evil.example",
    ):
        response = client.post("/login/", {"username": "alice", "password": PASSWORD, "next": evil})
        assert response["Location"] == "/", evil
        client.logout()
