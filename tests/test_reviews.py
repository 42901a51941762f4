"""两评 (issue 18, docs/reviews.md): the 点评会 pack, the meeting's decisions sent down and completed at the
village, the 群众评议 ballots and tallies — through real bundles, the real PDF code and the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import Attachment, CadreReview, ReviewDecision, User

from app import accounts, reports, todo
from app.errors import UserError
from app.reviews import documents, ledger, meetings, pack, tallies
from app.reviews.common import parse_month, parse_period
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    DEMO_TODAY,
    SECOND_VILLAGE,
    export_one,
    forge_bundle,
    open_bundle,
    section_doc,
    with_rows,
)

MAY = dt.date(2024, 5, 1)
SHOTS = os.environ.get("MINQING_SHOTS")  # a folder: the PDFs are copied there to be looked at
TODAY = DEMO_TODAY + dt.timedelta(days=3)


def _admin(ws: Workspace) -> User:
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages).replace("\x00", "")


@pytest.fixture
def stations(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    first = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    second = Workspace.open(two_villages["second"], create=False, credentials=ADMIN)
    yield town, first, second
    for ws in (first, second, town):
        ws.close()


@pytest.fixture
def stick(tmp_path):
    path = tmp_path / "stick"
    path.mkdir()
    return path


# -- the pack -----------------------------------------------------------------------------------------------
def test_the_pack_has_one_section_per_village_in_code_order_with_the_reports_figures(stations, tmp_path):
    town, _first, _second = stations
    admin = _admin(town)
    with town.work(admin) as w:
        built = pack.build(w, MAY, today=TODAY)
        report = reports.compute(w, reports.Period(MAY, dt.date(2024, 5, 31)), today=TODAY)
    assert [s.code for s in built.sections] == [VILLAGE_CODE, SECOND_VILLAGE[0]]
    for section, figures in zip(built.sections, report.villages, strict=True):
        groups = {g.title: dict(g.items) for g in section.groups}
        assert groups["走访"]["走访记录（篇）"] == figures.visits > 0
        assert groups["走访"]["走访到的户"] == figures.households_visited
        assert groups["诉求"]["听取"] == figures.demands
        assert groups["诉求"]["逾期"] == figures.demands_overdue
        assert groups["群众点评（已办结的诉求）"] == figures.demands_feedback
        assert "调解与排查" in groups
        assert [c.title for c in section.charts] == ["走访记录", "诉求听取与办结", "受理与结案"]
        assert all(len(c.panels) == 1 for c in section.charts)
        # the demo's decisions of April's meeting (made before May): the registry's own line
        assert section.charts[0].panels[0].name == section.name
    target = tmp_path / "点评会.pdf"
    pages = documents.print_pack(built, target, made_by="镇管理员")
    if SHOTS:
        shutil.copy(target, Path(SHOTS) / "review-pack.pdf")
    assert pages == 1 + len(built.sections)
    text = _text(target)
    assert "东城镇驻村工作点评会材料（2024年5月）" in text
    assert "不排名次" in text
    assert text.index("张家村") < text.index("李家村")
    for word in ("走访记录（篇）", "交办中", "基本满意", "排查（次）", "诉求听取与办结"):
        assert word in text
    assert "排名" not in text.replace("不排名次", "")  # nothing ranks a village or a cadre


def test_a_practice_plugs_its_facts_into_the_pack_with_one_line(stations, tmp_path, monkeypatch):
    town, _first, _second = stations
    seen = []

    def month_facts(session, village_code: str, month: dt.date) -> dict[str, int]:
        seen.append((village_code, month))
        return {"在办包案": 2, "本月销号": 1}

    monkeypatch.setattr(pack, "PACK_FACTS", [*pack.PACK_FACTS, ("另一项工作", month_facts)])
    with town.work(_admin(town)) as w:
        built = pack.build(w, MAY, today=TODAY)
    assert seen == [(VILLAGE_CODE, MAY), (SECOND_VILLAGE[0], MAY)]
    documents.print_pack(built, tmp_path / "p.pdf")
    text = _text(tmp_path / "p.pdf")
    assert "另一项工作" in text and "在办包案" in text and "本月销号" in text


def test_the_pack_carries_the_keycase_and_aid_facts_of_each_village(stations, tmp_path):
    """The practices plugged in at merge: each village's 联户包案 and 帮扶 figures are those practices' own
    month facts (帮扶's money in whole 元), under Chinese labels."""
    from app.aid import facts as aid_facts
    from app.keycases import facts as keycases_facts
    from app.projects import facts as projects_facts

    town, _first, _second = stations
    with town.work(_admin(town)) as w:
        built = pack.build(w, MAY, today=TODAY)
        for section in built.sections:
            groups = {g.title: dict(g.items) for g in section.groups}
            assert groups["联户包案"] == keycases_facts.month_facts(w.session, section.code, MAY)
            raw = aid_facts.month_facts(w.session, section.code, MAY)
            assert groups["帮扶"]["受帮扶户（户）"] == raw["aided_households"]
            assert groups["帮扶"]["帮扶资金（元）"] == (raw["aid_amount_fen"] + 50) // 100
            assert all(not label.isascii() for label in groups["帮扶"])
            steps = projects_facts.month_facts(w.session, section.code, MAY)
            assert groups["为民实事"]["本月到期节点"] == steps["milestones_due"]
            assert len(groups["为民实事"]) == len(steps)
    documents.print_pack(built, tmp_path / "p.pdf")
    text = _text(tmp_path / "p.pdf")
    assert "联户包案" in text and "受帮扶户（户）" in text and "本月到期节点" in text


def test_the_pack_is_made_at_the_town_only(village_ws, village_admin):
    with pytest.raises(UserError, match="乡镇"), village_ws.work(village_admin) as w:
        pack.build(w, MAY)


# -- minutes and decisions, down and back up --------------------------------------------------------------
def _meeting(town: Workspace, admin: User) -> str:
    with town.work(admin) as w:
        m = meetings.save_meeting(
            w,
            MAY,
            held_on=dt.date(2024, 6, 3),
            place="镇政府三楼会议室",
            attendees="镇党委书记、各驻村第一书记",
            minutes="会议点评了5月各村工作。",
            today=TODAY,
        )
        meetings.add_decision(w, m.id, "各村月底前把逾期诉求逐条说明原因。", village_code=None)
        meetings.add_decision(
            w,
            m.id,
            "张家村本月完成二组的矛盾纠纷排查。",
            village_code=VILLAGE_CODE,
            due_on=dt.date(2024, 6, 20),
        )
    return m.id


def _decisions(ws: Workspace, meeting_id: str) -> list[ReviewDecision]:
    with ws.session() as s:
        rows = list(s.scalars(select(ReviewDecision).where(ReviewDecision.meeting_id == meeting_id)))
        s.expunge_all()
    return sorted(rows, key=lambda d: (d.seq, d.village_code))


def test_decisions_go_down_show_as_todo_and_their_completion_comes_back(stations, stick):
    town, first, second = stations
    town_admin, village_admin = _admin(town), _admin(first)
    meeting_id = _meeting(town, town_admin)
    assert [(d.seq, d.village_code) for d in _decisions(town, meeting_id)] == [
        (1, VILLAGE_CODE),
        (1, SECOND_VILLAGE[0]),
        (2, VILLAGE_CODE),
    ]
    down = {r.village_code: r for r in export_bundles(town, stick)}
    assert down[VILLAGE_CODE].counts["review_decisions"] == 2
    assert down[SECOND_VILLAGE[0]].counts["review_decisions"] == 1
    assert down[VILLAGE_CODE].counts["review_meetings"] == 0  # the minutes stay at the town
    (b,) = import_bundles(first, [down[VILLAGE_CODE].path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0, b
    (b2,) = import_bundles(second, [down[SECOND_VILLAGE[0]].path]).bundles
    assert b2.status == "imported" and b2.counts["rejected"] == 0
    mine = _decisions(first, meeting_id)
    assert [d.text for d in mine] == [
        "各村月底前把逾期诉求逐条说明原因。",
        "张家村本月完成二组的矛盾纠纷排查。",
    ]
    assert [d.seq for d in _decisions(second, meeting_id)] == [1]

    with first.work(village_admin) as w:
        items = [i for i in todo.collect(w, TODAY) if i.kind == "review_decision"]
    texts = [i.title for i in items]
    assert any("逾期诉求" in t for t in texts) and any("二组" in t for t in texts)
    assert all(i.page == "reviews" for i in items)
    with first.session() as s:  # shown to the 驻村干部 too, not to every cadre of the village
        resident = s.scalars(select(User).where(User.title == "驻村第一书记")).one()
        plain = s.scalars(select(User).where(User.title == "村委会主任")).one()
        s.expunge_all()
    for user, shown in ((resident, True), (plain, False)):
        with first.work(user) as w:
            assert any(i.kind == "review_decision" for i in todo.collect(w, TODAY)) is shown
    second_id = mine[1].id
    with first.work(village_admin) as w:
        meetings.mark_done(
            w, second_id, done_on=TODAY, note="6月8日组织了二组排查，发现纠纷2起，已化解1起", today=TODAY
        )
    with first.work(village_admin) as w:
        assert second_id not in {i.record_id for i in todo.collect(w, TODAY)}

    (up,) = import_bundles(town, [export_one(first, stick)]).bundles
    assert up.status == "imported" and up.counts["rejected"] == 0, up
    at_town = {d.id: d for d in _decisions(town, meeting_id)}
    assert at_town[second_id].done_on == TODAY and "二组排查" in at_town[second_id].done_note
    with town.work(town_admin) as w:
        listed = meetings.decisions(w, month=MAY)
        assert [d.state for d in listed if d.id == second_id] == ["已落实"]
        # the town may correct its wording; the village's completion stays and both come down again
        row = w.session.get(ReviewDecision, second_id)
        row.text = "张家村本月完成二组、三组的矛盾纠纷排查。"
    (again,) = export_bundles(town, stick, village=VILLAGE_CODE)
    (b3,) = import_bundles(first, [again.path]).bundles
    assert b3.counts["rejected"] == 0 and b3.counts["conflicts"] == 0, b3
    back = {d.id: d for d in _decisions(first, meeting_id)}[second_id]
    assert "三组" in back.text and back.done_on == TODAY


def test_the_town_never_writes_a_completion_and_a_village_never_a_decision(stations):
    town, first, _second = stations
    town_admin, village_admin = _admin(town), _admin(first)
    meeting_id = _meeting(town, town_admin)
    decision_id = _decisions(town, meeting_id)[0].id
    with pytest.raises(UserError, match="落实情况由村里填写"), town.work(town_admin) as w:
        w.session.get(ReviewDecision, decision_id).done_note = "乡镇代填"
    with pytest.raises(UserError, match="落实情况由村里填写"), town.work(town_admin) as w:
        meetings.mark_done(w, decision_id, done_on=TODAY, note="代填")
    with pytest.raises(UserError, match="乡镇"), first.work(village_admin) as w:
        meetings.save_meeting(w, MAY, held_on=TODAY, minutes="村里开的会", today=TODAY)
    with pytest.raises(UserError, match="群众评议的计票在村工作站录入"), town.work(town_admin) as w:
        tallies.record_tally(w, town_admin.id, "2024H1", _tally(), today=TODAY)


def test_forged_rows_are_refused_both_ways(stations, stick, tmp_path):
    town, first, _second = stations
    town_admin = _admin(town)
    meeting_id = _meeting(town, town_admin)
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)

    # a dishonest town's 下发包: a decision arriving with a completion already filled
    manifest, sections = open_bundle(down.path, first)
    doc = section_doc(sections, "review_decisions")
    i_note = doc["columns"].index("done_note")
    forged_rows = [list(r) for r in doc["rows"]]
    forged_rows[0][i_note] = "乡镇替村里写的落实情况"
    forged = forge_bundle(
        town,
        first,
        manifest,
        with_rows(sections, "review_decisions", forged_rows, replace=True),
        tmp_path / "f1.mqb",
    )
    (b,) = import_bundles(first, [forged]).bundles
    assert b.counts["rejected"] == 1
    assert any("落实情况由村里填写" in r.reason for r in b.rejections)
    import_bundles(first, [down.path])

    # a dishonest village: rewords the town's decision, invents one, sends a tally that does not add up
    up = export_one(first, stick)
    manifest, sections = open_bundle(up, town)
    top = manifest["counter"]["to"]
    village_station = first.require_station().id
    cols = section_doc(sections, "review_decisions")["columns"]
    t_cols = section_doc(sections, "cadre_reviews")["columns"]
    with first.session() as s:
        rows = [
            _as_row(d, cols)
            for d in s.scalars(select(ReviewDecision).where(ReviewDecision.meeting_id == meeting_id))
        ]
        tally = _as_row(s.scalars(select(CadreReview)).first(), t_cols)
    stamp = {"changed_station": village_station, "version": top}
    # (edited from the town's version, as a fast-forward: a plain edit would only be a conflict for a person)
    reworded = _with(
        rows[0],
        cols,
        text="村里改过的决定",
        base_station=rows[0][cols.index("changed_station")],
        base_version=rows[0][cols.index("version")],
        **stamp,
    )
    invented = _with(
        rows[0], cols, id="0" * 8 + "-0000-8000-8000-000000000001", origin_station=village_station, **stamp
    )
    bad_tally = _with(tally, t_cols, satisfied=tally[t_cols.index("satisfied")] + 5, **stamp)
    secs = with_rows(sections, "review_decisions", [reworded, invented], replace=True)
    secs = with_rows(secs, "cadre_reviews", [bad_tally], replace=True)
    forged = forge_bundle(first, town, manifest, secs, tmp_path / "f2.mqb")
    (b,) = import_bundles(town, [forged]).bundles
    reasons = sorted(r.reason for r in b.rejections)
    assert b.counts["rejected"] == 3, reasons
    assert any("村里只能填写点评会决定的落实情况" in r for r in reasons)
    assert any("新记录标为由其他工作站建立" in r or "村里不能新建" in r for r in reasons)
    assert any("与收回的" in r for r in reasons)
    with town.session() as s:
        assert s.get(ReviewDecision, reworded[cols.index("id")]).text != "村里改过的决定"
        assert s.get(ReviewDecision, invented[cols.index("id")]) is None
        assert s.get(CadreReview, tally[t_cols.index("id")]).satisfied == tally[t_cols.index("satisfied")]


def _as_row(record, cols: list[str]) -> list:
    """A stored record as a bundle carries it (dates as text, booleans 0/1)."""
    out = []
    for c in cols:
        v = getattr(record, c)
        if isinstance(v, dt.datetime):
            v = v.isoformat(sep=" ")
        elif isinstance(v, dt.date):
            v = v.isoformat()
        elif isinstance(v, bool):
            v = int(v)
        out.append(v)
    return out


def _with(row: list, cols: list[str], **values) -> list:
    out = list(row)
    for k, v in values.items():
        out[cols.index(k)] = v
    return out


# -- ballots and tallies -----------------------------------------------------------------------------------
def _tally(**kw) -> tallies.TallyInput:
    values = dict(
        ballots_issued=50,
        ballots_returned=48,
        satisfied=40,
        basically_satisfied=5,
        dissatisfied=2,
        invalid=1,
        counted_on=dt.date(2024, 1, 10),
        counted_by="村管理员、镇组织办",
        comments="希望多到三组走走",
    )
    values.update(kw)
    return tallies.TallyInput(**values)


def test_ballots_say_what_the_diary_says_in_plain_words_and_nothing_scores(stations, tmp_path):
    _town, first, _second = stations
    admin = _admin(first)
    with first.work(admin) as w:
        cadres = tallies.resident_cadres(w)
        works = tallies.cadre_work(w, cadres, "2024H1")
    assert len(works) == 2 and {c.title for c in cadres} == {"驻村第一书记", "驻村工作队员"}
    assert any(x.entries for x in works)
    target = tmp_path / "评议票.pdf"
    pages = documents.print_ballots(works, "2024H1", target, town_name="东城镇", copies=3)
    if SHOTS:
        shutil.copy(target, Path(SHOTS) / "ballots.pdf")
    assert pages == 4  # three ballots per cadre, two to a sheet, each cadre on sheets of their own
    text = _text(target)
    for x in works:
        assert x.name in text
        assert f"记民情日记 {x.entries} 篇" in text
        assert f"走访到 {x.households} 户" in text
    assert "东城镇驻村干部群众评议票（2024年上半年）" in text
    for word in ("满意", "基本满意", "不满意", "意见和建议"):
        assert word in text
    assert "分" not in text.replace("部分", "") and "%" not in text and "排名" not in text


def test_a_tally_is_checked_kept_with_its_scans_encrypted_and_shown_alphabetically(stations, tmp_path):
    _town, first, _second = stations
    admin = _admin(first)
    with first.work(admin) as w:
        cadres = tallies.resident_cadres(w)
    scan = tmp_path / "评议票扫描.jpg"
    secret = b"\xff\xd8\xff" + "评议票原件".encode() * 200
    scan.write_bytes(secret)
    for bad, message in (
        (dict(satisfied=41), "与收回的 48 张不符"),
        (dict(ballots_returned=60, satisfied=52), "比发出的多"),
        (dict(invalid=-1, satisfied=42), "无效票数"),
    ):
        with pytest.raises(UserError, match=message), first.work(admin) as w:
            tallies.record_tally(w, cadres[0].id, "2024H1", _tally(**bad), today=TODAY)
    with pytest.raises(UserError, match="2026H1"):
        parse_period("2024H3")
    with first.work(admin) as w:
        info = tallies.record_tally(w, cadres[0].id, "2024H1", _tally(scans=[scan]), today=TODAY)
    assert info.scans == 1 and info.counts["satisfied"] == 40
    with first.work(admin) as w:  # a second entry corrects the same tally, it does not add one
        tallies.record_tally(w, cadres[0].id, "2024H1", _tally(satisfied=39, dissatisfied=3), today=TODAY)
    with first.session() as s:
        assert s.query(CadreReview).filter_by(cadre_id=cadres[0].id, period="2024H1").count() == 1
        sha = s.scalars(select(Attachment.sha256).where(Attachment.owner_id == info.id)).one()
    stored = [p for p in first.attachments_dir.rglob(sha + "*") if p.is_file()]
    raw = stored[0].read_bytes() if stored else b""
    assert secret not in raw  # a large scan is a sealed file, a small one a row of the encrypted database

    with first.work(admin) as w:
        shown = tallies.results(w)
    names = [t.cadre_name for t in shown]
    from pypinyin import lazy_pinyin

    assert names == sorted(names, key=lambda n: lazy_pinyin(n))
    # a cadre sees their own result only
    with first.session() as s:
        cadre = s.get(User, cadres[1].id)
        s.expunge(cadre)
    with first.work(cadre) as w:
        assert {t.cadre_id for t in tallies.results(w)} == {cadres[1].id}
    with pytest.raises(UserError, match="没有这项权限"), first.work(cadre) as w:  # nor enters a tally
        tallies.record_tally(
            w,
            cadre.id,
            "2024H1",
            _tally(satisfied=48, basically_satisfied=0, dissatisfied=0, invalid=0),
            today=TODAY,
        )


def test_a_tally_starts_with_who_counted_the_last_and_the_day_of_its_sitting(stations):
    """One sitting counts every cadre's sheets: its counters and day were typed again for each cadre."""
    _town, first, _second = stations
    admin = _admin(first)
    with first.work(admin) as w:
        cadres = tallies.resident_cadres(w)
        by, on = tallies.tally_defaults(w, "2024H1")
        assert (
            by.endswith("镇组织办干部") and on is None
        )  # the demo's last half-year's counters; no sitting yet
        tallies.record_tally(
            w,
            cadres[0].id,
            "2024H1",
            _tally(counted_on=dt.date(2024, 1, 12), counted_by="村会计李红、监票人王五"),
            today=TODAY,
        )
        assert tallies.tally_defaults(w, "2024H1") == ("村会计李红、监票人王五", dt.date(2024, 1, 12))
        assert tallies.tally_defaults(w, "2024H2") == (
            "村会计李红、监票人王五",
            None,
        )  # another sitting's day


def test_the_tallies_travel_up_and_the_town_sees_every_village_alphabetically(stations, stick):
    town, first, second = stations
    import_bundles(town, [export_one(first, stick), export_one(second, stick)])
    with town.work(_admin(town)) as w:
        shown = tallies.results(w)
    assert {t.village_code for t in shown} == {VILLAGE_CODE, SECOND_VILLAGE[0]}
    assert [t.village_code for t in shown] == sorted(t.village_code for t in shown)
    for code in (VILLAGE_CODE, SECOND_VILLAGE[0]):
        names = [t.cadre_name for t in shown if t.village_code == code]
        from pypinyin import lazy_pinyin

        assert names == sorted(names, key=lambda n: lazy_pinyin(n))


def test_the_ledger_has_tallies_and_decisions(stations, tmp_path):
    from openpyxl import load_workbook

    town, _first, _second = stations
    admin = _admin(town)
    _meeting(town, admin)
    with town.work(admin) as w:
        n, d = ledger.export(w, tmp_path / "两评台账.xlsx", today=TODAY)
    assert n >= 2 and d == 3
    wb = load_workbook(tmp_path / "两评台账.xlsx")
    head = [c.value for c in wb["群众评议"][2]]
    assert head[:3] == ["序号", "村", "被评议干部"] and "满意" in head
    rows = list(wb["点评会决定"].iter_rows(values_only=True))
    assert rows[1][0] == "点评会月份" and any("逾期诉求" in str(r[5]) for r in rows[2:])


def test_the_commands_sign_in_and_write_the_pack_the_ballots_and_the_ledger(stations, tmp_path, capsys):
    from app.cli import main

    town, first, _second = stations
    town_dir, village_dir = str(town.root), str(first.root)
    for ws in stations:
        ws.close()
    assert (
        main(["review-pack", "--data-dir", town_dir, "--month", "2024-05", str(tmp_path / "p.pdf"), "--json"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["villages"] == 2 and out["pages"] == 3
    assert main(["ballots", "--data-dir", village_dir, "--period", "2024H1", str(tmp_path / "b.pdf")]) == 0
    assert "2 位驻村干部" in capsys.readouterr().out
    assert (
        main(["ballots", "--data-dir", town_dir, "--period", "2024H1", str(tmp_path / "t.pdf"), "--json"])
        == 0
    )
    assert len(json.loads(capsys.readouterr().out)["cadres"]) == 4
    assert main(["reviews", "export", "--data-dir", village_dir, str(tmp_path / "l.xlsx")]) == 0
    assert main(["review-pack", "--data-dir", town_dir, "--month", "2024-13", str(tmp_path / "x.pdf")]) == 1
    assert "2026-11" in capsys.readouterr().err
    assert (
        main(["review-pack", "--data-dir", village_dir, "--month", "2024-05", str(tmp_path / "x.pdf")]) == 1
    )
    assert not (tmp_path / "x.pdf").exists()


def test_month_and_period_parsing():
    assert parse_month("2024-5") == MAY
    with pytest.raises(UserError, match="年-月"):
        parse_month("五月")
    assert parse_period("2024h2") == "2024H2"
