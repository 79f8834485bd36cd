"""A small SQLite file that holds prescribers' text (feedback, conversations): created with its
parent folders on first use, readable and writable by its owner only.

Example:
    >>> import stat, tempfile
    >>> from contextlib import closing
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "new" / "x.sqlite"
    >>> with closing(connect_private(path, "CREATE TABLE IF NOT EXISTS t (a)")):
    ...     pass
    >>> oct(stat.S_IMODE(path.stat().st_mode))
    '0o600'
    >>> folder.cleanup()
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def connect_private(path: Path, schema: str) -> sqlite3.Connection:
    """A short-lived connection (Streamlit reruns scripts on several threads) to `path`, its
    table made if missing; a new file gets mode 0600, an old one is narrowed to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    connection.execute(schema)
    return connection
