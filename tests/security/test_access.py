"""Every page but the public ones refuses anonymous visitors and people without a role.

The test walks the whole URL configuration, so a new view cannot forget its check.
"""

import pytest

from tests.security.routes import PUBLIC, page_routes


def private_routes():
    """Every page route (the one walker, tests/security/routes.py) but the public ones."""
    for path, name in page_routes():
        if name not in PUBLIC and not path.startswith("/^"):
            yield pytest.param(path, id=name)


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
