"""API clients for the shared world, each authenticated with its own token."""

import pytest
from rest_framework.test import APIClient

from accounts.tokens import issue_token


def token_client(user) -> APIClient:
    client = APIClient()
    client.token_key = issue_token(user)[1]  # only a hash is stored: keep the key for the tests
    client.credentials(HTTP_AUTHORIZATION=f"Token {client.token_key}")
    return client


@pytest.fixture
def tech_api(technician):
    return token_client(technician)


@pytest.fixture
def manager_api(manager):
    return token_client(manager)


@pytest.fixture
def outsider_api(outsider):
    return token_client(outsider)


@pytest.fixture
def anon_api(db):
    return APIClient()


@pytest.fixture
def quick(settings, dispatched):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.QUICK"


def tenant_body(**overrides) -> dict:
    body = {
        "name": "Contoso",
        "primary_domain": "Contoso.COM",
        "proofpoint_stack": "us2",
        "customer_admin_email": "admin@contoso.com",
    }
    body.update(overrides)
    return body
