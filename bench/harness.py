"""Pieces the benchmarks share: a Django process environment, a recorded API answer, a static
server that replays it on loopback, and the figures (medians, peak RSS)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_CACHE_DIR = BENCH_DIR / ".cache"
PYTHON = sys.executable
SERVER_START_TIMEOUT = 30


def django_env(database_url: str, *, emulator: bool = False, **extra: str) -> dict[str, str]:
    """The environment of a Django process on `database_url`.

    Without the emulator it runs as in production (DEBUG off), so Django neither keeps every
    query in memory nor does any other debug-only work that would distort the figures.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "DATABASE_URL": database_url,
        "AMPERSAND_EMULATOR": "1" if emulator else "0",
        "DJANGO_DEBUG": "1" if emulator else "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }
    if not emulator:
        env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-use")
        env.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
    return env


def setup_django() -> None:
    """`django.setup()` for a bench subprocess started with `django_env`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate(database_url: str) -> None:
    """Make the tables of `database_url` (and, on PostgreSQL, the database itself if need be)."""
    ensure_database(database_url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=django_env(database_url),
        check=True,
    )


def ensure_database(database_url: str) -> None:
    """Create the PostgreSQL database `database_url` names if it does not exist yet, as the
    test runner makes its own: `DATABASE_URL=postgres://.../ampdash_bench make bench` on a new
    machine needs no createdb first. Nothing to do on SQLite, which makes its file itself."""
    import dj_database_url
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return
    with maintenance_connection(database_url) as maintenance:
        name = config["NAME"]
        found = maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if found.fetchone() is None:
            maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def maintenance_connection(database_url: str) -> Any:
    """A connection (autocommit) to the `postgres` database of the server `database_url` is on,
    where databases are made and dropped."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(database_url)
    server = {key.lower(): config.get(key) or None for key in ("HOST", "PORT", "USER", "PASSWORD")}
    return psycopg.connect(dbname="postgres", autocommit=True, **server)


def vacuum_on_postgresql(*models: type) -> None:
    """On PostgreSQL, VACUUM ANALYZE the tables of `models` (all tables if none), as autovacuum
    would in time: rows a bench just deleted or replaced are otherwise scanned again by the next
    run (a first sync into tables emptied by DELETE read the earlier runs' dead rows: 0.29 s
    of an installations sync), and the planner has no statistics of rows just written."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {tables}")


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ampdash-bench-") as path:
        yield Path(path)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def run_json(args: list[str], env: Mapping[str, str]) -> dict:
    """Run a bench subprocess and return the JSON object it prints last."""
    done = subprocess.run(
        [PYTHON, *args], cwd=ROOT, env=dict(env), check=True, stdout=subprocess.PIPE, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def recorded(path: Path, step: list[str]) -> Path:
    """`path`, written once by the bench `step` (a script and its arguments; `--out FILE` is
    added) in an emulator process on a throwaway SQLite database; reruns reuse the file."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"recording {path.name} from the emulator (once) ...", file=sys.stderr)
    with scratch_dir() as scratch:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        run_json(
            [*step, "--out", str(partial)],
            django_env(sqlite_url(scratch / "emulator.db"), emulator=True),
        )
        partial.replace(path)
    return path


@contextmanager
def static_server(bodies: Mapping[str, Path]) -> Iterator[str]:
    """Serve each file of `bodies` as JSON at its route from another process; yields the base
    URL."""
    pairs = [arg for route, body_file in bodies.items() for arg in (route, str(body_file))]
    process = subprocess.Popen(
        [PYTHON, str(BENCH_DIR / "static_server.py"), *pairs],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.isdigit():
            raise RuntimeError(f"the static server did not start (said {line!r})")
        yield f"http://127.0.0.1:{line}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=SERVER_START_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def median(values: list[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> int:
    """This process's peak resident set size so far, in MB.

    Read from VmHWM where Linux has it: ru_maxrss of a child process counts the resident
    memory its parent had when it forked (Linux folds the old address space's peak in at exec),
    so a sync started by a parent holding 200 MB would report at least 200 MB.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
