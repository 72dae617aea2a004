"""`make demo` runs beat as its own process: a killed worker leaves nothing behind, a second beat is
refused (so periodic tasks never run twice), and stopping the demo stops every process it started.

The processes are the demo's real commands (scripts/demo.py service_commands), throw-away var/."""

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]


def load_demo():
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may be slow to reap an orphan)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_alive(pgid: int) -> bool:
    """Any process of the group still running (zombies do not count)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_the_worker_does_not_embed_beat_and_beat_keeps_its_schedule_under_var():
    commands = demo.service_commands()
    assert set(commands) == {"web", "worker", "beat"}
    assert "-B" not in commands["worker"] and "--beat" not in commands["worker"]
    beat = commands["beat"]
    assert beat[beat.index("-A") + 2] == "beat"
    schedule = Path(beat[beat.index("-s") + 1])
    assert schedule.parent == ROOT / "var"
    assert "--pidfile" in beat  # a second beat on the same schedule refuses to start
    assert "portal/gunicorn_conf.py" in " ".join(
        commands["web"]
    )  # masked access log, start-up checks


def test_docker_compose_has_the_same_layout():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert (
        " -B" not in services["worker"]["command"] and "--beat" not in services["worker"]["command"]
    )
    assert services["beat"]["command"].startswith("celery -A portal beat")
    assert "portal/gunicorn_conf.py" in services["web"]["command"]


@pytest.fixture
def demo_env(tmp_path) -> dict:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("CELERY_BROKER_URL", "DATABASE_URL", "CACHE_URL")
    }
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SWEEP_INTERVAL_SECONDS="1",
        PORTAL_BASE_URL="http://127.0.0.1:8000",
    )
    return env


def test_a_killed_worker_leaves_no_orphan_and_a_second_beat_is_refused(tmp_path, demo_env):
    schedule = tmp_path / "var" / "celerybeat-schedule"
    commands = demo.service_commands(schedule=schedule)
    processes = demo.start_services(
        demo_env, {"worker": commands["worker"], "beat": commands["beat"]}
    )
    worker, beat = processes
    try:
        pidfile = schedule.with_suffix(".pid")
        assert wait_for(pidfile.exists, 40), "beat did not start"
        assert beat.poll() is None and worker.poll() is None
        # The OOM killer takes the worker (its leader process only, as `kill -9 <pid>` would).
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert wait_for(lambda: not group_alive(worker.pid), 10), (
            "the killed worker left a child running"
        )
        assert (
            beat.poll() is None
        )  # beat is its own process: it goes on, for the worker that restarts
        # A second beat (a demo started twice) would send every periodic task twice: it is refused.
        second = subprocess.run(
            commands["beat"], cwd=ROOT, env=demo_env, capture_output=True, text=True, timeout=40
        )
        assert second.returncode != 0
        assert "pidfile" in (second.stdout + second.stderr).lower()
    finally:
        demo.stop_services(processes, grace=10)
    assert not group_alive(beat.pid) and not group_alive(worker.pid)


def test_stopping_the_demo_stops_what_the_processes_forked(tmp_path):
    """A process that forks a child: stop_services ends the whole group, child included."""
    child_pid_file = tmp_path / "child.pid"
    parent = [
        sys.executable,
        "-c",
        "import subprocess, sys, time; "
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        f"open({str(child_pid_file)!r}, 'w').write(str(c.pid)); time.sleep(120)",
    ]
    processes = demo.start_services(dict(os.environ), {"parent": parent})
    assert wait_for(lambda: child_pid_file.exists() and child_pid_file.read_text(), 10)
    child = int(child_pid_file.read_text())
    demo.stop_services(processes, grace=5)
    assert processes[0].poll() is not None
    assert wait_for(lambda: not running(child), 5), "the forked child outlived the demo"
