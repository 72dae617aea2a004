"""Access logs and error reports never hold a live consent token or a callback's state or code.

The web servers are real: gunicorn with the production configuration file and Django's runserver,
both on the test database; the test requests consent paths and callbacks, then reads what was
logged. The error report (the 500 email to ADMINS and the technical page) is Django's own."""

import logging
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core import mail
from django.test import RequestFactory
from django.views.debug import get_exception_reporter_class

from portal.logging import mask_secrets_in_path
from tests import worker

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "raw,masked",
    [
        ("/consent/AbC-123_xyzAbC-123_xyzAbC-123_xyz/", "/consent/[masked]/"),
        ("/consent/AbC-123_xyz/go/", "/consent/[masked]/go/"),
        (
            "/consent/callback/?state=S3cr3t&admin_consent=True&tenant=t",
            "/consent/callback/?state=[masked]&admin_consent=True&tenant=t",
        ),
        (
            "/accounts/microsoft/callback/?code=0.AX&state=st&session_state=ss&id_token=eyJ",
            "/accounts/microsoft/callback/?code=[masked]&state=[masked]&session_state=[masked]&id_token=[masked]",
        ),
        ('"GET /consent/tok1234/ HTTP/1.1" 200', '"GET /consent/[masked]/ HTTP/1.1" 200'),
        (
            "https://portal.example/consent/tok1234/?token=t&x=1",
            "https://portal.example/consent/[masked]/?token=[masked]&x=1",
        ),
        ("/jobs/4/?page=2", "/jobs/4/?page=2"),
        ("/consent/callback/", "/consent/callback/"),
        ("/jobs/4/consent/resend/", "/jobs/4/consent/resend/"),
    ],
)
def test_mask_secrets_in_path(raw, masked):
    assert mask_secrets_in_path(raw) == masked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped"
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def server_command(kind: str, port: int, access_log: Path) -> list[str]:
    if kind == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "-c",
            "portal/gunicorn_conf.py",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--access-logfile",
            str(access_log),
        ]
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["gunicorn", "runserver"])
def test_the_access_and_error_logs_hold_no_consent_token_or_state(
    kind, tmp_path, settings, technician
):
    from tests.world import build_world

    world = build_world(settings, technician)
    token = world.consent_token
    state, code, id_token = (
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
        secrets.token_urlsafe(24),
    )
    port, access_log, output = free_port(), tmp_path / "access.log", tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": worker.test_database_url(), "LOG_LEVEL": "INFO"}
    with open(output, "wb") as out:
        server = subprocess.Popen(
            server_command(kind, port, access_log),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base}/healthz", server)
            http = requests.Session()
            http.trust_env = False
            landing = http.get(
                f"{base}/consent/{token}/", headers={"Referer": f"{base}/consent/{token}/"}
            )
            assert (
                landing.status_code == 200
            )  # the live link really works: the log line is of a live token
            http.get(
                f"{base}/consent/{token}/go/"
            )  # GET on a POST-only view: 405, logged as a warning
            http.get(
                f"{base}/consent/callback/",
                params={
                    "state": state,
                    "code": code,
                    "id_token": id_token,
                    "session_state": "ss-" + state,
                },
            )
            http.get(f"{base}/consent/{token}x/")  # an unknown token: logged as a client error
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(15)
    logged = output.read_text(errors="replace") + (
        access_log.read_text() if access_log.exists() else ""
    )
    assert "/consent/[masked]/" in logged, logged[-3000:]  # the requests were logged, masked
    for secret in (token, state, code, id_token):
        assert secret not in logged, logged[-3000:]


def failing_request(token: str, state: str):
    return RequestFactory().get(
        f"/consent/{token}/",
        {"state": state, "code": "c0de-" + state},
        HTTP_REFERER=f"http://testserver/consent/{token}/",
    )


def raise_in_a_view(token: str):
    try:
        raise RuntimeError("boom while showing the consent page")
    except RuntimeError:
        return sys.exc_info()


def test_the_error_report_page_and_email_hold_no_token_or_state(settings):
    token, state = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    request = failing_request(token, state)
    reporter = get_exception_reporter_class(request)(request, *raise_in_a_view(token))
    report = reporter.get_traceback_html() + reporter.get_traceback_text()
    assert "boom while showing the consent page" in report
    assert token not in report and state not in report

    settings.ADMINS = [("Ops", "ops@msp.example")]
    request = failing_request(token, state)
    try:
        raise RuntimeError("boom in the view")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: %s",
            request.path,
            exc_info=True,
            extra={"status_code": 500, "request": request},
        )
    assert len(mail.outbox) == 1, "the 500 email was sent"
    message = mail.outbox[0]
    everything = message.subject + message.body + "".join(str(a[1]) for a in message.alternatives)
    assert "boom in the view" in everything
    assert token not in everything and state not in everything
