"""A workspace made by an earlier release opens in this program with every record intact: one small demo
village per released schema revision is kept in tests/data/ (tools/make_upgrade_fixture.py made it) and
migrated here."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from db import cipher, migrate, vocab
from db.models import Acknowledgement, Household, Person
from db.queries.households import RosterFilter, roster_ids

from app.diary.acknowledgement import acknowledgement_info
from app.errors import UserError
from app.workspace import Workspace

from tests.conftest import ADMIN
from tools.make_upgrade_fixture import fingerprint

DATA = Path(__file__).resolve().parent / "data"
FIXTURES = sorted(p for p in DATA.glob("workspace-*") if p.is_dir())


def test_there_is_a_fixture_of_a_released_schema():
    assert FIXTURES


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.name for p in FIXTURES])
def test_an_old_workspace_opens_with_every_record_intact(fixture, tmp_path):
    expected = json.loads(fixture.with_suffix(".json").read_text(encoding="utf-8"))
    root = shutil.copytree(fixture, tmp_path / "village")
    before = fingerprint(root / "minqing.db")
    ws = Workspace.open(root, create=False)  # plain: encrypted on the way in, with no password asked
    key = ws.key
    try:
        assert key is not None and migrate.is_up_to_date(ws.engine)
        if expected["revision"] != migrate.head_revision():
            assert any("before-" in b.name for b in (root / "backups").glob("*.db"))  # kept before upgrading
        with ws.session() as s:
            entry_ids = s.scalars(
                select(Acknowledgement.entry_id).where(Acknowledgement.deleted_at.is_(None))
            ).all()
            intact = sum(1 for e in entry_ids if (a := acknowledgement_info(s, e)) and a.matches_content)
            assert (
                intact == expected["acknowledgements_intact"]
            )  # what residents signed still reads as signed
            name = s.scalars(select(Household.head_name).order_by(Household.id)).first()
            hits = roster_ids(s, RosterFilter(text=name))
            assert hits  # the search index came through
            # rewritten by 0015: one character is a surname, and any run of an ID's digits is found
            surname = roster_ids(s, RosterFilter(text=name[0]))
            assert set(hits) <= set(surname)
            owner, number = s.execute(
                select(Person.household_id, Person.id_number).where(Person.id_number.is_not(None)).limit(1)
            ).one()
            assert owner in roster_ids(s, RosterFilter(text=number[:12]))
    finally:
        ws.close(daily_backup=False)
    # encrypted at rest: SQLite alone reads nothing; no plain copy is left, nor any plain backup
    assert not cipher.is_plain(root / "minqing.db")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(root / "minqing.db").execute("SELECT count(*) FROM person").fetchone()
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("minqing.db")) == ["minqing.db"]
    assert all(not cipher.is_plain(b) for b in (root / "backups").glob("*.db"))
    # every account keeps its password: the demo's administrator opens it; a wrong password does not
    with pytest.raises(UserError):
        Workspace.open(root, create=False, credentials=ADMIN)
    Workspace.open(root, create=False, credentials=("admin", "minqing")).close(daily_backup=False)
    conn = cipher.connect(root / "minqing.db", key)
    try:  # every coded column holds the values, none of the old English codes
        for table, columns in vocab.LEGACY_CODES.items():
            for column, codes in columns.items():
                held = {r[0] for r in conn.execute(f'SELECT DISTINCT "{column}" FROM "{table}"')}
                assert held and held <= set(codes.values()), (table, column, held)
    finally:
        conn.close()
    now = fingerprint(root / "minqing.db", key)
    for table, want in expected["tables"].items():
        assert before[table] == want, table
        assert now[table] == want, table


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.name for p in FIXTURES])
def test_a_refusal_recorded_as_termination_before_mediation_becomes_not_accepted(fixture, tmp_path):
    """0012: an older program let a case go 受理 → 终止 for a party who refused mediation before it began
    (Art. 17). Such a case is 不予受理 now, never counted as 受理; a mediation ended under way stays 终止."""
    import datetime as dt

    from app.mediation import stats
    from app.workspace import Workspace as Ws

    conn = sqlite3.connect(fixture / "minqing.db")
    try:
        before = conn.execute(
            "SELECT c.id FROM mediation_case c WHERE c.outcome = '终止' AND NOT EXISTS (SELECT 1 FROM"
            " mediation_transition t WHERE t.case_id = c.id AND t.to_state = '调解中')"
        ).fetchall()
    finally:
        conn.close()
    root = shutil.copytree(fixture, tmp_path / "village")
    ws = Ws.open(root, create=False)
    try:
        with ws.session() as s:
            from db.models import CaseTransition, MediationCase

            for (case_id,) in before:
                row = s.get(MediationCase, case_id)
                assert (row.outcome, row.state) in (("不予受理", "不予受理"), ("不予受理", "已归档"))
                steps = [
                    t.to_state
                    for t in s.scalars(select(CaseTransition).where(CaseTransition.case_id == case_id))
                ]
                assert "终止" not in steps and "不予受理" in steps
        with ws.work(None) as w:
            figures = stats.compute(w, dt.date(2000, 1, 1), dt.date(2100, 1, 1))
            cases = w.session.scalars(select(MediationCase)).all()
        assert figures.rejected == sum(1 for c in cases if c.outcome == "不予受理") >= len(before)
        assert figures.accepted == sum(1 for c in cases if c.outcome != "不予受理")
    finally:
        ws.close(daily_backup=False)
    assert before  # the fixture holds such cases (made by the older demo)
