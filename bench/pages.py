"""`make bench`: how fast the main pages are, as ratios to a trivial view on the same server.

With 1,000 integrations stored (and one of 30 read objects of 40 fields), gunicorn serves the
dashboard on loopback with production settings; wrk measures the median latency of the list
page, a search, that integration's detail page, its editor (the page, the autosave of its
amp.yaml, the preview of a draft that changes it) and a trivial view behind the same middleware
and login (`/accounts/session/`). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import harness
from sync import (
    API_KEY,
    ROUTE,
    answering_client,
    emulator_get,
    installations_integration_file,
    recorded_answer,
    recorded_installations,
    recorded_providers,
    seed_emulator,
)

PROJECT = "bench"
SEARCH = "account"
WRK_THREADS = 1
WRK_CONNECTIONS = 2
GUNICORN_WORKERS = 2
# The editor's integration, as the emulator seeds it (seed_emulator ... --seed 7).
LARGE = argparse.Namespace(integrations=1, objects=30, fields=40, seed=7)
NUMBERED_SCRIPT = harness.BENCH_DIR / "numbered.lua"
ROTATE_SCRIPT = harness.BENCH_DIR / "rotate.lua"
# Search terms for `search_random`: more than its rounds ask for, so none is asked twice.
RANDOM_TERMS = 5000
POST_SCRIPT = harness.BENCH_DIR / "post_form.lua"
BOUNDARY = "ampdash-bench-boundary"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Page:
    """What wrk asks for: a GET of `path`, or a POST of the form `form` (encoded as the page's
    form sends it: `form_type`)."""

    path: str
    form: str | None = None
    form_type: str = "application/x-www-form-urlencoded"
    htmx: bool = False
    # A number new at every request appended to the path (a page never asked for before).
    numbered: bool = False
    # Paths asked for in turn, one a request, instead of `path` (which is their first).
    rotating: tuple[str, ...] = ()
    # What the answer must hold, and must not (checked once before wrk), so that a page that
    # broke cannot pass for a fast one.
    expect: tuple[str, ...] = ()
    refuse: tuple[str, ...] = ()

    def headers(self, cookie: str) -> dict[str, str]:
        headers = {"Cookie": cookie}
        if self.form is not None:
            headers["Content-Type"] = self.form_type
        if self.htmx:
            headers["HX-Request"] = "true"
        return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--fields", type=int, default=30)
    parser.add_argument(
        "--installations",
        type=int,
        default=3,
        help="at most this many installations of the editor's integration, kept for the "
        "preview's blast radius (the emulator draws how many; default: its own default)",
    )
    parser.add_argument(
        "--many-installations",
        type=int,
        default=10_000,
        help="installations of the integration whose Installations tab is measured",
    )
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages (median)")
    parser.add_argument("--cache-dir", type=Path, default=harness.DEFAULT_CACHE_DIR)
    # Internal: the step that runs in a Django process of its own.
    parser.add_argument(
        "--step", choices=["populate", "record-installations"], help=argparse.SUPPRESS
    )
    parser.add_argument("--bodies", nargs="*", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--installations-body", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--installations-integration", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--editor-installations", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--providers", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.rounds <= 20 or not 1 <= args.seconds <= 60:
        parser.error("--rounds must be 1..20 and --seconds 0.5..60")
    if args.step == "populate":
        print(
            json.dumps(
                populate(
                    args.bodies,
                    installations=args.installations_body,
                    installations_integration=args.installations_integration,
                    editor_installations=args.editor_installations,
                    providers=args.providers,
                )
            )
        )
        return
    if args.step == "record-installations":
        print(json.dumps(record_installations(args.out, args.installations)))
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
    large = recorded_answer(argparse.Namespace(**vars(LARGE), cache_dir=args.cache_dir))
    editor_installations = recorded_installations_of_large(args.cache_dir, args.installations)
    # One integration of --many-installations installations, for the Installations tab (seed 2:
    # seed 1 would give it the ids of the first of the 1,000).
    many_installations = argparse.Namespace(
        installations=args.many_installations,
        objects=args.objects,
        fields=args.fields,
        seed=2,
        cache_dir=args.cache_dir,
    )
    installations_body = recorded_installations(many_installations)
    many_installations_integration = installations_integration_file(many_installations)
    with harness.scratch_dir() as scratch:
        database_url = os.environ.get("DATABASE_URL") or harness.sqlite_url(scratch / "pages.db")
        harness.migrate(database_url)
        # Static files collected into the scratch folder: in the checkout, WhiteNoise would
        # scan them on every request of the test suite run there next.
        env = harness.django_env(
            database_url,
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_STATIC_ROOT=str(scratch / "static"),
        )
        setup = harness.run_json(
            [
                *(__file__, "--step", "populate"),
                *("--bodies", str(many), str(large)),
                *("--installations-body", str(installations_body)),
                *("--installations-integration", str(many_installations_integration)),
                *("--editor-installations", str(editor_installations)),
                *("--providers", str(recorded_providers(args.cache_dir))),
            ],
            env,
        )
        subprocess.run(
            [harness.PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=harness.ROOT,
            env=env,
            check=True,
        )
        edit = f"/integrations/{setup['detail_pk']}/edit/"
        with gunicorn(env) as base_url:
            cookie, csrf_token = editor_session(base_url + edit, setup["session_key"])
            pages = {
                "hello": Page("/accounts/session/"),
                "list": Page("/integrations/"),
                "search": Page(f"/integrations/?q={SEARCH}"),
                "detail": Page(f"/integrations/{setup['detail_pk']}/"),
                # The same search, but every request a page never asked for before (an unknown
                # parameter that only changes the page's cache key): what typing a new query
                # costs.
                "search_uncached": Page(f"/integrations/?q={SEARCH}&fresh=", numbered=True),
                # Pages no cache has seen: a different integration each request (more than the
                # rendered tabs a process keeps), and a different search term each request.
                "detail_cold": rotating(
                    [f"/integrations/{pk}/" for pk in setup["integration_pks"]]
                ),
                "search_random": rotating(
                    [f"/integrations/?{urlencode({'q': term})}" for term in setup["terms"]]
                ),
                "edit": Page(edit, expect=("Preview and deploy",)),
                "preview": Page(
                    f"{edit}preview/",
                    expect=("backfill changed to full history", "now maps to"),
                    refuse=("Customers affected: unknown",),
                ),
                # The draft's own text again, so the draft the other pages show stays the same.
                "autosave": Page(
                    f"{edit}autosave/",
                    # Multipart, as the editor's amp.yaml form sends it.
                    form=multipart({"csrfmiddlewaretoken": csrf_token, "text": setup["draft"]}),
                    form_type=f"multipart/form-data; boundary={BOUNDARY}",
                    htmx=True,
                    expect=("Saved to your draft",),
                ),
                "installations_page": Page(
                    f"/integrations/{setup['installations_pk']}/installations/",
                    expect=(f"<strong>{setup['installations']}</strong> installations",),
                ),
            }
            for page in pages.values():
                warm_up(base_url, page, cookie)
            rounds: dict[str, list[float]] = {name: [] for name in pages}
            for _ in range(args.rounds):
                for name, page in pages.items():
                    rounds[name].append(
                        wrk_median_ms(base_url, page, cookie, args.seconds, scratch)
                    )
    medians = {name: harness.median(values) for name, values in rounds.items()}
    print(
        f"integrations = {setup['integrations']}; detail page: {setup['detail_objects']} read "
        f"objects, {setup['detail_fields']} fields"
    )
    print(
        f"editor's draft: {setup['draft_changes']}; "
        f"{setup['editor_installations']} installations kept"
    )
    for name, value in medians.items():
        print(f"median {name} = {value:.2f} ms")
    print(f"installations page: {setup['installations']} installations on one integration")
    for name in (
        *("list", "search", "detail", "search_uncached", "edit", "preview", "autosave"),
        *("installations_page", "detail_cold", "search_random"),
    ):
        print(f"ratio {name}/hello = {medians[name] / medians['hello']:.2f}")


def one_per_name(items: list[dict]) -> list[dict]:
    """`items` with each name once, as Ampersand keeps integrations in a project: an item named
    as a later one is renamed. The emulator's seeds do not know of each other, and one of the
    1,000 was named as the editor's integration (listed after them), whose draft the preview
    matches by name: on PostgreSQL it then found the other one, with no installation."""
    last_of = {item["name"]: index for index, item in enumerate(items)}
    for index, item in enumerate(items):
        if last_of[item["name"]] != index:
            item["name"] = f"{item['name']}-{index}"
    return items


def multipart(fields: dict[str, str]) -> str:
    """`fields` as a browser sends a multipart/form-data form (boundary `BOUNDARY`)."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


def recorded_installations_of_large(cache_dir: Path, at_most: int) -> Path:
    """The emulator's listInstallations body for the editor's integration, recorded once."""
    key = f"i{LARGE.integrations}-o{LARGE.objects}-f{LARGE.fields}-s{LARGE.seed}-n{at_most}"
    return harness.recorded(
        cache_dir / f"installations-{key}.json",
        [__file__, "--step", "record-installations", "--installations", str(at_most)],
    )


def record_installations(out: Path, at_most: int) -> dict[str, int]:
    harness.setup_django()
    seed_emulator(LARGE, installations=at_most)
    [integration] = json.loads(emulator_get(ROUTE))
    body = emulator_get(f"{ROUTE}/{integration['id']}/installations")
    out.write_bytes(body)
    return {"installations": len(json.loads(body))}


def populate(
    bodies: list[Path],
    *,
    installations: Path,
    installations_integration: Path,
    editor_installations: Path,
    providers: Path,
) -> dict[str, object]:
    """Store the recorded integrations through the real sync, make a logged-in session of an
    editor, and that editor's draft of the largest integration (a backfill changed, a field
    re-mapped). The `installations` (a listInstallationsForProject body) and the
    `editor_installations` of the largest (a listInstallations body, for the preview's blast
    radius) are kept as the sync and "refresh now" keep them."""
    harness.setup_django()
    import orjson
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from integrations.ampersand.client import listed_installations
    from integrations.diff import diff_contents
    from integrations.installations import store_installations
    from integrations.models import (
        Draft,
        Installation,
        Integration,
        Membership,
        Project,
        SearchIndex,
    )
    from integrations.sync import sync_project

    items = [item for body in bodies for item in orjson.loads(body.read_bytes())]
    # Renamed: the emulator names it as it names the editor's integration, whose draft the
    # preview matches by name.
    [many_installations_item] = orjson.loads(installations_integration.read_bytes())
    many_installations_item["name"] = "bench-many-installations"
    items.append(many_installations_item)
    # What the sync asks for, by the last segment of the path: its integrations, the
    # installations (kept below) and the provider catalog.
    client = answering_client(
        {
            "integrations": orjson.dumps(one_per_name(items)),
            "installations": b"[]",
            "providers": providers.read_bytes(),
        }
    )
    project, _ = Project.objects.update_or_create(
        # Nothing listens on port 9: the pages measured ask the API nothing.
        name=PROJECT,
        defaults={"ampersand_project": PROJECT, "api_url": "http://127.0.0.1:9/v1"},
    )
    project.set_api_key(API_KEY)
    project.save()
    run = sync_project(project=project, client=client)
    if run.status != "succeeded":
        raise SystemExit(f"populating failed: {run.error_title} {run.error_detail}")
    # What the task the sync queued does under `make run`'s worker.
    SearchIndex.index_new()
    listed = listed_installations(installations.read_bytes())
    kept = store_installations(project, listed)
    if kept.new + kept.changed + kept.removed == 0 and not Installation.objects.exists():
        raise SystemExit("populating kept no installations")
    [many_installations] = {item.integration_id for item in listed}

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"password": make_password(None)}
    )
    Membership.objects.update_or_create(
        user=user, project=project, defaults={"role": Membership.Role.EDITOR}
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    largest = max(
        Integration.objects.select_related("latest_snapshot"),
        key=lambda i: i.latest_snapshot.read_count,
    )
    editor_listed = listed_installations(editor_installations.read_bytes())
    store_installations(project, editor_listed, integration=largest)
    if not largest.installations.present().exists():
        raise SystemExit("populating kept no installation of the editor's integration")
    Draft.objects.filter(integration=largest, user=user).delete()
    draft = Draft.start(largest, user)
    changed = orjson.loads(orjson.dumps(draft.content))
    objects = changed["read"]["objects"]
    objects[0]["backfill"] = {"defaultPeriod": {"fullHistory": True}}
    remapped = next(
        field for obj in objects for field in obj.get("optionalFields", []) if "mapToName" in field
    )
    remapped["mapToName"] += "_remapped"
    draft.content = changed
    # As the editor's autosave stores a text typed in full.
    issues = draft.take_amp_yaml(draft.content_amp_yaml())
    diff = diff_contents(largest.latest_snapshot.content, draft.content)
    # Without statistics of the rows just written the planner chose a scan of every dead row
    # version for each search.
    harness.vacuum_on_postgresql()
    return {
        "integrations": Integration.objects.filter(project=project).count(),
        "integration_pks": list(
            Integration.objects.filter(project=project).order_by("?").values_list("pk", flat=True)
        ),
        "terms": search_words(RANDOM_TERMS),
        "detail_pk": largest.pk,
        "detail_objects": len(objects),
        "detail_fields": sum(
            len(o.get("requiredFields", [])) + len(o.get("optionalFields", [])) for o in objects
        ),
        "session_key": session.session_key,
        "draft": draft.text,
        "draft_changes": f"{diff.summary_line()}, {len(issues)} issues",
        "installations_pk": Integration.objects.get(
            project=project, remote_id=many_installations
        ).pk,
        "installations": len(listed),
        "editor_installations": largest.installations.present().count(),
    }


def search_words(count: int) -> list[str]:
    """Up to `count` different things a person might search for: the words of the stored
    integrations' search texts and their beginnings (three letters or more), in a random
    order (the same one every run)."""
    from integrations.models import SnapshotSearchText

    words: set[str] = set()
    for text in SnapshotSearchText.objects.values_list("text", flat=True).iterator():
        for word in text.split():
            words.update(word[:end] for end in range(3, len(word) + 1))
    terms = sorted(words)
    random.Random(1).shuffle(terms)
    return terms[:count]


def rotating(paths: list[str]) -> Page:
    return Page(paths[0], rotating=tuple(paths))


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


def editor_session(edit_url: str, session_key: str) -> tuple[str, str]:
    """The cookies of the logged-in editor after opening the editor, as a browser holds them,
    and the CSRF token its forms carry."""
    import httpx

    cookie = f"sessionid={session_key}"
    response = httpx.get(edit_url, headers={"Cookie": cookie}, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"{edit_url} answered HTTP {response.status_code}")
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    token = CSRF_FIELD.search(response.text)
    if "csrftoken" not in jar or token is None:
        raise SystemExit(f"{edit_url} set no CSRF cookie or has no form with a CSRF token")
    return f"{cookie}; csrftoken={jar['csrftoken'].value}", token[1]


def warm_up(base_url: str, page: Page, cookie: str) -> None:
    """Every worker renders each page once (imports, first queries, cached tabs) untimed; each
    must answer 200, or the bench stops with the status."""
    import httpx

    method = "GET" if page.form is None else "POST"
    with httpx.Client(headers=page.headers(cookie), timeout=30) as http:
        for _ in range(GUNICORN_WORKERS * 4):
            response = http.request(method, base_url + page.path, content=page.form)
            if response.status_code != 200:
                raise SystemExit(
                    f"{method} {page.path} answered HTTP {response.status_code}:\n"
                    f"{response.text[:2000]}"
                )
            missing = [text for text in page.expect if text not in response.text]
            found = [text for text in page.refuse if text in response.text]
            if missing or found:
                where = response.text.find(found[0]) if found else 0
                raise SystemExit(
                    f"{method} {page.path}: missing {missing}, holds {found}\n"
                    f"{response.text[where : where + 600]}"
                )


LATENCY_50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_median_ms(base_url: str, page: Page, cookie: str, seconds: int, scratch: Path) -> float:
    url = base_url + page.path
    if page.numbered:
        script = ["-s", str(NUMBERED_SCRIPT), url]
    elif page.rotating:
        paths_file = scratch / "paths"
        paths_file.write_text("\n".join(page.rotating) + "\n")
        script = ["-s", str(ROTATE_SCRIPT), url, "--", str(paths_file)]
    elif page.form is not None:
        body_file = scratch / "form-body"
        body_file.write_text(page.form, encoding="utf-8")
        script = ["-s", str(POST_SCRIPT), url, "--", str(body_file)]
    else:
        script = [url]
    headers = [
        arg for name, value in page.headers(cookie).items() for arg in ("-H", f"{name}: {value}")
    ]
    done = subprocess.run(
        [
            "wrk",
            "--latency",
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds}s",
            *headers,
            *script,
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
