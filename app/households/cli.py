"""``python -m app households``: import and export the Excel roster, print contact cards (联系卡).

Registered in :data:`app.cli.FEATURE_CLI_MODULES`; each command acts as the account it signs in with
(``--user`` / ``--password-env``, :func:`app.cli.sign_in`): full resident IDs only for those allowed.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from app.cli import date_arg
from app.errors import UserError
from app.households.cadres import mark_cards_delivered
from app.households.checks import require_edit


def _cmd_import(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.households.excel_apply import import_file

    ws = open_workspace(args)
    try:
        ws.require_station()
        with ws.work(args.actor) as w:
            result = import_file(
                w,
                args.file,
                sheet=args.sheet,
                dry_run=args.dry_run,
                errors_out=args.errors,
                keep_rest=args.keep_rest,
            )
    finally:
        ws.close()
    s = result.summary
    lines = [
        ("检查结果（未写入）" if args.dry_run else "导入完成")
        + f"：共 {s['rows']} 行，新增 {s['new']}，更新 {s['updated']}，未变 {s['unchanged']}，有错 {s['invalid']}"
        + (f"，整户跳过 {s['skipped']}" if s["skipped"] else "")
    ]
    lines += result.notes
    damaged = s["damaged_households"]
    if damaged:
        lines.append(f"有错的户 {len(damaged)} 户：")
        for hh in damaged:
            bad = "、".join(f"第 {n} 行" for n in hh["bad_rows"]) or "户主行"
            done = "已导入其余成员" if hh["imported"] else "整户未导入"
            lines.append(f"  {hh['household']}：{bad}有错，{done}")
        if any(not hh["imported"] for hh in damaged) and not args.keep_rest:
            lines.append("  （要导入这些户中没有错的成员，请加 --keep-rest；户主行有错的户只能改正后再导入）")
    lines += [f"  第 {e['row']} 行〔{e['column']}〕{e['reason']}" for e in s["errors"][:50]]
    if len(s["errors"]) > 50:
        lines.append(f"  ……另有 {len(s['errors']) - 50} 处错误")
    lines += [f"  第 {e['row']} 行〔{e['column']}〕（提示）{e['reason']}" for e in s["warnings"][:50]]
    if result.errors_path:
        lines.append(f"错误行已写入 {result.errors_path}，改正后可再次导入")
    emit(args, "\n".join(lines), s)
    return 1 if s["invalid"] or s["skipped"] else 0


def _cmd_export(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.households.excel_export import export_roster

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            n = export_roster(w, args.file, full_id=args.full_id, village_name=station.name)
    finally:
        ws.close()
    emit(
        args,
        f"已导出 {n} 人到 {args.file}" + ("（完整身份证号）" if args.full_id else "（身份证号已打码）"),
        {"persons": n, "file": str(args.file), "full_id": bool(args.full_id)},
    )
    return 0


def _cmd_cards(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.households.contact_cards import card_households, write_cards

    ws = open_workspace(args)
    try:
        ws.require_station()
        with ws.work(args.actor) as w:
            if args.mark_delivered:  # checked before a card is printed: a refused run writes no file
                require_edit(w)
                if args.mark_delivered > dt.date.today():
                    raise UserError(f"送达日期 {args.mark_delivered} 还没到，请写今天或以前的日期")
            ids = card_households(w, group_name=args.group, not_delivered=args.not_delivered)
            if not ids:
                raise UserError("没有符合条件的户")
            printed = write_cards(w, ids, args.file, one_per_page=args.one_per_page)
            marked = 0
            if args.mark_delivered:
                marked = mark_cards_delivered(w, printed.household_ids, args.mark_delivered)
    finally:
        ws.close()
    emit(
        args,
        printed.message(args.file) + (f"；已标记 {marked} 户送达" if args.mark_delivered else ""),
        {
            "households": printed.cards,
            "pages": printed.pages,
            "skipped_without_contact_cadre": printed.skipped,
            "file": str(args.file),
            "marked": marked,
        },
    )
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    p = sub.add_parser("households", help="户籍：Excel 导入导出、打印联系卡")
    hs: argparse._SubParsersAction[argparse.ArgumentParser] = p.add_subparsers(
        dest="households_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    common = [parents["data"], parents["json"]]

    imp = hs.add_parser(
        "import", help="从 Excel 户籍表（或 CSV 文件）导入（有错误行时退出码为 1）", parents=common
    )
    imp.add_argument("file", metavar="文件.xlsx或.csv")
    imp.add_argument("--sheet", metavar="工作表", help="工作表名（默认第一个）")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--errors", metavar="错误表.xlsx", help="把有错误的行（附错误原因）写入此文件")
    imp.add_argument(
        "--keep-rest",
        action="store_true",
        help="某户有成员的行出错时，导入该户其余成员（默认整户跳过，改正后再导入）",
    )
    imp.set_defaults(households_handler=_cmd_import)

    exp = hs.add_parser("export", help="导出户籍台账 Excel", parents=common)
    exp.add_argument("file", metavar="文件.xlsx")
    exp.add_argument("--full-id", action="store_true", help="导出完整身份证号（需管理员账号，记入审计日志）")
    exp.set_defaults(households_handler=_cmd_export)

    cards = hs.add_parser("cards", help="打印联系卡 PDF", parents=common)
    cards.add_argument("file", metavar="文件.pdf")
    cards.add_argument("--group", metavar="组", help="只打印这个组")
    cards.add_argument("--not-delivered", action="store_true", help="只打印联系卡尚未送达的户")
    cards.add_argument(
        "--one-per-page", action="store_true", help="每张 A4 纸印一张放大的卡（默认 A4 每页 8 张，带裁切线）"
    )
    cards.add_argument(
        "--mark-delivered", type=date_arg, metavar="YYYY-MM-DD", help="同时把这些户标记为该日已送达"
    )
    cards.set_defaults(households_handler=_cmd_cards)

    def dispatch(args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = args.households_handler
        return handler(args)

    return {"households": dispatch}
