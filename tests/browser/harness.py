"""The portal running for real, for browser tests: the sandbox emulators in-process, a gunicorn web
server process and a Celery worker process, both on the suite's test database and broker, with every
outbound URL pointed at the sandbox.

    def test_something(portal, page, technician):
        portal.login(page, technician)
        page.goto(portal.url("/tenants/new/"))
        portal.snap(page, "tenant-form")             # test-artifacts/browser/tenant-form.png
        link = portal.outbox_link("Approve")         # first link in the newest matching email
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from sandbox.server import Sandbox
from tests.sandbox_fixtures import SandboxAdmin, sandbox_env, staff_signin_settings
from tests.worker import ROOT, Worker, test_database_url
from tests.world import PASSWORD

ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def portal_environment(sb: Sandbox, base_url: str) -> dict:
    """What the web server and the worker both need: the test database, the sandbox, short
    timers."""
    return {
        **os.environ,
        **sandbox_env(sb),
        **staff_signin_settings(sb),  # "Sign in with Microsoft" works against the sandbox too
        "DATABASE_URL": test_database_url(),
        "PORTAL_BASE_URL": base_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ENTRA_ADMIN_CENTER_URL": sb.login_browser_url,
        # Emails land in OutboxMessage, readable here.
        "EMAIL_BACKEND": "onboarding.outbox.OutboxBackend",
        "DEMO_OUTBOX": "true",
        # Long enough for a person (and a 2 s poll) to see the countdown, short enough for CI.
        "ROUTING_WAIT_SECONDS": os.environ.get("BROWSER_ROUTING_WAIT_SECONDS", "8"),
        "SWEEP_INTERVAL_SECONDS": "1",
        "TENANT_PREFLIGHT": "true",
        "STEP_RETRY_BASE_SECONDS": "1",
    }


class WebServer:
    """One gunicorn process serving portal.wsgi on a loopback port."""

    def __init__(self, env: dict, port: int):
        self.env, self.port = env, port
        self.log_path = Path(env.get("VAR_DIR", ROOT / "var")) / f"web-{os.getpid()}-{port}.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> WebServer:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "-c",
            "portal/gunicorn_conf.py",
            "-b",
            f"127.0.0.1:{self.port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "--access-logfile",
            "-",
        ]  # in the log file, so tests can check what it holds
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115  closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web server exited:\n{self.output()[-3000:]}")
            try:
                with urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=2):
                    return self
            except (URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"the web server did not answer within {timeout}s:\n{self.output()[-3000:]}"
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "log_file", None):
            self.log_file.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class RunningPortal:
    base_url: str
    sandbox: Sandbox
    sandbox_admin: SandboxAdmin
    server: WebServer
    worker: Worker
    shots: list[Path] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, page, user, password: str = PASSWORD) -> None:
        """Log in through the real form, as a person would."""
        page.goto(self.url("/login/"))
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        if "/login/" in page.url:
            raise AssertionError(f"login as {user} failed: {page.url}")

    def snap(self, page, name: str) -> Path:
        """A full-page screenshot for people to look at (kept whatever the test's outcome)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def confirm(self, page, accept: bool = True) -> str:
        """Answer the portal's confirmation modal (#confirm-modal) and return the question it
        asked."""
        dialog = page.locator("#confirm-modal.show")
        dialog.wait_for()
        question = dialog.locator(".confirm-text").inner_text()
        dialog.locator(".confirm-yes" if accept else "button:has-text('Not now')").click()
        page.locator("#confirm-modal.show").wait_for(state="hidden")
        return question

    def outbox_link(self, subject_contains: str = "", timeout: float = 30) -> str:
        """The first portal or sandbox link in the newest email whose subject contains the words
        (the
        worker sends emails, so wait for it)."""
        from onboarding.models import OutboxMessage
        from tests.worker import wait_for

        def newest():
            return (
                OutboxMessage.objects.filter(subject__icontains=subject_contains)
                .order_by("-pk")
                .first()
            )

        message = wait_for(newest, timeout=timeout, message=f"an email about {subject_contains!r}")
        links = re.findall(r"https?://[^\s\"'<>]+", message.body_text + " " + message.body_html)
        if not links:
            raise AssertionError(f"no link in the email {message.subject!r}")
        return links[0]

    def record_responses(self, page, store: dict, who: str) -> None:
        """Keep the text of every HTML/JSON answer `page` receives from the portal or the sandbox
        (pages,
        htmx partials, redirects' headers), so a test can scan what a browser really saw."""
        origins = (self.base_url, self.sandbox.login_browser_url)

        def keep(response) -> None:
            if not response.url.startswith(origins):
                return
            kind = response.headers.get("content-type", "")
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            try:
                body = response.text() if ("html" in kind or "json" in kind) else ""
            except Exception:  # noqa: BLE001  redirects and aborted loads have no body: headers are enough
                body = ""
            store[
                f"{who} {response.request.method} {response.url} ({response.status}) #{len(store)}"
            ] = f"{headers}\n\n{body}"

        page.on("response", keep)

    def api_texts(self, user, job) -> dict[str, str]:
        """The REST API's answers about the job and its tenant, over real HTTP with the user's
        token."""
        import requests

        from accounts.tokens import issue_token

        token = issue_token(user, name="browser test")[1]
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = f"Token {token}"
        found = {}
        for path in (
            "/api/v1/tenants/",
            f"/api/v1/tenants/{job.tenant_id}/",
            "/api/v1/onboardings/",
            f"/api/v1/onboardings/{job.pk}/",
            f"/api/v1/onboardings/{job.pk}/report/",
            f"/api/v1/onboardings/{job.pk}/report/summary/",
            "/api/schema/",
        ):
            response = session.get(self.url(path), timeout=30)
            headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            found[f"API GET {path} ({response.status_code})"] = f"{headers}\n\n{response.text}"
        return found

    def diagnostics(self) -> str:
        return (
            f"--- web server log\n{self.server.output()[-4000:]}\n"
            f"--- worker log\n{self.worker.output()[-4000:]}"
        )


def start_portal(state_dir: Path) -> RunningPortal:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    sb = Sandbox(
        host="127.0.0.1", port=0, state_dir=state_dir, portal_base_url=base_url, auto_consent=False
    ).start()
    env = portal_environment(sb, base_url)
    server = worker = None
    try:
        server = WebServer(env, port).start()
        worker = Worker(env=env, concurrency=2).start()
    except BaseException:
        if server:
            server.stop()
        sb.stop()
        raise
    return RunningPortal(base_url, sb, SandboxAdmin(sb), server, worker)


def stop_portal(portal: RunningPortal) -> None:
    portal.worker.stop()
    portal.server.stop()
    portal.sandbox.stop()
