"""Files of a workspace readable by their owner only, whatever the umask.

The database, its journal files, logs and backups hold residents' names, resident IDs and their
低保/上访 status: under a normal umask they would be 0644 and readable by every account on the
computer. Folders are 0700, files 0600 (POSIX; on Windows the user's profile folder is private).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it private."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, PRIVATE_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make an existing file private (a missing one is left alone)."""
    if os.name == "posix":
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, PRIVATE_FILE)
    return path


def create_private_file(path: Path) -> Path:
    """Create ``path`` empty with owner-only permissions if it does not exist (SQLite then keeps them
    for the database and gives its journal files the same)."""
    if os.name == "posix" and not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    return private_file(path)


def replace_atomically(path: Path, data: bytes) -> Path:
    """Write ``data`` as ``path`` so that the file under that name is always whole: a private temporary
    file beside it (mkstemp: 0600, a name of its own), written, synced, then renamed over ``path``; on any
    failure the temporary file is removed and ``path`` is as it was."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
