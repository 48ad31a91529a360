from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from integrations.models import Membership, Project, SyncRun
from integrations.sync import sync_project

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = (
        "Serve ampdash against the emulator with demo data: seed, sync, then the web server "
        "and the background task worker. "
        "Ctrl-C stops everything it started."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--integrations", type=int, default=24)

    def handle(self, *args: Any, port: int, integrations: int, **options: Any) -> None:
        if not settings.AMPERSAND_EMULATOR:
            raise CommandError("run_demo serves the emulator: set AMPERSAND_EMULATOR=1.")
        project_name = settings.AMPERSAND_PROJECT or "demo"
        if not os.environ.get("AMPERSAND_API_URL"):
            # The emulator lives in the server started below, on this port.
            settings.AMPERSAND_API_URL = f"http://127.0.0.1:{port}/emulator/v1"
        call_command(
            "seed_emulator",
            project=project_name,
            integrations=integrations,
            api_key=settings.AMPERSAND_API_KEY,
            if_empty=True,
        )
        project, _ = Project.objects.get_or_create(
            name=project_name, defaults={"ampersand_project": project_name}
        )
        password = self.ensure_demo_user(project)

        # A terminal's Ctrl-C, or a supervisor's TERM/HUP: either way, stop what we started.
        for stop_signal in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(stop_signal, _interrupt)
        server = self.start(["runserver", f"127.0.0.1:{port}"], port)
        worker = self.start(["db_worker"], port)
        try:
            self.wait_until_up(server, port)
            run = sync_project(project=project, trigger=SyncRun.Trigger.DEMO)
            if run.status == SyncRun.Status.FAILED:
                self.stderr.write(f"sync failed: {run.error_title}: {run.error_detail}")
            else:
                self.stdout.write(run.summary())
            self.stdout.write(
                self.style.SUCCESS(f"\nampdash is running on http://127.0.0.1:{port}/")
            )
            if password:
                self.stdout.write(f"Log in as {DEMO_USERNAME} / {password} (shown only this once)")
            else:
                self.stdout.write(
                    f"Log in as {DEMO_USERNAME} (its password was printed on the first run; "
                    f"`python manage.py changepassword {DEMO_USERNAME}` sets a new one)"
                )
            self.stdout.write("Press Ctrl-C to stop.\n")
            while server.poll() is None and worker.poll() is None:
                time.sleep(0.5)
            stopped = "web server" if server.returncode is not None else "task worker"
            raise CommandError(f"The {stopped} stopped unexpectedly.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping.")
        finally:
            # A second Ctrl-C or TERM (pressed twice, or make's then the terminal's) must not
            # cut the cleanup short and leave the server running.
            for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop_signal, signal.SIG_IGN)
            self.stop(worker)
            self.stop(server)

    def ensure_demo_user(self, project: Project) -> str | None:
        """Create the local demo account once, with a random password; None if it exists."""
        User = get_user_model()
        with transaction.atomic():
            if User.objects.filter(username=DEMO_USERNAME).exists():
                return None
            password = secrets.token_urlsafe(12)
            user = User.objects.create_superuser(DEMO_USERNAME, password=password)
            Membership.objects.create(user=user, project=project, role=Membership.Role.OPS)
        return password

    def start(self, command: list[str], port: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PORT": str(port)}
        # A session of its own, so the autoreloader's child is stopped with it.
        return subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
        )

    def wait_until_up(self, server: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"The web server did not start (is port {port} in use?).")
            try:
                httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=1)
            except httpx.TransportError:
                time.sleep(0.3)
            else:
                return
        raise CommandError(f"The web server did not answer on port {port} within 60 s.")

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
