"""``python -m app cases stats|export``: mediation figures and the 台账 workbook for town clerks' scripts."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.cli import date_arg
from app.errors import UserError

if TYPE_CHECKING:
    from app.cli import ChineseArgumentParser


def _range(args: argparse.Namespace) -> tuple[dt.date | None, dt.date | None]:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError("--from 的日期晚于 --to，请对调后重试")
    return args.date_from, args.date_to


def _cmd_stats(args: argparse.Namespace) -> int:
    from app import accounts
    from app.cli import emit, open_workspace
    from app.mediation import stats

    date_from, date_to = _range(args)
    ws = open_workspace(args)
    try:
        ws.require_station()
        accounts.require(args.actor, "see_cases")
        with ws.work(args.actor) as w:
            st = stats.compute(w, date_from, date_to)
    finally:
        ws.close()
    text = [f"矛盾纠纷排查调处统计（{date_from or '最早'} 至 {date_to or '最近'}）"]
    text += [f"  {label}：{value}" for label, value in st.lines()]
    if st.by_type:
        text.append("  按类型：" + "，".join(f"{k} {v}" for k, v in st.by_type.items()))
    if st.by_source:
        text.append("  按来源：" + "，".join(f"{k} {v}" for k, v in st.by_source.items()))
    emit(args, "\n".join(text), st.as_json())
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app import accounts
    from app.cli import emit, open_workspace
    from app.mediation.ledger import export_ledger

    date_from, date_to = _range(args)
    target = Path(args.file)
    if target.suffix.lower() != ".xlsx":
        raise UserError(f"导出文件名应以 .xlsx 结尾：{target.name}")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在")
    ws = open_workspace(args)
    try:
        ws.require_station()
        accounts.require(args.actor, "see_cases")
        with ws.work(args.actor) as w:
            n = export_ledger(w, target, date_from=date_from, date_to=date_to)
    finally:
        ws.close()
    emit(args, f"已导出矛盾纠纷排查调处台账：{n} 件，文件 {target}", {"file": str(target), "cases": n})
    return 0


def _month(text: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份“{text}”格式不对，请写成 2026-11") from None
    return day.year, day.month


def _cmd_report(args: argparse.Namespace) -> int:
    """The month's 人民调解工作统计表 (frozen figures where the committees generated them)."""
    from pathlib import Path

    from app import accounts
    from app.cli import emit, open_workspace
    from app.mediation import frozen, monthly, report_output

    year, month = args.month
    ws = open_workspace(args)
    try:
        ws.require_station()
        accounts.require(args.actor, "see_cases")
        with ws.work(args.actor) as w:
            view = frozen.report(w, year, month)
            chart = monthly.cases_chart(w, year)
            filled_by = w.actor.display_name if w.actor else ""
    finally:
        ws.close()
    written = []
    if args.pdf:
        pages = report_output.print_report(view, Path(args.pdf), filled_by=filled_by, chart=chart)
        written.append(f"已打印到 {args.pdf}（{pages} 页）")
    if args.xlsx:
        report_output.export_report(view, Path(args.xlsx), chart=chart)
        written.append(f"已导出到 {args.xlsx}")
    text = [view.title + f"  {view.unit_name}"]
    for r in view.all_rows:
        m, y = r.month, r.year
        text.append(
            f"  {r.name}：本月 受理 {m['accepted']} 成功 {m['succeeded']} 不成 {m['failed']} 终止 {m['terminated']} "
            f"在调 {m['in_progress']} 上报 {m['escalated']} 成功率 {monthly.rate_text(monthly.success_rate(m))}；"
            f"本年累计 受理 {y['accepted']} 成功 {y['succeeded']}"
            + (f"  [{r.status_text}]" if r.status_text else "")
        )
    data = {
        "year": year,
        "month": month,
        "unit": view.unit_name,
        "rows": [
            {
                "code": r.code,
                "name": r.name,
                "kind": r.kind,
                "status": r.status,
                "edition": r.frozen.edition if r.frozen else None,
                "changes": {k: list(v) for k, v in r.changes.items()},
                "month": r.month,
                "year": r.year,
            }
            for r in view.all_rows
        ],
    }
    emit(args, "\n".join(text + written), data)
    return 0


def _cmd_freeze(args: argparse.Namespace) -> int:
    """生成本月报表 / 重新生成 at this station."""
    from app import accounts
    from app.cli import emit, open_workspace
    from app.mediation import frozen

    year, month = args.month
    ws = open_workspace(args)
    try:
        ws.require_station()
        accounts.require(args.actor, "see_cases")
        with ws.work(args.actor) as w:
            info = frozen.freeze(w, year, month, today=dt.date.today(), note=args.note or "")
    finally:
        ws.close()
    emit(
        args,
        f"已生成 {year}年{month}月 的报表：{info.label}",
        {"id": info.id, "edition": info.edition, "month": info.month_figures, "year": info.year_figures},
    )
    return 0


def register_cli(
    sub: argparse._SubParsersAction[ChineseArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    cases = sub.add_parser("cases", help="矛盾纠纷调解：统计与台账导出")
    cs = cases.add_subparsers(
        dest="cases_command", metavar="子命令", required=True, parser_class=ChineseArgumentParser
    )
    # typeshed wants the parents of the subparsers' own class; argparse takes any ArgumentParser.
    common = [parents["data"], parents["json"]]
    st = cs.add_parser("stats", help="统计任一期间的排查与调解数字", parents=common)  # type: ignore[arg-type]
    ex = cs.add_parser(
        "export",
        help="导出矛盾纠纷排查调处台账（Excel，含统计表）",
        parents=common,  # type: ignore[arg-type]
    )
    ex.add_argument("file", metavar="文件.xlsx", help="要写入的 Excel 文件")
    rp = cs.add_parser(
        "report",
        help="人民调解工作统计表（月报；乡镇为各村及乡镇调委会汇总）",
        parents=common,  # type: ignore[arg-type]
    )
    fz = cs.add_parser(
        "freeze",
        help="生成本月报表（冻结本月数字，随上报包报送乡镇）",
        parents=common,  # type: ignore[arg-type]
    )
    for p in (rp, fz):
        p.add_argument("--month", type=_month, required=True, metavar="年-月", help="统计月份，如 2026-11")
    rp.add_argument("--pdf", metavar="文件.pdf", help="打印为 PDF（A4 横向）")
    rp.add_argument("--xlsx", metavar="文件.xlsx", help="导出为 Excel")
    fz.add_argument("--note", metavar="原因", help="重新生成的原因（第二版起必填）")
    for p in (st, ex):
        p.add_argument(
            "--from", dest="date_from", type=date_arg, metavar="日期", help="起始日期（含），如 2026-01-01"
        )
        p.add_argument(
            "--to", dest="date_to", type=date_arg, metavar="日期", help="截止日期（含），如 2026-12-31"
        )

    def dispatch(args: argparse.Namespace) -> int:
        return {
            "stats": _cmd_stats,
            "export": _cmd_export,
            "report": _cmd_report,
            "freeze": _cmd_freeze,
        }[args.cases_command](args)

    return {"cases": dispatch}
