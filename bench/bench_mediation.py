"""Benchmarks of mediation: the case list over 20 000 cases, a year's statistics, printing an agreement.

Builds its own village workspace under a temp dir with Core bulk inserts (stamped like any write):
20 000 cases over four years, two parties each, agreements for the settled ones, 96 screening rounds.
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


def _median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def build(root: Path, cases: int = CASES):
    from sqlalchemy import insert

    from db.base import derived_id
    from db.models import Agreement, CaseParty, MediationCase, Screening
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
    with ws.engine.begin() as conn:
        for model, rows in (
            (MediationCase, case_rows),
            (CaseParty, party_rows),
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
            from app.mediation.ledger import export_ledger

            t = time.perf_counter()
            export_ledger(w, tmp / "台账.xlsx", date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
            report("导出一年台账（约 5 000 行）", time.perf_counter() - t, "s", 10)
    finally:
        ws.close()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":

    def _print(name, value, unit, target) -> None:
        print(f"{name:<40} {value:>10.1f} {unit:<3} {'' if target is None else f'目标 ≤ {target}'}")

    run(_print)
