"""``python -m app cases stats|export``: mediation figures and the 台账 workbook for town clerks' scripts."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.errors import UserError

if TYPE_CHECKING:
    from app.cli import ChineseArgumentParser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，请写成 2026-01-31") from None


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
    for p in (st, ex):
        p.add_argument(
            "--from", dest="date_from", type=_date, metavar="日期", help="起始日期（含），如 2026-01-01"
        )
        p.add_argument(
            "--to", dest="date_to", type=_date, metavar="日期", help="截止日期（含），如 2026-12-31"
        )

    def dispatch(args: argparse.Namespace) -> int:
        return {"stats": _cmd_stats, "export": _cmd_export}[args.cases_command](args)

    return {"cases": dispatch}
