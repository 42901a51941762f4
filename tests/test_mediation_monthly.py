"""人民调解工作统计 (issue 16): the work done in a period, the town's own row, frozen reports that travel.

Fixed clock: every date is given; ``today`` is passed to the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.models import MediationCase, MonthlyReport

from app.errors import UserError
from app.mediation import frozen, meetings, monthly, registration, rules, states
from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from tests.conftest import ADMIN_PASSWORD, VILLAGE_CODE
from tests.mediation_helpers import make_mediator, new_case, step

D = dt.date
TODAY = D(2027, 2, 10)


def advance(w, case_id, *steps):
    """(target, day) steps from 受理, with the notice and a session before mediation."""
    for target, day in steps:
        if target == rules.IN_MEDIATION:
            registration.record_rights_notice(w, case_id, given_on=day)
        step(w, case_id, target, day)
        if target == rules.IN_MEDIATION:
            meetings.add_meeting(w, case_id, held_at=dt.datetime.combine(day, dt.time(9)), place="村调解室")


def month(w, year, m):
    start, end = monthly.month_bounds(year, m)
    return monthly.compute(w.session, start, end, codes=[w.unit_code]).row(w.unit_code)


def year_to(w, year, m):
    return monthly.compute(
        w.session, D(year, 1, 1), monthly.month_bounds(year, m)[1], codes=[w.unit_code]
    ).row(w.unit_code)


def test_accepted_in_october_concluded_in_november_counts_as_success_in_november(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c = new_case(w, accepted_on=D(2026, 10, 28))
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 29)), (rules.SUCCEEDED, D(2026, 11, 3)))
        # accepted 30 December, concluded 4 January: across the year's end
        late = new_case(w, accepted_on=D(2026, 12, 30), dispute_type="邻里")
        advance(w, late.id, (rules.IN_MEDIATION, D(2026, 12, 30)), (rules.FAILED, D(2027, 1, 4)))
        new_case(w, accepted_on=D(2026, 11, 20), dispute_type="合同")  # still open at November's end
        october, november = month(w, 2026, 10), month(w, 2026, 11)
        december, january = month(w, 2026, 12), month(w, 2027, 1)
        ytd_january = year_to(w, 2027, 1)
        ytd_november = year_to(w, 2026, 11)
    assert (october["accepted"], october["succeeded"], october["in_progress"]) == (1, 0, 1)
    assert (november["accepted"], november["succeeded"], november["in_progress"]) == (1, 1, 1)
    assert november["written"] == 1 and november["amount_fen"] == 120000
    assert monthly.success_rate(november) == Decimal("100.00")
    assert monthly.success_rate(october) is None  # nothing concluded in October
    assert (december["accepted"], december["failed"], december["in_progress"]) == (1, 0, 2)
    assert (january["accepted"], january["failed"], january["in_progress"]) == (0, 1, 1)
    assert (ytd_january["accepted"], ytd_january["failed"]) == (0, 1)  # the year to date starts again
    assert (ytd_november["accepted"], ytd_november["succeeded"]) == (2, 1)
    assert monthly.success_rate_of_accepted(ytd_november) == Decimal("50.00")
    # the 15 national types are all columns; 合同 is counted in November, the others are zeros
    assert [k for k in november if k.startswith("type:")] == [f"type:{t}" for t in rules.NATIONAL_TYPES]
    assert november["type:合同"] == 1 and november["type:医疗"] == 0


def test_sources_map_to_the_official_three_and_a_local_type_counts_as_other(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        for source in rules.SOURCES:
            new_case(w, accepted_on=D(2026, 5, 6), source=source, parties=False)
        f = month(w, 2026, 5)
    assert (f["source:主动调解"], f["source:申请调解"], f["source:接受委托移送"]) == (3, 1, 4)
    assert set(rules.OFFICIAL_SOURCE_OF) == set(rules.SOURCES)  # one table maps every source


def test_risks_of_a_success_count_as_prevented_and_a_rejection_is_not_accepted(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c = new_case(w, accepted_on=D(2026, 6, 1), risk_fight_people=12, risk_suicide_people=1)
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 6, 2)), (rules.SUCCEEDED, D(2026, 6, 9)))
        r = new_case(w, accepted_on=D(2026, 6, 3))
        step(w, r.id, rules.REJECTED, D(2026, 6, 4))
        f = month(w, 2026, 6)
    assert (f["accepted"], f["rejected"]) == (1, 1)
    assert (f["prevent_fight"], f["prevent_fight_people"]) == (1, 12)
    assert (f["prevent_suicide"], f["prevent_suicide_people"]) == (1, 1)


# -- frozen reports -------------------------------------------------------------------------------
def test_a_frozen_report_does_not_change_when_a_case_is_edited_later(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        c = new_case(w, accepted_on=D(2026, 11, 5), dispute_type="邻里")
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 11, 6)), (rules.SUCCEEDED, D(2026, 11, 12)))
        first = frozen.freeze(w, 2026, 11, today=TODAY, now=dt.datetime(2026, 12, 1, 9, 30))
    assert first.edition == 1 and first.frozen_by == "村管理员"
    assert (first.month_figures["accepted"], first.month_figures["succeeded"]) == (1, 1)

    with village_ws.work(village_admin) as w:
        registration.update_case(w, c.id, dispute_type="合同")  # edited later
        new_case(w, accepted_on=D(2026, 11, 28))  # a late entry (补录)
        view = frozen.report(w, 2026, 11)
        again = frozen.editions(w, 2026, 11)
    (row,) = view.rows
    assert row.status == frozen.CHANGED
    assert row.month["accepted"] == 1 and row.month["type:邻里"] == 1  # the frozen figures, not recomputed
    assert row.changes["本月 受理"] == (1, 2) and row.changes["本月 邻里"] == (1, 0)
    assert "报送后有变动" in row.status_text and "本月 受理 1→2" in row.status_text
    assert again == [first]  # stored exactly as frozen

    with village_ws.work(village_admin) as w:
        with pytest.raises(UserError, match="重新生成请写明原因"):
            frozen.freeze(w, 2026, 11, today=TODAY)
        second = frozen.freeze(w, 2026, 11, today=TODAY, note="补录 11 月 28 日受理的 1 件")
        both = frozen.editions(w, 2026, 11)
        view = frozen.report(w, 2026, 11)
    assert [e.edition for e in both] == [2, 1] and both[1] == first  # the old edition kept
    assert second.month_figures["accepted"] == 2
    assert view.rows[0].status == frozen.SENT and view.rows[0].frozen == second


def test_a_month_not_yet_begun_cannot_be_frozen(village_ws, village_admin):
    with village_ws.work(village_admin) as w, pytest.raises(UserError, match="还没有到"):
        frozen.freeze(w, 2027, 3, today=TODAY)
    with village_ws.work(village_admin) as w:
        assert w.session.scalars(select(MonthlyReport)).first() is None


# -- at the town -----------------------------------------------------------------------------------
@pytest.fixture
def linked(village_ws, town_ws, tmp_path):
    from tests.sync_support import enroll_village

    enroll_village(village_ws, town_ws, tmp_path)
    return village_ws, town_ws


def _admin(ws):
    from app import accounts

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


def _send(village, town, stick):
    stick.mkdir(exist_ok=True)
    (result,) = export_bundles(village, stick)
    report = import_bundles(town, [result.path])
    assert [b.status for b in report.bundles] == ["imported"], report.as_json()
    return report


def test_a_case_concluded_at_the_town_counts_in_the_towns_row_and_the_villages_reports_travel(
    linked, tmp_path
):
    village, town = linked
    v_admin, t_admin = _admin(village), _admin(town)
    with village.work(v_admin) as w:
        c = new_case(w, accepted_on=D(2026, 10, 10))
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 12)), (rules.ESCALATED, D(2026, 10, 20)))
        ok = new_case(w, accepted_on=D(2026, 10, 11), dispute_type="邻里")
        advance(w, ok.id, (rules.IN_MEDIATION, D(2026, 10, 11)), (rules.SUCCEEDED, D(2026, 10, 15)))
    _send(village, town, tmp_path / "stick")
    with town.work(t_admin) as w:
        october = frozen.report(w, 2026, 10)
    v_row, t_row = october.rows
    assert v_row.code == VILLAGE_CODE and v_row.status == frozen.NOT_SENT  # nothing frozen yet
    assert (v_row.month["accepted"], v_row.month["succeeded"], v_row.month["escalated"]) == (2, 1, 1)
    assert t_row.kind == "town" and (t_row.month["received"], t_row.month["in_progress"]) == (1, 1)
    assert t_row.month["accepted"] == 0  # the village accepted it: the town received it

    with town.work(t_admin) as w:
        states.record_town_handling(
            w,
            c.id,
            handling="镇调委会组织双方现场勘界，达成一致。",
            outcome="调解成功",
            handled_on=D(2026, 11, 5),
            agreement_kind="口头",
        )
    with village.work(v_admin) as w:
        frozen.freeze(w, 2026, 10, today=TODAY, now=dt.datetime(2026, 11, 1, 8, 0))
        frozen.freeze(w, 2026, 11, today=TODAY, now=dt.datetime(2026, 12, 1, 8, 0))
    _send(village, town, tmp_path / "stick2")
    with town.work(t_admin) as w:
        october = frozen.report(w, 2026, 10)
        november = frozen.report(w, 2026, 11)
    v_row, t_row = october.rows
    assert v_row.status == frozen.SENT and v_row.frozen.frozen_by == "村管理员"
    v_row, t_row = november.rows
    assert v_row.status == frozen.SENT and v_row.month["escalated"] == 0
    assert t_row.month["succeeded"] == 1 and t_row.month["in_progress"] == 0  # the town's own row
    assert v_row.town_succeeded_month == 1 and v_row.town_succeeded_year == 1  # the village's 上报 column
    assert november.total.month["succeeded"] == 1 and november.total.year["succeeded"] == 2
    assert november.total.year["accepted"] == 2  # each dispute once: the village accepted both


def test_the_towns_success_has_its_agreement_and_the_total_counts_each_dispute_once(linked, tmp_path):
    """Village → town (real bundles, fixed clock): a case the village accepted in October and escalated in
    November, concluded at the town in December with a 书面 agreement of 3,500 元. The town's row has the
    agreement's form and amount; the 合计 counts the dispute's 受理 once (the village's), not again at the
    town."""
    village, town = linked
    v_admin, t_admin = _admin(village), _admin(town)
    with village.work(v_admin) as w:
        c = new_case(w, accepted_on=D(2026, 10, 10), dispute_type="邻里")
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 12)), (rules.ESCALATED, D(2026, 11, 20)))
    _send(village, town, tmp_path / "stick")
    with town.work(t_admin) as w:
        # 调解成功 at the town needs the agreement's form; a refused entry changes nothing
        for kind, amount, message in (
            (None, "3500", "请选择协议形式"),
            ("书面", "三千五", "不是数字"),
            ("书面", "NaN", "不是数字"),
            ("书面", "-1", "不能为负数"),
            ("书面", "1e30", "过大"),
        ):
            with pytest.raises(UserError, match=message):
                states.record_town_handling(
                    w,
                    c.id,
                    handling="镇调委会组织调解",
                    outcome="调解成功",
                    handled_on=D(2026, 12, 3),
                    agreement_kind=kind,
                    amount=amount,
                )
    with town.work(t_admin) as w:
        row = w.session.get(MediationCase, c.id)
        assert (row.town_outcome, row.town_agreement_kind, row.town_amount_fen) == (None, None, 0)
        states.record_town_handling(
            w,
            c.id,
            handling="镇调委会组织双方现场勘界，达成一致。",
            outcome="调解成功",
            handled_on=D(2026, 12, 3),
            agreement_kind="书面",
            amount="3,500",
        )
        october, november, december = (frozen.report(w, 2026, m) for m in (10, 11, 12))
    for view in (october, november, december):
        assert [r.kind for r in view.all_rows] == ["village", "town", "total"]
    (v10, t10), (v11, t11), (v12, t12) = october.rows, november.rows, december.rows
    # October: the village accepted it
    assert (v10.month["accepted"], t10.month["accepted"], october.total.month["accepted"]) == (1, 0, 1)
    assert v10.month["type:邻里"] == october.total.month["type:邻里"] == 1
    # November: escalated; the town received it (接收上报), no new 受理 anywhere
    assert (v11.month["escalated"], t11.month["received"], t11.month["accepted"]) == (1, 1, 0)
    assert (november.total.month["accepted"], november.total.month["received"]) == (0, 0)
    assert november.total.month["source:接受委托移送"] == 0 and november.total.month["type:邻里"] == 0
    assert t11.month["in_progress"] == 1 and november.total.month["in_progress"] == 1
    # December: concluded at the town, with its agreement, in the town's row and the 合计
    assert (t12.month["succeeded"], t12.month["written"], t12.month["amount_fen"]) == (1, 1, 350000)
    assert (v12.month["succeeded"], v12.month["written"], v12.month["amount_fen"]) == (0, 0, 0)
    assert v12.town_succeeded_month == 1
    total = december.total
    assert (total.month["succeeded"], total.month["written"], total.month["oral"]) == (1, 1, 0)
    assert total.month["amount_fen"] == 350000 and total.year["amount_fen"] == 350000
    assert (total.year["accepted"], total.year["received"], total.year["succeeded"]) == (1, 0, 1)
    assert t12.year["received"] == 1
    assert monthly.success_rate_of_accepted(total.year) == Decimal("100.00")  # 1 of 1, not 1 of 2
    assert monthly.success_rate_of_accepted(t12.year) == Decimal("100.00")  # the town: 1 received, 1 done
    # the statistics of the whole town say the same
    from app.mediation import stats

    with town.work(t_admin) as w:
        whole = stats.compute(w, D(2026, 1, 1), D(2026, 12, 31))
        own = stats.compute(w, D(2026, 1, 1), D(2026, 12, 31), village_code=w.unit_code)
        series = monthly.monthly_series(w.session, 2026, town_code=w.unit_code)
    assert (whole.accepted, whole.received, whole.succeeded, whole.amount_fen) == (1, 0, 1, 350000)
    assert (own.accepted, own.received, own.succeeded) == (0, 1, 1)
    assert sum(a for code in series for a, _c in series[code]) == 1  # the chart: accepted once


def test_a_changed_frozen_report_is_refused_at_the_town(linked, tmp_path):
    village, town = linked
    v_admin = _admin(village)
    with village.work(v_admin) as w:
        new_case(w, accepted_on=D(2026, 10, 10))
        info = frozen.freeze(w, 2026, 10, today=TODAY)
    _send(village, town, tmp_path / "stick")
    with village.work(v_admin) as w:  # a dishonest clerk edits the frozen figures in the database
        row = w.session.get(MonthlyReport, info.id)
        row.figures = row.figures.replace('"accepted": 1', '"accepted": 9')
    stick = tmp_path / "stick2"
    stick.mkdir()
    (result,) = export_bundles(village, stick)
    report = import_bundles(town, [result.path])
    reasons = [r.reason for b in report.bundles for r in b.rejections]
    assert any("已生成的月报表不能修改" in r for r in reasons), report.as_json()
    with town.work(_admin(town)) as w:
        (kept,) = frozen.editions(w, 2026, 10, VILLAGE_CODE)
    assert kept.month_figures["accepted"] == 1


# -- output ------------------------------------------------------------------------------------------
def test_the_report_prints_on_a4_landscape_and_exports_through_the_ledger_writer(linked, tmp_path):
    import openpyxl
    from pypdf import PdfReader

    from app.mediation import report_output
    from app.mediation.ledger import export_ledger

    village, town = linked
    v_admin, t_admin = _admin(village), _admin(town)
    with village.work(v_admin) as w:
        c = new_case(w, accepted_on=D(2026, 10, 10))
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 12)), (rules.SUCCEEDED, D(2026, 10, 20)))
        frozen.freeze(w, 2026, 10, today=TODAY)
    _send(village, town, tmp_path / "stick")
    with town.work(t_admin) as w:
        view = frozen.report(w, 2026, 10)
        n = export_ledger(w, tmp_path / "cases.xlsx")
    pages = report_output.print_report(
        view, tmp_path / "月报.pdf", filled_by="镇管理员", printed_on=D(2026, 11, 2)
    )
    reader = PdfReader(tmp_path / "月报.pdf")
    assert pages == len(reader.pages) >= 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
    for words in (
        "人民调解工作统计表",
        "东城镇人民调解委员会",
        "2026年10月",
        "填报人",
        "镇管理员",
        "审核人",
        "单位（盖章）",
    ):
        assert words in text, words
    assert "2026年11月2日" in text

    report_output.export_report(view, tmp_path / "月报.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "月报.xlsx")["统计表"]
    header = [c.value for c in sheet[2]]
    assert header[:4] == ["序号", "村", "期间", "受理"]
    assert all(t in header for t in rules.NATIONAL_TYPES) and "接受委托移送" in header
    assert "防止转化为刑事案件 人" in header
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [(r["村"], r["期间"]) for r in rows][:2] == [("张家村", "本月"), ("张家村", "本年累计")]
    assert rows[0]["受理"] == 1 and rows[0]["调解成功"] == 1 and rows[0]["成功率（成功÷结案）"] == "100.00%"
    assert rows[0]["报送情况"].startswith("已报送") and rows[-1]["村"] == "合计"

    ledger = openpyxl.load_workbook(tmp_path / "cases.xlsx")["台账"]
    head = [c.value for c in ledger[2]]
    assert n == 1 and head[1] == "村" and "结案日期" in head
    first = dict(zip(head, next(ledger.iter_rows(min_row=3, values_only=True)), strict=True))
    assert first["村"] == "张家村" and first["结案日期"] == dt.datetime(2026, 10, 20)


def test_the_monthly_report_carries_its_chart_on_paper_and_in_the_workbook(linked, tmp_path):
    """The chart of 受理 and 结案 by month (town total first, then the villages) on a page of its own after
    the signatures, and as figures with Excel bar charts on a sheet 图表."""
    import zipfile

    import openpyxl
    from pypdf import PdfReader

    from app.mediation import report_output

    village, town = linked
    with village.work(_admin(village)) as w:
        c = new_case(w, accepted_on=D(2026, 10, 10))
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 12)), (rules.SUCCEEDED, D(2026, 11, 20)))
        new_case(w, accepted_on=D(2026, 3, 1))
    _send(village, town, tmp_path / "stick")
    with town.work(_admin(town)) as w:
        view = frozen.report(w, 2026, 11)
        chart = monthly.cases_chart(w, 2026)
    assert [p.name for p in chart.panels] == ["全镇合计", "张家村"]
    assert chart.panels[1].months[9] == (1, 0) and chart.panels[1].months[10] == (0, 1)
    assert chart.panels[0].months[2] == (1, 0)

    plain = report_output.print_report(view, tmp_path / "plain.pdf", printed_on=D(2026, 12, 2))
    pages = report_output.print_report(view, tmp_path / "月报.pdf", printed_on=D(2026, 12, 2), chart=chart)
    assert pages == plain + 1
    last = PdfReader(tmp_path / "月报.pdf").pages[-1].extract_text().replace("\x00", "")
    for words in ("附图", "2026年各月受理与结案（件）", "全镇合计", "张家村", "受理 2", "结案 1", "10月"):
        assert words in last, words

    report_output.export_report(view, tmp_path / "月报.xlsx", chart=chart)
    sheet = openpyxl.load_workbook(tmp_path / "月报.xlsx")["图表"]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0][0] == "2026年各月受理与结案（件）" and rows[1][:3] == ("单位", "项目", "1月")
    assert rows[2][:2] == ("全镇合计", "受理") and rows[2][-1] == 2
    assert rows[5][:2] == ("张家村", "结案") and rows[5][12] == 1  # November (1月 is the third column)
    with zipfile.ZipFile(tmp_path / "月报.xlsx") as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 2  # one per unit


def test_cli_report_and_freeze(village_ws, village_admin, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    with village_ws.work(village_admin) as w:
        new_case(w, accepted_on=D(2026, 3, 4))
    root = str(village_ws.root)
    village_ws.close()
    repo = Path(__file__).resolve().parent.parent

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "app", "cases", *args], cwd=repo, capture_output=True, text=True
        )

    r = cli("freeze", "--data-dir", root, "--month", "2026-03", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["edition"] == 1
    r = cli("freeze", "--data-dir", root, "--month", "2026-03")
    assert r.returncode != 0 and "重新生成请写明原因" in r.stderr
    r = cli("report", "--data-dir", root, "--month", "2026-03", "--json", "--pdf", str(tmp_path / "r.pdf"))
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)["rows"]
    assert row["status"] == "已报送" and row["month"]["accepted"] == 1 and (tmp_path / "r.pdf").exists()


# -- 排查: 定期 and 不定期, items --------------------------------------------------------------------------
def test_screening_rounds_regular_and_special_with_items(village_ws):
    from app.mediation import screening
    from app.mediation.screening import ItemInput

    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        screening.record_screening(w, round_date=D(2026, 9, 5), screeners="李调解", place="全村")  # 零报告
        with pytest.raises(UserError, match="已经有一次定期排查"):
            screening.record_screening(w, round_date=D(2026, 9, 20), screeners="李调解", place="全村")
        special = screening.record_screening(
            w,
            round_date=D(2026, 9, 28),
            screeners="李调解、王组长",
            place="河堤沿线各户",
            round_kind="不定期",
            items=[
                ItemInput("汛后两户田埂冲毁，界址起争执", rules.SETTLED_ON_SPOT),
                ItemInput("刘家与孙家宅基地滴水纠纷", rules.REGISTERED),
                ItemInput("外来施工队拖欠本村工人工资", rules.REFERRED, referred_to="镇劳动保障所"),
                ItemInput("中秋前兄弟分家苗头，已提前调处", rules.PREVENTED),
            ],
        )
        assert special.found_count == 4 and len(special.items) == 4 and not special.is_zero_report
        with pytest.raises(UserError, match="移交给谁"):
            screening.add_item(w, special.id, ItemInput("邻里噪音", rules.REFERRED))
        registered = special.items[1]
        case = registration.case_from_screening(
            w, special.id, title="刘某与孙某宅基地纠纷", dispute_type="房屋宅基地", item_id=registered.id
        )
        detail = screening.screening_detail(w, special.id)
        f = month(w, 2026, 9)
    assert detail.items[1].case_id == case.id and detail.items[1].disposition == rules.REGISTERED
    assert detail.items[2].referred_to == "镇劳动保障所"
    assert (f["screenings"], f["zero_reports"], f["found"], f["prevented"]) == (2, 1, 4, 1)
    assert f["source:主动调解"] == 1  # 排查发现 is the committee's own initiative


def test_a_report_with_unreadable_figures_is_refused_and_never_breaks_the_town(linked, tmp_path):
    village, town = linked
    v_admin = _admin(village)
    with village.work(v_admin) as w:  # written past the service, as a clerk with a database editor would
        for n, figures in enumerate(('{"month": {"accepted": "九"}, "year": {}}', "[1, 2]", "不是 JSON")):
            w.session.add(
                MonthlyReport(
                    village_code=VILLAGE_CODE,
                    year=2026,
                    month=10,
                    edition=n + 1,
                    frozen_at=dt.datetime(2026, 11, 1, 9, 0),
                    frozen_by="某人",
                    figures=figures,
                )
            )
    stick = tmp_path / "stick"
    stick.mkdir()
    (result,) = export_bundles(village, stick)
    report = import_bundles(town, [result.path])
    reasons = [r.reason for b in report.bundles for r in b.rejections]
    assert reasons.count("月报表的年月、版次或数字格式不对") == 3, report.as_json()
    with town.work(_admin(town)) as w:
        view = frozen.report(w, 2026, 10)
    assert view.rows[0].status == frozen.NOT_SENT
    with village.work(v_admin) as w:  # and the village's own screen does not break on them either
        assert frozen.report(w, 2026, 10).rows[0].status == frozen.LIVE


def test_parse_frozen_takes_only_whole_numbers():
    good = '{"format": 1, "month": {"accepted": 3}, "year": {"accepted": 9, "unknown": "x"}}'
    month_figures, year_figures = monthly.parse_frozen(good)
    assert month_figures["accepted"] == 3 and year_figures["accepted"] == 9 and "unknown" not in year_figures
    for bad in (
        '{"month": {"accepted": true}, "year": {}}',
        '{"month": {"accepted": -1}, "year": {}}',
        '{"month": {"accepted": 1.5}, "year": {}}',
        '{"month": {}}',
        "[" * 5000,
        None,
    ):
        assert monthly.parse_frozen(bad) is None, bad


def test_the_statistics_page_shows_a_past_months_frozen_report_and_marks_what_changed(linked, tmp_path):
    """统计报表 for a past calendar month: the committee that generated its report shows the frozen
    figures (as the 人民调解月报 does), and where the station's figures differ now, both; the current
    month and a custom period stay live."""
    from app import reports

    village, town = linked
    v_admin, t_admin = _admin(village), _admin(town)
    with village.work(v_admin) as w:
        c = new_case(w, accepted_on=D(2026, 10, 10))
        advance(w, c.id, (rules.IN_MEDIATION, D(2026, 10, 11)), (rules.SUCCEEDED, D(2026, 10, 20)))
        frozen.freeze(w, 2026, 10, today=TODAY, now=dt.datetime(2026, 11, 1, 8, 0))
        new_case(w, accepted_on=D(2026, 10, 25), dispute_type="邻里")  # entered after the report
    _send(village, town, tmp_path / "stick")
    october = reports.period_for("custom", TODAY, D(2026, 10, 1), D(2026, 10, 31))
    with village.work(v_admin) as w:
        r = reports.compute(w, october, today=TODAY)
        live = reports.compute(w, october, today=D(2026, 10, 31))  # the month not yet over: live
        tab = frozen.report(w, 2026, 10).rows[0]
    m = r.totals.mediation
    assert (m.accepted, m.succeeded) == (tab.month["accepted"], tab.month["succeeded"]) == (1, 1)
    assert m.live_now["accepted"] == 2 and m.live_now["type:邻里"] == 1 and "succeeded" not in m.live_now
    assert m.cell("accepted") == "1（现 2）" and m.cell("succeeded") == "1"
    lines = dict(m.lines())
    assert lines["数字来源"].startswith("2026年10月报表 第 1 版")
    assert "受理 1→2" in lines["生成后有变动（报表数→现有数）"]
    assert live.totals.mediation.accepted == 2 and not live.totals.mediation.frozen_label
    # at the town: the village's row and the 合计 from the village's frozen report, as the 月报 shows them
    with town.work(t_admin) as w:
        r = reports.compute(w, october, today=TODAY)
        view = frozen.report(w, 2026, 10)
    (v,) = [f for f in r.villages if f.village_code == VILLAGE_CODE]
    assert v.mediation.accepted == view.rows[0].month["accepted"] == 1 and v.mediation.frozen_label
    assert r.totals.mediation.accepted == view.total.month["accepted"] == 1
    assert r.totals.mediation.cell("accepted") == "1（现 2）"
