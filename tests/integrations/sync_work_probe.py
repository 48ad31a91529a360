"""Run by test_sync_work.py in a process of its own: single-threaded, as the processes that run
syncs are (pytest's is not, once a live server has started), so `worked_out` really forks.

    python -m tests.integrations.sync_work_probe CASE_FILE MODE

CASE_FILE is JSON: {"body": <path of a listIntegrations body>, "known": {remote id: hash},
"check_first": bool}. MODE: "all" (work on every item), "child-fails" (each forked process
dies at its second item), "stop-early" (the caller stops after three results), "threaded"
(another thread runs meanwhile). Prints one JSON object: the results, how many forks happened,
whether any forked process was left behind, and the warnings logged.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import sys
import threading
from contextlib import closing
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from integrations import sync_work
    from integrations.ampersand.client import listed_integrations

    case_file, mode = sys.argv[1:]
    case = json.loads(Path(case_file).read_text())
    items = listed_integrations(Path(case["body"]).read_bytes())
    work = functools.partial(
        sync_work.work_on, known_hashes=case["known"], check_first=case["check_first"]
    )

    forks = 0
    real_fork = os.fork

    def counted_fork() -> int:
        nonlocal forks
        forks += 1
        return real_fork()

    os.fork = counted_fork
    parent = os.getpid()
    calls = 0

    def failing_in_forked_processes(item):
        nonlocal calls
        calls += 1
        if os.getpid() != parent and calls == 2:
            os._exit(3)
        return work(item)

    warnings: list[str] = []
    handler = logging.Handler(level=logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("integrations.sync_work").addHandler(handler)

    stop = threading.Event()
    if mode == "threaded":
        threading.Thread(target=stop.wait).start()
    chosen = failing_in_forked_processes if mode == "child-fails" else work
    results = []
    with closing(sync_work.worked_out(items, chosen)) as works:
        for done in works:
            results.append(dataclasses.asdict(done))
            if mode == "stop-early" and len(results) == 3:
                break
    stop.set()
    try:
        left_behind = os.waitpid(-1, os.WNOHANG) is not None
    except ChildProcessError:  # no child process at all
        left_behind = False
    print(
        json.dumps(
            {"results": results, "forks": forks, "left_behind": left_behind, "warnings": warnings},
            default=str,
        )
    )


if __name__ == "__main__":
    main()
