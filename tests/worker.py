"""Start and stop a real Celery worker process on the suite's own broker and test database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database pytest-django created, so the worker sees what the test writes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


class Worker:
    """One `celery worker` process (threads pool: a SIGKILL takes the whole worker down at once)."""

    def __init__(self, env: dict | None = None, concurrency: int = 2, beat: bool = True):
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "SWEEP_INTERVAL_SECONDS": "1",
            **(env or {}),
        }
        self.concurrency = concurrency
        self.beat = beat
        self.process: subprocess.Popen | None = None
        self.log_path = (
            Path(self.env.get("VAR_DIR", ROOT / "var"))
            / f"worker-{os.getpid()}-{time.time_ns()}.log"
        )

    def start(self) -> "Worker":
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-P",
            "threads",
            "-c",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ]
        if self.beat:
            command += ["-B", "-s", str(self.log_path.with_suffix(".beat"))]
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115  closed in stop()
        # Its own session: `-B` runs beat as a child process, and a kill must take both down.
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its beat child, as a crashed machine or the OOM killer would."""
        if self.process:
            self._signal_group(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
        if self.process:
            self._signal_group(signal.SIGKILL)  # whatever of the group is left, e.g. the beat child
        if getattr(self, "log_file", None):
            self.log_file.close()

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)  # the group id is the pid we started

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def flush_while_a_worker_runs(within: float = 30) -> None:
    """Empty the test database as pytest-django is about to, retrying a deadlock.

    A worker that stays up across tests (the browser tests' portal) can be inside a transaction, a
    job-end health check say, when the test's flush TRUNCATEs every table; PostgreSQL then picks one
    of the two to fail. Flushing here first, with the arguments TransactionTestCase uses, and again
    on a deadlock, means the flush that follows finds nothing left to fight over."""
    from django.core.management import call_command
    from django.db.utils import OperationalError

    deadline = time.monotonic() + within
    while True:
        try:
            call_command("flush", verbosity=0, interactive=False, database="default")
            return
        except OperationalError as error:
            if "deadlock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_for(predicate, timeout: float = 60, interval: float = 0.25, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")
