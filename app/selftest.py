"""``python -m app selftest``: open the real window, visit every screen, report timings.

The work is done by ``ui.selftest``, reached by name at run time (like ``app/__main__.py``), so the
command line and ``app/`` never import Qt. The frozen build is smoke-tested with this command.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.preferences import FONT_SIZES


def needs_offscreen(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """No display to draw on (a server, CI, a build machine): use Qt's offscreen platform."""
    if environ.get("QT_QPA_PLATFORM"):
        return False
    if platform.startswith("linux") or "bsd" in platform:
        return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    return False


def _cmd_selftest(args: argparse.Namespace) -> int:
    from app.cli import emit
    from app.paths import resolve_data_dir

    if args.offscreen or needs_offscreen():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    data_dir = resolve_data_dir(args.data_dir)
    if not (data_dir / "minqing.db").exists():
        raise UserError(f"工作目录 {data_dir} 里没有民情簿数据库，请先运行 init 或 demo")
    shots = Path(args.screenshots).resolve() if args.screenshots else None
    from app.cli import given_credentials

    report: dict[str, Any] = importlib.import_module("ui.selftest").run(
        data_dir, screenshots=shots, credentials=given_credentials(args, ask=True), font_size=args.font_size
    )
    lines = [
        f"字号：{report['font_size']}",
        f"窗口显示用时 {report['time_to_window_s']:.2f} 秒（自进程启动）",
    ]
    if report.get("time_to_signin_s") is not None:
        lines.insert(
            1, f"登录框显示用时 {report['time_to_signin_s']:.2f} 秒（自进程启动；登录后才载入数据库部分）"
        )
    for page in report["pages"]:
        state = "正常" if page["ok"] else f"出错：{page['error']}"
        lines.append(f"  {page['title']:<8} {page['open_s'] * 1000:7.0f} 毫秒  {state}")
        lines.extend(f"      {text}" for text in page.get("clipped", [])[1:])
    if report["errors"]:
        lines.append("日志中的错误：")
        lines.extend(f"  {e}" for e in report["errors"])
    if report.get("peak_rss_mb") is not None:
        lines.append(f"内存峰值 {report['peak_rss_mb']:.0f} MB")
    if shots is not None:
        lines.append(f"每个界面的截图已保存到 {shots}")
    lines.append("自检通过" if report["ok"] else "自检未通过")
    emit(args, "\n".join(lines), report)
    return 0 if report["ok"] else 1


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser(
        "selftest",
        help="自检：打开窗口，以第一个管理员身份逐一打开每个界面并计时",
        parents=[parents["data"], parents["json"]],
    )
    p.add_argument("--offscreen", action="store_true", help="不显示窗口（没有显示器时自动启用）")
    p.add_argument(
        "--screenshots",
        metavar="目录",
        help="打开每个界面时把窗口截图（1366×700，即 1366×768 屏幕去掉任务栏和标题栏，PNG）存到这个目录",
    )
    p.add_argument(
        "--font-size",
        choices=FONT_SIZES,
        help="以这个字号打开每个界面（标准、大、特大；默认用本机设置，不会改动设置）",
    )
    return {"selftest": _cmd_selftest}
