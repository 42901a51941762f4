"""Encryption at rest (issue 14): a lost laptop gives away nothing without a password or the recovery code.

The database is a SQLCipher file; its key is wrapped once per account (argon2id, AES-GCM) and once by the
recovery code, in keys/database.keys. Attachments, drafts and backups are encrypted with the same key."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time

import pytest
from sqlalchemy import select

from db import cipher
from db.keyslots import FILE_NAME, KeySlots
from db.models import AuditLog

from app import accounts, attachments
from app.diary import drafts
from app.errors import UserError
from app.stations import init_station
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync_support import add_household


def _slots(ws: Workspace) -> KeySlots:
    slots = KeySlots.load(ws.keys_dir)
    assert slots is not None
    return slots


def test_the_database_file_gives_nothing_away_without_the_key(village_ws):
    add_household(village_ws, "保密户主甲", ("保密成员乙",))
    village_ws.close()
    raw = village_ws.db_path.read_bytes()
    assert not cipher.is_plain(village_ws.db_path)
    assert "保密户主甲".encode() not in raw and b"370681101201" not in raw
    with pytest.raises(sqlite3.DatabaseError):  # what `sqlite3 minqing.db "select * from person"` does
        sqlite3.connect(village_ws.db_path).execute("SELECT * FROM person").fetchall()
    slots_text = (village_ws.keys_dir / FILE_NAME).read_text(encoding="utf-8")
    assert ADMIN_PASSWORD not in slots_text and "保密" not in slots_text
    for backup in village_ws.backups_dir.glob("*.db"):
        assert not cipher.is_plain(backup) and "保密户主甲".encode() not in backup.read_bytes()
        assert backup.with_name(backup.name + ".keys").exists()  # its key slots travel with it
    # locked until a password unwraps the key; a wrong one does not
    ws = Workspace.open(village_ws.root, create=False)
    assert ws.locked and ws.is_initialized
    with pytest.raises(UserError, match="登录名或密码不对"):
        ws.unlock("admin", "not-the-password")
    assert ws.locked
    ws.unlock("admin", ADMIN_PASSWORD)
    assert not ws.locked and ws.require_station().code == "370681101201"
    ws.close()


def test_each_account_has_its_own_slot_and_a_password_change_rewraps_only_it(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        cadre = accounts.add_user(
            w, username="cadre1", display_name="村干部甲", password="cadre-pass-1", roles=["cadre"]
        )
        cadre_id = cadre.id
    before = {s.user_id: s.wrapped for s in _slots(village_ws).slots if s.kind == "account"}
    assert set(before) == {village_admin.id, cadre_id}
    with village_ws.work(cadre) as w:
        accounts.change_own_password(w, "cadre-pass-1", "cadre-pass-2")
    after = {s.user_id: s.wrapped for s in _slots(village_ws).slots if s.kind == "account"}
    assert after[village_admin.id] == before[village_admin.id] and after[cadre_id] != before[cadre_id]
    assert len(_slots(village_ws).account_slots(cadre_id)) == 1  # the old password's slot is gone
    village_ws.close()
    with pytest.raises(UserError):
        Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-1"))
    ws = Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-2"))
    assert not ws.locked
    # a stopped account loses its slot, and gets it back when started again
    with ws.work(village_admin) as w:
        accounts.set_active(w, cadre_id, False)
    assert _slots(ws).account_slots(cadre_id) == []
    ws.close()
    with pytest.raises(UserError, match="登录名或密码不对"):
        Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-2"))
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    with ws.work(village_admin) as w:
        accounts.set_active(w, cadre_id, True)
    ws.close()
    Workspace.open(village_ws.root, create=False, credentials=("cadre1", "cadre-pass-2")).close()


def test_a_password_change_that_does_not_commit_leaves_the_old_password_working(village_ws, village_admin):
    with pytest.raises(RuntimeError), village_ws.work(village_admin) as w:
        accounts.change_own_password(w, ADMIN_PASSWORD, "new-admin-pass")
        raise RuntimeError("the program dies before the commit")
    village_ws.close()
    # both slots are there until the commit; the database decides which password is right
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    with ws.work(None) as w:
        assert accounts.authenticate(w, "admin", ADMIN_PASSWORD).username == "admin"
    ws.close()


def test_a_forgotten_only_password_is_recovered_with_the_recovery_code_and_audited(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        code = accounts.new_recovery_code(w)
    assert _slots(village_ws).has_recovery
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    with pytest.raises(UserError, match="恢复码不对"):
        ws.unlock_with_recovery("2222-3333-4444-5555-6666")
    ws.unlock_with_recovery(code.lower().replace("-", " "))  # typed loosely from the sheet
    with ws.work(None) as w:
        accounts.recover(w, "admin", "brand-new-pass")
    ws.close()
    ws = Workspace.open(village_ws.root, create=False, credentials=("admin", "brand-new-pass"))
    with ws.session() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "user.recovered")).one()
        assert "恢复码" in (row.detail or "") and "brand-new-pass" not in (row.detail or "")
    # on an open workspace the code is still checked before a password is reset
    with pytest.raises(UserError, match="恢复码不对"):
        ws.unlock_with_recovery("2222-3333-4444-5555-6666")
    ws.close()
    with pytest.raises(UserError):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)


def test_wrong_passwords_slow_down_and_the_lockout_is_audited_without_the_typed_text(village_ws):
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    start = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
    for n in range(5):
        with pytest.raises(UserError, match="登录名或密码不对"):
            ws.unlock("admin", f"secret-guess-{n}", now=start + dt.timedelta(seconds=n))
    with pytest.raises(UserError, match="秒后再试"):  # the right password is not even tried now
        ws.unlock("admin", ADMIN_PASSWORD, now=start + dt.timedelta(seconds=10))
    with pytest.raises(UserError, match="时钟可能被调回"):  # the clock set back past the lock
        ws.unlock("admin", ADMIN_PASSWORD, now=dt.datetime(2010, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(UserError, match="登录名或密码不对"):
        ws.unlock("nobody-secret-typed-here", "x", now=start)
    guard_text = (ws.keys_dir / "signin.json").read_text(encoding="utf-8")
    assert "secret-guess" not in guard_text and "nobody-secret-typed-here" not in guard_text
    ws.unlock("admin", ADMIN_PASSWORD, now=start + dt.timedelta(seconds=40))
    with ws.session() as s:
        rows = s.scalars(
            select(AuditLog).where(AuditLog.action.in_(("signin.failed", "signin.locked")))
        ).all()
    assert {r.action for r in rows} == {"signin.failed", "signin.locked"}
    assert sum(r.action == "signin.failed" for r in rows) == 6
    assert all("secret" not in f"{r.username} {r.detail}" for r in rows)
    ws.close()


def test_attachments_and_drafts_are_sealed_and_bound_to_their_name(village_ws, village_admin, tmp_path):
    photo = tmp_path / "照片.jpg"
    photo.write_bytes(b"\xff\xd8resident-face" * 10_000)
    with village_ws.work(village_admin) as w:
        info = attachments.attach_file(w, "household", "h-1", photo)
        drafts.save_draft(w, "new", {"situation": "王大妈说低保的事"})
    path = attachments.blob_path(village_ws.attachments_dir, info.sha256)
    assert b"resident-face" not in path.read_bytes()
    (draft_file,) = village_ws.drafts_dir.glob("diary-*.json")
    assert "王大妈".encode() not in draft_file.read_bytes()
    with village_ws.work(village_admin) as w:
        assert attachments.read_attachment(w, info) == photo.read_bytes()
        assert drafts.load_draft(w, "new").data["situation"] == "王大妈说低保的事"
    # a sealed file put under another content's name does not open (and is not handed out)
    other = "0" * 64
    moved = attachments.blob_path(village_ws.attachments_dir, other)
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_bytes(path.read_bytes())
    with village_ws.engine.connect() as conn:
        assert attachments.load_blob(conn, village_ws.attachments_dir, other) is None


def test_a_planted_key_file_is_refused_in_chinese_without_spending_the_machine(village_ws):
    village_ws.close()
    slots_file = village_ws.keys_dir / FILE_NAME
    data = json.loads(slots_file.read_text(encoding="utf-8"))
    data["slots"][0]["kdf"]["m"] = 2**31  # 2 TiB of argon2 memory
    slots_file.write_text(json.dumps(data), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(UserError, match="密钥") as caught:
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert time.perf_counter() - started < 5 and ".keys" in caught.value.message
    slots_file.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="密钥文件"):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)


def test_a_lost_key_file_is_replaced_from_the_copy_beside_a_backup(village_ws):
    village_ws.close()  # the day's backup, with its .keys beside it
    (village_ws.keys_dir / FILE_NAME).unlink()
    with pytest.raises(UserError, match=r"\.keys"):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    newest = sorted(village_ws.backups_dir.glob("*.db.keys"))[-1]
    (village_ws.keys_dir / FILE_NAME).write_bytes(newest.read_bytes())
    Workspace.open(village_ws.root, create=False, credentials=ADMIN).close()


def test_a_new_station_keeps_its_key_in_the_clear_only_until_an_account_wraps_it(tmp_path):
    ws = Workspace.open(tmp_path / "new")
    assert _slots(ws).provisional_key is not None and not ws.locked and not ws.is_initialized
    init_station(
        ws, kind="town", code="370681101", name="东城镇", admin_user="admin", admin_password="pw-123456"
    )
    assert _slots(ws).provisional_key is None
    ws.close()
    ws = Workspace.open(tmp_path / "new", create=False)
    assert ws.locked and (ws.public_station() or {}).get("name") == "东城镇"
    from app.stations import station_card

    assert station_card(ws).code == "370681101"  # card export needs no account


def test_a_conversion_cut_short_leaves_the_plain_database_which_converts_next_time(tmp_path, monkeypatch):
    ws = Workspace.open(tmp_path / "w")
    init_station(
        ws, kind="town", code="370681101", name="东城镇", admin_user="admin", admin_password="pw-123456"
    )
    key = ws.key
    ws.close()
    # make it a workspace from before encryption: a plain database, no key slots
    plain = tmp_path / "plain.db"
    conn = cipher.connect(ws.db_path, key)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()
    ws.db_path.write_bytes(plain.read_bytes())
    (ws.keys_dir / FILE_NAME).unlink()
    for b in ws.backups_dir.iterdir():
        b.unlink()
    assert cipher.is_plain(ws.db_path)

    import app.workspace as workspace_module

    def killed(*_args):
        raise KeyboardInterrupt  # the process dies just before the rename

    monkeypatch.setattr(workspace_module.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        Workspace.open(tmp_path / "w", create=False)
    monkeypatch.undo()
    assert cipher.is_plain(ws.db_path)  # the plain database is whole and still there
    assert not list(tmp_path.joinpath("w").glob("*.encrypting"))
    again = Workspace.open(tmp_path / "w", create=False)  # converted now; the password is unchanged
    assert not again.locked and not cipher.is_plain(ws.db_path)
    again.close()
    Workspace.open(tmp_path / "w", create=False, credentials=("admin", "pw-123456")).close()


def test_init_in_a_locked_workspace_is_refused_in_chinese(village_ws):
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    assert ws.locked
    with pytest.raises(UserError, match="已经是“张家村”的工作站"):
        init_station(
            ws, kind="village", code="370681101209", name="别的村", admin_user="x", admin_password="pw-123456"
        )


def test_nulls_blobs_and_booleans_bind_as_before_through_the_registered_adapters(village_ws):
    """db/cipher.py registers adapters for None, bytes and bool (so that binding them does not search
    for one, which cost 2 µs a NULL); what a workspace connection stores must be what it stored before:
    NULL, a blob (an empty one too, not NULL) and the integers 1 and 0."""
    for kind in (type(None), bytes, bool):
        assert (kind, cipher.sqlcipher.PrepareProtocol) in cipher.sqlcipher.adapters
    with village_ws.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("CREATE TEMP TABLE bound (v)")
        values = [None, b"", b"\x00\xff", True, False, 0, "", "x", 1.5]
        raw.executemany("INSERT INTO temp.bound (v) VALUES (?)", [(v,) for v in values])
        stored = raw.execute("SELECT v, typeof(v) FROM temp.bound ORDER BY rowid").fetchall()
    assert stored == [
        (None, "null"),
        (b"", "blob"),
        (b"\x00\xff", "blob"),
        (1, "integer"),
        (0, "integer"),
        (0, "integer"),
        ("", "text"),
        ("x", "text"),
        (1.5, "real"),
    ]


def test_the_stations_private_keys_are_sealed_with_the_database_key(village_ws):
    """A lost laptop gives away neither the key that signs the village's bundles at the town nor the
    one that opens the town's bundles to it: both files are sealed with the database key."""
    from cryptography.hazmat.primitives import serialization

    from app.sync import keys

    station = village_ws.require_station()
    for name in (keys.SIGN_KEY, keys.ENCRYPT_KEY):
        data = (village_ws.keys_dir / name).read_bytes()
        assert cipher.is_sealed(data) and b"PRIVATE KEY" not in data
        assert (village_ws.keys_dir / name).stat().st_mode & 0o777 == 0o600
    sign = keys.load_sign_key(village_ws.keys_dir, village_ws.key)
    raw = sign.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert keys.b64(raw) == station.sign_public_key
    with pytest.raises(UserError, match="需要先登录"):
        keys.load_sign_key(village_ws.keys_dir, None)
    with pytest.raises(UserError, match="打不开"):
        keys.load_encrypt_key(village_ws.keys_dir, cipher.new_key())  # another workspace's key
    # a file swapped for the other one does not open either (the seal is bound to the file's name)
    swapped = village_ws.keys_dir / "swapped"
    swapped.write_bytes((village_ws.keys_dir / keys.ENCRYPT_KEY).read_bytes())
    with pytest.raises(UserError, match="打不开"):
        keys._pem_of(village_ws.keys_dir, "swapped", village_ws.key)
    # a planted giant file is refused before it is read
    (village_ws.keys_dir / "swapped").write_bytes(b"\0" * (keys.MAX_KEY_FILE + 1))
    with pytest.raises(UserError, match="大小异常"):
        keys._pem_of(village_ws.keys_dir, "swapped", village_ws.key)


def test_a_plain_key_file_of_an_older_workspace_is_sealed_at_the_next_sign_in(village_ws, tmp_path):
    from app.sync import keys
    from app.sync.enrollment import export_card
    from app.sync.station_cards import read_card

    pem = keys._pem_of(village_ws.keys_dir, keys.SIGN_KEY, village_ws.key)
    village_ws.close()
    (village_ws.keys_dir / keys.SIGN_KEY).write_bytes(pem)  # as an older program left it
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    try:
        data = (ws.keys_dir / keys.SIGN_KEY).read_bytes()
        assert cipher.is_sealed(data)
        assert cipher.unseal(ws.key, keys.SEAL_PURPOSE, data, keys.SIGN_KEY) == pem
        card = read_card(export_card(ws, tmp_path / "card.json"))  # read_card checks the signature
        assert card.sign_public_key == ws.require_station().sign_public_key
    finally:
        ws.close()


def test_the_card_is_exported_without_an_account_and_a_forged_kept_signature_is_refused(village_ws, tmp_path):
    """``card export`` needs no account: the card's signature is kept beside the public card when the
    database is open, and checked against the card's own key before it is used."""
    from app.sync.enrollment import export_card
    from app.sync.station_cards import read_card
    from app.workspace import PUBLIC_STATION

    code = village_ws.require_station().code
    village_ws.close()
    locked = Workspace.open(village_ws.root, create=False)
    try:
        assert locked.locked
        card = read_card(export_card(locked, tmp_path / "card.json"))
        assert card.code == code
        public = locked.keys_dir / PUBLIC_STATION
        data = json.loads(public.read_text(encoding="utf-8"))
        data["name"] = "李家村"  # the public copy edited: the kept signature no longer holds
        public.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(UserError, match="需要先登录"):
            export_card(locked, tmp_path / "forged.json")
        assert not (tmp_path / "forged.json").exists()
    finally:
        locked.close(daily_backup=False)


def test_a_failing_statement_is_told_without_the_residents_words(village_ws):
    """A bug's statement goes into the crash log and minqing.log: its values (names, IDs, 低保户，上访三次)
    are left out of the message."""
    from sqlalchemy import text as sql
    from sqlalchemy.exc import OperationalError

    with village_ws.session() as s, pytest.raises(OperationalError) as err:
        s.execute(sql("INSERT INTO no_such_table VALUES (:said)"), {"said": "低保户，上访三次"})
    assert "低保户" not in str(err.value) and "hidden" in str(err.value)


def test_tries_started_together_are_each_counted_and_throttled(village_ws):
    """Ten wrong passwords at once (ten programs, or threads): each is counted, so after the free ones the
    rest wait instead of being checked (they were all checked, and two counted)."""
    import concurrent.futures

    village_ws.close()
    start = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)

    def guess(n: int) -> str:
        ws = Workspace.open(village_ws.root, create=False)
        try:
            ws.unlock("admin", f"guess-{n}", now=start)
        except UserError as exc:
            return "wrong" if "登录名或密码不对" in exc.message else "waits"
        return "opened"

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        said = list(pool.map(guess, range(10)))
    assert sorted(said) == ["waits"] * 5 + ["wrong"] * 5
    guard = json.loads((village_ws.keys_dir / "signin.json").read_text(encoding="utf-8"))
    assert guard["failures"]["admin"]["count"] == 5
    assert not list(village_ws.keys_dir.glob("*.tmp"))
