"""The shared world (healthchecks' alice/bob/charlie): a technician, a manager, an outsider with no
role, an anonymous visitor, tenant A with a consent link and tenant B with none."""

import uuid

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from tenants.models import Tenant

PASSWORD = "correct-horse-battery"


def make_user(username: str, group: str | None = None) -> User:
    user = User.objects.create_user(username, f"{username}@msp.example", PASSWORD)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def technician(db):
    return make_user("alice", "Technicians")


@pytest.fixture
def manager(db):
    return make_user("mandy", "Managers")


@pytest.fixture
def outsider(db):
    """Logged in, but neither technician nor manager."""
    return make_user("oscar")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def tech_client(technician):
    return client_for(technician)


@pytest.fixture
def manager_client(manager):
    return client_for(manager)


@pytest.fixture
def outsider_client(outsider):
    return client_for(outsider)


@pytest.fixture
def tenant_a(db, technician):
    return Tenant.objects.create(
        name="Fabrikam", primary_domain="fabrikam.example", customer_admin_email="admin@fabrikam.example",
        created_by=technician,
    )


@pytest.fixture
def tenant_b(db):
    return Tenant.objects.create(
        name="Northwind", primary_domain="northwind.example", customer_admin_email="it@northwind.example"
    )


@pytest.fixture(autouse=True)
def _own_task_queue(settings, monkeypatch):
    """Each test sends jobs to a queue of its own, and real workers it starts inherit it (from the
    environment): a worker left over from another test can never take this test's jobs."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    monkeypatch.setenv("CELERY_QUEUE", queue)
    return queue


@pytest.fixture(autouse=True)
def _no_preflight_without_a_sandbox(settings):
    """Saving a tenant asks Microsoft and Proofpoint (tenants/preflight.py); without the sandbox
    (portal_sandbox turns it back on) there is nobody to ask."""
    settings.TENANT_PREFLIGHT = False


@pytest.fixture
def dispatched(monkeypatch):
    """Record what the engine sends to the broker instead of sending it (unit tests run steps directly)."""
    sent: list[tuple[int, float]] = []

    def fake_send_task(name, args=None, countdown=None, **kwargs):
        sent.append((args[0], countdown or 0))

    monkeypatch.setattr("onboarding.engine.dispatch.current_app.send_task", fake_send_task)
    monkeypatch.setattr("onboarding.engine.dispatch.on_commit", lambda callback: callback())
    return sent


# A running sandbox and settings pointed at it, for every integration test package (tests/sandbox_fixtures.py).
from tests.sandbox_fixtures import portal_sandbox, sandbox  # noqa: E402, F401
