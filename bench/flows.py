"""Benchmarks of the onboarding's heavy paths against the sandbox over real HTTPS (bench/run.py
registers
them): the report build for a 100,000-user tenant, the import of 10,000 accounts, and 200
onboardings
through two real worker processes.

The sandbox runs in a process of its own (bench/sandbox_proc.py), so memory, CPU and the GIL
measured here
are the portal's alone. Every figure is a ratio or a count from this run.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RemoteSandbox:
    """What tests.sandbox_fixtures needs of a Sandbox, for one running in another process."""

    login_url: str
    login_browser_url: str
    graph_url: str
    proofpoint_url: str
    ca_path: Path
    msp: dict
    proofpoint_credentials: dict
    dns_nameservers: list


@contextmanager
def sandbox_process(portal_base_url: str | None = None):
    state_dir = tempfile.mkdtemp(prefix="bench-sandbox-")
    command = [sys.executable, str(ROOT / "bench" / "sandbox_proc.py"), state_dir]
    if portal_base_url:
        command.append(portal_base_url)
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(process.stdout.readline())
        info["ca_path"] = Path(info["ca_path"])
        sb = RemoteSandbox(**info)
        _point_settings_at(sb)
        yield sb, process.pid
    finally:
        process.stdin.close()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _point_settings_at(sb: RemoteSandbox) -> None:
    from django.conf import settings

    from tests.sandbox_fixtures import forget_cached_tokens, sandbox_settings

    for name, value in sandbox_settings(sb).items():
        setattr(settings, name, value)
    settings.ENTRA_REPLICATION_SECONDS = 20
    settings.RATELIMIT_ENABLE = False
    forget_cached_tokens()
    logging.getLogger("integrations").setLevel(
        logging.WARNING
    )  # one line per call would drown the table


def admin_for(sb: RemoteSandbox):
    from tests.sandbox_fixtures import SandboxAdmin

    return SandboxAdmin(sb)


def run_step(job, key: str):
    from onboarding.models import Step
    from onboarding.pipeline import STEPS
    from onboarding.steps.base import StepContext

    spec = next(s for s in STEPS if s.key == key)
    step = Step.objects.get(job=job, key=key)
    return spec.run(StepContext(job=job, step=step, lease_seconds=3600))


def prepared_job(admin, domain: str, users: int, groups: int | None = None):
    """A tenant whose onboarding has run, in this process, up to the report build (the real
    steps)."""
    from onboarding import engine
    from onboarding.models import Step, StepState
    from tenants.models import Tenant

    body = {
        "domain": domain,
        "users": users,
        "seed": domain,
        **({"groups": groups} if groups is not None else {}),
    }
    admin._admin("POST", "tenants", body)
    tenant = Tenant.objects.create(
        name=domain.split(".")[0].capitalize(),
        primary_domain=domain,
        customer_admin_email=f"admin@{domain}",
        create_proofpoint_org=True,
    )
    job = engine.start_job(tenant)  # bench/run.py keeps the broker out (seed.no_dispatch)
    run_step(job, "resolve_tenant")
    admin.consent(domain)
    done = ["resolve_tenant", "customer_consent"]
    for key in (
        "create_app",
        "grant_consent",
        "create_secret",
        "verify_credentials",
        "prepare_org",
        "configure_sync",
    ):
        run_step(job, key)
        done.append(key)
    Step.objects.filter(job=job, key__in=done).update(state=StepState.SUCCEEDED)
    return job


def _service_counts(admin) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in admin.requests()["recent"]:
        counts[entry["service"]] = counts.get(entry["service"], 0) + 1
    return counts


def _tenant_summary(admin, domain: str) -> dict:
    return admin.tenant(domain)


def sandbox_tenants(admin, count: int, prefix: str, users: int = 20) -> list:
    """`count` customers, each with its Entra tenant in the sandbox and a portal tenant whose
    onboarding makes its Proofpoint org: what the onboarding benchmarks start."""
    from tenants.models import Tenant

    tenants = []
    for i in range(count):
        domain = f"{prefix}{i:03d}.example"
        admin._admin("POST", "tenants", {"domain": domain, "users": users, "seed": domain})
        tenants.append(
            Tenant.objects.create(
                name=f"{prefix.capitalize()} {i:03d}",
                primary_domain=domain,
                customer_admin_email=f"admin@{domain}",
                create_proofpoint_org=True,
            )
        )
    return tenants


def onboarding_worker_env(sb, redis_url: str) -> dict:
    """A real worker's environment for whole onboardings: the sandbox, our broker, short waits."""
    from django.conf import settings

    from tests.sandbox_fixtures import sandbox_env

    return {
        **sandbox_env(sb),
        "CELERY_BROKER_URL": redis_url,
        "CELERY_QUEUE": getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),
        "SWEEP_INTERVAL_SECONDS": "1",
        "ROUTING_WAIT_SECONDS": "1",
        "STEP_RETRY_BASE_SECONDS": "1",
        "ENTRA_REPLICATION_SECONDS": "20",
        "EMAIL_BACKEND": "onboarding.outbox.OutboxBackend",
        "DJANGO_DEBUG": "false",
    }


# --- report build
# ------------------------------------------------------------------------------------------
def report_build(Row, verdict) -> list:
    from onboarding.clients import outbound_config, outbound_session, proofpoint_client
    from onboarding.report.classify import GROUP_SELECT, USER_SELECT
    from tenants.models import EntraApplication

    name = "report build, 100,000-user tenant"
    big, small = 100_000, 10_000
    with sandbox_process() as (sb, _):
        admin = admin_for(sb)
        jobs = {n: prepared_job(admin, f"build{n}.example", n) for n in (small, big)}
        job = jobs[big]
        tenant = admin.tenant(job.tenant.primary_domain)
        user_pages, group_pages = (
            math.ceil(tenant["users"] / 999),
            math.ceil(tenant["groups"] / 999),
        )

        admin._admin("DELETE", "requests")
        started = time.perf_counter()
        run_step(job, "build_report")
        build_s = time.perf_counter() - started
        used = _service_counts(admin)

        # The same pages with the same session, parsed and dropped: what any client must spend.
        app = EntraApplication.objects.get(tenant=job.tenant)
        from integrations.microsoft.token import acquire_token, graph_scope

        session, config = outbound_session(), outbound_config()
        token = acquire_token(
            sb.login_url,
            app.tenant.entra_tenant_id,
            app.client_id,
            app.secret,
            graph_scope(sb.graph_url),
            session,
        )
        headers = {"Authorization": f"Bearer {token}"}
        pp = proofpoint_client(job.tenant)
        started = time.perf_counter()
        for path in ("/v1.0/domains", "/v1.0/subscribedSkus"):
            session.get(sb.graph_url + path, headers=headers, timeout=config.timeout).json()
        for path, select in (("/v1.0/users", USER_SELECT), ("/v1.0/groups", GROUP_SELECT)):
            url = f"{sb.graph_url}{path}?$select={','.join(select)}&$top=999"
            while url:
                url = (
                    session.get(url, headers=headers, timeout=config.timeout)
                    .json()
                    .get("@odata.nextLink")
                )
        pp.list_users(job.tenant.primary_domain)
        pp.list_exemptions(job.tenant.primary_domain)
        bare_s = time.perf_counter() - started

        peaks = {}
        for n in (small, big):
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            run_step(jobs[n], "build_report")
            peaks[n] = tracemalloc.get_traced_memory()[1] - baseline
            tracemalloc.stop()

    graph_min = user_pages + group_pages + 2
    pp_min = 2
    ratio = build_s / bare_s
    growth = peaks[big] / peaks[small]
    return [
        Row(
            name,
            "Graph requests / minimum (user pages + group pages + domains + SKUs)",
            f"{used.get('graph', 0) / graph_min:.2f}",
            "1.00",
            verdict(used.get("graph", 0) == graph_min),
            f"{used.get('graph', 0)} used, minimum {graph_min} = {user_pages} user pages + "
            f"{group_pages} group pages "
            f"+ 2; token requests {used.get('login', 0)}; Proofpoint {used.get('proofpoint', 0)} "
            f"(minimum {pp_min})",
        ),
        Row(
            name,
            "wall time / bare requests loop over the same pages",
            f"{ratio:.2f}",
            "<= 1.5",
            verdict(ratio <= 1.5),
            f"build {build_s:.1f} s (classify + write {big:,} rows), bare loop {bare_s:.1f} s",
        ),
        Row(
            name,
            "peak traced memory at 100,000 users / at 10,000",
            f"{growth:.2f}",
            "<= 1.5 (flat)",
            verdict(growth <= 1.5),
            f"tracemalloc peak {peaks[small] / 2**20:.1f} MB at 10,000, "
            f"{peaks[big] / 2**20:.1f} MB at 100,000 (sandbox in its own process)",
        ),
    ]


# --- import
# --------------------------------------------------------------------------------------------------
def _adding_rows(job, domain: str, count: int) -> list:
    from onboarding.models import AccountKind, Section, SyncReportRow

    return [
        SyncReportRow(
            job=job,
            email=f"user{i:05d}@{domain}",
            display_name=f"User {i}",
            firstname="User",
            surname=f"{i:05d}",
            section=Section.ADDING,
            kind=AccountKind.USER,
            proofpoint_type="end_user",
            licensed=True,
            enabled=True,
            aliases=[f"u{i:05d}@{domain}"],
        )
        for i in range(count)
    ]


def import_accounts(Row, verdict) -> list:
    from django.conf import settings

    from onboarding.clients import proofpoint_client
    from onboarding.models import ImportState, SyncReportRow
    from onboarding.report.classify import proofpoint_body
    from onboarding.sync_app import azure_settings, sync_app

    name = "import, 10,000 accounts"
    count = 10_000
    batch = settings.PROOFPOINT_IMPORT_BATCH_SIZE
    with sandbox_process() as (sb, _):
        admin = admin_for(sb)
        job = prepared_job(admin, "import10k.example", 10)
        bare_job = prepared_job(admin, "importbare.example", 10)
        SyncReportRow.objects.bulk_create(
            _adding_rows(job, "import10k.example", count), batch_size=5000
        )

        admin._admin("DELETE", "requests")
        started = time.perf_counter()
        run_step(job, "import_accounts")
        import_s = time.perf_counter() - started
        used = _service_counts(admin).get("proofpoint", 0)
        done = SyncReportRow.objects.filter(job=job, import_state=ImportState.DONE).count()

        # The same batches, bodies made beforehand, posted by a bare loop with the portal's own
        # client.
        tenant = bare_job.tenant
        bodies = [
            proofpoint_body(row) for row in _adding_rows(bare_job, tenant.primary_domain, count)
        ]
        client = proofpoint_client(tenant)
        settings_body = azure_settings(tenant, sync_app(tenant), 1)
        started = time.perf_counter()
        client.list_users(tenant.primary_domain)
        client.list_domains(tenant.primary_domain)
        client.list_exemptions(tenant.primary_domain)
        for first in range(0, count, batch):
            client.create_users(tenant.primary_domain, bodies[first : first + batch])
        client.put_azure_settings(tenant.primary_domain, settings_body)
        bare_s = time.perf_counter() - started

    minimum = math.ceil(count / batch) + 4
    ratio = import_s / bare_s
    return [
        Row(
            name,
            "Proofpoint requests / minimum (batches + fixed calls)",
            f"{used / minimum:.2f}",
            "1.00",
            verdict(used == minimum),
            f"{used} used, minimum {minimum} = {math.ceil(count / batch)} batches of "
            f"{batch} + list users, domains, exemptions, save settings; {done:,} rows imported",
        ),
        Row(
            name,
            "wall time / bare loop posting the same batches",
            f"{ratio:.2f}",
            "<= 1.5",
            verdict(ratio <= 1.5),
            f"import {import_s:.1f} s, bare loop {bare_s:.1f} s",
        ),
    ]


# --- 200 onboardings, 2 workers
# -------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """user+sys CPU of a process and its live children (a worker's embedded beat), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = {pid}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def many_onboardings(Row, verdict, jobs_wanted: int = 200) -> list:
    from celery import Celery
    from django.conf import settings

    from onboarding import engine
    from onboarding.models import JobState, OnboardingJob
    from tests.chaos.harness import Customer, RedisServer, approve_waiting_reviews
    from tests.worker import Worker

    name = f"{jobs_wanted} onboardings, 2 workers"
    log_dir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    redis = RedisServer(log_dir).start()
    workers: list = []
    try:
        with sandbox_process(settings.PORTAL_BASE_URL) as (sb, _):
            admin = admin_for(sb)
            admin.knobs(auto_consent=True)
            tenants = sandbox_tenants(admin, jobs_wanted, "flow")
            env = onboarding_worker_env(sb, redis.url)
            workers = [Worker(env=env, concurrency=4).start() for _ in range(2)]
            time.sleep(3)  # let both connect before the clock starts
            cpu_before = sum(cpu_seconds(w.process.pid) for w in workers)
            broker = Celery("bench", broker=redis.url, set_as_current=False)
            customer, approved = Customer(), set()
            with mock.patch("onboarding.engine.dispatch.current_app", broker):
                started = time.perf_counter()
                jobs = [engine.start_job(tenant) for tenant in tenants]
                ids = [j.pk for j in jobs]
                deadline = started + 420
                while time.perf_counter() < deadline:
                    customer.answer_new_links()
                    approve_waiting_reviews(approved)
                    left = (
                        OnboardingJob.objects.filter(pk__in=ids)
                        .exclude(
                            state__in=[JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED]
                        )
                        .count()
                    )
                    if not left:
                        break
                    time.sleep(0.2)
                took = time.perf_counter() - started
            cpu = sum(cpu_seconds(w.process.pid) for w in workers) - cpu_before
            completed = OnboardingJob.objects.filter(pk__in=ids, state=JobState.COMPLETED).count()
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
    per_minute = completed / took * 60
    note = (
        f"{completed}/{jobs_wanted} completed in {took:.0f} s "
        "(20 users each, auto-consent, 1 s countdown)"
    )
    return [
        Row(
            name,
            "jobs per minute",
            f"{per_minute:.0f}",
            "count",
            verdict(completed == jobs_wanted),
            note,
        ),
        Row(
            name,
            "worker CPU seconds per job (user+sys of both workers and their beat / jobs)",
            f"{cpu / max(1, completed):.2f}",
            "count",
            verdict(completed == jobs_wanted),
            f"{cpu:.0f} CPU s in all; includes the HTTP client's own work (TLS, JSON), not the "
            "sandbox's",
        ),
    ]
