"""Chaos harness: our own Redis server, customers who answer consent emails, a reviewer who
approves,
a killer that SIGKILLs workers at random moments, and the end-state counts in the sandbox.

Everything here runs in the test process against the real engine; the onboarding steps themselves
run
in real `celery worker` processes (tests/worker.py) on a Redis server this harness starts and
restarts.
"""

from __future__ import annotations

import random
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from django.test import Client

from onboarding import engine
from onboarding.models import (
    ConsentLink,
    ImportState,
    JobState,
    OnboardingJob,
    OutboxMessage,
    Section,
    Step,
    SyncReportRow,
)
from onboarding.report import queries as report_queries
from tenants.models import EntraApplication, Tenant
from tests.worker import Worker

LINK = re.compile(r"https?://\S+?/consent/([A-Za-z0-9_\-]+)/")
FINISHED = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port: no persistence, so a restart loses every
    message."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115  closed in stop()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # our own pid only
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "log_file", None):
            self.log_file.close()

    def restart(self, down_seconds: float = 1.0) -> None:
        """Stop (every queued and unacknowledged message is gone), stay down a moment, start
        again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1


class Customer:
    """Each tenant's admin: opens the newest consent email's link; the sandbox (auto-consent on)
    grants at
    once and sends the browser back to the portal's callback, which this client follows
    in-process."""

    def __init__(self):
        self.client = Client()
        self.http = requests.Session()
        self.http.trust_env = False
        self.answered: set[int] = set()  # ConsentLink pks
        self.read: set[int] = set()  # OutboxMessage pks dealt with

    def answer_new_links(self) -> int:
        answered = 0
        for message in OutboxMessage.objects.filter(subject__icontains="approve").exclude(
            pk__in=self.read
        ):
            match = LINK.search(message.body_text or "")
            if not match:
                self.read.add(message.pk)
                continue
            token = match.group(1)
            link_pk = self._link_pk(token)
            if link_pk is None or link_pk in self.answered:
                self.read.add(message.pk)
                continue
            if self._answer(token):
                self.answered.add(link_pk)
                self.read.add(message.pk)
                answered += 1
        return answered

    @staticmethod
    def _link_pk(token: str) -> int | None:
        from onboarding.consent import links

        try:
            return links.link_for_token(token).pk
        except links.ConsentLinkProblem:
            return None

    def _answer(self, token: str) -> bool:
        if self.client.get(f"/consent/{token}/").status_code != 200:
            return False
        go = self.client.post(f"/consent/{token}/go/")
        if go.status_code != 302:
            return False
        for _ in range(20):  # the sandbox's login front is throttled like the rest: try again
            answer = self.http.get(go["Location"], allow_redirects=False, timeout=30)
            if answer.status_code in (429, 503):
                time.sleep(float(answer.headers.get("Retry-After") or 0.5))
                continue
            break
        if answer.status_code != 302:
            return False
        back = urlsplit(answer.headers["Location"])
        return self.client.get(f"{back.path}?{back.query}").status_code == 200


@dataclass
class Killer:
    """Two real workers; SIGKILL a random one every few seconds and start a fresh one shortly
    after."""

    env: dict
    count: int = 2
    concurrency: int = 4
    every: tuple[float, float] = (3.0, 7.0)
    down: tuple[float, float] = (0.3, 2.0)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    workers: list[Worker] = field(default_factory=list)
    dead: list[tuple[int, float]] = field(default_factory=list)  # (slot, restart at)
    all_workers: list[Worker] = field(default_factory=list)
    kills: int = 0
    next_kill: float = 0.0

    def start(self) -> Killer:
        self.workers = [self._new() for _ in range(self.count)]
        self.next_kill = time.monotonic() + self.rng.uniform(*self.every)
        return self

    def _new(self) -> Worker:
        worker = Worker(env=self.env, concurrency=self.concurrency).start()
        self.all_workers.append(worker)
        return worker

    def tick(self, killing: bool = True) -> None:
        now = time.monotonic()
        for slot, when in list(self.dead):
            if now >= when:
                self.workers[slot] = self._new()
                self.dead.remove((slot, when))
        if killing and now >= self.next_kill:
            alive = [i for i, w in enumerate(self.workers) if i not in {s for s, _ in self.dead}]
            if alive:
                slot = self.rng.choice(alive)
                self.workers[slot].kill()
                self.kills += 1
                self.dead.append((slot, now + self.rng.uniform(*self.down)))
            self.next_kill = now + self.rng.uniform(*self.every)
        for slot, worker in enumerate(self.workers):  # a worker that died on its own comes back too
            if worker.process.poll() is not None and slot not in {s for s, _ in self.dead}:
                self.dead.append((slot, now + 0.5))

    def stop(self) -> None:
        for worker in self.all_workers:
            worker.stop()

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.output()[-tail:]}" for w in self.workers)


def approve_waiting_reviews(approved: set[int]) -> int:
    count = 0
    for job in OnboardingJob.objects.filter(state=JobState.WAITING_REVIEW).exclude(pk__in=approved):
        try:
            report_queries.approve(job)
        except engine.NotAllowedNow:
            continue
        approved.add(job.pk)
        count += 1
    return count


def describe_unfinished(jobs, everything: bool = False) -> str:
    """Each unfinished job with every step's times, attempts and message: enough to see where it
    stalled."""
    lines = []
    chosen = OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs]).order_by("pk")
    for job in chosen if everything else chosen.exclude(state=JobState.COMPLETED):
        lines.append(
            f"job {job.pk} {job.tenant.primary_domain}: {job.state} since "
            f"{job.state_changed_at:%H:%M:%S} "
            f"(dispatched {job.dispatched_at and f'{job.dispatched_at:%H:%M:%S}'})"
        )
        for step in Step.objects.filter(job=job):
            times = " ".join(
                f"{name}={value:%H:%M:%S}"
                for name in (
                    "started_at",
                    "finished_at",
                    "lease_expires_at",
                    "next_attempt_at",
                    "wake_at",
                )
                if (value := getattr(step, name))
            )
            lines.append(
                f"   {step.key}: {step.state} attempts={step.attempts} {times} :: "
                f"{step.message[:200]}"
            )
    return "\n".join(lines)


def progress(jobs) -> str:
    from collections import Counter

    states = Counter(
        OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs]).values_list("state", flat=True)
    )
    steps = Counter(
        OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs])
        .exclude(state__in=FINISHED)
        .values_list("current_step", flat=True)
    )
    return f"{dict(states)} at {dict(steps)}"


# --- the end state
# ------------------------------------------------------------------------------------
@dataclass
class TenantCounts:
    domain: str
    job_state: str
    apps: int
    service_principals: int
    secrets: int
    secret_is_stored_one: bool
    role_assignments: int
    grants: int
    pp_accounts: int
    pp_duplicates: int
    imported_rows: int
    pre_existing: int
    consent_links: int

    @property
    def ok(self) -> bool:
        return (
            self.job_state == JobState.COMPLETED
            and self.apps == 1
            and self.service_principals == 1
            and self.secrets == 1
            and self.secret_is_stored_one
            and self.role_assignments == 1
            and self.grants == 1
            and self.pp_duplicates == 0
            and self.pp_accounts == self.imported_rows + self.pre_existing
        )


def end_state(admin, jobs) -> list[TenantCounts]:
    state = admin.state()
    orgs = {o["primary_domain"]: o for o in state["proofpoint"]["orgs"]}
    by_domain = {d: t for t in state["tenants"] for d in t["domains"]}
    found = []
    for job in (
        OnboardingJob.objects.filter(pk__in=[j.pk for j in jobs])
        .select_related("tenant")
        .order_by("pk")
    ):
        tenant: Tenant = job.tenant
        sandbox_tenant = by_domain[tenant.primary_domain]
        app = EntraApplication.objects.filter(tenant=tenant).first()
        apps = [a for a in sandbox_tenant["applications"] if a["displayName"] == "ProofPoint"]
        app_id = app.client_id if app else None
        sps = [s for s in sandbox_tenant["servicePrincipals"] if s["appId"] == app_id]
        sp_ids = {s["id"] for s in sps}
        credentials = [c for a in apps for c in a["passwordCredentials"]]
        assignments = [
            a for a in sandbox_tenant["appRoleAssignments"] if a.get("principalId") in sp_ids
        ]
        grants = [
            g for g in sandbox_tenant["oauth2PermissionGrants"] if g.get("clientId") in sp_ids
        ]
        org = orgs.get(tenant.primary_domain, {"users": []})
        emails = [str(u["primary_email"]).lower() for u in org["users"]]
        imported = set(
            SyncReportRow.objects.filter(
                job=job, section=Section.ADDING, import_state=ImportState.DONE
            ).values_list("email", flat=True)
        )
        pre_existing = [
            e
            for e in set(emails) - imported
            if SyncReportRow.objects.filter(job=job, email=e, section=Section.EXEMPT).exists()
        ]
        found.append(
            TenantCounts(
                domain=tenant.primary_domain,
                job_state=job.state,
                apps=len(apps),
                service_principals=len(sps),
                secrets=len(credentials),
                secret_is_stored_one=bool(
                    app and len(credentials) == 1 and credentials[0]["keyId"] == app.secret_key_id
                ),
                role_assignments=len(assignments),
                grants=len(grants),
                pp_accounts=len(emails),
                pp_duplicates=len(emails) - len(set(emails)),
                imported_rows=len(imported),
                pre_existing=len(pre_existing),
                consent_links=ConsentLink.objects.filter(job=job).count(),
            )
        )
    return found


def counts_table(rows: list[TenantCounts]) -> str:
    header = (
        "tenant",
        "job",
        "apps",
        "SPs",
        "secrets",
        "stored=live",
        "roles",
        "grants",
        "PP accounts",
        "PP dups",
        "imported",
        "pre-existing",
        "ok",
    )
    cells = [header] + [
        (
            r.domain,
            r.job_state,
            r.apps,
            r.service_principals,
            r.secrets,
            "yes" if r.secret_is_stored_one else "NO",
            r.role_assignments,
            r.grants,
            r.pp_accounts,
            r.pp_duplicates,
            r.imported_rows,
            r.pre_existing,
            "ok" if r.ok else "BAD",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
