"""Migrations: empty → head, no drift between models and revisions, older databases upgrade."""

import datetime as dt
import sqlite3

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import inspect

from db import cipher, migrate
from db.engine import make_engine

from app.errors import UserError
from app.workspace import Workspace

from tests.conftest import ADMIN


def test_upgrade_from_empty_to_head(tmp_path):
    engine = make_engine(tmp_path / "x.db")
    migrate.upgrade(engine, tmp_path / "x.db", tmp_path / "backups")
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert {"household", "person", "user", "station"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_and_migrations_have_no_drift(tmp_path):
    engine = make_engine(tmp_path / "x.db")
    migrate.upgrade(engine, tmp_path / "x.db", tmp_path / "backups")
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        try:
            command.check(cfg)
        except CommandError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"models differ from migrations: {exc}")
    engine.dispose()


def _revisions():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_older_database_is_backed_up_and_upgraded(tmp_path):
    """A database stamped at the first revision (as an older program left it) opens and keeps data."""
    db_path = tmp_path / "ws" / "minqing.db"
    db_path.parent.mkdir()
    engine = make_engine(db_path)
    first = _revisions()[0]
    migrate.upgrade(engine, db_path, tmp_path / "ws" / "backups", target=first)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO setting(key, value) VALUES ('marker', '\"kept\"')")
    engine.dispose()
    ws = Workspace.open(db_path.parent, create=False, credentials=ADMIN)
    try:
        assert migrate.current_revision(ws.engine) == migrate.head_revision()
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT value FROM setting WHERE key='marker'").scalar() == '"kept"'
    finally:
        ws.close()
    if first != migrate.head_revision():
        assert list((db_path.parent / "backups").glob("*.db"))


def test_database_newer_than_program_is_refused_and_left_alone(tmp_path):
    ws = Workspace.open(tmp_path / "ws", credentials=ADMIN)
    key = ws.key
    ws.close()
    db_path = tmp_path / "ws" / "minqing.db"
    con = cipher.connect(db_path, key)
    con.execute("UPDATE alembic_version SET version_num='9999_from_the_future'")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(UserError, match="更新版本"):
        Workspace.open(tmp_path / "ws", create=False, credentials=ADMIN)
    assert db_path.read_bytes() == before


def test_the_diary_index_is_rebuilt_without_positions_and_keeps_every_row(village_ws):
    """0008 rebuilds fts_diary (detail=none) and back: the same rows under the same keys, the
    triggers still on, the searches finding the same entries."""
    from db.queries.diary import DiaryFilter, diary_entry_ids

    from app.diary import entries

    from tests.diary_helpers import NOW, add_cadre, add_household, entry_input

    def index(ws):
        with ws.engine.connect() as c:
            return (
                c.exec_driver_sql(
                    "SELECT rowid, body, people, demands FROM fts_diary ORDER BY rowid"
                ).fetchall(),
                c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'fts_diary'").scalar(),
            )

    def search(ws, text):
        with ws.session() as s:
            return diary_entry_ids(s, DiaryFilter(text=text))

    ws = village_ws
    cadre = add_cadre(ws)
    hid, pid, _ = add_household(ws, "欧阳修远")
    with ws.work(cadre) as w:
        for n, situation in enumerate(("屋顶漏雨需要修缮", "院墙倒塌", "申请低保户补助")):
            entries.save_entry(
                w, entry_input(hid, pid, situation=situation, when=NOW - dt.timedelta(days=n)), now=NOW
            )
    rows, sql = index(ws)
    assert len(rows) == 3 and "detail=none" in sql
    found = search(ws, "低保户补助")
    assert len(found) == 1
    cfg = migrate.alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_attachment_content")
    old_rows, old_sql = index(ws)
    assert old_rows == rows and "detail" not in old_sql
    ws.close()
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)  # upgrades again
    try:
        assert index(ws) == (rows, sql)
        assert search(ws, "低保户补助") == found and len(search(ws, "欧阳修远")) == 3
        with ws.work(cadre) as w:  # the triggers are back
            entries.save_entry(
                w, entry_input(hid, pid, situation="自来水管冻裂", when=NOW - dt.timedelta(days=5)), now=NOW
            )
        assert len(search(ws, "自来水管冻裂")) == 1
    finally:
        ws.close()


def test_a_new_database_gets_16k_pages_and_an_older_one_is_encrypted_with_them(tmp_path):
    from db.engine import PAGE_SIZE

    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
    with ws.engine.connect() as c:
        assert int(c.exec_driver_sql("PRAGMA page_size").scalar()) == PAGE_SIZE == 16384
    ws.close()
    (tmp_path / "old").mkdir()
    con = sqlite3.connect(tmp_path / "old" / "minqing.db")  # as an older program made it
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE marker (x)")
    con.close()
    ws = Workspace.open(tmp_path / "old", create=False, credentials=ADMIN)
    try:
        with ws.engine.connect() as c:
            # SQLCipher reads every database with one page size: the conversion writes them anew
            assert int(c.exec_driver_sql("PRAGMA page_size").scalar()) == 16384
            assert migrate.current_revision(ws.engine) == migrate.head_revision()
    finally:
        ws.close()


def test_the_households_plain_name_and_group_indexes_are_gone_and_their_queries_use_the_live_ones(village_ws):
    """0009 drops ix_household_head_name and ix_household_group_name (and puts them back going down):
    the queries of those columns all ask for live households and are answered by the partial indexes."""
    from sqlalchemy import select

    from db.models import Household
    from db.queries.households import RosterFilter, _ordered

    def indexes(ws) -> set[str]:
        with ws.engine.connect() as c:
            return {
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'household'"
                )
            }

    def plan(ws, stmt) -> str:
        with ws.engine.connect() as c:
            compiled = stmt.compile(c, compile_kwargs={"literal_binds": True})
            return " | ".join(r[-1] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))

    ws = village_ws
    assert not {"ix_household_head_name", "ix_household_group_name"} & indexes(ws)
    groups = (
        select(Household.group_name)
        .where(Household.deleted_at.is_(None), Household.group_name != "")
        .distinct()
    )
    assert "ix_household_live_group_name" in plan(ws, groups)
    for sort in ("head_name", "group_name"):
        roster = _ordered([Household.id], RosterFilter(), sort, False)
        assert f"ix_household_live_{sort}" in plan(ws, roster) and "TEMP B-TREE" not in plan(ws, roster)
    cfg = migrate.alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_diary_index_detail")
    assert {"ix_household_head_name", "ix_household_group_name"} <= indexes(ws)
    ws.close()
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)  # upgrades again
    try:
        assert not {"ix_household_head_name", "ix_household_group_name"} & indexes(ws)
    finally:
        ws.close()


# The English codes of the diary's columns before 0011, written out here as an older program stored them.
OLD_CODES = {
    ("diary_entry", "kind"): {"入户走访": "home_visit", "电话联系": "phone"},
    ("demand", "status"): {"待办": "open", "已答复": "replied"},
    ("acknowledgement", "method"): {"当场签字": "signature"},
    ("must_visit_event", "kind"): {"住院": "hospitalised"},
}


def test_the_diary_vocabularies_are_rewritten_to_chinese_with_the_signed_hashes_and_back(village_ws):
    """0011: diary_entry.kind, demand.status, acknowledgement.method and must_visit_event.kind go from
    the English codes to the Chinese values; a signature whose hash matched its entry is hashed again
    over the rewritten content, one that no longer matched (the entry was changed after signing) stays
    flagged; the conflicts' row snapshots follow. The downgrade gives back the database as it was."""
    import json

    from sqlalchemy import select

    from db.models import AuditLog

    from app.diary import acknowledgement, demands, entries, visits

    from tests.diary_helpers import NOW, add_cadre, add_household, entry_input

    ws = village_ws
    cadre = add_cadre(ws)
    hid, pid, _ = add_household(ws, "欧阳修远")
    with ws.work(cadre) as w:
        kept = entries.save_entry(w, entry_input(hid, pid, demands=[("住房", "屋顶漏雨")]), now=NOW)
        altered = entries.save_entry(
            w, entry_input(hid, pid, kind="电话联系", when=NOW - dt.timedelta(days=1)), now=NOW
        )
        for e in (kept, altered):
            acknowledgement.acknowledge(
                w, e.id, method="当场签字", signer_name="欧阳修远", signature_png=b"png", signed_at=NOW
            )
        demand_id = kept.demands[0].id
        visits.record_must_visit(w, hid, "住院", NOW.date(), today=NOW.date())
        # the audit log's action names stay as they were, built from the value in code
        assert "diary.ack.signature" in w.session.scalars(select(AuditLog.action)).all()

    def old_hash(entry_id):
        """The hash an older program stored: the same content, the kind as its English code."""
        with ws.work(cadre) as w:
            canonical = acknowledgement.canonical_content(w.session, entry_id)
        canonical["kind"] = OLD_CODES["diary_entry", "kind"][canonical["kind"]]
        return acknowledgement.hash_canonical(canonical)

    kept_old, altered_old = old_hash(kept.id), old_hash(altered.id)
    conflict_rows = {
        "demand": ({"id": demand_id, "status": "open", "reply": ""}, {"id": demand_id, "status": "replied"}),
        "acknowledgement": (
            {"id": acknowledgement.acknowledgement_id(kept.id), "entry_id": kept.id, "method": "signature"}
            | {"content_hash": kept_old},
            {"id": acknowledgement.acknowledgement_id(kept.id), "entry_id": kept.id, "method": "signature"}
            | {"content_hash": "0" * 64},
        ),
    }
    # the database as a program at 0010 left it: English codes, hashes over them, one entry changed
    # after it was signed, two open conflicts (the later revisions taken off first)
    cfg = migrate.alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011_diary_vocab")
    with ws.engine.begin() as conn:
        for (table, column), codes in OLD_CODES.items():
            for new, old in codes.items():
                conn.exec_driver_sql(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (old, new))
        for entry_id, h in ((kept.id, kept_old), (altered.id, altered_old)):
            conn.exec_driver_sql(
                "UPDATE acknowledgement SET content_hash = ? WHERE entry_id = ?", (h, entry_id)
            )
        conn.exec_driver_sql("UPDATE diary_entry SET actions = '改过的办理情况' WHERE id = ?", (altered.id,))
        for table, (local, incoming) in conflict_rows.items():
            conn.exec_driver_sql(
                "INSERT INTO sync_conflict (table_name, record_type, record_id, village_code, local_row,"
                " incoming_row, incoming_station, incoming_version, bundle_id, detected_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'town', 9, 'b', '2024-03-15 00:00:00.000000')",
                (
                    table,
                    table,
                    local["id"],
                    "370681101201",
                    json.dumps(local, ensure_ascii=False),
                    json.dumps(incoming, ensure_ascii=False),
                ),
            )
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0010_sync_rejection'")

    def coded(ws):
        with ws.engine.connect() as c:
            return {
                "kinds": c.exec_driver_sql("SELECT id, kind FROM diary_entry ORDER BY id").all(),
                "statuses": c.exec_driver_sql("SELECT id, status FROM demand ORDER BY id").all(),
                "acks": c.exec_driver_sql(
                    "SELECT entry_id, method, content_hash FROM acknowledgement ORDER BY entry_id"
                ).all(),
                "events": c.exec_driver_sql("SELECT id, kind FROM must_visit_event ORDER BY id").all(),
                "conflicts": c.exec_driver_sql(
                    "SELECT table_name, local_row, incoming_row FROM sync_conflict ORDER BY id"
                ).all(),
                "actions": c.exec_driver_sql("SELECT id, action FROM audit_log ORDER BY id").all(),
                "versions": c.exec_driver_sql(
                    "SELECT id, version, updated_at FROM diary_entry UNION ALL SELECT id, version, updated_at"
                    " FROM acknowledgement UNION ALL SELECT id, version, updated_at FROM demand ORDER BY 1"
                ).all(),
            }

    before = coded(ws)
    assert {k for _id, k in before["kinds"]} == {"home_visit", "phone"}
    ws.close()

    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)  # upgrades
    try:
        assert migrate.current_revision(ws.engine) == migrate.head_revision()
        assert list((ws.root / "backups").glob("*.db"))
        after = coded(ws)
        assert dict(after["kinds"]) == {kept.id: "入户走访", altered.id: "电话联系"}
        assert dict(after["statuses"]) == {demand_id: "待办"}
        assert [k for _id, k in after["events"]] == ["住院"]
        assert after["versions"] == before["versions"]  # rewritten in place, no new versions to send
        assert after["actions"] == before["actions"]
        with ws.work(cadre) as w:
            signed = acknowledgement.acknowledgement_info(w.session, kept.id)
            assert signed.method == "当场签字" and signed.signed and signed.matches_content
            assert signed.content_hash == acknowledgement.content_hash(w, kept.id) != kept_old
            changed = acknowledgement.acknowledgement_info(w.session, altered.id)
            assert changed.signed and not changed.matches_content and changed.content_hash == altered_old
            assert entries.entry_detail(w, kept.id).read_only
            assert demands.demand_info(w, demand_id).status_label == "待办"
        snapshots = {
            t: (json.loads(local), json.loads(incoming)) for t, local, incoming in after["conflicts"]
        }
        assert snapshots["demand"][0]["status"] == "待办" and snapshots["demand"][1]["status"] == "已答复"
        (ack_local, ack_incoming) = snapshots["acknowledgement"]
        assert ack_local["method"] == ack_incoming["method"] == "当场签字"
        assert ack_local["content_hash"] == signed.content_hash and ack_incoming["content_hash"] == "0" * 64
        cfg = migrate.alembic_config()
        with ws.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0010_sync_rejection")
        assert coded(ws) == before
    finally:
        ws.close()


def test_the_old_codes_cover_every_value_of_the_diarys_vocabularies():
    """A value renamed or added without a migration of its own would leave rows (and older bundles) that
    no screen offers; the must-visit deadlines name every kind."""
    from db import vocab

    from app.diary.visits import MUST_VISIT_DAYS

    old = vocab.LEGACY_CODES
    # 信息员报告 came with 0020_informants: no program before it wrote it, so no code
    assert tuple(old["diary_entry"]["kind"].values()) == tuple(
        k for k in vocab.ENTRY_KINDS if k != vocab.INFORMANT_REPORT
    )
    # 已上报乡镇 and 乡镇已答复 came with 0013_demand_referral: no program before it wrote them, so no code
    assert tuple(old["demand"]["status"].values()) == tuple(
        s for s in vocab.DEMAND_STATUSES if s not in (vocab.REFERRED, vocab.TOWN_REPLIED)
    )
    assert tuple(old["acknowledgement"]["method"].values()) == vocab.ACK_METHODS
    assert tuple(old["must_visit_event"]["kind"].values()) == vocab.MUST_VISIT_KINDS
    assert set(vocab.SIGNED_METHODS) < set(vocab.ACK_METHODS)
    assert tuple(MUST_VISIT_DAYS) == vocab.MUST_VISIT_KINDS
    rows = [["home_visit", "x"], ["入户走访", "y"], ["unknown", "z"]]
    assert vocab.translate_rows("diary_entry", ["kind", "place"], rows) == 1
    assert rows == [["入户走访", "x"], ["入户走访", "y"], ["unknown", "z"]]
    assert vocab.translate_rows("diary_entry", ["kind", "place"], rows, to_legacy=True) == 2
    assert rows[0][0] == rows[1][0] == "home_visit"
