"""Which runs of the program have a workspace's database open, and whether one ended without closing it.

Every run that opens the database (the window, a command such as ``python -m app backup``) makes a mark
of its own in ``runs/`` of the workspace and holds an operating-system lock on it (``flock`` on POSIX,
``LockFileEx`` through ``msvcrt.locking`` on Windows) until it closes the database cleanly, when it
removes the mark. The system lets go of the lock when the process ends, however it ends. So at the next
open:

- a mark whose lock can be taken is a run that is gone without closing (killed, crashed, a power cut):
  the database is then checked in full (``integrity_check``), and the mark is removed only by a run that
  did that check and found the database sound;
- a mark still locked is a run still going (the window open while a scheduled ``backup`` runs beside
  it): not a crash, and its mark is left alone. (The single mark file of earlier versions,
  ``minqing.db.open``, could not tell the two apart: a command run beside the window took the window's
  mark for a crash, checked a 100 000-household village in full for half a minute, and then removed the
  mark, so that a crash of the window afterwards went unnoticed.)

That earlier single mark, when found, counts as a run gone without closing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from db.files import PRIVATE_FILE, private_dir

RUNS_DIR = "runs"
LEGACY_MARK = "minqing.db.open"  # the mark of earlier versions: one file, no lock
MARK_SUFFIX = ".open"
MAX_MARKS_LOOKED_AT = 1000  # a folder holding more than this was not filled by this program


def _lock(fd: int) -> bool:
    """Take the lock on ``fd`` without waiting; False when another holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    """Let go of the lock before the file is closed: Windows frees a lock left to a close only "when
    resources allow", and the next open must find it free."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def held(path: Path, *, wait_seconds: float = 30.0) -> Iterator[bool | None]:
    """Hold an exclusive lock on ``path`` (made if missing, owner-only) while the block runs, waiting up
    to ``wait_seconds`` for another run that holds it; yields False when it was not got in time (the
    block then decides what to say), None when no lock file can be made there (a read-only medium,
    where nothing the lock would guard can be written either)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
    except OSError:
        yield None
        return
    try:
        deadline = time.monotonic() + wait_seconds
        got = _lock(fd)
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
            got = _lock(fd)
        try:
            yield got
        finally:
            if got:
                _unlock(fd)
    finally:
        os.close(fd)


def _is_gone(path: Path) -> bool:
    """Is ``path`` the mark of a run that is gone (its lock free)? Probed by taking the lock and letting
    go of it at once; a mark that cannot be opened is left for its run."""
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))  # a link put there is no mark
    except OSError:
        return False
    try:
        if not _lock(fd):
            return False
        _unlock(fd)
        return True
    finally:
        os.close(fd)


def marks_of_runs_gone(root: Path) -> list[Path]:
    """The marks, in ``root``, of runs that ended without closing the database (the earlier versions'
    single mark among them)."""
    gone = [p for p in [Path(root) / LEGACY_MARK] if p.exists()]
    runs = Path(root) / RUNS_DIR
    if runs.is_dir():
        for n, path in enumerate(runs.glob(f"*{MARK_SUFFIX}")):
            if n >= MAX_MARKS_LOOKED_AT:
                break
            if _is_gone(path):
                gone.append(path)
    return gone


def runs_going(root: Path) -> list[Path]:
    """The marks of runs that have the database open now (their lock held): another window, a command."""
    runs = Path(root) / RUNS_DIR
    if not runs.is_dir():
        return []
    going = []
    for n, path in enumerate(runs.glob(f"*{MARK_SUFFIX}")):
        if n >= MAX_MARKS_LOOKED_AT:
            break
        if path.is_file() and not path.is_symlink() and not _is_gone(path):
            going.append(path)
    return going


def last_run_unclean(root: Path) -> bool:
    """Did a run end without closing the database (so that the next check should be the full one)?"""
    return bool(marks_of_runs_gone(root))


class RunMark:
    """This run's mark: made and locked by :meth:`take`, removed by :meth:`give_back`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path: Path | None = None
        self._fd: int | None = None
        self._gone_at_open: list[Path] = []

    def take(self, gone: list[Path]) -> None:
        """Make and lock this run's mark. ``gone``: the marks of runs gone that this run's check at open
        saw (:func:`marks_of_runs_gone`, read before the check): removed by :meth:`give_back` if it was
        the full check."""
        if self._fd is not None:
            return
        self._gone_at_open = list(gone)
        runs = private_dir(self.root / RUNS_DIR)
        path = runs / f"{os.getpid()}-{secrets.token_hex(4)}{MARK_SUFFIX}"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        if not _lock(fd):  # (a name just made: nobody else has it)
            os.close(fd)
            raise OSError(f"无法锁定 {path}")
        self.path, self._fd = path, fd

    def give_back(self, *, checked_in_full: bool) -> None:
        """A clean close: this run's mark goes. ``checked_in_full``: this run's open found the database
        sound by the full check, so the marks of runs gone that it was owed for go too."""
        if self._fd is None:
            return
        if checked_in_full:
            for path in self._gone_at_open:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            assert self.path is not None
            self.path.unlink(missing_ok=True)  # (on Windows a file still open cannot go: closed below)
        self._let_go()
        if self.path is not None and self.path.exists():
            with contextlib.suppress(OSError):
                self.path.unlink()

    def leave(self) -> None:
        """Close without removing the mark, as a run that dies does: the next open checks in full."""
        self._let_go()

    def _let_go(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
