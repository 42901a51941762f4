"""``python -m app informants export FILE.xlsx``: the 群众工作信息员台账 (registered in
:data:`app.cli.FEATURE_CLI_MODULES`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def _cmd_export(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            from app.informants.ledger import export_informants  # the workbook library loads only here

            n = export_informants(w, Path(args.file), village_name=station.name)
    finally:
        ws.close()
    emit(args, f"已导出群众工作信息员 {n} 名到 {args.file}", {"file": str(args.file), "informants": n})
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    p = sub.add_parser("informants", help="群众工作信息员")
    p_sub: argparse._SubParsersAction[argparse.ArgumentParser] = p.add_subparsers(
        dest="informants_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    e = p_sub.add_parser(
        "export", help="把群众工作信息员导出为 Excel 台账", parents=[parents["data"], parents["json"]]
    )
    e.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    return {"informants": _cmd_export}
