"""The town trusts nothing it imports: each attack a dishonest village (a stolen laptop, an insider with
its keys) can make with a bundle signed by its own enrolled key, and the answer it now gets."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from db import cipher
from db.models import Attachment, Demand, Household, Person, User

from app import attachments
from app.errors import UserError
from app.stations import init_station
from app.sync import bundle, gate, keys
from app.sync.bundle import REASONS
from app.sync.export import export_bundles
from app.sync.gaps import gaps
from app.sync.importer import import_bundles
from app.sync.receipts import export_receipts, import_receipt
from app.sync.status import refused_records
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    add_attachment,
    add_demand,
    add_household,
    content_dump,
    edit_demand,
    enroll_village,
    forge_bundle,
    open_bundle,
    rewrite_manifest,
    section_doc,
    synced_rows,
    with_rows,
)

B_CODE, B_NAME = "370681101202", "李家村"


@pytest.fixture
def town_of_two(village_ws, town_ws, templates, tmp_path):
    """Village A (张家村) and village B (李家村), both enrolled, each with a household at the town."""
    enroll_village(village_ws, town_ws, tmp_path)
    b = Workspace.open(tmp_path / "village-b", credentials=ADMIN)
    init_station(
        b,
        kind="village",
        code=B_CODE,
        name=B_NAME,
        town_card=templates["town_card"],
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    enroll_village(b, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    ha = add_household(village_ws, "张建国", ("张小红",))
    add_attachment(village_ws, ha, b"\xff\xd8" + bytes(range(256)) * 300)  # a photo: a file, not a row
    add_demand(village_ws, ha)
    hb = add_household(b, "李桂兰", ("王强",))
    (a_up,) = export_bundles(village_ws, stick)
    (b_up,) = export_bundles(b, stick)
    report = import_bundles(town_ws, [a_up.path, b_up.path])
    assert [x.status for x in report.bundles] == ["imported", "imported"]
    yield village_ws, b, town_ws, stick, a_up.path, ha, hb
    b.close()


def _columns(sections, record_type):
    return section_doc(sections, record_type)["columns"]


def _row(columns, **values):
    return [values.get(c) for c in columns]


def _next_version(manifest):
    return manifest["counter"]["to"]


def _stamp(village, manifest) -> dict:
    """The bookkeeping columns of a new row as ``village`` writes one into its next bundle."""
    me = village.require_station().id
    return {
        "village_code": VILLAGE_CODE,
        "origin_station": me,
        "changed_station": me,
        "version": _next_version(manifest),
        "created_at": "2024-06-01 00:00:00.000000",
        "updated_at": "2024-06-01 00:00:00.000000",
    }


def _import_one(town, path):
    (b,) = import_bundles(town, [path]).bundles
    return b


# -- the town's keys never leave the town ---------------------------------------------------------------------
def test_an_attachment_hash_that_is_a_path_is_refused_and_never_read(town_of_two, tmp_path):
    a, _b, town, stick, a_up, ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    cols = _columns(sections, "attachments")
    me, town_id = a.require_station().id, town.require_station().id
    forged = []
    for sha, changed in (
        ("./../keys/sign.key", town_id),
        ("../../keys/encrypt.key", me),
        ("AB" * 32, me),
        ("0" * 63, me),
    ):
        forged.append(
            _row(
                cols,
                id=str(uuid.uuid4()),
                village_code=VILLAGE_CODE,
                origin_station=me,
                version=_next_version(m),
                changed_station=changed,
                created_at="2024-06-01 00:00:00.000000",
                updated_at="2024-06-01 00:00:00.000000",
                owner_table="household",
                owner_id=ha,
                filename="x.jpg",
                size=10,
                sha256=sha,
            )
        )
    path = forge_bundle(
        a,
        town,
        m,
        with_rows(sections, "attachments", forged, replace=True),
        tmp_path / "keys.mqb",
        sequence=2,
    )
    b = _import_one(town, path)
    assert b.status == "imported" and b.counts["rejected"] == 4, (b.status, b.reason)
    reasons = sorted(r.reason for r in b.rejections)
    assert reasons.count("附件的校验值不是 64 位小写十六进制数字") == 3
    assert "记录标为由其他工作站修改；包里只能有发送方自己修改的记录" in reasons
    with town.new_session() as s:
        assert s.scalars(select(Attachment).where(Attachment.sha256.like("%keys%"))).all() == []

    # even a row planted in the town's database by other means is never read as a path
    with town.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO attachment (id, village_code, origin_station, version, changed_station, created_at,"
            " updated_at, owner_table, owner_id, filename, size, sha256) VALUES (?, ?, ?, 999, ?, '2024-06-01',"
            " '2024-06-01', 'household', ?, 'k', 1, './../keys/sign.key')",
            (str(uuid.uuid4()), VILLAGE_CODE, town_id, town_id, ha),
        )
        assert attachments.load_blob(conn, town.attachments_dir, "./../keys/sign.key") is None
    with town.session() as s:  # something for the town to send down
        s.get(Household, ha)  # (read only)
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    assert down.missing_attachments == 1 and down.attachments == 0
    plain = b"".join(open_bundle(down.path, a)[1].values())
    for key_file in (town.keys_dir / keys.SIGN_KEY, town.keys_dir / keys.ENCRYPT_KEY):
        assert key_file.read_bytes() not in plain and key_file.read_bytes() not in down.path.read_bytes()


def test_a_text_too_long_to_list_search_or_print_is_refused_with_its_row(town_of_two, tmp_path):
    """A dishonest village's household named with a million characters, a member's note of more than a
    million, a name of more than a thousand: each row is refused with why, and the honest rows of the
    bundle go in."""
    from app.ownership import SHORT_TEXT
    from app.sync.gate import MAX_TEXT

    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    stamp = _stamp(a, m)
    hh_cols, person_cols = _columns(sections, "households"), _columns(sections, "persons")
    honest, giant = str(uuid.uuid4()), str(uuid.uuid4())
    rng = __import__("random").Random(7)

    def text(n: int) -> str:  # (varied: a text of one character repeated is refused whole as a zip bomb)
        return "".join(map(chr, rng.choices(range(0x4E00, 0x9FA5), k=n)))

    hh_template = dict(zip(hh_cols, section_doc(sections, "households")["rows"][0], strict=True))
    person_template = dict(zip(person_cols, section_doc(sections, "persons")["rows"][0], strict=True))

    def household(**values):
        return _row(hh_cols, **{**hh_template, "head_id": None, **stamp, **values})

    def person(**values):
        return _row(person_cols, **{**person_template, **stamp, "household_id": honest, **values})

    sections = with_rows(
        sections,
        "households",
        [household(id=honest, head_name="王" * 50), household(id=giant, head_name=text(1_000_000))],
    )
    sections = with_rows(
        sections,
        "persons",
        [
            person(id=str(uuid.uuid4()), name="王" * 50, notes=text(MAX_TEXT + 1)),
            person(id=str(uuid.uuid4()), name="李" * (SHORT_TEXT + 1)),
            person(id=(kept := str(uuid.uuid4())), name="王小" * 20, id_number=None),
        ],
    )
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "long.mqb", sequence=2))
    assert b.status == "imported" and b.counts["rejected"] == 3, (b.status, b.reason)
    reasons = sorted((r.record_type, r.reason) for r in b.rejections)
    assert reasons == [
        ("households", f"户主（head_name）有 1000000 个字，超过上限 {SHORT_TEXT} 个字"),
        ("persons", f"备注（notes）有 {MAX_TEXT + 1} 个字，超过上限 {MAX_TEXT} 个字"),
        ("persons", f"姓名（name）有 {SHORT_TEXT + 1} 个字，超过上限 {SHORT_TEXT} 个字"),
    ]
    with town.new_session() as s:
        assert s.get(Household, honest) is not None and s.get(Household, giant) is None
        assert s.get(Person, kept) is not None  # an honest member of the same bundle


def test_a_date_a_time_a_number_or_a_flag_that_is_not_one_is_refused_with_its_row(town_of_two, tmp_path):
    """A dishonest village's rows of its own with "garbage" in a birth date, a count of 2**63-1, a day of
    2026-02-30, a time with a zone, a flag of 7, a number in a name: each row is refused naming the field,
    the honest row beside them goes in, and the town still reads every village's persons back."""
    from sqlalchemy import select

    from app.ownership import MAX_NUMBER

    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    stamp = _stamp(a, m)
    hh_cols, person_cols = _columns(sections, "households"), _columns(sections, "persons")
    hh_template = dict(zip(hh_cols, section_doc(sections, "households")["rows"][0], strict=True))
    person_template = dict(zip(person_cols, section_doc(sections, "persons")["rows"][0], strict=True))
    home = str(uuid.uuid4())

    def person(**values):
        return _row(
            person_cols,
            **{**person_template, **stamp, "household_id": home, "id": str(uuid.uuid4()), **values},
        )

    bad = {
        "birth_date": "garbage",
        "status_date": "2026-02-30",
        "created_at": "2024-06-01 00:00:00+08:00",
        "name": 12345,
    }
    rows = [person(**{column: value}) for column, value in bad.items()]
    rows.append(honest := person(name="王小二", birth_date="1980-05-01"))
    sections = with_rows(
        sections, "households", [_row(hh_cols, **{**hh_template, "head_id": None, **stamp, "id": home})]
    )
    sections = with_rows(sections, "persons", rows)
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "values.mqb", sequence=2))
    assert b.status == "imported" and b.counts["rejected"] == len(bad), (b.status, b.reason)
    assert sorted(r.reason for r in b.rejections) == sorted(
        [
            "出生日期（birth_date）“garbage”不是日期（应为 2026-01-31 这样的格式）",
            "状态日期（status_date）“2026-02-30”不是日期（应为 2026-01-31 这样的格式）",
            "建立时间（created_at）“2024-06-01 00:00:00+08:00”不是时间（应为 2026-01-31 08:30:00 这样的格式）",
            "姓名（name）不是文字",
        ]
    )
    with town.new_session() as s:
        assert s.get(Person, honest[person_cols.index("id")]) is not None
        everyone = s.scalars(select(Person)).all()  # what every export does: a bad date stopped it
    assert all(p.birth_date is None or p.birth_date.year > 1900 for p in everyone)

    from app.ownership import _screen_values

    for table, column, value, fits in (
        ("mediation_case", "people_count", 2**63 - 1, False),
        ("mediation_case", "people_count", MAX_NUMBER, True),
        ("mediation_case", "risk_fight", 7, False),
        ("mediation_case", "risk_fight", True, True),
        ("mediation_case", "amount_fen", "12", False),
        ("diary_entry", "occurred_at", "2026-05-01 08:30:00.000000", True),
        ("diary_entry", "occurred_at", [2026], False),
        ("diary_entry", "occurred_at", "2026-05-01 08:30:00-08:00", False),  # a zone (a minus sign)
        ("diary_entry", "occurred_at", "2026-05-01", False),
        ("diary_entry", "occurred_at", "2026-05-01 24:00:00", False),
        ("diary_entry", "follow_up_on", "20260501", False),
        ("diary_entry", "follow_up_on", "2028-02-29", True),
    ):
        verdict: dict[int, str] = {}
        _screen_values(table, [[value]], {column: 0}, verdict)
        assert (verdict == {}) is fits, (table, column, value, verdict)


def test_blob_path_refuses_anything_but_a_hash(tmp_path):
    for bad in ("./../keys/sign.key", "../" * 30, "A" * 64, "a" * 63, "", "a" * 64 + "/x"):
        with pytest.raises(ValueError):
            attachments.blob_path(tmp_path, bad)
    assert attachments.blob_path(tmp_path, "a" * 64) == tmp_path / "aa" / ("a" * 64)


# -- a village writes only its own village -----------------------------------------------------------------
def test_village_a_cannot_hang_a_tag_or_a_member_on_village_bs_household(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, hb = town_of_two
    b_before = synced_rows(town, B_CODE)
    m, sections = open_bundle(a_up, town)
    stamp = _stamp(a, m)
    tag_cols, person_cols = _columns(sections, "household_tags"), _columns(sections, "persons")
    sections = with_rows(
        sections,
        "household_tags",
        [_row(tag_cols, id=str(uuid.uuid4()), household_id=hb, tag="上访", **stamp)],
        columns=tag_cols,
    )
    sections = with_rows(
        sections,
        "persons",
        [_row(person_cols, id=str(uuid.uuid4()), household_id=hb, name="冒名", relation="子女", **stamp)],
    )
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "into-b.mqb", sequence=2))
    assert b.status == "imported" and b.counts["rejected"] == 2
    assert {(r.record_type, r.reason) for r in b.rejections} == {
        ("household_tags", "“所属户”引用了其他村的记录"),
        ("persons", "“所属户”引用了其他村的记录"),
    }
    assert synced_rows(town, B_CODE) == b_before


def test_a_row_of_village_b_in_village_as_bundle_is_refused(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, hb = town_of_two
    b_before = synced_rows(town, B_CODE)
    m, sections = open_bundle(a_up, town)
    with town.engine.connect() as conn:
        cols = _columns(sections, "households")
        row = list(conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM household WHERE id = ?", (hb,)).one())
    row[cols.index("head_name")] = "被改了"
    row[cols.index("changed_station")] = a.require_station().id
    row[cols.index("version")] = _next_version(m)
    b = _import_one(
        town,
        forge_bundle(a, town, m, with_rows(sections, "households", [row]), tmp_path / "b.mqb", sequence=2),
    )
    assert b.counts["rejected"] >= 1
    assert any("属于其他村" in r.reason for r in b.rejections)
    assert synced_rows(town, B_CODE) == b_before


# -- no silent overwrite of the town's reply ---------------------------------------------------------------
def test_a_row_stamped_as_the_towns_does_not_overwrite_the_towns_reply(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    with town.new_session() as s:
        did = s.scalars(select(Demand.id).where(Demand.village_code == VILLAGE_CODE)).one()
    edit_demand(town, did, status="已答复", reply="镇民政办已受理", replied_by="镇民政办")
    with town.engine.connect() as conn:
        cols = ["id"] + [c for c in _columns(open_bundle(a_up, town)[1], "demands") if c != "id"]
        town_row = list(
            conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM demand WHERE id = ?", (did,)).one()
        )
    m, sections = open_bundle(a_up, town)
    forged = list(town_row)
    forged[cols.index("reply")] = "村里改写的答复"
    forged[cols.index("version")] = town_row[cols.index("version")] + 1  # "newer" by the town's own numbering
    b = _import_one(
        town,
        forge_bundle(
            a,
            town,
            m,
            with_rows(sections, "demands", [forged], columns=cols, replace=True),
            tmp_path / "ow.mqb",
            sequence=2,
        ),
    )
    assert b.counts["rejected"] == 1 and b.counts["updated"] == 0 and b.counts["conflicts"] == 0
    assert b.rejections[0].reason.startswith("记录标为由其他工作站修改")
    with town.new_session() as s:
        assert s.get(Demand, did).reply == "镇民政办已受理"


# -- one malformed manifest refuses one file, never the run ------------------------------------------------
def _set_field(mb: bytes, key: str, raw_value: bytes) -> bytes:
    doc = json.loads(mb)
    doc[key] = "@@"
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return text.replace(b'"@@"', raw_value)


def _sender_key(mb: bytes, value) -> bytes:
    doc = json.loads(mb)
    doc["sender"]["sign_public_key"] = value
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


MANIFEST_ATTACKS = {
    "200000-nested-arrays": lambda mb: _set_field(mb, "app_version", b"[" * 200_000 + b"]" * 200_000),
    "sign_public_key-number": lambda mb: _sender_key(mb, 12345),
    "recipient-text": lambda mb: _set_field(mb, "recipient", '"东城镇"'.encode()),
    "sequence-text": lambda mb: _set_field(mb, "sequence", b'"x"'),
    "sequence-bool": lambda mb: _set_field(mb, "sequence", b"true"),
    "sections-object": lambda mb: _set_field(mb, "sections", b'{"a":1}'),
    "section-size-negative": lambda mb: mb.replace(b'"size":', b'"size":-', 1),
    "counter-float": lambda mb: _set_field(mb, "counter", b'{"from":0.5,"to":1e308}'),
    "bundle-id-path": lambda mb: _set_field(mb, "bundle_id", b'"../../keys/sign.key"'),
    "not-json": lambda mb: b"\xff\xfe" + mb,
}


@pytest.mark.parametrize("attack", sorted(MANIFEST_ATTACKS))
def test_a_malformed_manifest_is_refused_in_chinese_and_the_valid_bundle_beside_it_imports(
    town_of_two, tmp_path, attack
):
    a, _b, town, stick, a_up, ha, _hb = town_of_two
    add_household(a, "新户")
    (good,) = export_bundles(a, stick)
    bad = tmp_path / "bad" / "a-up.mqb"
    bad.parent.mkdir()
    bad.write_bytes(a_up.read_bytes())
    rewrite_manifest(bad, a, MANIFEST_ATTACKS[attack])
    before = synced_rows(town, B_CODE)
    report = import_bundles(town, [bad, good.path])
    by_file = {x.file: x for x in report.bundles}
    assert by_file[str(bad)].status == "rejected" and by_file[str(bad)].reason.startswith(REASONS)
    assert by_file[str(good.path)].status == "imported"
    assert synced_rows(town, B_CODE) == before


def test_the_command_line_names_the_refusal_in_chinese_without_a_traceback(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    bad = tmp_path / "nested.mqb"
    bad.write_bytes(a_up.read_bytes())
    rewrite_manifest(bad, a, MANIFEST_ATTACKS["200000-nested-arrays"])
    town.close()
    r = subprocess.run(
        [sys.executable, "-m", "app", "bundle", "import", "--data-dir", str(town.root), str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr + r.stdout
    assert "拒收：内容损坏：清单的嵌套层数超过" in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "app", "bundle", "inspect", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr + r.stdout and "内容损坏" in r.stdout


def test_a_section_nested_deep_is_refused(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    sections = dict(sections)
    sections["table:households"] = b'{"columns":["id"],"rows":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "deep.mqb", sequence=2))
    assert b.status == "rejected" and b.reason.startswith("内容损坏")


def test_cells_sqlite_cannot_store_are_refused_with_their_row_not_the_run(town_of_two, tmp_path):
    """A dict or a 70-bit number where a text belongs: the row is refused naming the field (once a cell
    SQLite cannot store refused the whole bundle; the screen now meets it first)."""
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    doc = section_doc(sections, "households")
    row = list(doc["rows"][0])
    row[doc["columns"].index("id")] = str(uuid.uuid4())
    row[doc["columns"].index("notes")] = {"a": [1, 2]}
    row[doc["columns"].index("version")] = _next_version(m)
    for seq, value, name in ((2, {"a": [1]}, "dict"), (3, 2**70, "huge")):
        row[doc["columns"].index("notes")] = value
        b = _import_one(
            town,
            forge_bundle(
                a, town, m, with_rows(sections, "households", [row]), tmp_path / f"{name}.mqb", sequence=seq
            ),
        )
        assert b.status == "imported" and [r.reason for r in b.rejections] == ["备注（notes）不是文字"], b
        with town.new_session() as s:
            assert s.get(Household, row[doc["columns"].index("id")]) is None


@pytest.mark.parametrize(
    "cell",
    [b"NaN", b"-Infinity", b"1e999", b'"\\ud800"'],
    ids=["nan", "infinity", "overflow", "lone-surrogate"],
)
def test_json_outside_the_standard_refuses_the_bundle(town_of_two, tmp_path, cell):
    """NaN, an infinity and a lone surrogate are not JSON (RFC 8259); Python's json module reads them
    all the same: an infinity went into the database as a household's note, a NaN was refused as a
    broken reference (数据不一致), which it is not. The section parser refuses each as what it is."""
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    doc = section_doc(sections, "households")
    row = list(doc["rows"][0])
    new_id = str(uuid.uuid4())
    row[doc["columns"].index("id")] = new_id
    row[doc["columns"].index("version")] = _next_version(m)
    row[doc["columns"].index("notes")] = "CELL-HERE"
    forged = with_rows(sections, "households", [row])
    forged["table:households"] = forged["table:households"].replace(b'"CELL-HERE"', cell)
    b = _import_one(town, forge_bundle(a, town, m, forged, tmp_path / "odd.mqb", sequence=2))
    assert b.status == "rejected" and b.reason == "内容损坏：“户”部分不是有效的 JSON", b
    with town.session() as s:
        assert s.get(Household, new_id) is None


def test_a_section_is_written_byte_for_byte_as_the_standard_library_writes_it(town_of_two):
    """Sections are written by msgspec; a town on an older program reads them with json.loads, and
    the bytes are those json.dumps(ensure_ascii=False, separators=(",", ":")) gives: Chinese as UTF-8,
    integers, floats, nulls, base64 of binary cells."""
    import json

    from app.sync import records

    a, *_ = town_of_two
    assert a.engine is not None
    with a.engine.connect() as conn:
        for spec in records.table_specs():
            rows = records.select_changes(conn, spec, a.require_station().id, 0)
            rows = [*rows, [1.5 if i == 0 else None for i in range(len(spec.columns))]]
            written = records.encode_section(spec, rows)
            doc = {
                "table": spec.table_name,
                "columns": list(spec.columns),
                "rows": records._encode(spec, spec.columns, rows),
            }
            assert written == json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            assert json.loads(written) == doc


# -- sequence numbers are the sender's to choose, so they are bounded -----------------------------------------
@pytest.mark.parametrize("seq", [20_000_000, gate.SEQ_AHEAD + 2])
def test_a_sequence_far_ahead_is_refused_and_later_imports_stay_fast(town_of_two, tmp_path, seq):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "far.mqb", sequence=seq))
    assert b.status == "rejected" and b.reason.startswith("序号不合理")
    started = time.perf_counter()
    assert gaps(town) == []
    assert time.perf_counter() - started < 5  # (a bound for a hang, not a benchmark)


def test_a_gap_is_counted_not_enumerated(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    b = _import_one(town, forge_bundle(a, town, m, sections, tmp_path / "later.mqb", sequence=gate.SEQ_AHEAD))
    assert b.status == "imported"
    (g,) = gaps(town)
    assert g.total == gate.SEQ_AHEAD - 2 and g.missing == list(range(2, 52))
    assert "等共 998 个" in g.text


# -- a small file never becomes a big one --------------------------------------------------------------------
def test_a_section_declared_far_larger_than_it_is_stored_is_refused_before_inflating(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    sections = dict(sections)
    sections["table:households"] = (
        b'{"columns":["id","village_code","changed_station","version"],"rows":[]'
        + b" " * (200 * 1024 * 1024)
        + b"}"
    )
    path = forge_bundle(a, town, m, sections, tmp_path / "bomb.mqb", sequence=2)
    assert path.stat().st_size < 2 * 1024 * 1024
    del sections
    tracemalloc.start()
    b = _import_one(town, path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert b.status == "rejected" and "倍" in b.reason
    assert peak < 64 * 1024 * 1024


def test_a_section_that_inflates_past_its_declared_size_stops_there(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    m, sections = open_bundle(a_up, town)
    sections = dict(sections)
    sections["table:households"] = b"[" + b" " * (50 * 1024 * 1024) + b"]"
    path = forge_bundle(a, town, m, sections, tmp_path / "liar.mqb", sequence=2)

    def shrink(mb):
        doc = json.loads(mb)
        for sec in doc["sections"]:
            if sec["name"] == "table:households":
                sec["size"] = 100_000
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    rewrite_manifest(path, a, shrink)
    tracemalloc.start()
    b = _import_one(town, path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert b.status == "rejected" and b.reason.startswith("内容损坏")
    assert peak < 64 * 1024 * 1024


# -- receipts acknowledge only what the town accepted ------------------------------------------------------
def test_rows_with_another_villages_ids_stay_unacknowledged_until_re_keyed(town_of_two, tmp_path):
    from app.rekey import rekey_household

    a, b_ws, town, stick, _a_up, _ha, hb = town_of_two
    b_before = synced_rows(town, B_CODE)
    with b_ws.new_session() as s:  # what an old roster import took over from B's exported workbook
        foreign_people = [(p.id, p.name) for p in s.scalars(select(Person).where(Person.household_id == hb))]
    with a.session() as s:
        s.add(Household(id=hb, head_name="李桂兰", group_name="三组", address="三组1号"))
        s.flush()
        for pid, name in foreign_people:
            s.add(Person(id=pid, household_id=hb, name=name, relation="户主"))
    (up,) = export_bundles(a, stick)
    (got,) = import_bundles(town, [up.path]).bundles
    assert got.status == "imported" and got.counts["rejected"] == 1 + len(foreign_people)
    assert {r.reason for r in got.rejections} <= {
        "记录编号已被其他村的记录使用（可能是从别村的名册导入的）",
        "“所属户”引用了其他村的记录",
    }
    assert any(
        r.record_type == "households" and r.reason.startswith("记录编号已被其他村的记录使用")
        for r in got.rejections
    )
    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    doc = json.loads(receipt.path.read_text(encoding="utf-8"))
    assert doc["rejected_total"] == 1 + len(foreign_people)
    applied = import_receipt(a, receipt.path)
    assert applied.rejected == 1 + len(foreign_people)
    shown = refused_records(a)
    assert {r.record_type for r in shown} == {"households", "persons"}
    assert {r.household_id for r in shown} == {hb}
    # though the receipt's counter covers them, they travel again
    (again,) = export_bundles(a, stick)
    assert again.counts["households"] == 1 and again.counts["persons"] == len(foreign_people)

    with a.session() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one()
    with a.work(admin) as w:
        new_hid = rekey_household(w, hb)
    assert new_hid != hb
    (fixed,) = export_bundles(a, stick)
    (got,) = import_bundles(town, [fixed.path]).bundles
    assert got.status == "imported" and got.counts["rejected"] == 0, got.rejections
    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    assert import_receipt(a, receipt.path).rejected == 0
    assert refused_records(a) == []
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(a, VILLAGE_CODE)
    assert synced_rows(town, B_CODE) == b_before


def test_the_roster_import_never_adopts_another_villages_ids(town_of_two, tmp_path):
    from app.households.excel_apply import import_file
    from app.households.excel_export import export_roster

    a, b_ws, _town, _stick, _a_up, _ha, hb = town_of_two
    book = tmp_path / "李家村名册.xlsx"
    with b_ws.work() as w:
        export_roster(w, book)
        b_ids = {hb} | set(w.session.scalars(select(Person.id).where(Person.household_id == hb)))
    with a.work() as w:
        result = import_file(w, book)
    assert result is not None
    with a.new_session() as s:
        a_ids = set(s.scalars(select(Household.id))) | set(s.scalars(select(Person.id)))
        assert s.scalars(select(Household).where(Household.head_name == "李桂兰")).one() is not None
    assert not (a_ids & b_ids)


# -- receipts pass the gate too -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change", ["signature-number", "nested", "through-text", "recipient-text", "huge-list"]
)
def test_a_malformed_receipt_is_refused_in_chinese(town_of_two, tmp_path, change):
    a, _b, town, stick, _a_up, _ha, _hb = town_of_two
    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    doc = json.loads(receipt.path.read_text(encoding="utf-8"))
    raw = None
    if change == "signature-number":
        doc["signature"] = 123
    elif change == "through-text":
        doc["through"] = "x"
    elif change == "recipient-text":
        doc["recipient"] = "东城镇"
    elif change == "huge-list":
        doc["received_seqs"] = list(range(1, 2_000_000))
    else:
        raw = json.dumps(doc).replace(
            '"counts": {', '"counts": ' + "[" * 100_000 + "]" * 100_000 + ', "x": {', 1
        )
    bad = tmp_path / "bad.mqr"
    bad.write_text(raw if raw is not None else json.dumps(doc), encoding="utf-8")
    before = content_dump(a)
    with pytest.raises(UserError) as err:
        import_receipt(a, bad)
    assert err.value.message and not err.value.message.isascii()
    assert content_dump(a) == before


def test_a_receipt_goes_from_the_town_to_a_village_only(town_of_two, tmp_path):
    """A village signs bundles, never receipts: one it signed itself is refused at the town (it would clear
    the town's list of that village's refused rows) and at another village, and a village exports none."""
    from app.sync import receipts

    a, b, town, stick, _a_up, _ha, _hb = town_of_two
    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    doc = json.loads(receipt.path.read_text(encoding="utf-8"))
    doc.pop("signature")
    me = a.require_station()
    doc["sender"] = {
        **doc["sender"],
        "station_id": me.id,
        "code": me.code,
        "name": me.name,
        "kind": "village",
    }
    doc["through"] = 10**9
    doc["signature"] = keys.b64(keys.load_sign_key(a.keys_dir, a.key).sign(receipts._canonical(doc)))
    forged = tmp_path / "forged.mqr"
    forged.write_text(json.dumps(doc), encoding="utf-8")
    before = content_dump(town)
    with pytest.raises(UserError, match="乡镇不导入回执"):
        import_receipt(town, forged)
    assert content_dump(town) == before
    with pytest.raises(UserError, match="回执由乡镇导出"):
        export_receipts(a, stick)


def test_a_stick_full_after_some_receipts_says_which_are_written(town_of_two, tmp_path, monkeypatch):
    import errno

    from app.errors import EnvironmentFailure
    from app.sync import bundle

    _a, _b, town, _stick, _a_up, _ha, _hb = town_of_two
    out = tmp_path / "receipts"
    out.mkdir()
    real, calls = bundle.write_atomically, []

    def fills_up(path, data, verify):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data, verify)

    monkeypatch.setattr(bundle, "write_atomically", fills_up)
    with pytest.raises(EnvironmentFailure) as full:
        export_receipts(town, out)
    first = [p.name for p in out.iterdir()]
    assert len(first) == 1 and "已写好 1 个村的回执" in full.value.message and "满" in full.value.message
    assert "再写一次回执即可" in full.value.message


def test_a_receipt_cannot_acknowledge_changes_not_yet_made(town_of_two, tmp_path):
    a, _b, town, stick, _a_up, _ha, _hb = town_of_two
    from app.sync import receipts

    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    doc = json.loads(receipt.path.read_text(encoding="utf-8"))
    doc.pop("signature")
    doc["through"] = 10**12
    doc["signature"] = keys.b64(keys.load_sign_key(town.keys_dir, town.key).sign(receipts._canonical(doc)))
    receipt.path.write_text(json.dumps(doc), encoding="utf-8")
    applied = import_receipt(a, receipt.path)
    with a.engine.connect() as conn:
        counter = conn.exec_driver_sql("SELECT value FROM station_counter").scalar()
    assert applied.acked_now == counter


# -- a database busy with another writer ---------------------------------------------------------------------
def test_an_import_into_a_database_another_program_is_writing_waits_then_refuses_in_chinese(town_of_two):
    a, _b, town, stick, _a_up, _ha, _hb = town_of_two
    add_household(a, "又一户")
    (up,) = export_bundles(a, stick)
    (receipt,) = export_receipts(town, stick, village=VILLAGE_CODE)
    before = content_dump(town)
    for ws, action in (
        (town, lambda: import_bundles(town, [up.path])),
        (a, lambda: import_receipt(a, receipt.path)),
    ):
        blocker = cipher.connect(ws.db_path, ws.key)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(UserError) as err:
                action()
            assert "数据库正被另一个程序使用" in err.value.message
        finally:
            blocker.rollback()
            blocker.close()
    assert content_dump(town) == before
    assert import_bundles(town, [up.path]).bundles[0].status == "imported"


def test_the_gate_bounds_every_manifest_field(town_of_two):
    _a, _b, town, _stick, a_up, _ha, _hb = town_of_two
    manifest = bundle.parse(a_up.read_bytes()).manifest
    gate.check_manifest(json.loads(json.dumps(manifest)))
    for path, value in (
        (("sender", "code"), "37068110120X"),
        (("counter", "to"), 2**60),
        (("sequence",), 0),
        (("sections", 0, "sha256"), "A" * 64),
        (("payload", "size"), -1),
        (("encryption", "nonce"), "!!"),
        (("requires",), ["x" * 100]),
    ):
        doc = json.loads(json.dumps(manifest))
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(bundle.BundleRejected) as err:
            gate.check_manifest(doc)
        assert err.value.reason.startswith("内容损坏"), path


# -- station cards pass the gate too ---------------------------------------------------------------------------
@pytest.mark.parametrize("change", ["code-number", "nested", "kind-list", "huge", "name-long", "not-json"])
def test_a_malformed_station_card_is_refused_in_chinese_at_enrollment(village_ws, town_ws, tmp_path, change):
    from app.sync.enrollment import enroll, export_card

    card = export_card(village_ws, tmp_path / "card.json")
    doc = json.loads(card.read_text(encoding="utf-8"))
    text = None
    if change == "code-number":
        doc["code"] = 370681101201
    elif change == "kind-list":
        doc["kind"] = ["village"]
    elif change == "name-long":
        doc["name"] = "村" * 10_000
    elif change == "huge":
        doc["padding"] = "x" * (gate.MAX_CARD + 1)
    elif change == "nested":
        text = json.dumps(doc)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    else:
        text = "\ufeff\x00not a card"
    card.write_text(text if text is not None else json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = content_dump(town_ws)
    with pytest.raises(UserError) as err:
        enroll(town_ws, card)
    assert err.value.message and not err.value.message.isascii()
    assert content_dump(town_ws) == before


def test_an_attachment_whose_content_is_nowhere_is_refused_until_removed(village_ws, town_ws, tmp_path):
    from app.attachments import remove_attachment

    enroll_village(village_ws, town_ws, tmp_path)
    hid = add_household(village_ws, "张建国")
    photo = b"\xff\xd8" + bytes(range(256)) * 400
    aid = add_attachment(village_ws, hid, photo)
    sha = __import__("hashlib").sha256(photo).hexdigest()
    (village_ws.attachments_dir / sha[:2] / sha).unlink()  # the village lost the file
    (up,) = export_bundles(village_ws, tmp_path)
    assert up.missing_attachments == 1
    (got,) = import_bundles(town_ws, [up.path]).bundles
    assert got.status == "imported" and got.counts["rejected"] == 1
    (r,) = got.rejections
    assert r.record_id == aid and r.reason.startswith("附件内容不在包内")
    with village_ws.work(None) as w:
        remove_attachment(w, aid)
    (again,) = export_bundles(village_ws, tmp_path)
    (got,) = import_bundles(town_ws, [again.path]).bundles
    assert got.counts["rejected"] == 0
    assert synced_rows(town_ws, VILLAGE_CODE) == synced_rows(village_ws, VILLAGE_CODE)


def test_an_attachment_file_that_cannot_be_read_leaves_the_bundle_and_is_named(village_ws, town_ws, tmp_path):
    """A damaged sector under one photo must not stop the village's report: the bundle goes without
    that photo, and the person exporting is told which file it was and what to do."""
    enroll_village(village_ws, town_ws, tmp_path)
    hid = add_household(village_ws, "张建国")
    kept = b"\x89PNG" + bytes(range(256)) * 300
    broken = b"\xff\xd8" + bytes(range(255, -1, -1)) * 400
    add_attachment(village_ws, hid, kept, filename="户口本.png")
    add_attachment(village_ws, hid, broken, filename="调解现场<b>照片</b>.jpg")
    sha = __import__("hashlib").sha256(broken).hexdigest()
    path = village_ws.attachments_dir / sha[:2] / sha
    path.unlink()
    path.mkdir()  # there, and unreadable: reading it raises an OSError that is not "not found"
    (up,) = export_bundles(village_ws, tmp_path)
    assert up.attachments == 1 and up.missing_files == ["调解现场<b>照片</b>.jpg"]
    note = up.missing_note()
    assert "“调解现场<b>照片</b>.jpg”" in note and "重新添加" in note
    (got,) = import_bundles(town_ws, [up.path]).bundles
    assert got.status == "imported" and got.counts["rejected"] == 1  # the photo's record, without its content


def test_the_missing_attachments_are_named_up_to_a_few_and_then_counted():
    from app.sync.export import MISSING_NAMED, ExportResult

    names = [f"照片{n}.jpg" for n in range(MISSING_NAMED + 3)]
    r = ExportResult(Path("x.mqb"), "镇", "370681101201", 1, 0, 1, {}, 0, names)
    note = r.missing_note()
    assert all(f"“{n}”" in note for n in names[:MISSING_NAMED])
    assert names[MISSING_NAMED] not in note and f"等 {len(names)} 个" in note
    assert ExportResult(Path("x.mqb"), "镇", "370681101201", 1, 0, 1, {}, 0, []).missing_note() == ""
    long = ExportResult(Path("x.mqb"), "镇", "370681101201", 1, 0, 1, {}, 0, ["长" * 255 + ".jpg"])
    assert "“" + "长" * 39 + "…”" in long.missing_note() and len(long.missing_note()) < 200


# -- a party's 法定代理人 and a 回避 request travel, and point only into the village ---------------------------
def test_a_legal_representative_and_a_recusal_travel_and_cannot_name_another_villages_person(
    town_of_two, tmp_path
):
    import datetime as dt

    from db.models import CaseParty, Recusal

    from app.mediation import recusal, registration

    from tests.mediation_helpers import make_mediator, new_case

    a, _b, town, stick, _a_up, _ha, _hb = town_of_two
    user = make_mediator(a)
    with a.work(user) as w:
        c = new_case(w, accepted_on=dt.date(2026, 8, 24), parties=False)
        registration.add_party(w, c.id, role="申请人", name="赵桂兰")
        child = registration.add_party(
            w,
            c.id,
            role="被申请人",
            name="王小明",
            birth_date=dt.date(2020, 5, 1),
            guardian_name="王大明",
            guardian_relation="父亲",
            guardian_phone="13905351111",
        )
        m = registration.add_mediator(w, c.id, name="周律师", is_lead=True)
        req = recusal.request_recusal(
            w, c.id, party_id=child.id, mediator_id=m.id, requested_on=dt.date(2026, 8, 24), reason="不信任"
        )
        recusal.decide_recusal(
            w, req.id, decision=recusal.GRANTED, decided_on=dt.date(2026, 8, 25), replacement_name="赵老支书"
        )
    (up,) = export_bundles(a, stick)
    b = _import_one(town, up.path)
    assert b.status == "imported" and b.counts["rejected"] == 0
    here, there = synced_rows(a, VILLAGE_CODE), synced_rows(town, VILLAGE_CODE)
    for record_type in ("mediation_parties", "mediation_mediators", "mediation_recusals"):
        assert here[record_type] == there[record_type] and there[record_type], record_type
    with town.new_session() as s:
        assert s.get(CaseParty, child.id).guardian_name == "王大明"
        assert s.get(Recusal, req.id).replacement_name == "赵老支书"
        b_person = s.scalars(select(Person.id).where(Person.village_code == B_CODE)).first()
    # a forged change: the child's 法定代理人 is a resident of village B
    m_doc, sections = open_bundle(up.path, town)
    cols = _columns(sections, "mediation_parties")
    rows = section_doc(sections, "mediation_parties")["rows"]
    forged = next(list(r) for r in rows if r[cols.index("id")] == child.id)
    forged[cols.index("guardian_person_id")] = b_person
    forged[cols.index("version")] = _next_version(m_doc)
    out = forge_bundle(
        a,
        town,
        m_doc,
        with_rows(sections, "mediation_parties", [forged], replace=True),
        tmp_path / "guardian.mqb",
        sequence=3,
    )
    refused = _import_one(town, out)
    assert [(r.record_type, r.reason) for r in refused.rejections] == [
        ("mediation_parties", "“法定代理人”引用了其他村的记录")
    ]
    with town.new_session() as s:
        assert s.get(CaseParty, child.id).guardian_person_id is None


def test_a_refusal_before_mediation_from_a_village_on_an_older_schema_arrives_as_not_accepted(
    town_of_two, tmp_path
):
    """A village still on revision 0011 may send a case that went 受理 → 终止 (a party refused before
    mediation began). The town writes it as 不予受理 (Art. 17), as migration 0012 does at home; a case
    that was mediated and then ended stays 终止."""
    import datetime as dt

    from db.models import CaseTransition, MediationCase

    from app.mediation import meetings, registration, rules, states

    from tests.mediation_helpers import make_mediator, new_case
    from tests.sync_support import rewrite_manifest

    a, _b, town, stick, _a_up, _ha, _hb = town_of_two
    user = make_mediator(a)
    day = dt.date(2026, 8, 24)
    with a.work(user) as w:
        refused = new_case(w, accepted_on=day)
        ended = new_case(w, accepted_on=day)
        registration.record_rights_notice(w, ended.id, given_on=day)
        states.change_state(w, ended.id, rules.IN_MEDIATION, on_date=day)
        meetings.add_meeting(w, ended.id, held_at=dt.datetime(2026, 8, 24, 9), place="调解室")
        states.change_state(w, ended.id, rules.TERMINATED, on_date=day, reasons="要求终止")
        # what an older program wrote: 受理 → 终止 without a mediation
        row = w.session.get(MediationCase, refused.id)
        row.state, row.outcome, row.end_reason = "终止", "终止", "被申请人明确拒绝调解"
        registration.add_transition(w.session, row, "受理", "终止", day, user, "被申请人明确拒绝调解")
    (up,) = export_bundles(a, stick)

    def older(raw: bytes) -> bytes:
        m = json.loads(raw)
        m["schema_version"] = "0011_diary_vocab"
        return json.dumps(m, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    b = _import_one(town, rewrite_manifest(up.path, a, older))
    assert b.status == "imported" and b.counts["rejected"] == 0
    with town.new_session() as s:
        got = s.get(MediationCase, refused.id)
        assert (got.state, got.outcome) == ("不予受理", "不予受理")
        steps = s.scalars(select(CaseTransition.to_state).where(CaseTransition.case_id == refused.id)).all()
        assert "终止" not in steps and "不予受理" in steps
        kept = s.get(MediationCase, ended.id)
        assert (kept.state, kept.outcome) == ("终止", "终止")
