"""The work a sync does on each listed integration before it writes anything.

For every item: whether it meets the contract, its content hash and, when it is to be stored
(new or changed), what its snapshot keeps beside the JSON and the words it is found by. That is
most of a sync's processor time and needs no database, so a large listing is shared between
the process running the sync and copies of it forked for the purpose (`worked_out`), each
taking a contiguous share. The sync's own process takes the smaller share: it also writes
every snapshot, its own and those the others send, while they work.

Forking is safe here because the copies only compute and exit: they touch no database
connection, file or lock of the parent. It is only done when the process has a single thread
(a thread holding a lock at the fork would leave it held in the copy), as in the management
command and the task worker, where syncs run.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings

from integrations.ampersand import typed
from integrations.ampersand.client import ListedIntegration
from integrations.models import (
    canonical_hash,
    snapshot_columns,
    typed_canonical_hash,
    typed_snapshot_columns,
)
from integrations.search import search_text, typed_search_text

logger = logging.getLogger(__name__)

# How much of a share this process takes, against 1 for each forked one (it also writes).
OWN_SHARE_WEIGHT = 0.45
# Items whose results a forked process sends at a time.
CHUNK_SIZE = 50


@dataclass(slots=True)
class ToStore:
    """What a new snapshot of an item keeps beside its JSON."""

    name: str
    provider: str
    display_name: str
    columns: dict[str, Any]
    search_text: str


@dataclass(slots=True)
class ItemWork:
    """What the sync needs of one listed item.

    `content_hash` is None when the item failed the contract check (the item's `field_errors`
    say why); `to_store` is None when the item is its integration's latest snapshot unchanged.
    """

    remote_id: str | None
    content_hash: str | None
    to_store: ToStore | None = None


def work_on(
    item: ListedIntegration, *, known_hashes: Mapping[str, str], check_first: bool
) -> ItemWork:
    """The work on `item`, given the latest content hash of each known integration by remote id.

    An item whose JSON decodes into the contract's structs (`ampersand.typed`; the usual case)
    is checked by that and read from them. Any other is decoded into dicts: with `check_first`
    checked as it is decoded (one pass, for a first sync); otherwise only decoded and hashed,
    and checked when it is not unchanged.
    """
    integration = None if item.text is None else typed.decode_integration(item.text)
    if integration is not None:
        return _typed_work_on(integration, known_hashes=known_hashes)
    raw = item.checked() if check_first else item.decode()
    if raw is None:
        return ItemWork(None, None)
    content_hash = canonical_hash(raw)
    remote_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(remote_id, str) and known_hashes.get(remote_id) == content_hash:
        return ItemWork(remote_id, content_hash)
    if not check_first and item.checked() is None:
        return ItemWork(remote_id if isinstance(remote_id, str) else None, None)
    return ItemWork(
        remote_id,
        content_hash,
        ToStore(
            name=raw["name"],
            provider=raw["provider"],
            display_name=raw["latestRevision"]["content"].get("displayName") or "",
            columns=snapshot_columns(raw),
            search_text=search_text(raw),
        ),
    )


def _typed_work_on(integration: Any, *, known_hashes: Mapping[str, str]) -> ItemWork:
    """`work_on` an item decoded into structs, which meets the contract: the same work."""
    content_hash = typed_canonical_hash(integration)
    if known_hashes.get(integration.id) == content_hash:
        return ItemWork(integration.id, content_hash)
    return ItemWork(
        integration.id,
        content_hash,
        ToStore(
            name=integration.name,
            provider=integration.provider,
            display_name=integration.latest_revision.content.display_name or "",
            columns=typed_snapshot_columns(integration),
            search_text=typed_search_text(integration),
        ),
    )


def worked_out(
    items: Sequence[ListedIntegration], work: Callable[[ListedIntegration], ItemWork]
) -> Iterator[ItemWork]:
    """`work` on each of `items`, in their order; shared with forked processes when large.

    A generator: close it (`contextlib.closing`) so that forked processes are ended when the
    caller stops early. Should a forked process fail, what it did not send is done here.
    """
    processes = processes_for(items)
    if processes > 1:
        logger.info("working on %d listed items in %d processes", len(items), processes)
    shares = _shares(len(items), processes=processes)
    forked: list[_ForkedShare] = []
    try:
        for start, stop in shares[1:]:
            forked.append(_ForkedShare(items, start, stop, work))
        start, stop = shares[0]
        yield from map(work, items[start:stop])
        for share in forked:
            yield from share.results()
    finally:
        for share in forked:
            share.end()


def processes_for(items: Sequence[ListedIntegration]) -> int:
    """How many processes (this one included) should share the work on `items`."""
    wanted = min(settings.SYNC_PROCESSES, len(items))
    if wanted <= 1 or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    size = sum(len(item.text) for item in items if item.text is not None)
    return wanted if size >= settings.SYNC_PARALLEL_MIN_BYTES else 1


def _shares(count: int, *, processes: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges of `count` items: this process's first, then others'."""
    weights = [OWN_SHARE_WEIGHT if processes > 1 else 1.0] + [1.0] * (processes - 1)
    bounds = [round(count * done / sum(weights)) for done in itertools.accumulate(weights)]
    return list(itertools.pairwise([0, *bounds]))


class _ForkedShare:
    """A forked copy of this process doing `work` on items[start:stop].

    It sends its results in chunks as it goes, so this process can store them while it works
    on: each chunk is appended to an unnamed temporary file (which, unlike a pipe, never makes
    it wait for a reader), and a byte on a pipe says that one more chunk is there.
    """

    def __init__(
        self,
        items: Sequence[ListedIntegration],
        start: int,
        stop: int,
        work: Callable[[ListedIntegration], ItemWork],
    ) -> None:
        self.items = items[start:stop]
        self.work = work
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by end())
        ready, self._said = os.pipe()
        self._pid: int | None = os.fork()
        if self._pid == 0:
            os.close(ready)
            _work_and_exit(self.items, work, self._file.fileno(), self._said)
        os.close(self._said)
        self._ready = ready

    def results(self) -> Iterator[ItemWork]:
        """The results, as the forked process sends them; those it failed to send, done here."""
        received = 0
        offset = 0
        while received < len(self.items) and os.read(self._ready, 1):
            size = int.from_bytes(_read_exactly(self._file.fileno(), 8, offset))
            # Written just now by a copy of this very process: nothing foreign is unpickled.
            chunk = pickle.loads(_read_exactly(self._file.fileno(), size, offset + 8))  # noqa: S301
            offset += 8 + size
            received += len(chunk)
            yield from chunk
        self._wait()
        if received < len(self.items):
            logger.warning(
                "a sync process stopped after %d of its %d items; the rest are done here",
                received,
                len(self.items),
            )
            yield from map(self.work, self.items[received:])

    def end(self) -> None:
        """Stop the process if it still runs (the caller gave up), and let it go."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            self._wait()
        os.close(self._ready)
        self._file.close()

    def _wait(self) -> None:
        if self._pid is not None:
            os.waitpid(self._pid, 0)
            self._pid = None


def _read_exactly(fd: int, size: int, offset: int) -> bytes:
    data = os.pread(fd, size, offset)
    while len(data) < size:
        more = os.pread(fd, size - len(data), offset + len(data))
        if not more:
            raise EOFError("a sync process's results end early")
        data += more
    return data


def _work_and_exit(
    items: Sequence[ListedIntegration],
    work: Callable[[ListedIntegration], ItemWork],
    fd: int,
    said: int,
) -> NoReturn:
    """In the forked process: do the work, a chunk at a time, and leave without running any of
    the parent's exit handlers (which would, e.g., close its database connections)."""
    code = 1
    try:
        for chunk in itertools.batched(items, CHUNK_SIZE):
            payload = pickle.dumps([work(item) for item in chunk], protocol=pickle.HIGHEST_PROTOCOL)
            _write_all(fd, len(payload).to_bytes(8) + payload)
            os.write(said, b".")
        code = 0
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
