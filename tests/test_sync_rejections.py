"""Every bad bundle is refused with its reason in Chinese and leaves the town's database as it was."""

from __future__ import annotations

import json
import random
import struct

import pytest
from sqlalchemy import text

from db import cipher

from app.stations import init_station
from app.sync import bundle, keys
from app.sync.bundle import REASONS
from app.sync.enrollment import export_card, revoke
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.sync_support import add_attachment, add_household, content_dump, enroll_village, without_town_rule


@pytest.fixture
def setup(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    hid = add_household(village_ws, "张建国", ("张小红",))
    add_attachment(village_ws, hid, b"\xff\xd8" + bytes(range(200)) * 5)
    (result,) = export_bundles(village_ws, stick)
    return village_ws, town_ws, stick, result.path


def _rejected(town, path) -> str:
    report = import_bundles(town, [path])
    (b,) = report.bundles
    assert b.status == "rejected", b
    assert b.reason and b.reason.startswith(REASONS), b.reason
    assert all(v == 0 for v in b.counts.values())
    return b.reason


def test_single_byte_corruption_anywhere_is_rejected_and_changes_nothing(setup, tmp_path):
    _, town, _, good = setup
    data = good.read_bytes()
    before = content_dump(town)
    rng = random.Random(20240611)
    positions = sorted(
        set(rng.sample(range(len(data)), 60)) | {0, 10, 16, 17, 20, len(data) - 1, len(data) - 64}
    )
    bad = tmp_path / "bad.mqb"
    for pos in positions:
        mutated = bytearray(data)
        mutated[pos] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(mutated))
        _rejected(town, bad)
    assert content_dump(town) == before
    # and the good file still imports afterwards
    assert import_bundles(town, [good]).bundles[0].status == "imported"


def test_truncated_bundle_is_rejected_as_incomplete(setup, tmp_path):
    _, town, _, good = setup
    data = good.read_bytes()
    before = content_dump(town)
    bad = tmp_path / "short.mqb"
    for length in (0, 5, 16, 19, 40, len(data) // 3, len(data) // 2, len(data) - 65, len(data) - 1):
        bad.write_bytes(data[:length])
        assert _rejected(town, bad).startswith(("文件不完整", "不是民情簿上报包")), length
    assert content_dump(town) == before


def _resign(data: bytes, sign_key, *, embed_public: bool) -> bytes:
    """The same bundle signed by another key (optionally naming that key in the manifest)."""
    nl = data.index(b"\n")
    (mlen,) = struct.unpack_from(">I", data, nl + 1)
    manifest = json.loads(data[nl + 5 : nl + 5 + mlen])
    rest = data[nl + 5 + mlen : -66]
    if embed_public:
        from cryptography.hazmat.primitives import serialization

        manifest["sender"]["sign_public_key"] = keys.b64(
            sign_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
    mbytes = json.dumps(manifest, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    body = data[: nl + 1] + struct.pack(">I", len(mbytes)) + mbytes + rest
    sig = sign_key.sign(body)
    return body + struct.pack(">H", len(sig)) + sig


def test_bundle_signed_with_another_villages_key_is_rejected(setup, templates, tmp_path):
    _, town, _, good = setup
    other = Workspace.open(tmp_path / "other", credentials=ADMIN)
    init_station(other, kind="village", code="370681101202", name="李家村", town_card=templates["town_card"])
    enroll_village(other, town, tmp_path)
    other_key = keys.load_sign_key(other.keys_dir, other.key)
    other.close()
    before = content_dump(town)
    for embed in (True, False):
        bad = tmp_path / f"forged-{embed}.mqb"
        bad.write_bytes(_resign(good.read_bytes(), other_key, embed_public=embed))
        assert _rejected(town, bad).startswith("签名不符")
    assert content_dump(town) == before


def test_bundle_from_an_unenrolled_station_is_rejected(village_ws, town_ws, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    add_household(village_ws, "张建国")
    (result,) = export_bundles(village_ws, stick)
    before = content_dump(town_ws)
    assert _rejected(town_ws, result.path).startswith("未登记的工作站")
    assert content_dump(town_ws) == before


def test_bundle_from_a_revoked_station_is_rejected(setup):
    village, town, stick, good = setup
    revoke(town, village.require_station().code, "电脑丢失")
    before = content_dump(town)
    assert _rejected(town, good).startswith("已吊销")
    assert content_dump(town) == before


def test_bundle_for_another_town_is_rejected(town_ws, tmp_path):
    town_b = Workspace.open(tmp_path / "town-b", credentials=ADMIN)
    init_station(town_b, kind="town", code="370681102", name="西城镇")
    card_b = export_card(town_b, tmp_path / "town-b.json")
    town_b.close()
    village_b = Workspace.open(tmp_path / "village-b", credentials=ADMIN)
    init_station(village_b, kind="village", code="370681102201", name="王家村", town_card=card_b)
    add_household(village_b, "王大锤")
    stick = tmp_path / "stick"
    stick.mkdir()
    (result,) = export_bundles(village_b, stick)
    village_b.close()
    before = content_dump(town_ws)
    assert _rejected(town_ws, result.path).startswith("不属于本镇")
    assert content_dump(town_ws) == before


def test_card_of_a_village_outside_the_town_is_refused_at_enrollment(town_ws, tmp_path):
    from app.errors import UserError
    from app.sync.enrollment import enroll

    town_b = Workspace.open(tmp_path / "town-b", credentials=ADMIN)
    init_station(town_b, kind="town", code="370681102", name="西城镇")
    card_b = export_card(town_b, tmp_path / "town-b.json")
    town_b.close()
    village_b = Workspace.open(tmp_path / "village-b", credentials=ADMIN)
    init_station(village_b, kind="village", code="370681102201", name="王家村", town_card=card_b)
    card = export_card(village_b, tmp_path / "village-b.json")
    village_b.close()
    with pytest.raises(UserError, match="不属于本镇"):
        enroll(town_ws, card)


def test_future_format_version_is_rejected(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "张建国")
    (result,) = export_bundles(village_ws, tmp_path, format_version=bundle.FORMAT_VERSION + 1)
    before = content_dump(town_ws)
    reason = _rejected(town_ws, result.path)
    assert reason.startswith("版本过新") and "升级" in reason
    assert content_dump(town_ws) == before


def test_unknown_required_capability_is_rejected(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "张建国")
    (result,) = export_bundles(village_ws, tmp_path, extra_requires=["voice-notes-v3"])
    before = content_dump(town_ws)
    reason = _rejected(town_ws, result.path)
    assert reason.startswith("版本过新") and "voice-notes-v3" in reason
    assert content_dump(town_ws) == before


def test_town_bundle_for_one_village_is_refused_by_another(setup, templates, tmp_path):
    village, town, stick, good = setup
    import_bundles(town, [good])
    other = Workspace.open(tmp_path / "other", credentials=ADMIN)
    init_station(other, kind="village", code="370681101202", name="李家村", town_card=templates["town_card"])
    from db.models import Household

    with without_town_rule(), town.session() as s:  # a town edited around its services
        s.query(Household).first().notes = "镇里的答复"
    (down,) = export_bundles(town, stick)
    before = content_dump(other)
    assert _rejected(other, down.path).startswith("不属于本工作站")
    assert content_dump(other) == before
    other.close()


def _broken_bundle(village_ws, stick, hid: str, broken: str):
    """The village's next bundle, with a good new household and one row broken behind the program's back."""

    add_household(village_ws, "李四")  # a good row that must not stay behind either
    station = village_ws.require_station()
    con = cipher.connect(village_ws.db_path, village_ws.key)
    con.row_factory = cipher.dbapi.Row
    con.execute("PRAGMA foreign_keys=OFF")
    (counter,) = con.execute(
        "SELECT value FROM station_counter WHERE station_id = ?", (station.id,)
    ).fetchone()
    if broken == "missing_parent":
        row = dict(con.execute("SELECT * FROM person WHERE household_id = ? LIMIT 1", (hid,)).fetchone())
        row.update(id="p-orphan", household_id="no-such-household")
    else:  # the village renames its administrator behind the program's back and makes a second "admin"
        row = dict(con.execute("SELECT * FROM user WHERE username = 'admin'").fetchone())
        con.execute("UPDATE user SET username = 'admin-old' WHERE id = ?", (row["id"],))
        row.update(id="u-second-admin")
    table = "person" if broken == "missing_parent" else "user"
    row.update(version=counter + 1, changed_station=station.id)
    con.execute(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
    )
    con.execute("UPDATE station_counter SET value = ? WHERE station_id = ?", (counter + 1, station.id))
    con.commit()
    con.close()
    (result,) = export_bundles(village_ws, stick)
    assert result.counts["users" if broken == "duplicate_key" else "persons"] >= 1
    return result


@pytest.mark.parametrize("broken", ["missing_parent", "duplicate_key"])
def test_a_row_that_breaks_a_constraint_rejects_the_whole_bundle_and_changes_nothing(
    village_ws, town_ws, tmp_path, broken
):
    """A bundle whose rows reference a record that never arrives (checked at commit), or that break a
    unique key at the town (checked at the insert itself), is refused as 数据不一致; no row of it stays."""
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    hid = add_household(village_ws, "张建国", ("张小红",))
    (first,) = export_bundles(village_ws, stick)
    assert import_bundles(town_ws, [first.path]).bundles[0].status == "imported"
    result = _broken_bundle(village_ws, stick, hid, broken)
    before = content_dump(town_ws)
    reason = _rejected(town_ws, result.path)
    assert (
        reason
        == {
            "missing_parent": "数据不一致：包里的记录引用了不存在的记录，未导入",
            "duplicate_key": "数据不一致：包里的记录与本站已有的记录重复（干部账号的所属村、登录名），未导入",
        }[broken]
    )  # in the clerk's words: SQLite's English (table and column names) only in the log
    assert content_dump(town_ws) == before


@pytest.mark.parametrize("broken", ["missing_parent", "duplicate_key"])
def test_in_one_run_of_several_bundles_only_the_broken_one_is_refused(village_ws, town_ws, tmp_path, broken):
    """Bundles of one run share a transaction (each in a savepoint): a broken one found at its insert
    is rolled back alone; one found at the commit sends the run back to a transaction per bundle.
    Either way the good bundle is imported whole and nothing of the broken one stays."""
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    hid = add_household(village_ws, "张建国", ("张小红",))
    (first,) = export_bundles(village_ws, stick)
    result = _broken_bundle(village_ws, stick, hid, broken)
    report = import_bundles(town_ws, [result.path, first.path])  # any order: sorted by sequence
    assert [(b.seq, b.status) for b in report.bundles] == [(1, "imported"), (2, "rejected")]
    assert report.bundles[1].reason.startswith("数据不一致")
    assert report.bundles[0].counts["new"] >= 3
    with town_ws.new_session() as s:
        heads = set(s.scalars(text("SELECT head_name FROM household")))
        assert heads == {"张建国"}
        assert s.scalar(text("SELECT count(*) FROM person WHERE id = 'p-orphan'")) == 0
        assert s.scalar(text("SELECT count(*) FROM user WHERE id = 'u-second-admin'")) == 0
        assert list(s.scalars(text("SELECT seq FROM sync_received_bundle"))) == [1]
    # the village's next bundle, once the row is mended, still carries 李四 and is imported
    assert import_bundles(town_ws, [first.path]).bundles[0].status == "already_imported"


def test_an_import_stopped_midway_keeps_the_bundles_it_finished_and_nothing_of_the_one_in_progress(
    village_ws, town_ws, tmp_path
):
    """The wizard's cancel raises from the progress callback: bundles already written in the open
    transaction are committed, the one in progress leaves no row, and running the import again goes on."""
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    add_household(village_ws, "张建国", ("张小红",))
    (first,) = export_bundles(village_ws, stick)
    add_household(village_ws, "李四")
    (second,) = export_bundles(village_ws, stick)

    class Stop(Exception):
        pass

    def progress(_done, _total, text_: str) -> None:
        if "第 2 号包：家庭成员" in text_:  # (the records in Chinese, as the wizard shows them)
            raise Stop()

    with pytest.raises(Stop):
        import_bundles(town_ws, [first.path, second.path], progress=progress)
    with town_ws.new_session() as s:
        assert list(s.scalars(text("SELECT seq FROM sync_received_bundle"))) == [1]
        assert set(s.scalars(text("SELECT head_name FROM household"))) == {"张建国"}
    report = import_bundles(town_ws, [first.path, second.path])
    assert [b.status for b in report.bundles] == ["already_imported", "imported"]
    with town_ws.new_session() as s:
        assert set(s.scalars(text("SELECT head_name FROM household"))) == {"张建国", "李四"}
