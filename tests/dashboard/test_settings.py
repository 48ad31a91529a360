from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "ampdash.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AMPERSAND_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="ampdash.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_emulator_cannot_be_switched_on_in_production():
    result = manage("check", **PRODUCTION, AMPERSAND_EMULATOR="1")
    assert result.returncode != 0
    assert "AMPERSAND_EMULATOR" in result.stderr


def test_debug_accepts_only_clear_booleans():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 0 or 1" in result.stderr


def test_an_empty_database_url_means_the_default_sqlite_database():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        DATABASE_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sqlite"


def test_a_database_url_of_no_known_database_is_refused_by_name():
    result = manage("check", DATABASE_URL="mongodb://127.0.0.1/ampdash")
    assert result.returncode != 0
    assert "DATABASE_URL is not a database URL: Scheme 'mongodb://' is unknown" in result.stderr


ROUTES_EMULATOR = (
    "from django.urls import Resolver404, resolve\n"
    "try:\n"
    "    resolve('/emulator/v1/providers')\n"
    "    print('routed')\n"
    "except Resolver404:\n"
    "    print('not routed')\n"
)


def test_production_does_not_route_the_emulator():
    result = manage("shell", "-c", ROUTES_EMULATOR, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("\nnot routed")


def test_development_with_the_emulator_routes_it():
    result = manage("shell", "-c", ROUTES_EMULATOR, AMPERSAND_EMULATOR="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("\nrouted")


def test_collectstatic_puts_the_files_where_django_static_root_says(tmp_path):
    result = manage(
        "collectstatic", "--no-input", "--verbosity", "0", DJANGO_STATIC_ROOT=str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "admin").is_dir()
    assert any(tmp_path.rglob("*.css"))
