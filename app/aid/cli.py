"""``python -m app aid export|print|facts``: the 帮扶台账 workbook, one household's 帮扶记录 as a PDF, and
a month's facts (registered in :data:`app.cli.FEATURE_CLI_MODULES`)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from app.cli import date_arg
from app.errors import UserError


def _month(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份“{text}”格式不对，请写成 2026-08") from None


def _cmd_export(args: argparse.Namespace) -> int:
    from app.aid.ledger import export_aid
    from app.cli import emit, open_workspace

    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise UserError("--from 的日期晚于 --to，请对调后重试")
    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            n = export_aid(
                w,
                Path(args.file),
                unit_name=station.name,
                date_from=args.date_from,
                date_to=args.date_to,
                tag=args.tag,
            )
    finally:
        ws.close()
    emit(args, f"已导出帮扶台账 {n} 条帮扶记录到 {args.file}", {"file": str(args.file), "aid_records": n})
    return 0


def _cmd_print(args: argparse.Namespace) -> int:
    from app.aid.documents import print_household_aid
    from app.cli import emit, open_workspace

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            pages = print_household_aid(w, args.household, Path(args.file), unit_name=station.name)
    finally:
        ws.close()
    emit(
        args, f"已打印这一户的帮扶记录（{pages} 页）到 {args.file}", {"file": str(args.file), "pages": pages}
    )
    return 0


def _cmd_facts(args: argparse.Namespace) -> int:
    from app.aid.facts import FACT_LABELS, month_facts
    from app.cli import emit, open_workspace

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        code = args.village or station.code
        if station.kind == "village" and code != station.code:
            raise UserError("村工作站只能查看本村的帮扶情况", field="village")
        with ws.work(args.actor) as w:
            facts = month_facts(w.session, code, args.month)
    finally:
        ws.close()
    text = "\n".join(f"{FACT_LABELS[k]}：{v}" for k, v in facts.items())
    emit(args, f"{args.month:%Y-%m} 帮扶情况（{code}）\n{text}", {"village_code": code, **facts})
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    common = [parents["data"], parents["json"]]
    a = sub.add_parser("aid", help="帮扶（困难群众帮扶记录）")
    a_sub: argparse._SubParsersAction[argparse.ArgumentParser] = a.add_subparsers(
        dest="aid_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    ex = a_sub.add_parser("export", help="把帮扶记录导出为 Excel 台账", parents=common)
    ex.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    ex.add_argument("--from", dest="date_from", type=date_arg, metavar="日期", help="起始日期（含）")
    ex.add_argument("--to", dest="date_to", type=date_arg, metavar="日期", help="截止日期（含）")
    ex.add_argument(
        "--tag",
        default="低保",
        metavar="标签",
        help="第二页“各户帮扶”按哪个标签列户（默认低保；全部户 = 每一户）",
    )
    pr = a_sub.add_parser("print", help="把一户的帮扶记录打印为 PDF", parents=common)
    pr.add_argument("file", metavar="文件.pdf", help="打印到的 PDF 文件")
    pr.add_argument("--household", required=True, metavar="户编号ID", help="这一户的记录编号")
    fa = a_sub.add_parser("facts", help="某月的帮扶情况（点评会用）", parents=common)
    fa.add_argument("--month", required=True, type=_month, metavar="YYYY-MM", help="月份，如 2026-08")
    fa.add_argument("--village", metavar="村代码", help="乡镇工作站：哪个村（12 位代码）")

    def run(args: argparse.Namespace) -> int:
        return {"export": _cmd_export, "print": _cmd_print, "facts": _cmd_facts}[args.aid_command](args)

    return {"aid": run}
