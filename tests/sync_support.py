"""Helpers for the sync tests: enrolled station pairs, household data written as a cadre would, and
a content dump of a database to prove "changed nothing"."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

from db.models import Attachment, Household, Person

from app.sync import records
from app.sync.enrollment import enroll, export_card
from app.workspace import Workspace


def enroll_village(village: Workspace, town: Workspace, tmp: Path) -> None:
    card = export_card(village, tmp / f"card-{village.require_station().id}.json")
    enroll(town, card)


def add_household(ws: Workspace, head: str, members: tuple[str, ...] = (), *, group: str = "一组") -> str:
    with ws.session() as s:
        h = Household(head_name=head, group_name=group, address=f"{group}{len(head)}号", phones="13812345678")
        s.add(h)
        s.flush()
        p = Person(household_id=h.id, name=head, relation="户主", sex="男", birth_date=dt.date(1960, 5, 1))
        s.add(p)
        for name in members:
            s.add(Person(household_id=h.id, name=name, relation="子女", sex="女", birth_date=dt.date(1990, 1, 2)))
        s.flush()
        h.head_id = p.id
        return h.id


def edit_household(ws: Workspace, household_id: str, **values) -> None:
    with ws.session() as s:
        h = s.get(Household, household_id)
        for k, v in values.items():
            setattr(h, k, v)


def delete_household(ws: Workspace, household_id: str) -> None:
    from db.base import utcnow

    with ws.session() as s:
        s.get(Household, household_id).deleted_at = utcnow()


def add_attachment(ws: Workspace, owner_id: str, content: bytes, filename: str = "照片.jpg") -> str:
    sha = hashlib.sha256(content).hexdigest()
    path = ws.attachments_dir / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with ws.session() as s:
        a = Attachment(owner_table="household", owner_id=owner_id, filename=filename, mime="image/jpeg",
                       size=len(content), sha256=sha)
        s.add(a)
        s.flush()
        return a.id


def synced_rows(ws: Workspace, village_code: str) -> dict[str, list[tuple]]:
    """Every synced table's travelling columns for one village, sorted by id."""
    out = {}
    with ws.engine.connect() as conn:
        for spec in records.table_specs():
            cols = ", ".join(f'"{c}"' for c in spec.columns)
            out[spec.record_type] = conn.exec_driver_sql(
                f'SELECT {cols} FROM "{spec.table_name}" WHERE village_code = ? ORDER BY id', (village_code,)
            ).fetchall()
    return out


def content_dump(ws: Workspace) -> list[str]:
    """The database's full content as SQL (independent of WAL/file layout)."""
    con = sqlite3.connect(ws.db_path)
    try:
        return list(con.iterdump())
    finally:
        con.close()
