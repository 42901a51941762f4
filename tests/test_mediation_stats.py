"""Statistics on a hand-built set with known answers; the CLI's JSON keys; the 台账 workbook."""

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from app.mediation import rules, screening, stats

from tests.mediation_helpers import case_in_state, make_mediator

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
JSON_KEYS = {
    "screenings",
    "found",
    "zero_reports",
    "accepted",
    "succeeded",
    "failed",
    "terminated",
    "concluded",
    "in_progress",
    "escalated",
    "rejected",
    "success_rate",
    "success_rate_of_accepted",
    "amount",
    "by_type",
    "by_source",
}


@pytest.fixture
def known_set(village_ws):
    """First half of 2026: 受理 24 (成功 23, 在调 1), 1 不予受理; 6 screenings (2 zero) finding 5.
    2025: 成功 1, 不成 1, 终止 1, 上报 1. Nothing in July 2026."""
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        for i in range(23):
            kw = {}
            if i == 0:
                kw["risk_criminal_people"] = 3
            if i == 1:
                kw.update(risk_criminal_people=4, risk_petition_people=15)
            case_in_state(
                w,
                "调解成功" if i % 3 else "已回访",
                accepted_on=D(2026, 1 + i % 6, 3 + i),
                dispute_type="邻里" if i < 3 else "房屋宅基地",
                source="排查发现" if i < 5 else "当事人申请",
                **kw,
            )
        case_in_state(
            w,
            "调解中",
            accepted_on=D(2026, 6, 30),
            dispute_type="婚姻家庭",
            risk_suicide_people=1,
            source="民情日记",
        )
        case_in_state(w, "不予受理", accepted_on=D(2026, 2, 1))
        for state in ("调解成功", "调解不成", "终止", "上报"):
            case_in_state(w, state, accepted_on=D(2025, 5, 5))
        for month, found in ((1, 2), (2, 0), (3, 1), (4, 0), (5, 1), (6, 1)):
            screening.record_screening(
                w,
                round_date=D(2026, month, 10),
                screeners="李调解",
                place="全村",
                found_count=found,
                findings="发现纠纷" if found else "",
            )
        screening.record_screening(
            w, round_date=D(2025, 12, 10), screeners="李调解", place="全村", found_count=0
        )
    return village_ws


def test_first_half_year_gives_the_towns_figures(known_set):
    with known_set.work(None) as w:
        st = stats.compute(w, D(2026, 1, 1), D(2026, 6, 30))
    assert (st.screenings, st.found, st.zero_reports) == (6, 5, 2)
    assert (st.accepted, st.succeeded, st.failed, st.in_progress, st.rejected) == (24, 23, 0, 1, 1)
    # 成功 ÷ 结案 (23 of 23 concluded in the period); the seed's way, 成功 ÷ 受理: 23 ÷ 24
    assert st.success_rate == Decimal("100.00")
    assert st.success_rate_of_accepted == Decimal("95.83")
    assert st.amount == Decimal("27600.00")  # 23 agreements of 1 200 元
    assert {k: v for k, v in st.by_type.items() if v} == {"房屋宅基地": 20, "邻里": 3, "婚姻家庭": 1}
    assert list(st.by_type)[:15] == list(rules.NATIONAL_TYPES)  # all 15, zeros included
    assert st.by_source == {"当事人申请": 18, "排查发现": 5, "民情日记": 1}
    assert (st.prevented_criminal.cases, st.prevented_criminal.people) == (2, 7)
    assert (st.prevented_petition.cases, st.prevented_petition.people) == (1, 15)
    assert (st.prevented_suicide.cases, st.prevented_suicide.people) == (0, 0)  # still being mediated


def test_failed_terminated_and_escalated_cases_count_apart(known_set):
    with known_set.work(None) as w:
        st = stats.compute(w, D(2025, 1, 1), D(2025, 12, 31))
    assert (st.accepted, st.succeeded, st.failed, st.terminated, st.escalated, st.in_progress) == (
        4,
        1,
        1,
        1,
        1,
        0,
    )
    assert st.success_rate == Decimal(
        "33.33"
    )  # 1 of 3 concluded (成功, 不成, 终止); 上报 is not a conclusion
    assert st.success_rate_of_accepted == Decimal("25.00")
    assert (st.screenings, st.zero_reports) == (1, 1)


def test_a_period_with_nothing_accepted_has_no_success_rate(known_set):
    with known_set.work(None) as w:
        st = stats.compute(w, D(2026, 7, 1), D(2026, 7, 31))
    assert st.accepted == 0 and st.success_rate is None
    assert st.as_json()["success_rate"] is None


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_stats_json_has_exactly_the_issues_keys(known_set):
    r = _cli(
        "cases",
        "stats",
        "--data-dir",
        str(known_set.root),
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == JSON_KEYS
    assert (data["accepted"], data["succeeded"], data["in_progress"], data["success_rate"]) == (
        24,
        23,
        1,
        100.0,
    )
    assert data["success_rate_of_accepted"] == 95.83
    # all 15 national types, zeros included, in their order
    assert list(data["by_type"])[:15] == list(rules.NATIONAL_TYPES)
    assert data["by_type"]["医疗"] == 0 and data["by_type"]["房屋宅基地"] == 20
    assert data["amount"] == 27600.0


def test_cli_stats_refuses_a_bad_date_as_wrong_usage(known_set, capsys):
    from app.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["cases", "stats", "--data-dir", str(known_set.root), "--from", "2026-13-01"])
    assert exit_.value.code == 2 and "日期“2026-13-01”不存在，请检查月份和日子" in capsys.readouterr().err
    assert (
        main(
            [
                "cases",
                "stats",
                "--data-dir",
                str(known_set.root),
                "--from",
                "2026-07-01",
                "--to",
                "2026-01-01",
            ]
        )
        == 1
    )


def test_record_counts_include_screenings_and_cases(known_set):
    from app.stats import live_counts

    with known_set.session() as s:
        counts = live_counts(s)["370681101201"]
    assert counts["screenings"] == 7 and counts["mediation_cases"] == 29


def test_ledger_workbook_has_one_row_per_case_and_a_statistics_sheet(known_set, tmp_path):
    target = tmp_path / "台账.xlsx"
    r = _cli("cases", "export", "--data-dir", str(known_set.root), str(target))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(target)
    ledger, sheet = wb["台账"], wb["统计"]
    assert ledger["A1"].value.startswith("矛盾纠纷排查调处台账  全部  导出日期")
    rows = list(ledger.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 29
    header = [c.value for c in ledger[2]]
    first = dict(zip(header, rows[0], strict=True))
    assert first["案件编号"] == "（2025）张家人调字第 1 号" and first["申请人"] == "张三"
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values["受理"] == "28" and values["调解成功"] == "24"
    assert values["调解成功率（成功÷结案）"] == "92.31%"  # 24 of 26 concluded (1 不成, 1 终止)
    assert values["成功÷受理"] == "85.71%"
    assert first["结案日期"] == dt.datetime(2025, 5, 5)  # concluded (调解成功) the day it was accepted
    assert "村" not in header  # a village's own ledger has no 村 column
