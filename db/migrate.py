"""Schema migrations run from the program (alembic "sharing a connection" recipe).

On open: refuse a database newer than the program, copy the file to ``backups/`` before any
upgrade, then upgrade to head. A user's database is never deleted or recreated.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

if TYPE_CHECKING:
    from alembic.config import Config

# alembic is imported only when a database actually needs upgrading (or a caller asks for it): it
# costs ~0.2 s at start-up, and an up-to-date database, the usual case, is recognised without it.
_REVISION = re.compile(r"""^revision\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]\s*$""", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


class DatabaseTooNew(Exception):
    """The database was written by a newer program (unknown revision)."""

    def __init__(self, revision: str) -> None:
        super().__init__(revision)
        self.revision = revision


def migrations_dir() -> Path:
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    heads = quick_heads()
    if heads is not None and len(heads) == 1:
        return next(iter(heads))
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations have one head"
    return head


@functools.lru_cache(maxsize=32)
def is_known(revision: str) -> bool:
    """Is ``revision`` one of this program's migrations? (Asked once per revision and process.)"""
    graph = revision_graph()
    if graph is not None:
        return revision in graph
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:
        return False


def is_older(revision: str, than: str) -> bool:
    """Is ``revision`` one of the revisions ``than`` builds on (an older schema)?"""
    if revision == than:
        return False
    graph = revision_graph()
    if graph is not None and than in graph:
        seen: set[str] = set()
        todo = list(graph[than])
        while todo:
            rev = todo.pop()
            if rev == revision:
                return True
            if rev not in seen:
                seen.add(rev)
                todo.extend(graph.get(rev, ()))
        return False
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return any(s.revision == revision for s in script.iterate_revisions(than, "base"))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup(
    engine: Engine, db_path: Path, backups_dir: Path, label: str, slots_file: Path | None = None
) -> Path:
    """Consistent, checked copy of the database in ``backups_dir`` (:func:`db.backups.write_backup`),
    encrypted as the database is."""
    from db import cipher
    from db.backups import write_backup

    return write_backup(db_path, backups_dir, label, cipher.engine_key(engine), slots_file=slots_file)


@functools.lru_cache(maxsize=1)
def revision_graph() -> dict[str, tuple[str, ...]] | None:
    """Each revision id with the ids it builds on, read from the revision files' text (no alembic,
    no script compiled: a bundle import asks the head and the age of its schema, and loading alembic's
    script directory for it cost 40-100 ms a time); None if a file does not parse. The files are the
    program's own and do not change while it runs, so it is read once per process."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in (migrations_dir() / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is None or down is None:
            return None
        graph[rev.group(1)] = tuple(re.findall(r"""['"]([^'"]+)['"]""", down.group(1)))
    return graph or None


def quick_heads() -> set[str] | None:
    """Head revision ids read from the revision files' text, or None if a file does not parse."""
    graph = revision_graph()
    if graph is None:
        return None
    return (set(graph) - {d for downs in graph.values() for d in downs}) or None


def is_up_to_date(engine: Engine) -> bool:
    """True when the database is at the single head (checked without importing alembic)."""
    heads = quick_heads()
    if heads is None or len(heads) != 1:
        return False
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except OperationalError:  # no alembic_version table: an empty database
        return False
    return set(rows) == heads


def upgrade(
    engine: Engine, db_path: Path, backups_dir: Path, target: str = "head", *, slots_file: Path | None = None
) -> Path | None:
    """Bring the database to ``target``; returns the backup made, if any."""
    if target == "head" and is_up_to_date(engine):
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    if current is not None:
        try:
            script.get_revision(current)
        except Exception as exc:  # alembic raises ResolutionError subclasses
            raise DatabaseTooNew(current) from exc
    head = script.get_current_head() if target == "head" else target
    if current == head:
        return None
    made = None
    if current is not None and db_path.exists():
        made = backup(engine, db_path, backups_dir, f"before-{head}", slots_file)
    # Batch migrations recreate tables; foreign keys are checked once afterwards instead.
    with engine.connect() as conn:
        raw = conn.connection.driver_connection  # outside any transaction: the pragma takes effect
        assert raw is not None, "an open connection has a driver connection"
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign key check failed after upgrade: {problems[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
    return made
