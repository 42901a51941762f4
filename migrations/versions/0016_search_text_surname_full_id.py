"""households: the roster search indexes a surname on its own and the whole resident ID

Revision ID: 0016_search_text_surname_full_id
Revises: 0015_town_agreement
Create Date: 2026-12-05 00:00:00

``household.search_text`` (the text of the roster search, ``db/queries/households.py``) gains, for
each member, the first character of the name between two marks (``^张^``: one typed character, a
surname, is then a phrase of the trigram index instead of a look-up of every person with that name),
and keeps the whole resident ID (``#370681196503041234!``) instead of its last 8 characters (typed ID
digits of any length are then a phrase of the index instead of a scan of every person).

Rewritten in place for every household, without new versions (every station rewrites its copy of a
row the same way), and the index ``fts_household`` is rebuilt once. The text is built here as
``household_search_text`` built it at this revision (copied, so that this revision stays what it is
when the app changes). The downgrade writes the earlier form.
"""

import re

import sqlalchemy as sa
from alembic import op


revision = '0016_search_text_surname_full_id'
down_revision = '0015_town_agreement'
branch_labels = None
depends_on = None

PAGE = 2000  # households per round


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _text(household: sa.Row, members: list[sa.Row], *, new: bool) -> str:
    parts: list[str] = []
    for m in members:
        if m.name:
            parts.append("^" + m.name)
            if new:
                parts.append("^" + m.name[0] + "^")
            if len(m.name) >= 3:
                parts.append("^" + m.name[1:])
        for key in (m.name_pinyin or "").split() + (m.name_initials or "").split():
            parts.append("^" + key)
        if m.id_number:
            parts.append("#" + (m.id_number if new else m.id_number[-8:]).upper() + "!")
        if m.phone:
            parts.append("~" + _digits(m.phone))
    for phone in (household.phones or "").split(","):
        if phone.strip():
            parts.append("~" + _digits(phone))
    for extra in (household.household_no, household.group_name, household.address):
        if extra:
            parts.append("^" + extra)
    return " ".join(dict.fromkeys(parts))


def _rewrite(*, new: bool) -> None:
    conn = op.get_bind()
    conn.exec_driver_sql("UPDATE fts_household_control SET bulk = 1")  # the update trigger stands aside
    last = ""
    while True:
        households = conn.exec_driver_sql(
            "SELECT id, household_no, group_name, address, phones, search_text FROM household "
            "WHERE id > ? ORDER BY id LIMIT ?",
            (last, PAGE),
        ).fetchall()
        if not households:
            break
        last = households[-1].id
        marks = ",".join("?" * len(households))
        members: dict[str, list[sa.Row]] = {}
        for p in conn.exec_driver_sql(
            f"SELECT household_id, name, name_pinyin, name_initials, id_number, phone FROM person "
            f"WHERE household_id IN ({marks}) AND deleted_at IS NULL ORDER BY rowid",
            tuple(h.id for h in households),
        ):
            members.setdefault(p.household_id, []).append(p)
        changed = [
            (text, h.id)
            for h in households
            if (text := _text(h, members.get(h.id, []), new=new)) != h.search_text
        ]
        if changed:
            conn.exec_driver_sql("UPDATE household SET search_text = ? WHERE id = ?", changed)
    conn.exec_driver_sql("DELETE FROM fts_household")
    conn.exec_driver_sql(
        "INSERT INTO fts_household(rowid, text) SELECT k.rowid, h.search_text FROM fts_household_key k "
        "JOIN household h ON h.id = k.household_id ORDER BY k.rowid"
    )
    conn.exec_driver_sql("UPDATE fts_household_control SET bulk = 0")


def upgrade() -> None:
    _rewrite(new=True)


def downgrade() -> None:
    _rewrite(new=False)
