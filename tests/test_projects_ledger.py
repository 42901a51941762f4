"""为民实事 in the ledgers: a demand a project answers shows it in the 民情台账 (rows, the demand's detail,
the workbook); the year's list at the town by village and state (workbook and command line)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import select

from db.models.projects import Project
from db.queries.diary import ledger_rows

from app.cli import main
from app.diary import entries, ledger
from app.projects import service
from app.projects.ledger import export_year
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.projects_helpers import road_input, run_to_acceptance
from tests.sync_support import add_demand, add_household

TODAY = dt.date(2024, 6, 30)


def test_a_demand_answered_by_a_project_shows_it_in_the_ledger(village_ws, village_admin, tmp_path):
    h = add_household(village_ws, "张大山")
    linked, other = add_demand(village_ws, h, "门前道路硬化"), add_demand(village_ws, h, "申请低保")
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input([linked]), today=TODAY).id
        run_to_acceptance(w, pid, today=TODAY)
        service.settle_demands(w, pid, on=dt.date(2024, 6, 6), replied_by="张建国", today=TODAY)
        rows = ledger_rows(w.session, [linked, other])
        assert rows[linked].project == "《三组道路硬化》（已验收）" and rows[other].project == ""
        assert rows[linked].status == "已办结"
        detail = entries.entry_detail(w, rows[linked].entry_id)
        assert [d.project for d in detail.demands] == ["《三组道路硬化》（已验收）"]
        ledger.export_ledger(w, tmp_path / "台账.xlsx", village_name="张家村", today=TODAY)
    sheet = openpyxl.load_workbook(tmp_path / "台账.xlsx").active
    head = [c.value for c in sheet[2]]
    col = head.index("为民实事")
    values = {row[head.index("诉求内容")]: row[col] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values == {"门前道路硬化": "《三组道路硬化》（已验收）", "申请低保": None}


def test_the_years_list_at_the_town_by_village_and_state(two_villages, tmp_path):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.new_session() as s:
            year = s.scalars(select(Project.year)).first()
            n = len(s.scalars(select(Project).where(Project.year == year)).all())
        assert n == 10  # the demo's five in each village
        with town.work(None) as w:
            assert export_year(w, tmp_path / "实事.xlsx", year=year, unit_name="东城镇", today=TODAY) == n
    finally:
        town.close()
    book = openpyxl.load_workbook(tmp_path / "实事.xlsx")
    sheet = book["为民实事"]
    assert sheet["A1"].value.startswith(f"东城镇{year}年为民实事台账")
    head = [c.value for c in sheet[2]]
    assert head[:4] == ["序号", "村", "项目名称", "范围"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    villages = [r[1] for r in rows]
    assert villages == ["张家村"] * 5 + ["李家村"] * 5  # village code order, never by a figure
    assert [r[head.index("状态")] for r in rows[:5]] == ["计划", "计划", "实施中", "已完成", "已验收"]
    summary = list(book["按村按状态"].iter_rows(values_only=True))
    assert summary == [
        ("村", "计划", "实施中", "已完成", "已验收", "合计"),
        ("张家村", 2, 1, 1, 1, 5),
        ("李家村", 2, 1, 1, 1, 5),
    ]


def test_the_command_line_exports_the_year_and_prints_a_notice(two_villages, tmp_path):
    data_dir = str(two_villages["first"])
    ws = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    with ws.new_session() as s:
        year = s.scalars(select(Project.year)).first()
    ws.close()
    out = tmp_path / "村实事.xlsx"
    assert (
        main(["projects", "export", "--data-dir", data_dir, str(out), "--year", str(year), "--state", "计划"])
        == 0
    )
    rows = list(openpyxl.load_workbook(out)["为民实事"].iter_rows(min_row=3, values_only=True))
    assert len(rows) == 2 and {r[3] for r in rows} == {"计划"}
    with pytest.raises(SystemExit) as exit_:
        main(["projects", "export", "--data-dir", data_dir, str(out), "--state", "办完了"])
    assert exit_.value.code == 2
    pdf = tmp_path / "公示.pdf"
    assert main(["projects", "notice", "--data-dir", data_dir, "村内主干道路灯安装", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main(["projects", "notice", "--data-dir", data_dir, "没有这个项目", str(pdf)]) == 1
