"""Configuration that fails at start-up, not mid-job: every process refuses a bad configuration in
words before it serves or runs anything, and an empty value in .env means the embedded default.

Each case runs the real command in a subprocess with the environment a deployment would have."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.test_deploy_settings import manage, production_env

ROOT = Path(__file__).resolve().parents[3]


def example_values() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def test_the_empty_values_of_env_example_mean_the_defaults(tmp_path):
    """.env.example copied to .env, production values filled in: every blank line is a default."""
    blanks = {name: "" for name, value in example_values().items() if value == ""}
    assert "DATABASE_URL" in blanks and "DJANGO_SECRET_KEY" in blanks
    production = production_env(tmp_path)
    env = {**production, **{name: "" for name in blanks if name not in production}}
    env["DATABASE_URL"] = ""  # the case that raised UnknownSchemeError
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.PROOFPOINT_STACKS_FILE.name, s.DEMO_OUTBOX)"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "django.db.backends.sqlite3",
        "stacks.json",
        "True",
    ]


def test_an_empty_value_is_the_default_for_every_kind_of_reader(monkeypatch):
    from portal.env import env, envbool, envint, envlist, envurl

    for name in ("S", "B", "I", "L", "U"):
        monkeypatch.setenv(name, "  ")
    assert env("S", "fallback") == "fallback"
    assert envbool("B", True) is True
    assert envint("I", 7) == 7
    assert envlist("L", "a,b") == ["a", "b"]
    assert envurl("U", "https://login.example/") == "https://login.example"


def test_empty_values_give_the_embedded_defaults_in_settings(tmp_path):
    blank = {
        name: ""
        for name in (
            "ALLOWED_HOSTS",
            "TIME_ZONE",
            "DEMO_OUTBOX",
            "SYNC_APP_DISPLAY_NAME",
            "EMAIL_PORT",
            "PROOFPOINT_STACKS_FILE",
            "DATABASE_URL",
        )
    }
    env = production_env(tmp_path, PORTAL_BASE_URL="http://127.0.0.1:8000", **blank)
    code = (
        "from django.conf import settings as s; "
        "print(s.ALLOWED_HOSTS[0], s.TIME_ZONE, s.DEMO_OUTBOX, "
        "s.SYNC_APP_DISPLAY_NAME, s.EMAIL_PORT, s.PROOFPOINT_STACKS_FILE.name)"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "127.0.0.1",
        "UTC",
        "True",
        "ProofPoint",
        "25",
        "stacks.json",
    ]


WEAK_KEYS = [
    ("test-only-secret-key", "placeholder"),
    ("change-me", "placeholder"),
    ("django-insecure-" + "x7Gq2" * 10, "placeholder"),
    ("Zr8!kP2q", "too short"),
    ("ab" * 40, "too few different characters"),
]


@pytest.mark.parametrize("key,words", WEAK_KEYS, ids=[w for _, w in WEAK_KEYS])
def test_a_weak_secret_key_stops_check(tmp_path, key, words):
    result = manage(production_env(tmp_path, DJANGO_SECRET_KEY=key), "check")
    assert result.returncode != 0
    assert "portal.E001" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr
    assert words in result.stderr


def test_debug_off_is_what_counts_not_the_address(tmp_path):
    """A portal on a loopback address behind a local proxy is still production; DEBUG on is not."""
    env = production_env(
        tmp_path,
        DJANGO_SECRET_KEY=None,
        PORTAL_BASE_URL="http://127.0.0.1:8000",
        SECURE_SSL_REDIRECT=None,
    )
    result = manage(env, "check")
    assert result.returncode != 0 and "portal.E001" in result.stderr
    result = manage({**env, "DJANGO_DEBUG": "true"}, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_http_base_url_off_loopback_stops_check(tmp_path):
    for url, bad in [
        ("http://portal.msp.example", True),
        ("http://10.0.0.5:8000", True),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8000", False),
        ("http://[::1]:8000", False),
        ("https://portal.msp.example", False),
    ]:
        result = manage(production_env(tmp_path, PORTAL_BASE_URL=url), "check")
        assert ("portal.E005" in result.stderr) == bad, (url, result.stderr)
        assert (result.returncode != 0) == bad, (url, result.stderr)
        if bad:
            assert "plain http" in result.stderr


SMTP = "django.core.mail.backends.smtp.EmailBackend"
FILES = "django.core.mail.backends.filebased.EmailBackend"


@pytest.mark.parametrize(
    "overrides,error,words,fixed",
    [
        (
            {"EMAIL_BACKEND": SMTP},
            "portal.E008",
            "EMAIL_HOST is not set",
            {"EMAIL_HOST": "smtp.msp.example"},
        ),
        (
            {"EMAIL_BACKEND": FILES},
            "portal.E007",
            "EMAIL_FILE_PATH is not set",
            {"EMAIL_FILE_PATH": "{tmp}"},
        ),
        (
            {"EMAIL_BACKEND": "smtp"},
            "portal.E006",
            "cannot be loaded",
            {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "smtp.msp.example"},
        ),
    ],
    ids=["smtp-without-host", "file-without-path", "not-a-backend"],
)
def test_an_email_backend_without_its_settings_stops_check(
    tmp_path, overrides, error, words, fixed
):
    env = production_env(tmp_path, **overrides)
    result = manage(env, "check")
    assert result.returncode != 0
    assert error in result.stderr and words in result.stderr
    fixed = {name: value.replace("{tmp}", str(tmp_path / "mail")) for name, value in fixed.items()}
    result = manage({**env, **fixed}, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_file_backend_writes_to_email_file_path(tmp_path):
    """Before: EMAIL_BACKEND=...filebased.EmailBackend failed the consent step with a TypeError."""
    outbox = tmp_path / "mail"
    env = production_env(tmp_path, EMAIL_BACKEND=FILES, EMAIL_FILE_PATH=str(outbox))
    assert manage(env, "check").returncode == 0
    code = (
        "from django.core.mail import send_mail; "
        "send_mail('Approve the onboarding app', 'Open the link', None, ['admin@fabrikam.example'])"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert "Approve the onboarding app" in "".join(p.read_text() for p in outbox.iterdir())


def run(env: dict, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("celery", "-A", "portal", "worker", "-P", "solo", "--without-gossip", "--without-mingle"),
        ("celery", "-A", "portal", "beat", "-s", "{tmp}/beat-schedule"),
        ("gunicorn", "portal.wsgi", "-c", "portal/gunicorn_conf.py", "-b", "127.0.0.1:0"),
    ],
    ids=["worker", "beat", "gunicorn"],
)
def test_the_worker_beat_and_web_server_refuse_to_start(tmp_path, command):
    env = production_env(
        tmp_path, DJANGO_SECRET_KEY="test-only-secret-key", CELERY_BROKER_URL=None, CACHE_URL=None
    )  # nothing external needed to fail
    command = tuple(part.replace("{tmp}", str(tmp_path)) for part in command)
    result = run(env, *command)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "cannot start" in output and "portal.E001" in output and "DJANGO_SECRET_KEY" in output
    assert ("beat" in output) if "beat" in command else True
