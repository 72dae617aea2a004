"""Suite-wide fixtures: the one world (tests/world.py), a task queue of each test's own, the broker
recorder, and the running sandbox (tests/sandbox_fixtures.py)."""

import uuid

import pytest


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
    """Record what the engine sends to the broker instead of sending it (unit tests run steps
    directly)."""
    sent: list[tuple[int, float]] = []

    def fake_send_task(name, args=None, countdown=None, **kwargs):
        sent.append((args[0], countdown or 0))

    monkeypatch.setattr("onboarding.engine.dispatch.current_app.send_task", fake_send_task)
    monkeypatch.setattr("onboarding.engine.dispatch.on_commit", lambda callback: callback())
    return sent


# A running sandbox and settings pointed at it, for every integration test package
# (tests/sandbox_fixtures.py).
from tests.sandbox_fixtures import portal_sandbox, sandbox  # noqa: E402, F401
from tests.world import (  # noqa: E402, F401
    anonymous,
    customer_a,
    manager,
    manager_client,
    outsider,
    outsider_client,
    tech_client,
    technician,
    tenant_a,
    tenant_b,
)
