"""民情台账 and diary workbooks, read back with openpyxl; the CLI commands."""

import datetime as dt

import openpyxl
import pytest

from db.queries.diary import LedgerFilter

from app.cli import main
from app.diary import acknowledgement, demands, entries, ledger

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


@pytest.fixture
def history(village_ws):
    cadre = add_cadre(village_ws)
    h1, p1, _ = add_household(village_ws, "张三丰", group="一组")
    h2, p2, _ = add_household(village_ws, "李秀英", group="三组")
    with village_ws.work(cadre) as w:
        e1 = entries.save_entry(
            w,
            entry_input(
                h1,
                p1,
                when=dt.datetime(2024, 1, 10, 9),
                demands=[("医疗", "申请大病医疗救助"), ("住房", "危房改造")],
            ),
            now=NOW,
        )
        e2 = entries.save_entry(
            w,
            entry_input(
                h2,
                p2,
                when=dt.datetime(2024, 2, 20, 15),
                kind="来访接待",
                demands=[("就业", "儿子想参加技能培训")],
            ),
            now=NOW,
        )
        demands.reply_demand(
            w,
            e1.demands[0].id,
            reply="已报镇民政办",
            replied_on=dt.date(2024, 1, 15),
            replied_by="王建国",
            today=NOW.date(),
        )
        acknowledgement.acknowledge(w, e1.id, method="当场签字", signer_name="张三丰", signature_png=b"png")
        acknowledgement.acknowledge(w, e2.id, method="拒签", refusal_reason="不识字")
    return village_ws, cadre, e1, e2


def _rows(path):
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_ledger_workbook_has_title_frozen_header_serials_dates_and_acknowledgement(history, tmp_path):
    ws_, cadre, e1, e2 = history
    target = tmp_path / "台账.xlsx"
    with ws_.work() as w:
        n = ledger.export_ledger(w, target, village_name="张家村", today=dt.date(2024, 3, 1))
    assert n == 3
    sheet, rows = _rows(target)
    assert rows[0][0].startswith("张家村民情台账") and sheet.freeze_panes == "A3"
    assert "A1:T1" in {str(r) for r in sheet.merged_cells.ranges}  # title over all 20 columns
    header = rows[1]
    assert header[:3] == ["序号", "日期", "户主"] and "群众签字认可" in header and "是否逾期" in header
    data = [dict(zip(header, r, strict=True)) for r in rows[2:]]
    assert [d["序号"] for d in data] == [1, 2, 3]
    assert isinstance(data[0]["日期"], dt.datetime) and data[0]["日期"].date() == dt.date(2024, 1, 10)
    by_content = {d["诉求内容"]: d for d in data}
    assert by_content["申请大病医疗救助"]["办理状态"] == "已答复"
    assert by_content["申请大病医疗救助"]["答复日期"].date() == dt.date(2024, 1, 15)
    assert by_content["危房改造"]["群众签字认可"] == "当场签字"
    assert by_content["儿子想参加技能培训"]["群众签字认可"] == "拒签"
    # due 10 days after the visit: 2024-01-20 and 2024-03-01 → the January ones are overdue on 03-01
    assert by_content["危房改造"]["是否逾期"] == "逾期"
    assert by_content["儿子想参加技能培训"]["是否逾期"] is None


def test_ledger_filters_by_status_and_marks_overdue(history):
    ws_, *_ = history
    with ws_.work() as w:
        open_rows = ledger.ledger(w, LedgerFilter(status="待办"))
        overdue = ledger.ledger(w, LedgerFilter(overdue_on=dt.date(2024, 3, 1)))
    assert sorted(r.content for r in open_rows) == ["儿子想参加技能培训", "危房改造"]
    assert sorted(r.content for r in overdue) == ["危房改造", "申请大病医疗救助"]


def test_cli_exports_read_back(history, tmp_path, capsys):
    ws_, *_ = history
    data_dir = str(ws_.root)
    ws_.close()
    out = tmp_path / "diary.xlsx"
    assert (
        main(
            [
                "diary",
                "export",
                "--data-dir",
                data_dir,
                str(out),
                "--from",
                "2024-02-01",
                "--to",
                "2024-02-29",
            ]
        )
        == 0
    )
    assert "1 篇" in capsys.readouterr().out
    _, rows = _rows(out)
    header = rows[1]
    assert len(rows) == 3 and rows[2][header.index("方式")] == "来访接待"
    assert rows[2][header.index("群众诉求")] == "就业：儿子想参加技能培训（待办）"
    assert rows[2][header.index("群众签字认可")] == "拒签"
    out2 = tmp_path / "ledger.xlsx"
    assert main(["ledger", "export", "--data-dir", data_dir, str(out2), "--status", "已答复", "--json"]) == 0
    assert '"demands": 1' in capsys.readouterr().out
    _, rows = _rows(out2)
    assert [r[rows[1].index("诉求内容")] for r in rows[2:]] == ["申请大病医疗救助"]
    with pytest.raises(SystemExit) as exit_:
        main(["ledger", "export", "--data-dir", data_dir, str(out2), "--status", "办完了"])
    assert exit_.value.code == 2
    assert main(["diary", "export", "--data-dir", data_dir, str(tmp_path / "x.csv")]) == 1


def test_stats_counts_diary_entries_and_demands(history, capsys):
    ws_, *_ = history
    data_dir = str(ws_.root)
    ws_.close()
    assert main(["stats", "--data-dir", data_dir, "--json"]) == 0
    out = capsys.readouterr().out
    import json

    counts = json.loads(out)["counts"]["370681101201"]
    assert counts["diary_entries"] == 2 and counts["demands"] == 3 and counts["acknowledgements"] == 2


def test_cancelled_export_leaves_no_file(history, tmp_path):
    ws_, *_ = history

    class Stop(Exception):
        pass

    def cancel(done, total, text=""):
        raise Stop()

    target = tmp_path / "cancelled.xlsx"
    with ws_.work() as w, pytest.raises(Stop):
        ledger.export_ledger(w, target, village_name="张家村", progress=cancel)
    assert not target.exists() and list(tmp_path.glob("*.tmp")) == []


def test_ledger_cells_keep_their_formats_fill_and_wrapping(history, tmp_path):
    ws_, *_ = history
    target = tmp_path / "台账.xlsx"
    with ws_.work() as w:
        ledger.export_ledger(w, target, village_name="张家村", today=dt.date(2024, 3, 1))
    sheet = openpyxl.load_workbook(target).active
    header = [c.value for c in sheet[2]]
    assert sheet["A1"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("DDEBF7")
    rows = {r[header.index("诉求内容")].value: r for r in sheet.iter_rows(min_row=3)}
    overdue, fine = rows["危房改造"], rows["儿子想参加技能培训"]
    assert overdue[header.index("日期")].number_format == "yyyy-mm-dd"
    assert overdue[header.index("办理期限")].is_date
    assert overdue[0].fill.fgColor.rgb.endswith("FCE4D6") and fine[0].fill.fill_type is None
    assert overdue[header.index("答复日期")].fill.fgColor.rgb.endswith("FCE4D6")  # empty, still shaded
    long_text = rows["申请大病医疗救助"][header.index("答复内容")]
    assert long_text.value == "已报镇民政办" and not long_text.alignment.wrap_text
    assert [c.value for c in sheet["A"][2:]] == [1, 2, 3]
