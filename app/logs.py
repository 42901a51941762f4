"""Logging to a rotating file in the workspace (``<workspace>/logs/minqing.log``), for GUI and CLI alike.

No Qt here: the UI routes Qt's own messages into the same logger (see ``ui.app``).
"""

from __future__ import annotations

import logging
import logging.handlers
from io import TextIOWrapper
from pathlib import Path

from db.files import private_dir, private_file

LOG_NAME = "minqing.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _WorkspaceFileHandler(logging.handlers.RotatingFileHandler):
    """Marks our handler so a second :func:`setup` replaces it instead of adding another; its files
    are the owner's only (a log names residents)."""

    def _open(self) -> TextIOWrapper:
        stream = super()._open()
        private_file(Path(self.baseFilename))
        return stream


def setup(logs_dir: Path | str, *, level: int = logging.INFO) -> Path:
    """Send log records of every logger to ``logs_dir/minqing.log`` (rotating, UTF-8).

    Idempotent: calling it again (another workspace, a test) closes the previous file first.
    """
    logs_dir = private_dir(Path(logs_dir))
    root = logging.getLogger()
    shutdown()
    handler = _WorkspaceFileHandler(
        logs_dir / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    return logs_dir / LOG_NAME


def current_log_file() -> Path | None:
    for h in logging.getLogger().handlers:
        if isinstance(h, _WorkspaceFileHandler):
            return Path(h.baseFilename)
    return None


def shutdown() -> None:
    """Close and remove our file handler (the workspace may be closed or deleted after this)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _WorkspaceFileHandler):
            root.removeHandler(h)
            h.close()
