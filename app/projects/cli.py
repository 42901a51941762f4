"""为民实事 on the command line: ``python -m app projects export`` (the year's list through the 台账
writer) and ``python -m app projects notice`` (the 公示 sheet), in :data:`app.cli.FEATURE_CLI_MODULES`."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import or_, select

from db.models.projects import PROJECT_STATES, Project

from app.errors import UserError


def _state_arg(text: str) -> str:
    if text in PROJECT_STATES:
        return text
    raise argparse.ArgumentTypeError(f"状态“{text}”不对，可选：{'、'.join(PROJECT_STATES)}")


def _cmd_projects(args: argparse.Namespace) -> int:
    from app.cli import EXIT_REFUSED, emit, open_workspace
    from app.projects import documents
    from app.projects.ledger import export_year

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            if args.projects_command == "export":
                year = args.year or dt.date.today().year
                n = export_year(w, Path(args.file), year=year, unit_name=station.name, state=args.state)
                emit(
                    args, f"已导出 {year} 年为民实事 {n} 项到 {args.file}", {"file": args.file, "projects": n}
                )
                return 0
            matches = list(
                w.session.scalars(
                    select(Project).where(
                        Project.deleted_at.is_(None),
                        or_(Project.id == args.project, Project.title == args.project),
                    )
                )
            )
            if len(matches) != 1:
                text = "没有找到这项为民实事" if not matches else "有几项实事同名，请用编号"
                emit(args, f"{text}：{args.project}", {"error": text})
                return EXIT_REFUSED
            kind = {"计划": documents.PLAN, "完成": documents.DONE, None: None}[args.kind]
            path = documents.write_notice(w, matches[0].id, Path(args.file), kind=kind)
            emit(args, f"已生成公示：{path}", {"file": str(path)})
            return 0
    except UserError as exc:
        emit(args, str(exc), {"error": str(exc)})
        return EXIT_REFUSED
    finally:
        ws.close()


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    from app.cli import ChineseArgumentParser

    common = [parents["data"], parents["json"]]
    p = sub.add_parser("projects", help="为民实事")
    p_sub: argparse._SubParsersAction[argparse.ArgumentParser] = p.add_subparsers(
        dest="projects_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    ex = p_sub.add_parser("export", help="把一年的为民实事导出为 Excel 台账（按村、按状态）", parents=common)
    ex.add_argument("file", metavar="文件.xlsx", help="导出到的 Excel 文件")
    ex.add_argument("--year", type=int, metavar="年度", help="年度（默认今年）")
    ex.add_argument(
        "--state", type=_state_arg, metavar="状态", help=f"只导出某一状态：{'、'.join(PROJECT_STATES)}"
    )
    no = p_sub.add_parser("notice", help="打印一项实事的公示（A4 PDF）", parents=common)
    no.add_argument("project", metavar="项目", help="项目名称或编号")
    no.add_argument("file", metavar="文件.pdf", help="公示 PDF")
    no.add_argument("--kind", choices=("计划", "完成"), metavar="公示", help="计划 或 完成（默认按项目状态）")
    return {"projects": _cmd_projects}
