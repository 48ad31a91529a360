"""The SQLite connection ampdash opens (`DATABASES["default"]["OPTIONS"]["factory"]`)."""

from __future__ import annotations

import sqlite3
from typing import Any


class Connection(sqlite3.Connection):
    """A connection that, closing, leaves the write-ahead log to SQLite's own checkpoints.

    Django closes its connection after each request (CONN_MAX_AGE=0). By default the last
    connection to close copies the log into the database and deletes it, and the next write
    creates it again: three fsyncs for a request that wrote a row (an autosave of the editor
    took about twice as long). The log is still copied as it grows (`wal_autocheckpoint`, 1000
    pages), and stays beside the database between requests: copy `db.sqlite3-wal` with it,
    or use `sqlite3 db.sqlite3 ".backup ..."`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setconfig(sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
