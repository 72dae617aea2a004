"""Nobody can read another person's API token: not through the API, the pages, nor the Django
admin."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.tokens import issue_token
from tests.security.routes import api_routes, page_routes, walk
from tests.security.scan import response_texts, scan_for_secrets
from tests.world import client_for


@pytest.fixture
def tokens(technician, manager):
    """Each role's API key (the database holds only its hash)."""
    return {"technician": issue_token(technician)[1], "manager": issue_token(manager)[1]}


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@msp.example", "root-pass-1234")


def ids(tenant_a):
    return {"tenants": tenant_a.pk, "onboardings": 1, "jobs": 1}


def admin_paths(*objects) -> list[str]:
    """Every admin list and add page, plus the change and history pages of the given objects."""
    paths = []
    for route, name, _ in walk():
        if not route.startswith("admin/") or "^" in route or not name:
            continue
        if name.endswith(("_changelist", "_add")) or name in ("index", "password_change"):
            paths.append("/" + route)
    for obj in objects:
        label = f"{obj._meta.app_label}/{obj._meta.model_name}"
        paths += [f"/admin/{label}/{obj.pk}/change/", f"/admin/{label}/{obj.pk}/history/"]
    return paths


def test_the_admin_shows_no_token_even_to_a_superuser(superuser, tokens, technician, manager):
    client = client_for(superuser)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/accounts/apitoken/").status_code == 404  # not even the hashes
    texts = response_texts(client, admin_paths(technician, manager))
    # django-axes' sign-in logs are read-only in the admin: their add pages refuse everyone.
    answered = [w for w in texts if " (200)" in w or ("/admin/axes/" in w and "/add/ (403)" in w)]
    assert len(answered) == len(texts), [w for w in texts if w not in answered]
    leaks = scan_for_secrets(texts, {f"{who}'s API token": key for who, key in tokens.items()})
    assert not leaks, leaks


def test_technicians_and_managers_cannot_enter_the_admin(tokens, tech_client, manager_client):
    for client in (tech_client, manager_client):
        response = client.get("/admin/authtoken/tokenproxy/")
        assert response.status_code in (302, 404)
        assert tokens["manager"] not in response.content.decode()


@pytest.mark.parametrize("reader", ["technician", "manager"])
def test_the_api_never_answers_with_someone_elses_token(tokens, tenant_a, reader):
    routes = [path for path, _ in api_routes(ids(tenant_a))]
    if not routes:
        pytest.skip("the REST API has no routes yet")
    other = "manager" if reader == "technician" else "technician"
    client = Client(HTTP_AUTHORIZATION=f"Token {tokens[reader]}")
    texts = response_texts(client, routes)
    leaks = scan_for_secrets(texts, {f"{other}'s API token": tokens[other]})
    assert not leaks, leaks


def test_the_pages_never_show_anyones_token(tokens, tech_client, tenant_a):
    texts = response_texts(tech_client, [path for path, _ in page_routes(ids(tenant_a))])
    leaks = scan_for_secrets(texts, {f"{who}'s API token": key for who, key in tokens.items()})
    assert not leaks, leaks
