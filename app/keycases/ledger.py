"""联户包案台账: one row per 包案 with its 五个一, the 四到位 that apply, the links and its state, through the
one 台账 writer (app/ledger_book.py). Only roles that may see sensitive tags export it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app import audit
from app.dates import cn_date
from app.keycases import cases
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, check_target
from app.work import Work

COLUMNS = [
    ("户", 16),
    ("案由", 24),
    ("开立", 10),
    ("开立日期", 12),
    ("包案领导", 18),
    ("工作班子", 22),
    ("化解方案（现行）", 40),
    ("方案版本", 8),
    ("责任部门", 14),
    ("稳控措施", 30),
    ("四到位", 40),
    ("关联记录", 30),
    ("状态", 8),
    ("销号理由", 24),
    ("批准人", 16),
    ("群众意见", 20),
    ("销号日期", 12),
    ("领导调整", 30),
]


def export_keycases(work: Work, target: Path, *, unit_name: str, state: str | None = None) -> int:
    """Write the 台账 to ``target``; returns the number of 包案."""
    cases.require_see(work)
    target = check_target(target)
    rows_in = cases.list_cases(work, state=state)
    town = work.is_town
    columns = ([VILLAGE_COLUMN] if town else []) + COLUMNS
    book = LedgerBook("联户包案台账", f"{unit_name}联户包案台账", columns, frozen_columns=2 if town else 1)

    def rows() -> Iterator[list[object]]:
        for r in rows_in:
            d = cases.case_detail(work, r.id)
            leader = d.leader
            history = "；".join(
                f"{m.person.label} {cn_date(m.from_on)}至{cn_date(m.until_on)}"
                + (f"（{m.end_note}）" if m.end_note else "")
                for m in d.members
                if m.role == cases.LEADER and m.until_on is not None
            )
            values: list[object] = [
                d.household,
                d.title,
                d.owner_label,
                d.opened_on,
                leader.person.label if leader else "",
                "、".join(m.person.label for m in d.team),
                d.plan.text if d.plan else "",
                d.plan.revision if d.plan else 0,
                d.department,
                d.stabilization,
                "；".join(f"{name}：{steps}" for name, steps in d.four_applied),
                "；".join(f"{ln.kind} {cn_date(ln.when)} {ln.text}".strip() for ln in d.links),
                d.state,
                d.close_reason,
                d.close_approver,
                d.resident_view,
                d.closed_on,
                history,
            ]
            yield ([d.village_name] if town else []) + values

    return audit.exported(work, "包案台账", target, book.save(target, rows()))
