"""Production configuration passes `manage.py check --deploy` cleanly, and the cookies are locked
down.

Each check runs in a subprocess with the environment production would have, because the settings
read
the environment once, at import: patching django.conf.settings would test nothing real.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **overrides) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "PORTAL_BASE_URL": "https://portal.msp.example",
        "ALLOWED_HOSTS": "portal.msp.example",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_SSL_REDIRECT": "true",
        "BEHIND_TLS_PROXY": "true",
        "MSP_APP_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
        "MSP_APP_CLIENT_SECRET": secrets.token_urlsafe(30),
        "PROOFPOINT_API_USER": "api@msp.example",
        "PROOFPOINT_API_PASSWORD": secrets.token_urlsafe(20),
        "PROOFPOINT_PARTNER_DOMAIN": "msp.example",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def deployed_settings(env: dict, *names: str) -> dict:
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}))"
    )
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_production_environment(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"SECURE_HSTS_SECONDS": None}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": None}, "security.W008"),
        ({"PORTAL_BASE_URL": "http://portal.msp.example"}, "security.W012"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "portal.E003"),
        ({"DJANGO_SECRET_KEY": None}, "portal.E001"),
        ({"CELERY_BROKER_URL": None}, "portal.W002"),
        ({"PROOFPOINT_API_PASSWORD": None}, "portal.W001"),
        ({"CACHE_URL": None}, "portal.W003"),
    ],
    ids=[
        "no-hsts",
        "no-ssl-redirect",
        "http-base-url",
        "no-encryption-keys",
        "no-secret-key",
        "file-broker",
        "no-proofpoint-password",
        "file-cache",
    ],
)
def test_check_deploy_names_what_is_missing(tmp_path, overrides, expected):
    """The clean run above means something: take one piece away and the check says so."""
    result = manage(
        production_env(tmp_path, **overrides), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_cookies_are_secure_httponly_and_same_site_behind_https(tmp_path):
    values = deployed_settings(
        production_env(tmp_path),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_PROXY_SSL_HEADER",
    )
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_plain_http_demo_keeps_cookies_usable(tmp_path):
    """Secure cookies follow the base URL: `make demo` on http://127.0.0.1 must still log people
    in."""
    env = production_env(
        tmp_path,
        PORTAL_BASE_URL="http://127.0.0.1:8000",
        SECURE_SSL_REDIRECT=None,
        SECURE_HSTS_SECONDS=None,
        BEHIND_TLS_PROXY=None,
    )
    values = deployed_settings(
        env, "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT"
    )
    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
    }


def test_a_real_https_response_sets_the_cookies_secure_and_httponly(tmp_path):
    """Not just the settings: what the login page really sends back through the TLS proxy."""
    code = (
        "import json; from django.test import Client; "
        "r = Client().get('/login/', headers={'X-Forwarded-Proto': 'https', 'Host': "
        "'portal.msp.example'}); "
        "m = r.cookies['csrftoken']; print(json.dumps([r.status_code, bool(m['secure']), "
        "bool(m['httponly']), "
        "m['samesite'], r.headers.get('Strict-Transport-Security')]))"
    )
    env = production_env(tmp_path)
    assert (
        manage(env, "migrate", "-v", "0").returncode == 0
    )  # the login page reads the sign-in policy
    result = manage(env, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    status, secure, httponly, samesite, hsts = json.loads(result.stdout.strip().splitlines()[-1])
    assert (status, secure, httponly, samesite) == (200, True, True, "Lax")
    assert hsts.startswith("max-age=31536000")
