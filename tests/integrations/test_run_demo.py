"""`make run`'s last step, end to end: seed, sync, serve, log in, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

pytestmark = pytest.mark.timeout(180)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if re.search(pattern, line):
            return lines
    raise AssertionError(f"never saw {pattern!r}; output was:\n" + "\n".join(lines))


def processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment mentions `marker` (Linux /proc)."""
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


def test_run_demo_serves_the_synced_demo_runs_tasks_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AMPERSAND_"))},
        "AMPERSAND_EMULATOR": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
    demo = subprocess.Popen(
        [*manage, "run_demo", "--port", str(port)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = read_until(demo, r"Press Ctrl-C", timeout=120)
        assert "synced project=demo fetched=24 new=24 changed=0 unchanged=0 removed=0" in output
        login = next(line for line in output if line.startswith("Log in as demo / "))
        password = login.removeprefix("Log in as demo / ").split(" ")[0]

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=True) as browser:
            form = browser.get("/accounts/login/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
            page = browser.post(
                "/accounts/login/",
                data={"username": "demo", "password": password, "csrfmiddlewaretoken": token},
            )
            assert page.url.path == "/integrations/"
            assert page.text.count("<tr>") == 25  # header + 24 integrations

            # The Sync now button hands the sync to the db_worker that run_demo started.
            home = browser.get("/").text
            sync_url = re.search(r'action="(/projects/\d+/sync/)"', home)[1]
            token = browser.cookies["csrftoken"]
            started = browser.post(sync_url, headers={"X-CSRFToken": token})
            run_url = str(started.url.path)
            assert run_url.startswith("/sync-runs/")
            deadline = time.monotonic() + 60
            while 'hx-trigger="every 1s"' in (status := browser.get(run_url).text):
                assert time.monotonic() < deadline, "the task worker never ran the sync"
                time.sleep(0.5)
            assert "Succeeded" in status
            assert "fetched 24 · new 0 · changed 0 · unchanged 24 · removed 0" in status
        assert len(processes_with_env(str(tmp_path))) >= 3  # run_demo, server, worker
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)

    assert processes_with_env(str(tmp_path)) == []

    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)


def start_demo(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """`manage.py run_demo` on a free port, its database and processes marked by `tmp_path`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AMPERSAND_"))},
        "AMPERSAND_EMULATOR": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=settings.BASE_DIR, env=env, check=True)
    return subprocess.Popen(
        [*manage, "run_demo", "--port", str(free_port()), *extra],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def assert_all_stopped(tmp_path: Path) -> None:
    """No process `start_demo` started for `tmp_path` is left, after at most 10 s."""
    deadline = time.monotonic() + 10
    while processes_with_env(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with_env(str(tmp_path)) == []


def test_run_demo_stops_everything_it_started_on_sigterm(tmp_path):
    demo = start_demo(tmp_path, "--integrations", "3")
    try:
        read_until(demo, r"Press Ctrl-C", timeout=120)
        assert len(processes_with_env(str(tmp_path))) >= 3
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)

    assert_all_stopped(tmp_path)


def test_demo_account_gets_a_random_password_once(db, django_user_model):
    from integrations.management.commands.run_demo import Command
    from integrations.models import Project

    project = Project.objects.create(name="demo", ampersand_project="demo")
    first = Command().ensure_demo_user(project)
    second = Command().ensure_demo_user(project)

    user = django_user_model.objects.get(username="demo")
    assert len(first or "") >= 16
    assert user.check_password(first)
    assert second is None
    assert user.memberships.get().project == project


def test_two_demo_setups_never_share_a_password(db, django_user_model):
    from integrations.management.commands.run_demo import Command
    from integrations.models import Project

    project = Project.objects.create(name="demo", ampersand_project="demo")
    first = Command().ensure_demo_user(project)
    django_user_model.objects.all().delete()
    assert Command().ensure_demo_user(project) != first


def test_a_second_signal_while_stopping_still_stops_everything(tmp_path):
    """A Ctrl-C pressed twice, or make's TERM and then the terminal's: the cleanup finishes."""
    demo = start_demo(tmp_path, "--integrations", "3")
    try:
        read_until(demo, r"Press Ctrl-C", timeout=120)
        demo.send_signal(signal.SIGTERM)
        for _ in range(20):  # more, while it stops the task worker and the web server
            time.sleep(0.05)
            if demo.poll() is None:
                demo.send_signal(signal.SIGINT)
    finally:
        demo.wait(timeout=40)

    assert_all_stopped(tmp_path)
