"""Every page but the public ones refuses anonymous visitors and people without a role.

The test walks the whole URL configuration, so a new view cannot forget its check.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Views anyone may reach: logging in, the health check, and what a customer opens from an email.
PUBLIC = {"login", "healthz", "consent-landing", "consent-callback", "consent-go",
          "login-microsoft", "login-microsoft-callback"}  # staff sign-in with Microsoft
# The admin, API and schema have their own (token or staff-session) authentication, tested elsewhere.
SKIP_PREFIXES = ("admin/", "api/")


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def concrete(route: str) -> str:
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug|uuid|path):?\w*>", "x", route)
    return "/" + route.lstrip("^").rstrip("$").replace("\\Z", "")


def private_routes():
    for route, name in walk(get_resolver().url_patterns):
        if name in PUBLIC or route.startswith(SKIP_PREFIXES) or route.startswith("^"):
            continue
        yield pytest.param(concrete(route), id=name or route)


@pytest.mark.parametrize("path", list(private_routes()))
def test_anonymous_visitors_are_sent_to_log_in(client, db, path):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", list(private_routes()))
def test_people_without_a_role_are_refused(outsider_client, path):
    if path == "/logout/":
        return
    assert outsider_client.get(path).status_code in (403, 404, 405), path


def test_the_public_pages_answer_anonymous_visitors(client, db):
    assert client.get("/login/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)


def test_a_technician_reaches_the_tenant_pages(tech_client, tenant_a):
    assert tech_client.get("/tenants/").status_code == 200
    assert tech_client.get(f"/tenants/{tenant_a.pk}/").status_code == 200
    assert tech_client.get("/tenants/new/").status_code == 200


def test_an_unknown_tenant_is_not_found(tech_client, db):
    assert tech_client.get("/tenants/999999/").status_code == 404
