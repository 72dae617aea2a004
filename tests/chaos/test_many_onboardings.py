"""Many onboardings at once through a hostile world, and nothing lost or doubled.

The sandbox throttles (429 with whole and fractional Retry-After), fails (503), delays replication
and
secret propagation; consent links approve at once (auto-consent) when the customer opens them; the
test
approves each report as soon as its job waits for review; the routing countdown is short. Meanwhile
two
real `celery worker` processes are SIGKILLed at random moments and restarted, and the Redis broker
(our
own redis-server, no persistence) is restarted once, losing every queued message: the engine's
sweeper
(beat in the workers, every second; 10 s step leases) must recover all of it.

Pass: every job completed and, per tenant, the sandbox holds exactly one app, one service principal,
one
secret (the one the portal stored: no orphan), one role assignment, one delegated grant, and no
duplicate
Proofpoint account (every email once; the count equals the imported rows plus the accounts that were
there before). The counts are printed as a table.

Small (in `make test`): 6 tenants of 20-50 users. `make chaos` (--chaos-full): 40 tenants.
"""

from __future__ import annotations

import random
import time

import pytest
from celery import Celery

from onboarding import engine
from onboarding.models import JobState, OnboardingJob
from tenants.models import Tenant
from tests.chaos.harness import (
    FINISHED,
    Customer,
    Killer,
    RedisServer,
    approve_waiting_reviews,
    counts_table,
    describe_unfinished,
    end_state,
    progress,
)
from tests.onboarding.proofpoint_fixtures import add_sandbox_tenant
from tests.sandbox_fixtures import sandbox_env
from tests.worker import ROOT

ARTIFACTS = ROOT / "test-artifacts" / "chaos"
pytestmark = [
    pytest.mark.chaos,
    pytest.mark.integration,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

KNOBS = {
    "throttle_rate": 0.08,
    "unavailable_rate": 0.04,
    "retry_after": [1, 0.5, 1.25, 2, None],
    "replication_delay_s": 1.5,
    "secret_propagation_s": 2.5,
    "auto_consent": True,
    "seed": 11,
}


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def worker_env(sandbox, broker_url: str) -> dict:
    return {
        **sandbox_env(sandbox),
        "CELERY_BROKER_URL": broker_url,
        "SWEEP_INTERVAL_SECONDS": "1",
        "STEP_LEASE_SECONDS": "10",
        "STEP_RETRY_BASE_SECONDS": "1",
        "STEP_MAX_ATTEMPTS": "40",
        "ROUTING_WAIT_SECONDS": "3",
        "ENTRA_SECRET_PROPAGATION_SECONDS": "40",
        "ENTRA_REPLICATION_SECONDS": "20",
        "EMAIL_BACKEND": "onboarding.outbox.OutboxBackend",
        "CELERY_VISIBILITY_TIMEOUT": "20",
        # The sweeper sends again a job whose message the Redis restart lost once it has waited
        # this long (default: at least 60 s, most of the small run's 170 s deadline); as the
        # visibility timeout above, seconds instead of a minute.
        "REDISPATCH_AFTER_SECONDS": "20",
    }


def test_many_onboardings_survive_killed_workers_and_a_broker_restart(
    portal_sandbox, sandbox, settings, technician, redis_server, monkeypatch, chaos_full
):
    tenants_wanted = 40 if chaos_full else 6
    deadline_s = 1500 if chaos_full else 170
    rng = random.Random(2026)
    settings.RATELIMIT_ENABLE = False  # the customers' consent pages are hit from one address here
    # The test process sends its dispatches (start, consent callback, approval) to OUR broker too
    # (Celery lets CELERY_BROKER_URL in the environment win over the URL an app is made with).
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    broker = Celery("chaos-test", broker=redis_server.url, set_as_current=False)
    assert broker.conf.broker_url == redis_server.url
    monkeypatch.setattr("onboarding.engine.dispatch.current_app", broker)

    portal_sandbox.knobs(**KNOBS)
    tenants = []
    for index in range(tenants_wanted):
        domain = f"chaos{index:02d}.example"
        add_sandbox_tenant(portal_sandbox, domain, rng.randint(20, 50))
        tenants.append(
            Tenant.objects.create(
                name=f"Chaos {index:02d}",
                primary_domain=domain,
                customer_admin_email=f"admin@{domain}",
                created_by=technician,
                create_proofpoint_org=True,
            )
        )

    killer = Killer(env=worker_env(sandbox, redis_server.url), every=(5.0, 10.0))
    customer, approved = Customer(), set()
    started = time.monotonic()
    killer.start()
    try:
        jobs = [engine.start_job(tenant, technician) for tenant in tenants]
        redis_restarted_at, next_report = None, 0.0
        restart_after = 12 if not chaos_full else 60
        while True:
            elapsed = time.monotonic() - started
            states = list(
                OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list(
                    "state", flat=True
                )
            )
            if all(state in FINISHED for state in states):
                break
            if elapsed > deadline_s:
                pytest.fail(
                    f"not every job finished in {deadline_s} s:\n{describe_unfinished(jobs)}\n"
                    f"{killer.logs()}"
                )
            customer.answer_new_links()
            approve_waiting_reviews(approved)
            if redis_restarted_at is None and elapsed > restart_after:
                redis_server.restart(down_seconds=1.5)
                redis_restarted_at = elapsed
            killer.tick(killing=True)
            if elapsed >= next_report:
                print(f"{elapsed:5.0f} s  kills {killer.kills}  {progress(jobs)}", flush=True)
                next_report += 10
            time.sleep(0.25)
        took = time.monotonic() - started
    finally:
        killer.stop()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"timeline-{len(jobs)}.txt").write_text(describe_unfinished(jobs, everything=True))
    rows = end_state(portal_sandbox, jobs)
    print(
        f"\n{len(jobs)} onboardings in {took:.0f} s; {killer.kills} worker SIGKILLs, "
        f"{redis_server.restarts} Redis restart at {redis_restarted_at:.0f} s; "
        f"{len(customer.answered)} consent answers, {len(approved)} approvals\n"
        + counts_table(rows)
    )
    failed = [
        j
        for j in OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs])
        if j.state != JobState.COMPLETED
    ]
    assert not failed, describe_unfinished(failed)
    assert killer.kills >= 3 and redis_server.restarts == 1
    bad = [r for r in rows if not r.ok]
    assert not bad, "\n" + counts_table(bad)
