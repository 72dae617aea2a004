"""A real worker's log goes through the same secret masking as the web's (portal/logging.py)."""

import pytest

from portal.celery import app
from tests.worker import Worker, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SECRET = "Wk9Q~not-for-any-log-4242"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.not-for-any-log-either"


def test_a_real_worker_masks_the_secrets_of_what_it_logs():
    worker = Worker(beat=False).start()
    try:
        # Celery logs the whole body of a message it has no task for: a careless sender's
        # arguments would land in the log as they are.
        app.send_task(
            "onboarding.no_such_task",
            args=[f"client_secret={SECRET}"],
            kwargs={"header": f"Bearer {TOKEN}"},
        )
        wait_for(
            lambda: "no_such_task" in worker.output(),
            timeout=60,
            message="the worker's word about the unknown task",
        )
        log = worker.output()
    finally:
        worker.stop()
    assert SECRET not in log and TOKEN not in log, log[-2000:]
    assert "client_secret=[redacted]" in log and "Bearer [redacted]" in log
