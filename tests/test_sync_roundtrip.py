"""Village → town → village by file: round trips, idempotence, order, gaps, receipts, conflicts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from db.base import synced_models
from db.models import Demand, DiaryEntry, Household, Person

from app.stats import live_counts
from app.sync import conflicts, records
from app.sync.export import export_bundles
from app.sync.importer import attachment_data, import_bundles
from app.sync.receipts import export_receipts, import_receipt
from app.sync.status import town_board, village_status

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    SECOND_VILLAGE,
    add_attachment,
    add_demand,
    add_household,
    content_dump,
    delete_household,
    edit_demand,
    edit_household,
    enroll_village,
    synced_rows,
    without_town_rule,
)


@pytest.fixture
def pair(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    return village_ws, town_ws, stick


def _export(ws, stick):
    (result,) = export_bundles(ws, stick)
    return result.path


def test_round_trip_carries_every_synced_table_and_attachments_byte_for_byte(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国", ("张小红", "张小明"))
    add_household(village, "李桂兰", ("王强",), group="二组")
    photo = bytes(range(256)) * 40
    add_attachment(village, hid, photo)
    delete_household(village, add_household(village, "赵已迁"))
    path = _export(village, stick)
    assert path.name.startswith(f"{VILLAGE_CODE}-up-") and path.suffix == ".mqb"
    assert all(ch.isascii() and (ch.isalnum() or ch in "-.") for ch in path.name)

    report = import_bundles(town, [path])
    (b,) = report.bundles
    assert b.status == "imported" and b.reason is None
    assert b.counts["new"] > 0 and b.counts["conflicts"] == 0 and b.counts["rejected"] == 0
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)
    sha = __import__("hashlib").sha256(photo).hexdigest()
    assert attachment_data(town, sha) == photo
    # cadres' identities travel, never their password hashes
    with town.engine.connect() as conn:
        hashes = conn.exec_driver_sql(
            "SELECT password_hash FROM user WHERE village_code = ?", (VILLAGE_CODE,)
        ).all()
    assert hashes and all(h[0] is None for h in hashes)
    assert live_counts(town.new_session())[VILLAGE_CODE] == live_counts(village.new_session())[VILLAGE_CODE]


def test_second_import_of_same_bundle_changes_nothing(pair):
    village, town, stick = pair
    add_household(village, "张建国", ("张小红",))
    path = _export(village, stick)
    import_bundles(town, [path])
    before = content_dump(town)
    report = import_bundles(town, [path])
    assert [b.status for b in report.bundles] == ["already_imported"]
    assert content_dump(town) == before


def test_bundles_imported_out_of_order_end_with_the_newest_values(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    first = _export(village, stick)
    edit_household(village, hid, address="三组8号")
    second = _export(village, stick)
    report = import_bundles(town, [second, first])  # sorted by sequence inside; do both orders explicitly
    assert [b.status for b in report.bundles] == ["imported", "imported"]
    with town.new_session() as s:
        assert s.get(Household, hid).address == "三组8号"


def test_bundle_replayed_after_a_newer_one_changes_nothing(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    first = _export(village, stick)
    edit_household(village, hid, address="三组8号")
    second = _export(village, stick)
    import_bundles(town, [second])
    report = import_bundles(town, [first])
    (b,) = report.bundles
    assert b.status == "imported" and b.counts["updated"] == 0 and b.counts["new"] == 0
    assert b.counts["unchanged"] > 0
    with town.new_session() as s:
        assert s.get(Household, hid).address == "三组8号"


def test_missing_sequence_is_reported_as_a_gap_by_village_name(pair):
    village, town, stick = pair
    add_household(village, "张建国")
    first = _export(village, stick)
    add_household(village, "李四")
    _export(village, stick)  # the lost stick
    add_household(village, "王五")
    third = _export(village, stick)
    report = import_bundles(town, [first, third])
    assert report.as_json()["gaps"] == [{"village": "张家村", "missing": [2]}]
    assert report.gaps[0].text.startswith("张家村 缺第 2 号包")
    # the third bundle carries everything not yet acknowledged, so nothing is actually lost
    assert report.gaps[0].covered
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)
    (row,) = town_board(town)
    assert row.missing == [2] and row.last_seq == 3


def test_receipt_acknowledges_and_next_bundle_no_longer_carries_those_changes(pair, tmp_path):
    village, town, stick = pair
    add_household(village, "张建国", ("张小红",))
    import_bundles(town, [_export(village, stick)])
    assert village_status(village).unacknowledged_total > 0
    (receipt,) = export_receipts(town, stick)
    applied = import_receipt(village, receipt.path)
    assert applied.changed
    status = village_status(village)
    assert status.unacknowledged_total == 0 and status.last_receipt["last_seq"] == 1
    again = export_bundles(village, stick)[0]
    assert again.total == 0
    # a replayed (older) receipt never lowers the acknowledgement
    assert not import_receipt(village, receipt.path).changed


def test_town_changes_flow_down_and_fast_forward_at_the_village(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    did = add_demand(village, hid)
    import_bundles(town, [_export(village, stick)])
    # the village refers it to the town; the town answers (its own columns of the village's record)
    edit_demand(
        village,
        did,
        status="已上报乡镇",
        referred_office="民政办",
        referral_note="低保申请",
        referred_on=dt.date(2024, 5, 7),
    )
    import_bundles(town, [_export(village, stick)])
    edit_demand(
        town,
        did,
        status="乡镇已答复",
        town_reply_kind="乡镇答复",
        town_reply="镇民政办已受理低保申请",
        town_replied_by="镇民政办",
        town_replied_on=dt.date(2024, 5, 8),
    )
    (down,) = export_bundles(town, stick)
    assert down.path.name.startswith(f"{VILLAGE_CODE}-down-") and down.counts["demands"] == 1
    report = import_bundles(village, [down.path])
    (b,) = report.bundles
    assert b.status == "imported" and b.counts["updated"] == 1 and b.counts["rejected"] == 0
    with village.new_session() as s:
        assert s.get(Demand, did).town_reply == "镇民政办已受理低保申请"
    # the village edits the town's version: that is a fast-forward at the town, not a conflict
    edit_demand(
        village,
        did,
        status="已答复",
        reply="镇民政办已受理",
        replied_on=dt.date(2024, 5, 9),
        handling="已入户告知",
    )
    (b,) = import_bundles(town, [_export(village, stick)]).bundles
    assert b.counts["conflicts"] == 0 and b.counts["updated"] == 1
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)
    # the village's bundle acknowledged the town's bundle: nothing left to send down
    assert export_bundles(town, stick) == []


def test_a_town_change_outside_its_own_columns_is_refused_at_the_village(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    did = add_demand(village, hid)
    import_bundles(town, [_export(village, stick)])
    before = synced_rows(village, VILLAGE_CODE)
    with without_town_rule():  # around the services: the town has no say here
        edit_household(town, hid, notes="镇里改了村的户")
        edit_demand(town, did, content="镇里改写了群众的诉求")
    (down,) = export_bundles(town, stick)
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 2 and b.counts["updated"] == 0
    assert {r.record_type for r in b.rejections} == {"households", "demands"}
    assert all("乡镇只能填写自己的处理和答复" in r.reason for r in b.rejections), [
        r.reason for r in b.rejections
    ]
    assert synced_rows(village, VILLAGE_CODE) == before


def test_concurrent_edit_yields_exactly_one_conflict_and_no_lost_data(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    did = add_demand(village, hid)
    import_bundles(town, [_export(village, stick)])
    edit_demand(town, did, handling="镇：已上报县民政局")
    edit_demand(village, did, handling="村：户主住院，需回访")
    (b,) = import_bundles(town, [_export(village, stick)]).bundles
    assert b.counts["conflicts"] == 1
    (c,) = conflicts.list_conflicts(town)
    assert c.local["handling"] == "镇：已上报县民政局" and c.incoming["handling"] == "村：户主住院，需回访"
    assert "handling" in c.differing
    with town.new_session() as s:
        assert s.get(Demand, did).handling == "镇：已上报县民政局"  # local kept until a person decides
    # the same village version arriving again (no receipt yet) does not make a second conflict
    (b,) = import_bundles(town, [_export(village, stick)]).bundles
    assert b.counts["conflicts"] == 0 and len(conflicts.list_conflicts(town)) == 1

    conflicts.resolve(town, c.id, {"handling": "incoming", "reply": "local"})
    assert conflicts.list_conflicts(town) == []
    (down,) = export_bundles(town, stick)
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.counts["updated"] == 1 and b.counts["conflicts"] == 0
    with village.new_session() as s:
        assert s.get(Demand, did).handling == "村：户主住院，需回访"
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_a_conflict_both_stations_settle_alike_does_not_come_back(pair):
    """Both sides meet the conflict (each imports the other's edit) and both keep the village's words: the
    next exchange finds the same content on each side, not a conflict of 不同字段：无 at every exchange."""
    village, town, stick = pair
    hid = add_household(village, "张建国")
    did = add_demand(village, hid)
    import_bundles(town, [_export(village, stick)])
    edit_demand(town, did, handling="镇：已上报县民政局")
    edit_demand(village, did, handling="村：户主住院，需回访")
    (down,) = export_bundles(town, stick)
    (up,) = export_bundles(village, stick)
    assert import_bundles(town, [up.path]).bundles[0].counts["conflicts"] == 1
    assert import_bundles(village, [down.path]).bundles[0].counts["conflicts"] == 1
    (at_town,) = conflicts.list_conflicts(town)
    (at_village,) = conflicts.list_conflicts(village)
    conflicts.resolve(town, at_town.id, "incoming")
    conflicts.resolve(village, at_village.id, "local")
    for _ in range(2):  # and again: it stays settled
        (down,) = export_bundles(town, stick, include_empty=True)
        (up,) = export_bundles(village, stick)
        assert import_bundles(town, [up.path]).bundles[0].counts["conflicts"] == 0
        assert import_bundles(village, [down.path]).bundles[0].counts["conflicts"] == 0
    assert conflicts.list_conflicts(town) == [] == conflicts.list_conflicts(village)
    with town.new_session() as s:
        assert s.get(Demand, did).handling == "村：户主住院，需回访"
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_stats_at_the_town_equal_the_villages_own_counts_after_a_round_trip(pair, templates, tmp_path):
    import subprocess
    import sys

    from app.stations import init_station
    from app.workspace import Workspace

    village, town, stick = pair
    for name in ("张建国", "李桂兰", "王强"):
        add_household(village, name, ("甲", "乙"))
    delete_household(village, add_household(village, "赵已迁"))
    other = Workspace.open(tmp_path / "village2", credentials=ADMIN)
    init_station(
        other,
        kind="village",
        code="370681101202",
        name="李家村",
        town_card=templates["town_card"],
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    enroll_village(other, town, tmp_path)
    add_household(other, "李大山", ("李二",))
    import_bundles(town, [_export(village, stick), _export(other, stick)])
    other.close()

    def stats(data_dir):
        r = subprocess.run(
            [sys.executable, "-m", "app", "stats", "--data-dir", str(data_dir), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(r.stdout)["counts"]

    at_town = stats(town.root)
    assert at_town[VILLAGE_CODE] == stats(village.root)[VILLAGE_CODE]
    assert at_town["370681101202"] == stats(tmp_path / "village2")["370681101202"]
    # the removed household is a tombstone; its member rows are still on the register
    assert at_town[VILLAGE_CODE]["persons"] == 10 and at_town[VILLAGE_CODE]["households"] == 3


def test_a_record_of_another_village_is_rejected_row_by_row(pair):
    village, town, stick = pair
    hid = add_household(village, "张建国")
    with village.engine.begin() as conn:  # a corrupted village database claiming another village's row
        conn.exec_driver_sql("UPDATE person SET village_code = '370681101299' WHERE household_id = ?", (hid,))
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    (b,) = import_bundles(town, [_export(village, stick)]).bundles
    # the person, and the household whose 户主 it names (a reference into another village)
    assert b.status == "imported" and b.counts["rejected"] == 2
    assert sorted((r.record_type, r.reason) for r in b.rejections) == [
        ("households", "“户主”引用了其他村的记录"),
        ("persons", "记录属于其他村（370681101299），只能上报本村的记录"),
    ]
    with town.new_session() as s:
        assert s.query(Person).filter_by(village_code="370681101299").count() == 0


def _live_counts_per_table(ws, village_code):
    out = {}
    with ws.engine.connect() as conn:
        for spec in records.table_specs():
            out[spec.record_type] = conn.exec_driver_sql(
                f'SELECT count(*) FROM "{spec.table_name}" WHERE village_code = ? AND deleted_at IS NULL',
                (village_code,),
            ).scalar_one()
    return out


def _cli_stats(data_dir):
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "app", "stats", "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(r.stdout)["counts"]


def test_every_synced_table_of_real_village_data_arrives_equal_at_the_town(two_villages):
    """Demo data of every feature (households, diaries, cases …) through the real services, exported and
    imported: every synced table has live rows and is equal at the town, attachments byte for byte, the
    town's full-text indexes find the villages' records, and ``stats --json`` agrees."""
    from db.queries.diary import DiaryFilter, diary_entry_ids
    from db.queries.households import RosterFilter, roster_ids

    from app.workspace import Workspace

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    villages = [
        (Workspace.open(two_villages["first"], create=False, credentials=ADMIN), VILLAGE_CODE),
        (Workspace.open(two_villages["second"], create=False, credentials=ADMIN), SECOND_VILLAGE[0]),
    ]
    try:
        town_stats = _cli_stats(town.root)
        for village, code in villages:
            live = _live_counts_per_table(village, code)
            if code == VILLAGE_CODE:  # the first village has a live row in every synced table it writes
                from app import ownership

                town_made = {  # the town's 点评会 and its decisions come down (tests/test_reviews.py)
                    m.__record_type__
                    for m in synced_models()
                    if m.__tablename__ in ownership.TOWN_ONLY_TABLES | ownership.TOWN_WRITTEN_TABLES
                }
                assert [t for t, n in live.items() if n == 0 and t not in town_made] == []
                assert set(live) == {m.__record_type__ for m in synced_models()}
            assert synced_rows(town, code) == synced_rows(village, code)
            assert _live_counts_per_table(town, code) == live
            with village.engine.connect() as conn:
                shas = [
                    r[0]
                    for r in conn.exec_driver_sql(
                        "SELECT DISTINCT sha256 FROM attachment WHERE deleted_at IS NULL AND village_code = ?",
                        (code,),
                    )
                ]
            assert shas
            for sha in shas:
                assert attachment_data(town, sha) == attachment_data(village, sha) is not None
            assert town_stats[code] == _cli_stats(village.root)[code]
            # the search indexes were kept up by the import (triggers or bulk indexing)
            with village.new_session() as vs, town.new_session() as ts:
                head = vs.scalars(select(Household.head_name).where(Household.deleted_at.is_(None))).first()
                assert set(roster_ids(vs, RosterFilter(text=head))) <= set(
                    roster_ids(ts, RosterFilter(text=head))
                )
                place = vs.scalars(
                    select(DiaryEntry.situation).where(DiaryEntry.deleted_at.is_(None))
                ).first()
                word = place[:4]
                assert diary_entry_ids(vs, DiaryFilter(text=word)) == diary_entry_ids(
                    ts, DiaryFilter(text=word, village_code=code)
                )
    finally:
        for ws, _ in villages:
            ws.close()
        town.close()


# -- a bundle from a station still on a schema before 0011_diary_vocab carries the diary's English codes --
OLD_CODES = {  # as an older program wrote them
    ("diary_entries", "kind"): {"入户走访": "home_visit", "电话联系": "phone"},
    ("demands", "status"): {"待办": "open", "已答复": "replied"},
    ("acknowledgements", "method"): {"当场签字": "signature", "拒签": "refused"},
    ("must_visit_events", "kind"): {"住院": "hospitalised"},
}


def _as_from_older_schema(path, village, town, out, ack_hashes):
    """``path`` as a village on revision 0010 would have written it: the diary's English codes, the
    acknowledgements' hashes over them (``ack_hashes``: id → hash), the manifest naming 0010."""
    from tests.sync_support import forge_bundle, open_bundle, rewrite_manifest, section_doc, with_rows

    manifest, sections = open_bundle(path, town)
    for (record_type, column), codes in OLD_CODES.items():
        doc = section_doc(sections, record_type)
        i = doc["columns"].index(column)
        rows = [[codes.get(v, v) if n == i else v for n, v in enumerate(r)] for r in doc["rows"]]
        sections = with_rows(sections, record_type, rows, replace=True)
    doc = section_doc(sections, "acknowledgements")
    i_id, i_hash = doc["columns"].index("id"), doc["columns"].index("content_hash")
    for r in doc["rows"]:
        r[i_hash] = ack_hashes.get(r[i_id], r[i_hash])
    sections = with_rows(sections, "acknowledgements", doc["rows"], replace=True)
    forged = forge_bundle(village, town, manifest, sections, out, sequence=manifest["sequence"])

    def older(raw: bytes) -> bytes:
        m = json.loads(raw)
        from db.migrate import head_revision

        assert m["schema_version"] == head_revision()
        m["schema_version"] = "0010_sync_rejection"
        return json.dumps(m, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    return rewrite_manifest(forged, village, older)


def test_a_bundle_of_an_older_schema_lands_in_chinese_and_its_signatures_still_match(pair, tmp_path):
    """A village not yet upgraded sends English codes: the town (on 0011) takes the bundle, translates
    the diary's coded columns before writing them and re-hashes the signatures that matched their entry
    as the village hashed it; a signature over an entry changed after signing stays flagged. A conflict
    from such a bundle holds the translated values."""
    from app.diary import acknowledgement, entries, visits

    from tests.diary_helpers import NOW, add_cadre, entry_input
    from tests.diary_helpers import add_household as add_family

    village, town, stick = pair
    cadre = add_cadre(village)
    hid, pid, _ = add_family(village, "欧阳修远")
    with village.work(cadre) as w:
        kept = entries.save_entry(w, entry_input(hid, pid, demands=[("住房", "屋顶漏雨")]), now=NOW)
        altered = entries.save_entry(
            w, entry_input(hid, pid, kind="电话联系", when=NOW - dt.timedelta(days=1)), now=NOW
        )
        refused = entries.save_entry(w, entry_input(hid, pid, when=NOW - dt.timedelta(days=2)), now=NOW)
        for e in (kept, altered):
            acknowledgement.acknowledge(
                w, e.id, method="当场签字", signer_name="欧阳修远", signature_png=b"png"
            )
        acknowledgement.acknowledge(w, refused.id, method="拒签", refusal_reason="外出未归")
        visits.record_must_visit(w, hid, "住院", NOW.date(), today=NOW.date())
        demand_id = kept.demands[0].id

    def old_hash(entry_id):
        with village.work(cadre) as w:
            canonical = acknowledgement.canonical_content(w.session, entry_id)
        canonical["kind"] = OLD_CODES["diary_entries", "kind"][canonical["kind"]]
        return acknowledgement.hash_canonical(canonical)

    ack_id = acknowledgement.acknowledgement_id
    old = {ack_id(e.id): old_hash(e.id) for e in (kept, altered, refused)}
    edit_entry = "UPDATE diary_entry SET actions = '签字后改过的办理情况' WHERE id = ?"
    with village.engine.begin() as conn:  # changed after signing, by a path that does not stop it
        conn.exec_driver_sql(edit_entry, (altered.id,))
    path = _as_from_older_schema(_export(village, stick), village, town, tmp_path / "old-1.mqb", old)

    (b,) = import_bundles(town, [path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0, b.as_json()
    with town.engine.connect() as c:
        kinds = dict(c.exec_driver_sql("SELECT id, kind FROM diary_entry").all())
        statuses = dict(c.exec_driver_sql("SELECT id, status FROM demand").all())
        methods = dict(c.exec_driver_sql("SELECT entry_id, method FROM acknowledgement").all())
        events = c.exec_driver_sql("SELECT kind FROM must_visit_event").scalars().all()
    assert kinds == {kept.id: "入户走访", altered.id: "电话联系", refused.id: "入户走访"}
    assert statuses == {demand_id: "待办"}
    assert methods == {kept.id: "当场签字", altered.id: "当场签字", refused.id: "拒签"}
    assert events == ["住院"]
    with town.new_session() as s:
        signed = acknowledgement.acknowledgement_info(s, kept.id)
        assert signed.matches_content and signed.content_hash != old[ack_id(kept.id)]
        assert acknowledgement.acknowledgement_info(s, refused.id).matches_content
        changed = acknowledgement.acknowledgement_info(s, altered.id)
        assert not changed.matches_content and changed.content_hash == old[ack_id(altered.id)]
    # what the village holds and the town now holds are the same rows (but the flagged hash, which an
    # older village keeps over its English codes, and the households' search text, which the town builds
    # anew in its own program's form from a bundle of another version)
    ours, theirs = synced_rows(village, VILLAGE_CODE), synced_rows(town, VILLAGE_CODE)
    (spec,) = [s for s in records.table_specs() if s.record_type == "households"]
    i_text = spec.columns.index("search_text")
    for rows in (ours, theirs):
        rows["households"] = [r[:i_text] + r[i_text + 1 :] for r in rows["households"]]
    assert {t: r for t, r in ours.items() if t != "acknowledgements"} == {
        t: r for t, r in theirs.items() if t != "acknowledgements"
    }

    # the town answers the demand while the older village edits it: the conflict holds 待办, not "open"
    edit_demand(town, demand_id, status="已答复", reply="镇住建办已受理", replied_by="镇住建办")
    edit_demand(village, demand_id, handling="村：已联系施工队")
    path = _as_from_older_schema(_export(village, stick), village, town, tmp_path / "old-2.mqb", old)
    (b,) = import_bundles(town, [path]).bundles
    assert b.status == "imported" and b.counts["conflicts"] == 1, b.as_json()
    (c,) = conflicts.list_conflicts(town)
    assert (c.local["status"], c.incoming["status"]) == ("已答复", "待办")
    assert c.incoming["handling"] == "村：已联系施工队"
    with town.new_session() as s:
        assert s.get(Demand, demand_id).status == "已答复"  # the town's row stays until a person decides


def test_a_conflict_over_a_date_resolves_to_a_date(pair):
    """Dates come back from the conflict's stored rows as dates (SQLite's text must go through the
    dialect's own date type, not the generic one, which has no converter)."""
    village, town, stick = pair
    hid = add_household(village, "张建国")
    did = add_demand(village, hid)
    import_bundles(town, [_export(village, stick)])
    edit_demand(town, did, due_on=dt.date(2024, 6, 1))
    edit_demand(village, did, due_on=dt.date(2024, 6, 15))
    (b,) = import_bundles(town, [_export(village, stick)]).bundles
    assert b.counts["conflicts"] == 1
    (c,) = conflicts.list_conflicts(town)
    conflicts.resolve(town, c.id, "incoming")
    with town.new_session() as s:
        assert s.get(Demand, did).due_on == dt.date(2024, 6, 15)
    (down,) = export_bundles(town, stick)
    import_bundles(village, [down.path])
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)
