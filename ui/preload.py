"""What the main window needs, loaded while the sign-in box waits for a password.

The sign-in box is the first window a person sees; it needs only the key slots and the station's public
card, so it shows before SQLAlchemy, the models and the services are imported (about half a second of
a start on a modest laptop). :func:`start` loads them in a background thread as soon as the box is up;
typing a password takes longer than that. A sign-in calls :func:`wait` before it opens the database, so
that no two threads ever import the same modules at once (the main thread imports nothing of the
database layer while the thread runs). Only modules without Qt are loaded here; the window's own
modules load on the main thread when it is built (docs/architecture.md, "What loads when").
"""

from __future__ import annotations

import importlib
import threading

# The database layer first (app.workspace.database_layer), then what the home page (今日待办) asks of it.
MODULES = ("db.settings", "app.audit", "app.todo", "app.lookup", "app.diary.demands")

_thread: threading.Thread | None = None
_failure: BaseException | None = None


def _load() -> None:
    global _failure
    try:
        from app.workspace import database_layer

        database_layer()
        for name in MODULES:
            importlib.import_module(name)
    except BaseException as exc:  # a bug: raised again on the main thread by wait()
        _failure = exc


def start() -> None:
    """Begin loading in the background (once per process; nothing to do when all is loaded)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_load, name="preload", daemon=True)
        _thread.start()


def wait() -> None:
    """Return when the background load has finished (at once when none was started); a failure in it
    is raised here, on the caller's thread, where the crash handler sees it."""
    global _failure
    if _thread is not None:
        _thread.join()
    if _failure is not None:
        failure, _failure = _failure, None
        raise failure
