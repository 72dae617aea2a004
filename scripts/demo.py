"""`make demo`: the portal on embedded defaults with the sandbox emulators, in one command.

Starts the sandbox (Microsoft login, Graph, Proofpoint Essentials emulators), migrates the SQLite
database under var/, creates demo staff users, then runs the web server (gunicorn), a Celery
worker and Celery beat as its own process (like docker-compose.yml), on the file-system broker.
Each runs in its own process group, so a killed worker leaves no orphan beat, a second beat is never
started, and
Ctrl-C or a process that dies stops every group it started.
"""

import base64
import contextlib
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.server import Sandbox  # noqa: E402  (needs the path above)

PORT = int(os.environ.get("PORTAL_PORT", "8000"))
BASE_URL = f"http://127.0.0.1:{PORT}"
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8440"))
DEMO_USERS = [("tech", "technician", "tech-demo-pass"), ("manager", "manager", "manager-demo-pass")]
PY = sys.executable
VAR = ROOT / "var"
BEAT_SCHEDULE = VAR / "celerybeat-schedule"
# What settings.py uses without DJANGO_SECRET_KEY; older demo databases were encrypted with its key.
OLD_DEV_SECRET_KEY = "dev-only-insecure-key-change-me"


def _fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest()).decode()


def demo_secret_key(var: Path = VAR) -> str:
    """A strong random key made once per checkout, kept under var/ (sessions survive a restart)."""
    path = var / "demo-secret-key"
    if not path.is_file():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def demo_environment(sb: Sandbox) -> dict:
    pp, msp = sb.proofpoint_credentials, sb.msp
    secret_key = os.environ.get("DJANGO_SECRET_KEY") or demo_secret_key()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": secret_key,
        # The first key encrypts; the second reads a demo database made before the demo had a key.
        "FIELD_ENCRYPTION_KEYS": os.environ.get("FIELD_ENCRYPTION_KEYS")
        or f"{_fernet_key(secret_key)},{_fernet_key(OLD_DEV_SECRET_KEY)}",
        "PORTAL_BASE_URL": BASE_URL,
        "MICROSOFT_LOGIN_URL": sb.login_url,
        "MICROSOFT_LOGIN_BROWSER_URL": sb.login_browser_url,
        "MICROSOFT_GRAPH_URL": sb.graph_url,
        "ENTRA_ADMIN_CENTER_URL": sb.login_browser_url,
        "PROOFPOINT_API_URL": sb.proofpoint_url,
        "OUTBOUND_CA_BUNDLE": str(sb.ca_path),
        "MSP_APP_CLIENT_ID": msp["app_id"],
        "MSP_APP_CLIENT_SECRET": msp["secret"],
        "PROOFPOINT_API_USER": pp["user"],
        "PROOFPOINT_API_PASSWORD": pp["password"],
        "PROOFPOINT_PARTNER_DOMAIN": pp["partner_domain"],
        # "Sign in with Microsoft" against the sandbox's staff sign-in app; passwords keep working.
        "STAFF_SIGNIN_TENANT_ID": sb.staff_signin["tenant_id"],
        "STAFF_SIGNIN_CLIENT_ID": sb.staff_signin["client_id"],
        "STAFF_SIGNIN_CLIENT_SECRET": sb.staff_signin["secret"],
        "DNS_NAMESERVERS": ",".join(sb.dns_nameservers),  # the sandbox's DNS (UDP), demo domains
        "MSP_NAME": os.environ.get("MSP_NAME", "Contoso MSP"),
        # A short countdown so a demo run reaches "completed"; production waits the full hour.
        "ROUTING_WAIT_SECONDS": os.environ.get("ROUTING_WAIT_SECONDS", "300"),
        "SWEEP_INTERVAL_SECONDS": os.environ.get("SWEEP_INTERVAL_SECONDS", "5"),
        # The demo logins below work with their password alone. The demo runs with DJANGO_DEBUG
        # off, where the authenticator-app step is on by default: export
        # STAFF_LOCAL_MFA_REQUIRED=true to try it.
        "STAFF_LOCAL_MFA_REQUIRED": os.environ.get("STAFF_LOCAL_MFA_REQUIRED", "false"),
    }
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        env.pop(name, None)  # the demo runs on the embedded defaults
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v", "0")
    for username, role, password in DEMO_USERS:
        manage(
            env,
            "create_staff",
            username,
            "--role",
            role,
            "--password",
            password,
            "--email",
            f"{username}@msp.example",
        )


def service_commands(port: int = PORT, schedule: Path = BEAT_SCHEDULE) -> dict[str, list[str]]:
    """The demo's processes: web, worker and beat, each on its own (never `worker -B`)."""
    return {
        "web": [
            PY,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "-c",
            str(ROOT / "portal" / "gunicorn_conf.py"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        "worker": [
            PY,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "-P",
            "threads",
            "-c",
            "4",
            "-l",
            "WARNING",
        ],
        "beat": [
            PY,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "-l",
            "WARNING",
            "-s",
            str(schedule),
            "--pidfile",
            str(schedule.with_suffix(".pid")),
        ],
    }


def start_services(
    env: dict, commands: dict[str, list[str]] | None = None
) -> list[subprocess.Popen]:
    """Each process leads its own group, so stopping it stops whatever it forked too."""
    commands = commands or service_commands()
    return [
        subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        for command in commands.values()
    ]


def stop_services(processes: list[subprocess.Popen], grace: float = 15) -> None:
    """SIGTERM every group, wait, then SIGKILL what is left: no child outlives the demo."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.1, deadline - time.monotonic()))
    for process in processes:
        _signal_group(process, signal.SIGKILL)  # the children too, even if the leader exited
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)  # the group the process leads (start_new_session)


def wait_for_web(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urlopen(f"{BASE_URL}/healthz", timeout=2):  # noqa: S310  (our own loopback URL)
                return
        except OSError:
            time.sleep(0.5)


def customer_domains(scenario: dict) -> list[str]:
    lines = []
    for spec in scenario.get("tenants", []):
        domain = spec.get("domain") or spec["domains"][0]
        domain = domain if isinstance(domain, str) else domain["name"]
        note = " (GCC High: the portal refuses it)" if spec.get("gcc_high") else ""
        lines.append(f"{domain:<24} {spec.get('users', 10):>6} users{note}")
    return lines


def microsoft_accounts(sb: Sandbox) -> str:
    lines = []
    home = sb.staff_signin["tenant_id"]
    for person in sb.staff_signin["users"]:
        if person["tenant_id"] != home:
            what = "a customer's account: Entra refuses it"
        else:
            what = ", ".join(person["roles"]) or "no app role: told whom to ask"
        lines.append(f"    {person['upn']:<34} {what}")
    return "\n".join(lines)


def banner(sb: Sandbox) -> str:
    users = "\n".join(f"    {role:<11} {name} / {password}" for name, role, password in DEMO_USERS)
    tenants = "\n".join(f"    {domain}" for domain in customer_domains(sb.scenario))
    return f"""
============================================================================
 MSP onboarding portal (demo) is running:  {BASE_URL}

 Log in with a password:
{users}
 or click "Sign in with Microsoft" and pick an account on the sandbox's page:
{microsoft_accounts(sb)}

 Sandbox customer domains to onboard (add one as a tenant, then Start onboarding):
{tenants}

 Emails (the customer's consent link, notifications) appear under "Outbox (demo)".
 The consent page is the sandbox's, at {sb.login_browser_url}.
 Sandbox state: {sb.login_url}/_sandbox/state
 Routing countdown in the demo: {os.environ.get("ROUTING_WAIT_SECONDS", "300")} s.
 Ctrl-C stops everything.
============================================================================
"""


class Stop:
    """Ctrl-C or SIGTERM: remember it; the children (in their own groups) are stopped in `main`."""

    requested = False

    @classmethod
    def on_signal(cls, signum, frame) -> None:
        cls.requested = True


def main() -> int:
    (ROOT / "var").mkdir(exist_ok=True)
    signal.signal(signal.SIGINT, Stop.on_signal)
    signal.signal(signal.SIGTERM, Stop.on_signal)
    sb = Sandbox(
        host="127.0.0.1",
        port=SANDBOX_PORT,
        state_dir=ROOT / "var" / "sandbox",
        portal_base_url=BASE_URL,
    ).start()
    env = demo_environment(sb)
    processes: list[subprocess.Popen] = []
    try:
        prepare(env)
        processes = start_services(env)
        wait_for_web()
        print(banner(sb), flush=True)
        while not Stop.requested and all(p.poll() is None for p in processes):
            time.sleep(0.5)
        if Stop.requested:
            print("\nStopping the demo...")
            return 0
        print("A demo process stopped unexpectedly; shutting down.", file=sys.stderr)
        return 1
    finally:
        stop_services(processes)
        sb.stop()


if __name__ == "__main__":
    sys.exit(main())
