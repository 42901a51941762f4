"""Benchmarks of mediation: the case list over 20 000 cases, a year's statistics, printing an agreement,
the monthly 人民调解工作统计: freezing a village's month, and the town's consolidated month over 30 villages.

Builds its own workspaces under a temp dir with Core bulk inserts (stamped like any write): a village with
20 000 cases over four years (two parties each, each case's history, agreements for the settled ones,
96 screening rounds), and a town holding 30 villages × 4 years of cases (150 a village a year: 18 000 cases
with their history, agreements, screenings, some escalated to the town and handled there) with the
villages' frozen reports of the last twelve months.
Run alone: ``python -m bench.bench_mediation``.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

CASES = 20_000


def _times_ms(fn, repeat: int = 5) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def _median_ms(fn, repeat: int = 5) -> float:
    return statistics.median(_times_ms(fn, repeat))


# (state the case is in now, outcome, the steps of its history after 受理 with their day offsets)
def _history(state: str, outcome: str | None) -> list[tuple[str, int]]:
    from app.mediation import rules

    if outcome == "成功":
        tail = {
            rules.PERFORMING: [(rules.PERFORMING, 8)],
            rules.VISITED: [(rules.PERFORMED, 9), (rules.VISITED, 40)],
        }
        steps = [(rules.IN_MEDIATION, 1), (rules.SUCCEEDED, 7), *tail.get(state, [])]
        if state == rules.ARCHIVED:
            steps += [(rules.PERFORMED, 9), (rules.VISITED, 40), (rules.ARCHIVED, 45)]
        return steps
    if outcome in ("不成", "终止"):
        return [(rules.IN_MEDIATION, 1), (rules.FAILED if outcome == "不成" else rules.TERMINATED, 10)]
    if outcome == "上报":
        return [(rules.IN_MEDIATION, 1), (rules.ESCALATED, 10)]
    return [(rules.IN_MEDIATION, 1)] if state == rules.IN_MEDIATION else []


def _transition_rows(case: dict, village_code: str | None = None) -> list[dict]:
    """The case's history; sets its ``state_on`` to the day of the last step (as the services do)."""
    rows = []
    previous = None
    for to_state, offset in [("受理", 0), *_history(case["state"], case["outcome"])]:
        day = case["accepted_on"] + dt.timedelta(days=offset)
        row = dict(
            case_id=case["id"],
            from_state=previous,
            to_state=to_state,
            on_date=day,
            at=dt.datetime.combine(day, dt.time(9, offset % 60)),
            by_name="王秀英",
            note="",
        )
        if village_code is not None:
            row["village_code"] = village_code
        rows.append(row)
        previous = to_state
    case["state_on"] = rows[-1]["on_date"]
    return rows


def build(root: Path, cases: int = CASES):
    from sqlalchemy import insert

    from db.base import derived_id
    from db.models import Agreement, CaseParty, CaseTransition, MediationCase, Screening
    from db.stamping import stamp_new_rows

    from app import accounts
    from app.mediation import rules
    from app.stations import init_station
    from app.workspace import Workspace

    ws = Workspace.open(root)
    init_station(ws, kind="village", code="370681101201", name="张家村", town_name="东城镇")
    with ws.work(None) as w:
        user = accounts.add_user(
            w, username="tiaojie", display_name="王秀英", password="minqing", roles=["mediator"]
        )
        w.session.flush()
        w.session.expunge(user)
    rng = random.Random(5)
    ctx = ws.stamp_context(user.id)
    surnames = "张王李赵刘陈杨黄周吴孙马朱胡郭何林罗高"
    given = ("建国", "秀英", "德福", "桂兰", "志强", "玉梅", "树林", "凤英", "长海", "淑珍")
    outcomes = (
        [(rules.ARCHIVED, "成功")] * 10
        + [(rules.VISITED, "成功")] * 2
        + [(rules.PERFORMING, "成功")]
        + [
            (rules.FAILED, "不成"),
            (rules.IN_MEDIATION, None),
            (rules.ACCEPTED, None),
            (rules.ESCALATED, "上报"),
            (rules.TERMINATED, "终止"),
        ]
    )
    seq: dict[int, int] = {}
    case_rows, party_rows, agreement_rows = [], [], []
    start = dt.date(2023, 1, 1)
    for _ in range(cases):
        accepted = start + dt.timedelta(days=rng.randrange(4 * 365))
        seq[accepted.year] = seq.get(accepted.year, 0) + 1
        state, outcome = rng.choice(outcomes)
        a = rng.choice(surnames) + rng.choice(given)
        b = rng.choice(surnames) + rng.choice(given)
        kind = rng.choice(rules.NATIONAL_TYPES)
        amount = rng.randrange(0, 2_000_000, 100)
        case_id = derived_id("bench-case", str(len(case_rows)))
        case_rows.append(
            dict(
                id=case_id,
                case_year=accepted.year,
                case_seq=seq[accepted.year],
                case_number=rules.case_number(accepted.year, "张家", seq[accepted.year]),
                title=f"{a}与{b}{kind}纠纷",
                accepted_on=accepted,
                source=rng.choice(rules.SOURCES),
                source_record_id=None,
                dispute_type=kind,
                complexity="简单",
                people_count=2,
                amount_fen=amount,
                facts="双方因琐事发生争执。",
                requests="请求调解。",
                risk_criminal=False,
                risk_criminal_people=0,
                risk_petition=False,
                risk_petition_people=0,
                risk_suicide=False,
                risk_suicide_people=0,
                registrar="王秀英",
                state=state,
                state_on=accepted + dt.timedelta(days=10),
                outcome=outcome,
                agreement_kind="书面" if outcome == "成功" else None,
                failure_reasons="",
                failure_routes="",
                end_reason="",
                escalation_reason="",
                town_handling="",
                town_outcome_note="",
                judicial_note="",
            )
        )
        for order, (role, name) in enumerate((("申请人", a), ("被申请人", b))):
            party_rows.append(
                dict(case_id=case_id, role=role, kind="个人", name=name, address="张家村", sort_order=order)
            )
        if outcome == "成功":
            day = accepted + dt.timedelta(days=7)
            agreement_rows.append(
                dict(
                    id=derived_id("agreement", case_id),
                    case_id=case_id,
                    kind="书面",
                    number=case_rows[-1]["case_number"],
                    reached_on=day,
                    facts="见登记。",
                    issues="赔偿数额。",
                    responsibilities="",
                    terms="一次性赔偿。",
                    performance_manner="现金",
                    amount_fen=amount // 2,
                    recorder="刘文书",
                    effective_on=day,
                )
            )
    screening_rows = [
        dict(
            round_date=dt.date(2023 + m // 24, 1 + (m % 24) // 2, 5 if m % 2 == 0 else 20),
            period_kind="半月",
            period_label=f"p{m}",
            screeners="调委会",
            place="全村",
            found_count=rng.choice((0, 0, 1, 2, 3)),
            findings="",
            measures="",
        )
        for m in range(96)
    ]
    transition_rows = [t for c in case_rows for t in _transition_rows(c)]
    with ws.engine.begin() as conn:
        for model, rows in (
            (MediationCase, case_rows),
            (CaseParty, party_rows),
            (CaseTransition, transition_rows),
            (Agreement, agreement_rows),
            (Screening, screening_rows),
        ):
            stamp_new_rows(conn, ctx, rows)
            for i in range(0, len(rows), 2000):
                conn.execute(insert(model), rows[i : i + 2000])
    # One case printed in full, with signatures, for the agreement bench.
    with ws.work(user) as w:
        from app.mediation import agreement, registration, states

        c = registration.register_case(
            w,
            title="张三丰与曾国藩宅基地纠纷",
            accepted_on=dt.date(2026, 3, 2),
            source="排查发现",
            dispute_type="房屋宅基地",
        )
        for role, name in (("申请人", "张三丰"), ("被申请人", "曾国藩")):
            registration.add_party(w, c.id, role=role, name=name, address="张家村二组")
        registration.add_mediator(w, c.id, user_id=user.id)
        registration.record_rights_notice(w, c.id, given_on=c.accepted_on)
        states.change_state(w, c.id, "调解中", on_date=c.accepted_on)
        ag = agreement.save_agreement(
            w,
            c.id,
            kind="书面",
            reached_on=c.accepted_on,
            facts="院墙越界。",
            issues="院墙位置。",
            terms="拆除越界院墙，赔偿 800 元。" * 6,
            amount=800,
        )
        for p in registration.parties(w, c.id):
            agreement.sign(
                w,
                document_table="mediation_agreement",
                document_id=ag.id,
                signer_role="当事人",
                signer_name="",
                party_id=p.id,
                signed_on=c.accepted_on,
            )
        for role in ("调解员", "委员会"):
            agreement.sign(
                w,
                document_table="mediation_agreement",
                document_id=ag.id,
                signer_role=role,
                signer_name="王秀英" if role == "调解员" else "",
                signed_on=c.accepted_on,
            )
    return ws, user, c.id


TOWN_VILLAGES = 30
PER_VILLAGE_YEAR = 150


def build_town(root: Path, villages: int = TOWN_VILLAGES, per_year: int = PER_VILLAGE_YEAR):
    """A town holding ``villages`` villages' cases of 2023–2026 (as imported from their bundles), some
    escalated to the town and handled there, and the villages' frozen reports of the last twelve months."""
    import json

    from sqlalchemy import insert

    from db.base import derived_id
    from db.models import Agreement, CaseTransition, MediationCase, MonthlyReport, Screening
    from db.stamping import stamp_new_rows

    from app import accounts
    from app.mediation import monthly, rules
    from app.stations import init_station
    from app.workspace import Workspace

    ws = Workspace.open(root)
    town_code = "370681101"
    init_station(ws, kind="town", code=town_code, name="东城镇")
    with ws.work(None) as w:
        user = accounts.add_user(
            w, username="zhen", display_name="镇司法所", password="minqing", roles=["admin"]
        )
        w.session.flush()
        w.session.expunge(user)
    rng = random.Random(16)
    outcomes = (
        [(rules.ARCHIVED, "成功")] * 8
        + [(rules.VISITED, "成功")] * 3
        + [(rules.PERFORMING, "成功")]
        + [
            (rules.FAILED, "不成"),
            (rules.IN_MEDIATION, None),
            (rules.ESCALATED, "上报"),
            (rules.TERMINATED, "终止"),
        ]
    )
    cases, transitions, agreements, screenings = [], [], [], []
    for v in range(villages):
        code = f"{town_code}{201 + v:03d}"
        for year in range(2023, 2027):
            for seq in range(1, per_year + 1):
                accepted = dt.date(year, 1, 1) + dt.timedelta(days=(seq * 365) // (per_year + 1))
                state, outcome = rng.choice(outcomes)
                case_id = derived_id("bench-town-case", code, str(year), str(seq))
                escalated = outcome == "上报"
                handled = escalated and rng.random() < 0.7
                case = dict(
                    id=case_id,
                    village_code=code,
                    case_year=year,
                    case_seq=seq,
                    case_number=rules.case_number(year, f"村{v + 1}", seq),
                    title=f"第{seq}号纠纷",
                    accepted_on=accepted,
                    source=rng.choice(rules.SOURCES),
                    dispute_type=rng.choice(rules.NATIONAL_TYPES),
                    people_count=rng.randrange(2, 9),
                    amount_fen=rng.randrange(0, 500_000, 100),
                    risk_criminal=rng.random() < 0.05,
                    risk_criminal_people=2,
                    risk_fight=rng.random() < 0.02,
                    risk_fight_people=12,
                    state=state,
                    state_on=accepted + dt.timedelta(days=10),
                    outcome=outcome,
                    agreement_kind="书面" if outcome == "成功" else None,
                    escalated_to="乡镇" if escalated else None,
                    escalated_on=accepted + dt.timedelta(days=10) if escalated else None,
                    town_outcome=("调解成功" if rng.random() < 0.8 else "调解不成") if handled else None,
                    town_handled_on=accepted + dt.timedelta(days=25) if handled else None,
                    judicial_applied_on=accepted + dt.timedelta(days=12)
                    if outcome == "成功" and seq % 9 == 0
                    else None,
                )
                cases.append(case)
                transitions += _transition_rows(case, code)
                if outcome == "成功":
                    day = accepted + dt.timedelta(days=7)
                    agreements.append(
                        dict(
                            id=derived_id("agreement", case_id),
                            village_code=code,
                            case_id=case_id,
                            kind="书面" if seq % 4 else "口头",
                            number=case["case_number"],
                            reached_on=day,
                            amount_fen=case["amount_fen"] // 2,
                            effective_on=day,
                            performed_on=day + dt.timedelta(days=2) if state != rules.PERFORMING else None,
                        )
                    )
            for m in range(12):
                screenings.append(
                    dict(
                        village_code=code,
                        round_date=dt.date(year, m + 1, 5),
                        period_kind="月",
                        period_label=f"{year}年{m + 1}月",
                        found_count=rng.choice((0, 1, 2)),
                    )
                )
    ctx = ws.stamp_context(user.id)
    with ws.engine.begin() as conn:
        for model, rows in (
            (MediationCase, cases),
            (CaseTransition, transitions),
            (Agreement, agreements),
            (Screening, screenings),
        ):
            stamp_new_rows(conn, ctx, rows)
            for i in range(0, len(rows), 2000):
                conn.execute(insert(model), rows[i : i + 2000])
    # the villages' frozen reports of the last twelve months (as their bundles brought them)
    reports = []
    with ws.work(user) as w:
        for month in range(12):
            year, m = 2025 + (month + 11) // 12, (month + 11) % 12 + 1
            start, end = monthly.month_bounds(year, m)
            this = monthly.compute(w.session, start, end)
            ytd = monthly.compute(w.session, dt.date(year, 1, 1), end)
            for v in range(villages):
                code = f"{town_code}{201 + v:03d}"
                reports.append(
                    dict(
                        village_code=code,
                        year=year,
                        month=m,
                        edition=1,
                        frozen_at=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(9)),
                        frozen_by="村调委会",
                        figures=json.dumps({"format": 1, "month": this.row(code), "year": ytd.row(code)}),
                        note="",
                    )
                )
    with ws.engine.begin() as conn:
        stamp_new_rows(conn, ctx, reports)
        conn.execute(insert(MonthlyReport), reports)
    return ws, user, len(cases)


def run(report) -> None:
    from db.queries.mediation import CaseFilter, case_ids, case_rows

    from app.mediation import documents as docs
    from app.mediation import stats

    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-mediation-"))
    t = time.perf_counter()
    ws, user, case_id = build(tmp / "village")
    report("建立 20 000 件案件的工作站", time.perf_counter() - t, "s", None)
    try:
        with ws.work(user) as w:
            ids: list[str] = []

            def full_list() -> None:
                ids[:] = case_ids(w.session, CaseFilter(), sort="accepted_on", descending=True)

            report("案件列表：20 000 件按受理日期排序的 id", _median_ms(full_list), "ms", 300)
            assert len(ids) >= CASES
            report(
                "案件列表：按纠纷名称排序",
                _median_ms(lambda: case_ids(w.session, CaseFilter(), sort="title")),
                "ms",
                300,
            )
            report(
                "案件列表：按当事人姓名查找“张建国”",
                _median_ms(lambda: case_ids(w.session, CaseFilter(text="张建国"))),
                "ms",
                300,
            )
            report(
                "案件列表：按状态和年度筛选",
                _median_ms(lambda: case_ids(w.session, CaseFilter(state="调解中", year=2025))),
                "ms",
                150,
            )
            report(
                "案件列表：取一页 200 行（含当事人）",
                _median_ms(lambda: case_rows(w.session, ids[10_000:10_200])),
                "ms",
                50,
            )
            report(
                "统计：一年（2025）",
                _median_ms(lambda: stats.compute(w, dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
                "ms",
                500,
            )
            report("统计：全部四年", _median_ms(lambda: stats.compute(w)), "ms", 1000)
        with ws.work(user) as w:
            report(
                "打印协议书（3 份）",
                _median_ms(
                    lambda: docs.print_document(w, case_id, "agreement", tmp / "协议书.pdf"), repeat=3
                ),
                "ms",
                2000,
            )
        with ws.work(user) as w:
            from app.mediation import frozen

            first = []

            def freeze() -> None:
                first.append(
                    frozen.freeze(w, 2026, 11, today=dt.date(2026, 12, 5), note="重测" if first else "")
                )

            times = _times_ms(freeze, repeat=7)
            # a stress case (a real village has tens of cases a year): no target
            report("冻结月报：20 000 件案件的村（中位，压力测试）", statistics.median(times), "ms", None)
            report("冻结月报：20 000 件案件的村（最慢，压力测试）", max(times), "ms", None)
        with ws.work(user) as w:
            from app.mediation.ledger import export_ledger

            t = time.perf_counter()
            export_ledger(w, tmp / "台账.xlsx", date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
            report("导出一年台账（约 5 000 行）", time.perf_counter() - t, "s", 10)
    finally:
        ws.close()
    try:
        t = time.perf_counter()
        town, clerk, n = build_town(tmp / "town")
        report(f"建立 30 个村 × 4 年（{n} 件）的乡镇工作站", time.perf_counter() - t, "s", None)
        with town.work(clerk) as w:
            from app.mediation import frozen

            views = []
            times = _times_ms(lambda: views.append(frozen.report(w, 2026, 11)), repeat=7)
            view = views[-1]
            assert len([r for r in view.rows if r.kind == "village"]) == TOWN_VILLAGES
            assert all(r.status == frozen.SENT for r in view.rows if r.kind == "village"), [
                r.status_text for r in view.rows
            ]
            report("乡镇月报汇总：30 个村 × 4 年（中位）", statistics.median(times), "ms", 1000)
            report("乡镇月报汇总：30 个村 × 4 年（最慢）", max(times), "ms", 1000)
        town.close()
        village, mediator, _case = build(tmp / "small", cases=4 * PER_VILLAGE_YEAR)
        with village.work(mediator) as w:
            from app.mediation import frozen

            made: list[object] = []

            def freeze_small() -> None:
                made.append(
                    frozen.freeze(w, 2026, 11, today=dt.date(2026, 12, 5), note="重测" if made else "")
                )

            times = _times_ms(freeze_small, repeat=7)
            report("冻结一个村的月报：4 年 × 150 件（中位）", statistics.median(times), "ms", 200)
            report("冻结一个村的月报：4 年 × 150 件（最慢）", max(times), "ms", 200)
        village.close()
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":

    def _print(name, value, unit, target) -> None:
        print(f"{name:<40} {value:>10.1f} {unit:<3} {'' if target is None else f'目标 ≤ {target}'}")

    run(_print)
