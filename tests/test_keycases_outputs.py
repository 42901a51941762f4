"""What leaves the program about 联户包案: the 台账 (CLI), the 工作单 PDF, and the ``stats`` counts; none of
it for a role that may not see sensitive tags."""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.cli import main
from app.errors import UserError
from app.keycases import cases
from app.keycases.documents import print_case

from tests.households_helpers import add_user
from tests.keycases_helpers import village_with_case, visit


@pytest.fixture
def village_case(village_ws, village_admin):
    cadre, household_id, _p, case_id = village_with_case(village_ws, village_admin)
    entry_id = visit(
        village_ws, cadre, household_id, dt.datetime(2024, 3, 5, 10), situation="包案领导入户谈心"
    )
    with village_ws.work(village_admin) as w:
        cases.link_record(w, case_id, "diary_entry", entry_id)
        cases.revise_plan(
            w, case_id, "一、重新勘测界址；二、召开协调会；三、引导确权裁决。", now=dt.datetime(2024, 4, 1, 9)
        )
        cases.change_leader(
            w, case_id, cases.PersonRef("刘志强", "东城镇党委副书记"), on=dt.date(2024, 4, 10)
        )
        cases.request_close(w, case_id, reason="协议已履行，息诉罢访", on=dt.date(2024, 5, 20))
        cases.approve_close(
            w, case_id, approver="王立新（镇信访办主任）", resident_view="满意", on=dt.date(2024, 5, 21)
        )
    add_user(village_ws, "tiaojie", ["mediator"])
    return case_id


def _cli(args, monkeypatch, user=None):
    if user:
        monkeypatch.setenv("MINQING_USER", user)
        monkeypatch.setenv("MINQING_PASSWORD", "secret-1")
    return main(args)


def test_the_ledger_lists_the_five_ones_the_four_in_place_and_the_history(
    village_ws, village_case, tmp_path, capsys, monkeypatch
):
    data_dir = str(village_ws.root)
    village_ws.close()
    out = tmp_path / "包案.xlsx"
    assert _cli(["keycases", "export", "--data-dir", data_dir, str(out), "--json"], monkeypatch) == 0
    assert json.loads(capsys.readouterr().out)["keycases"] == 1
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "张家村联户包案台账"
    header, row = rows[1], rows[2]
    got = dict(zip(header, row, strict=True))
    assert got["包案领导"] == "刘志强（东城镇党委副书记）" and got["方案版本"] == 2
    assert got["四到位"] == "解决问题到位：核实诉求，合理部分限期解决；疏导教育到位：讲清政策"
    assert got["状态"] == "已销号" and got["批准人"] == "王立新（镇信访办主任）"
    assert "王建国" in got["领导调整"] and "民情日记 2024年3月5日" in got["关联记录"]
    # only 已销号 asked: the same one; 在办: none
    assert _cli(["keycases", "export", "--data-dir", data_dir, str(out), "--state", "在办"], monkeypatch) == 0
    assert len(list(load_workbook(out).active.iter_rows(values_only=True))) == 2


def test_a_mediator_exports_and_counts_no_case(village_ws, village_case, tmp_path, capsys, monkeypatch):
    data_dir = str(village_ws.root)
    village_ws.close()
    assert _cli(["stats", "--data-dir", data_dir, "--json"], monkeypatch) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]["370681101201"]
    assert counts["keycases"] == 1 and counts["keycase_members"] == 3
    out = tmp_path / "x.xlsx"
    assert _cli(["keycases", "export", "--data-dir", data_dir, str(out)], monkeypatch, "tiaojie") == 1
    assert "敏感" in capsys.readouterr().err and not out.exists()
    assert _cli(["stats", "--data-dir", data_dir, "--json"], monkeypatch, "tiaojie") == 0
    counts = json.loads(capsys.readouterr().out)["counts"]["370681101201"]
    assert not {k for k in counts if k.startswith("keycase")} and counts["households"] == 1
    pdf = tmp_path / "x.pdf"
    assert (
        _cli(["keycases", "print", "--data-dir", data_dir, village_case, str(pdf)], monkeypatch, "tiaojie")
        == 1
    )
    assert not pdf.exists()


def test_the_sheet_prints_the_case_on_a4(village_ws, village_admin, village_case, tmp_path):
    out = tmp_path / "包案工作单.pdf"
    with village_ws.work(village_admin) as w:
        pages = print_case(w, village_case, out, unit_name="张家村")
    reader = PdfReader(out)
    assert len(reader.pages) == pages >= 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait in points
    text = "".join(p.extract_text() for p in reader.pages).replace(
        "\x00", ""
    )  # pypdf pads CID text with NULs
    for words in (
        "联户包案工作单",
        "包案领导",
        "刘志强（东城镇党委副书记）",
        "工作班子",
        "化解方案",
        "第 2 版",
        "责任部门",
        "镇国土所",
        "稳控措施",
        "解决问题到位",
        "帮扶救助到位",
        "不适用",
        "包案领导入户谈心",
        "申请销号",
        "已销号",
        "王立新（镇信访办主任）",
    ):
        assert words in text, words
    png = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(png)], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5000
    with pytest.raises(UserError) as bad, village_ws.work(village_admin) as w:
        print_case(w, village_case, tmp_path / "x.txt", unit_name="张家村")
    assert bad.value.field == "file"
