"""``python -m app keycases export FILE.xlsx`` (the 联户包案台账) and ``python -m app keycases print ID
FILE.pdf`` (one 包案's 工作单), registered in :data:`app.cli.FEATURE_CLI_MODULES`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from app.keycases import cases


def _state_arg(text: str) -> str:
    if text in cases.STATES:
        return text
    raise argparse.ArgumentTypeError(f"状态“{text}”不对，可选：{'、'.join(cases.STATES)}")


def _cmd_keycases(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.keycases.documents import print_case
    from app.keycases.ledger import export_keycases

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            if args.keycases_command == "export":
                n = export_keycases(w, Path(args.file), unit_name=station.name, state=args.state)
                text, data = f"已导出联户包案 {n} 件到 {args.file}", {"file": str(args.file), "keycases": n}
            else:
                pages = print_case(w, args.id, Path(args.file), unit_name=station.name)
                text, data = (
                    f"已打印包案工作单（{pages} 页）到 {args.file}",
                    {"file": str(args.file), "pages": pages},
                )
    finally:
        ws.close()
    emit(args, text, data)
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    common = [parents["data"], parents["json"]]
    k = sub.add_parser("keycases", help="联户包案（重点信访案件）")
    k_sub: argparse._SubParsersAction[argparse.ArgumentParser] = k.add_subparsers(
        dest="keycases_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    ke = k_sub.add_parser("export", help="把联户包案导出为 Excel 台账", parents=common)
    ke.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    ke.add_argument("--state", type=_state_arg, metavar="状态", help="只导出某一状态：在办、申请销号或已销号")
    kp = k_sub.add_parser("print", help="打印一件包案的工作单（A4 PDF）", parents=common)
    kp.add_argument("id", metavar="包案编号", help="包案的编号（台账或 --json 列表中的 id）")
    kp.add_argument("file", metavar="文件.pdf", help="输出的 PDF 文件")
    return {"keycases": _cmd_keycases}
