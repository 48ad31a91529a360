"""`make bench`: how fast the main pages are, as ratios to a trivial view on the same server.

With 1,000 integrations stored (and one of 30 read objects of 40 fields), gunicorn serves the
dashboard on loopback with production settings; wrk measures the median latency of the list
page, a search, that integration's detail page and a trivial view behind the same middleware
and login (`/accounts/session/`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import harness
from sync import recorded_answer

PROJECT = "bench"
SEARCH = "account"
WRK_THREADS = 1
WRK_CONNECTIONS = 2
GUNICORN_WORKERS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--fields", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages (median)")
    parser.add_argument("--cache-dir", type=Path, default=harness.DEFAULT_CACHE_DIR)
    # Internal: the step that runs in a Django process of its own.
    parser.add_argument("--step", choices=["populate"], help=argparse.SUPPRESS)
    parser.add_argument("--bodies", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 1 <= args.seconds <= 60:
        parser.error("--rounds must be 1..20 and --seconds 0.5..60")
    if args.step == "populate":
        print(json.dumps(populate(args.bodies)))
        return
    if not shutil.which("wrk"):
        raise SystemExit("bench/pages.py needs wrk (apt-get install wrk; `make bench` does it)")
    run_bench(args)


def run_bench(args: argparse.Namespace) -> None:
    many = recorded_answer(
        argparse.Namespace(
            integrations=args.integrations,
            objects=args.objects,
            fields=args.fields,
            seed=1,
            cache_dir=args.cache_dir,
        )
    )
    large = recorded_answer(
        argparse.Namespace(integrations=1, objects=30, fields=40, seed=7, cache_dir=args.cache_dir)
    )
    with harness.scratch_dir() as scratch:
        database_url = os.environ.get("DATABASE_URL") or harness.sqlite_url(scratch / "pages.db")
        harness.migrate(database_url)
        env = harness.django_env(database_url, DJANGO_SECURE_SSL_REDIRECT="0")
        setup = harness.run_json(
            [__file__, "--step", "populate", "--bodies", str(many), str(large)], env
        )
        subprocess.run(
            [harness.PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=harness.ROOT,
            env=env,
            check=True,
        )
        pages = {
            "hello": "/accounts/session/",
            "list": "/integrations/",
            "search": f"/integrations/?q={SEARCH}",
            "detail": f"/integrations/{setup['detail_pk']}/",
            # The same search, but every request a page never asked for before (an unknown
            # parameter that only changes the page's cache key): what typing a new query costs.
            "search_uncached": f"/integrations/?q={SEARCH}&fresh=",
        }
        with gunicorn(env) as base_url:
            cookie = f"sessionid={setup['session_key']}"
            for path in pages.values():
                warm_up(base_url + path, cookie)
            rounds: dict[str, list[float]] = {name: [] for name in pages}
            for _ in range(args.rounds):
                for name, path in pages.items():
                    rounds[name].append(
                        wrk_median_ms(
                            base_url + path,
                            cookie,
                            args.seconds,
                            numbered=name == "search_uncached",
                        )
                    )
    medians = {name: harness.median(values) for name, values in rounds.items()}
    print(
        f"integrations = {setup['integrations']}; detail page: {setup['detail_objects']} read "
        f"objects, {setup['detail_fields']} fields"
    )
    for name, value in medians.items():
        print(f"median {name} = {value:.2f} ms")
    for name in ("list", "search", "detail", "search_uncached"):
        print(f"ratio {name}/hello = {medians[name] / medians['hello']:.2f}")


def populate(bodies: list[Path]) -> dict[str, object]:
    """Store the recorded integrations through the real sync, and make a logged-in session."""
    harness.setup_django()
    import httpx
    import orjson
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from integrations.ampersand import AmpersandClient
    from integrations.models import Integration, Membership, Project, SearchIndex
    from integrations.services import sync_project

    items = [item for body in bodies for item in orjson.loads(body.read_bytes())]
    answer = orjson.dumps(items)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=answer, headers={"content-type": "application/json"}
        )
    )
    project, _ = Project.objects.get_or_create(
        name=PROJECT, defaults={"ampersand_project": PROJECT}
    )
    client = AmpersandClient(
        base_url="http://bench.invalid/v1", api_key="-", project=PROJECT, transport=transport
    )
    run = sync_project(project=project, client=client)
    if run.status != "succeeded":
        raise SystemExit(f"populating failed: {run.error_title} {run.error_detail}")
    # What the task the sync queued does under `make run`'s worker.
    SearchIndex.index_new()

    user = get_user_model().objects.create_user("bench", password=None)
    Membership.objects.create(user=user, project=project, role=Membership.Role.VIEWER)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    largest = max(
        Integration.objects.select_related("latest_snapshot"),
        key=lambda i: i.latest_snapshot.read_count,
    )
    objects = largest.latest_snapshot.content["read"]["objects"]
    return {
        "integrations": Integration.objects.count(),
        "detail_pk": largest.pk,
        "detail_objects": len(objects),
        "detail_fields": sum(
            len(o.get("requiredFields", [])) + len(o.get("optionalFields", [])) for o in objects
        ),
        "session_key": session.session_key,
    }


class gunicorn:
    """gunicorn serving the dashboard on a free loopback port, in its own process group."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            [
                harness.PYTHON,
                "-m",
                "gunicorn",
                "dashboard.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--log-level",
                "warning",
            ],
            cwd=harness.ROOT,
            env=self.env,
            start_new_session=True,
        )
        base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + harness.SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn did not start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return base_url
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise SystemExit("gunicorn did not answer in time")

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def warm_up(url: str, cookie: str) -> None:
    """Every worker renders each page once (imports, first queries, cached tabs) untimed."""
    import httpx

    with httpx.Client(headers={"Cookie": cookie}, timeout=30) as http:
        for _ in range(GUNICORN_WORKERS * 4):
            response = http.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered HTTP {response.status_code}")


LATENCY_50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


# Appends a number, new at every request, to the URL's path and query.
NUMBERING_SCRIPT = """
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. counter)
end
"""


def wrk_median_ms(url: str, cookie: str, seconds: int, *, numbered: bool = False) -> float:
    script = []
    if numbered:
        script_file = harness.BENCH_DIR / ".cache" / "numbered.lua"
        script_file.parent.mkdir(parents=True, exist_ok=True)
        script_file.write_text(NUMBERING_SCRIPT)
        script = ["-s", str(script_file)]
    done = subprocess.run(
        [
            "wrk",
            "--latency",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            *script,
            "-H",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    if "Non-2xx or 3xx responses" in done.stdout:
        raise SystemExit(f"{url} answered errors under load:\n{done.stdout}")
    match = LATENCY_50.search(done.stdout)
    if not match:
        raise SystemExit(f"could not read wrk's median for {url}:\n{done.stdout}")
    return float(match[1]) * UNIT_MS[match[2]]


if __name__ == "__main__":
    main()
