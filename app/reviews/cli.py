"""Command line of 两评: ``review-pack`` (the 点评会 pack of a month, at the town), ``ballots`` (the 群众评议
ballots of a half-year) and ``reviews export`` (the 两评台账). Each signs in as every command that reads
residents' data does."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path


def _cmd_pack(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.reviews import documents, meetings, pack
    from app.reviews.common import month_label, parse_month

    month = parse_month(args.month, field="--month")
    ws = open_workspace(args)
    try:
        with ws.work(args.actor) as w:
            built = pack.build(w, month, today=dt.date.today())
            meeting = meetings.meeting_of(w, month)
            decisions = meetings.decisions(w, month=month) if meeting else []
            made_by = args.actor.display_name if args.actor else ""
        pages = documents.print_pack(
            built, Path(args.file), meeting=meeting, decisions=decisions, made_by=made_by
        )
    finally:
        ws.close()
    emit(
        args,
        f"已生成{month_label(month)}点评会材料：{len(built.sections)} 个村，{pages} 页 → {args.file}",
        {"file": str(args.file), "month": args.month, "villages": len(built.sections), "pages": pages},
    )
    return 0


def _cmd_ballots(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.reviews import documents, tallies
    from app.reviews.common import parse_period, period_label

    period = parse_period(args.period, field="--period")
    ws = open_workspace(args)
    try:
        with ws.work(args.actor) as w:
            cadres = tallies.resident_cadres(w, args.village)
            works = tallies.cadre_work(w, cadres, period)
            town_name = w.station.name if w.is_town else (ws.require_station().town_name or "")
        pages = documents.print_ballots(
            works, period, Path(args.file), town_name=town_name, copies=args.copies
        )
    finally:
        ws.close()
    emit(
        args,
        f"已生成{period_label(period)}群众评议票：{len(works)} 位驻村干部，每人 {args.copies} 张，共 {pages} 页 → {args.file}",
        {"file": str(args.file), "period": period, "cadres": [x.name for x in works], "pages": pages},
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from app.cli import emit, open_workspace
    from app.reviews import ledger
    from app.reviews.common import parse_period

    period = parse_period(args.period, field="--period") if args.period else None
    ws = open_workspace(args)
    try:
        with ws.work(args.actor) as w:
            n, d = ledger.export(w, Path(args.file), period=period)
    finally:
        ws.close()
    emit(
        args,
        f"已导出两评台账：群众评议 {n} 条、点评会决定 {d} 条 → {args.file}",
        {"file": str(args.file), "cadre_reviews": n, "review_decisions": d},
    )
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    common = [parents["data"], parents["json"]]
    p = sub.add_parser("review-pack", help="生成某月驻村工作点评会材料（PDF，乡镇）", parents=common)
    p.add_argument("--month", required=True, metavar="年-月", help="点评的月份，如 2026-11")
    p.add_argument("file", metavar="文件.pdf", help="生成的 PDF 文件")
    b = sub.add_parser("ballots", help="打印驻村干部群众评议票（PDF）", parents=common)
    b.add_argument("--period", required=True, metavar="评议期", help="2026H1（上半年）或 2026H2（下半年）")
    b.add_argument("--village", metavar="村代码", help="在乡镇：只打印这个村的驻村干部")
    b.add_argument(
        "--copies", type=int, default=2, metavar="份数", help="每位干部打印几张（默认 2，一张 A4 两张票）"
    )
    b.add_argument("file", metavar="文件.pdf", help="生成的 PDF 文件")
    r = sub.add_parser("reviews", help="两评（点评会决定、群众评议）")
    r_sub: argparse._SubParsersAction[argparse.ArgumentParser] = r.add_subparsers(
        dest="reviews_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    e = r_sub.add_parser("export", help="导出两评台账（群众评议计票、点评会决定及落实情况）", parents=common)
    e.add_argument("--period", metavar="评议期", help="只导出这一期的群众评议，如 2026H1")
    e.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    return {"review-pack": _cmd_pack, "ballots": _cmd_ballots, "reviews": _cmd_export}
