"""Concurrent actions on one onboarding: exactly one succeeds, every other one is a clear 409, never
a
500 (issue 12, item 3: 10 parallel approves gave one 202, five 409 and four 500 "database is
locked").

Each request runs in its own thread with its own database connection, all released at once. The
test runs on the session's database (PostgreSQL under scripts/test.sh when it answers) and, in a
subprocess with DATABASE_URL unset, on the embedded SQLite too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from onboarding import engine
from onboarding.models import AuditEvent, JobState, OnboardingJob, Step, StepState
from tests.onboarding.api.conftest import token_client

PARALLEL = 10
ROOT = Path(__file__).resolve().parents[2]


def in_parallel(users, method: str, path: str) -> list:
    """POST `path` from PARALLEL threads at once; [(status, detail)]."""
    clients = [token_client(user) for user in users]
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def run(index: int) -> None:
        try:
            barrier.wait()
            response = getattr(clients[index], method)(path, format="json")
            body = response.json() if response.content else {}
            results[index] = (
                response.status_code,
                body.get("detail", "") if isinstance(body, dict) else "",
            )
        except Exception as error:  # noqa: BLE001 - a crash is a result too
            results[index] = (f"raised {type(error).__name__}: {error}", "")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def assert_one_success(results, success: int) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == {success: 1, 409: PARALLEL - 1}, results
    assert all(detail for status, detail in results if status == 409), results


@pytest.fixture
def staff(transactional_db, technician, manager):
    from tests.world import make_user

    return [technician, manager] + [
        make_user(f"tech{i}", "Technicians") for i in range(PARALLEL - 2)
    ]


@pytest.fixture
def review_job(transactional_db, tenant_a, technician, dispatched, settings):
    settings.ONBOARDING_PIPELINE = "tests.pipelines.REVIEW"
    job = engine.start_job(tenant_a, technician)
    engine.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.WAITING_REVIEW
    return job


def test_parallel_approves_give_one_202_and_409s(staff, review_job):
    results = in_parallel(staff, "post", f"/api/v1/onboardings/{review_job.pk}/approve/")
    assert_one_success(results, 202)
    assert AuditEvent.objects.filter(action="report.approved", job=review_job).count() == 1


def test_parallel_cancels_give_one_200_and_409s(staff, review_job):
    results = in_parallel(staff, "post", f"/api/v1/onboardings/{review_job.pk}/cancel/")
    assert_one_success(results, 200)
    assert AuditEvent.objects.filter(action="job.cancelled", job=review_job).count() == 1
    assert OnboardingJob.objects.get(pk=review_job.pk).state == JobState.CANCELLED


def test_parallel_retries_give_one_200_and_409s(staff, review_job):
    Step.objects.filter(job=review_job, key="review").update(
        state=StepState.FAILED, message="Nobody approved."
    )
    OnboardingJob.objects.filter(pk=review_job.pk).update(state=JobState.FAILED)
    results = in_parallel(staff, "post", f"/api/v1/onboardings/{review_job.pk}/retry/")
    assert_one_success(results, 200)
    assert AuditEvent.objects.filter(action="job.retried", job=review_job).count() == 1


def test_the_same_on_sqlite(tmp_path):
    """The tests above again, on the embedded SQLite, in a process of its own (settings pick the
    database when they load). Skipped when this session already runs on SQLite: done above then."""
    if connection.vendor == "sqlite":
        pytest.skip("this session runs on SQLite: the tests above covered it")
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["VAR_DIR"] = str(tmp_path / "var")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            f"{Path(__file__).relative_to(ROOT)}",
            "-k",
            "not test_the_same_on_sqlite",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "3 passed" in completed.stdout
