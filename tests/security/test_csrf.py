"""Every POST needs a CSRF token, for every kind of person, on every route the URL configuration
has.

The test walks the URL configuration (as tests/security/test_access.py does), so a new view that is
marked csrf_exempt, or a new area that forgets the middleware, fails here. The REST API is the one
designed exception: a request that proves itself with `Authorization: Token ...` carries no cookie a
hostile page could ride on, so DRF skips CSRF for it; a session-authenticated API POST still needs
it.
"""

import pytest
from django.test import Client

from accounts.tokens import issue_token
from tests.security.routes import api_routes, walk
from tests.security.routes import concrete as concrete_path

# Routes allowed to take a POST without a CSRF token, with the reason. Keep this empty unless a
# third party must POST to us (a form_post redirect from Microsoft would be one).
CSRF_EXEMPT: dict[str, str] = {}


def post_routes():
    for route, name, _ in walk():
        if route.startswith(("api/", "static/")) or (name or route) in CSRF_EXEMPT:
            continue
        yield pytest.param(concrete_path(route), id=name or route)


def api_post_routes():
    routes = api_routes()
    if not routes:
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason="the REST API has no routes yet"), id="no-api"
            )
        ]
    return [pytest.param(path, id=name) for path, name in routes]


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def is_csrf_refusal(response) -> bool:
    # Django's csrf_failure page says "CSRF verification failed"; DRF answers "CSRF Failed: ...".
    return response.status_code == 403 and b"CSRF" in response.content


@pytest.mark.parametrize("path", list(post_routes()))
def test_a_post_without_a_csrf_token_is_refused_for_every_kind_of_visitor(
    db, technician, manager, path
):
    for who, client in (
        ("technician", csrf_client(technician)),
        ("manager", csrf_client(manager)),
        ("anonymous", csrf_client()),
    ):
        response = client.post(path, {"name": "x"})
        assert is_csrf_refusal(response), (
            f"{who} POST {path} -> {response.status_code} without a CSRF token"
        )


def test_a_post_with_the_token_from_the_form_gets_past_the_check(db, technician):
    """The refusals above come from the missing token, not from something else on those routes."""
    client = csrf_client(technician)
    client.get("/tenants/new/")
    token = client.cookies["csrftoken"].value
    response = client.post("/tenants/new/", {"csrfmiddlewaretoken": token, "name": ""})
    assert response.status_code == 200  # the form again, with its errors


def test_the_login_form_itself_needs_the_token(db, technician):
    response = csrf_client().post(
        "/login/", {"username": technician.username, "password": "whatever"}
    )
    assert is_csrf_refusal(response)


@pytest.mark.parametrize("path", api_post_routes())
def test_a_session_authenticated_api_post_needs_the_csrf_token(db, technician, path):
    response = csrf_client(technician).post(path, {}, content_type="application/json")
    assert is_csrf_refusal(response), (
        f"session POST {path} -> {response.status_code} {response.content[:200]!r}"
    )


@pytest.mark.parametrize("path", api_post_routes())
def test_a_token_authenticated_api_post_is_not_asked_for_csrf(db, technician, path):
    token_key = issue_token(technician)[1]
    response = csrf_client().post(
        path, {}, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token_key}"
    )
    assert not is_csrf_refusal(response), f"token POST {path} was refused for CSRF"


def test_no_view_is_marked_csrf_exempt_outside_the_api(db):
    exempt = [
        name or route
        for route, name, callback in walk()
        if getattr(callback, "csrf_exempt", False)
        and not route.startswith("api/")
        and (name or route) not in CSRF_EXEMPT
    ]
    assert exempt == []
