"""API clients for the shared world, each authenticated with its own token."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
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
    body = {"name": "Contoso", "primary_domain": "Contoso.COM", "proofpoint_stack": "us2",
            "customer_admin_email": "admin@contoso.com"}
    body.update(overrides)
    return body
