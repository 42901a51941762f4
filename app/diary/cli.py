"""The diary's commands: ``python -m app diary export`` (the diary as a 台账 workbook) and
``python -m app ledger export`` (the 民情台账 of demands), registered in :data:`app.cli.FEATURE_CLI_MODULES`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from db import vocab

from app.cli import date_arg

# The 台账 writers (openpyxl, the charts' fonts) are imported by the commands that write one: every
# command, the window's selftest too, registers this module, and none other needs them.


def _status_arg(text: str) -> str:
    from app.diary.demands import STATUSES

    if text in STATUSES:
        return text
    legacy = vocab.LEGACY_CODES["demand"]["status"]  # open, replied, closed: as older versions took them
    if text in legacy:
        return legacy[text]
    raise argparse.ArgumentTypeError(f"办理状态“{text}”不对，可选：{'、'.join(STATUSES)}")


def _cmd_diary_export(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.diary.ledger import export_diary

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            n = export_diary(
                w, Path(args.file), village_name=station.name, date_from=args.date_from, date_to=args.date_to
            )
    finally:
        ws.close()
    emit(args, f"已导出民情日记 {n} 篇到 {args.file}", {"file": str(args.file), "entries": n})
    return 0


def _cmd_ledger_export(args: argparse.Namespace) -> int:
    from db.queries.diary import LedgerFilter

    from app.cli import emit, open_workspace
    from app.diary.ledger import export_ledger

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            n = export_ledger(
                w,
                Path(args.file),
                village_name=station.name,
                f=LedgerFilter(status=args.status, date_from=args.date_from, date_to=args.date_to),
            )
    finally:
        ws.close()
    emit(args, f"已导出民情台账 {n} 条诉求到 {args.file}", {"file": str(args.file), "demands": n})
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    common = [parents["data"], parents["json"]]
    d = sub.add_parser("diary", help="民情日记")
    d_sub: argparse._SubParsersAction[argparse.ArgumentParser] = d.add_subparsers(
        dest="diary_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    de = d_sub.add_parser("export", help="把民情日记导出为 Excel 台账", parents=common)
    de.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    de.add_argument(
        "--from", dest="date_from", type=date_arg, metavar="日期", help="起始日期（含），如 2024-01-01"
    )
    de.add_argument(
        "--to", dest="date_to", type=date_arg, metavar="日期", help="截止日期（含），如 2024-12-31"
    )
    lg = sub.add_parser("ledger", help="民情台账（群众诉求及办理答复）")
    l_sub: argparse._SubParsersAction[argparse.ArgumentParser] = lg.add_subparsers(
        dest="ledger_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    le = l_sub.add_parser("export", help="把民情台账导出为 Excel", parents=common)
    le.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    le.add_argument(
        "--status", type=_status_arg, metavar="状态", help="只导出某一办理状态：待办、已答复或已办结"
    )
    le.add_argument(
        "--from", dest="date_from", type=date_arg, metavar="日期", help="诉求提出的起始日期（含）"
    )
    le.add_argument("--to", dest="date_to", type=date_arg, metavar="日期", help="诉求提出的截止日期（含）")
    return {"diary": _cmd_diary_export, "ledger": _cmd_ledger_export}
