"""命令行: ``python -m app <命令>``. Human-readable Chinese by default, JSON with ``--json``.

Exit status: 0 success, 1 the command ran but refused or rejected something, 2 wrong usage.
Feature modules add their commands through a ``register_cli(subparsers, common)`` function listed
in :data:`FEATURE_CLI_MODULES`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import importlib
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from app import __version__
from app.errors import UserError, environment_failure
from app.paths import resolve_data_dir

if TYPE_CHECKING:
    from db.models import User

    from app.workspace import Workspace

# Each module provides register_cli(subparsers, common_parents) (one line per feature).
FEATURE_CLI_MODULES: tuple[str, ...] = (
    "app.demo",
    "app.selftest",
    "app.backups",
    "app.sync.cli",
    "app.mediation.cli",
    "app.diary.cli",
    "app.households.cli",
    "app.keycases.cli",
    "app.informants.cli",
    "app.aid.cli",
    "app.reviews.cli",
    "app.projects.cli",
)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("minqing.cli")


# argparse's own words for a command typed wrong (Python's, in English), as the user reads them in Chinese.
# "argument X: …" wraps another of them.
_USAGE_ERRORS = (
    (re.compile(r"the following arguments are required: (.*)", re.S), "缺少必填的参数：{0}"),
    (re.compile(r"unrecognized arguments: (.*)", re.S), "不认识的参数：{0}"),
    (re.compile(r"invalid choice: (.*) \(choose from (.*)\)", re.S), "{0} 不是可选的值（可选：{1}）"),
    (re.compile(r"expected one argument"), "后面要跟一个值"),
    (re.compile(r"expected at least one argument"), "后面至少要跟一个值"),
    (re.compile(r"expected at most one argument"), "后面最多跟一个值"),
    (re.compile(r"expected (\d+) arguments?"), "后面要跟 {0} 个值"),
    (re.compile(r"invalid (\S+) value: (.*)", re.S), "{1} 不是有效的值（应为 {0}）"),
    (re.compile(r"ambiguous option: (\S+) could match (.*)", re.S), "选项 {0} 不明确，可能是：{1}"),
    (re.compile(r"not allowed with argument (.*)", re.S), "不能与参数 {0} 同时使用"),
    (re.compile(r"one of the arguments (.*) is required", re.S), "参数 {0} 必须给出其中一个"),
    (re.compile(r"ignored explicit argument (.*)", re.S), "这个选项不带值：{0}"),
    (re.compile(r"can't open '(.*)': (.*)", re.S), "无法打开 {0}：{1}"),
)
_ARGUMENT = re.compile(r"argument (.+?): (.*)", re.S)
_TYPE_NAMES = {"int": "整数", "float": "数字"}


def usage_error_in_chinese(message: str) -> str:
    """argparse's message for a command typed wrong, in Chinese (one it does not know stays as it is)."""
    m = _ARGUMENT.fullmatch(message)
    if m is not None:
        return f"参数 {m.group(1)}：{usage_error_in_chinese(m.group(2))}"
    for pattern, words in _USAGE_ERRORS:
        m = pattern.fullmatch(message)
        if m is not None:
            return words.format(*(_TYPE_NAMES.get(g, g) for g in m.groups()))
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with Chinese headings; usage errors exit 2 as argparse does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: 用法错误：{usage_error_in_chinese(message)}\n")

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "用法：")

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "用法：")


def date_arg(text: str) -> dt.date:
    """An argparse ``type`` for a day typed as 2026-01-31, refused in Chinese saying what is wrong."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # written right, but no such day (2026-02-30)
            raise argparse.ArgumentTypeError(f"日期“{text}”不存在，请检查月份和日子") from None
        raise argparse.ArgumentTypeError(f"日期“{text}”格式不对，请写成 2026-01-31") from None


def emit(args: argparse.Namespace, text: str, data: object) -> None:
    """Print ``data`` as JSON with ``--json``, otherwise the Chinese text."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(text)


def open_workspace(args: argparse.Namespace, *, create: bool = False, account: bool = True) -> Workspace:
    """The workspace of ``--data-dir``, with the signed-in account in ``args.actor``: every command that
    reads or writes residents' data asks for one, as the window does (``account=False``: the few that do
    not, e.g. ``init``, ``card export``, ``bundle inspect``)."""
    from app.workspace import Workspace

    ws = Workspace.open(resolve_data_dir(args.data_dir), create=create)
    _OPENED.append(ws)
    if (note := ws.on_network_note()) is not None:
        print(f"注意：{note}", file=sys.stderr, flush=True)
    args.actor = None
    try:
        if account:
            args.actor = sign_in(args, ws)
        elif ws.locked and (given := given_credentials(args, ask=False)) is not None:
            slots = ws.key_slots()
            name = slots.login_name(given[0]) if slots is not None else given[0]
            tell_about_the_check(ws)
            ws.unlock(name, given[1])  # a command that needs no account still reads more when one is given
    except BaseException:
        ws.close(daily_backup=False)
        raise
    return ws


# The workspaces a command opened: after it, what their closes could not do is said (the day's backup).
_OPENED: list[Workspace] = []


def _say_what_the_closes_could_not_do() -> None:
    """On stderr (stdout stays the command's): the day's backup a full disk would not take."""
    for ws in _OPENED:
        if ws.backup_failure:
            print(f"注意：{ws.backup_failure}", file=sys.stderr, flush=True)
    _OPENED.clear()


# How fast the integrity check at open reads a database, roughly (bench_startup, 100 000 households:
# quick_check 2.7 GB in 31 s, the full check after a crash in 46 s), for telling how long it will take.
QUICK_CHECK_MB_S, FULL_CHECK_MB_S = 80, 50
CHECK_NOTE_FROM_S = 3.0  # a check expected to be shorter passes without a word


def tell_about_the_check(ws: Workspace) -> None:
    """On the command line the check at open (app.workspace.Workspace.check_integrity) runs before the
    command, with nothing to show: a check that will take a while is announced on stderr, with its
    rough length, so that half a minute of silence is not taken for a hang (stdout stays the command's)."""
    try:
        size_mb = ws.db_path.stat().st_size / 1e6
    except OSError:
        return
    full = ws.last_run_unclean()  # a run ended without closing: the full integrity_check
    seconds = size_mb / (FULL_CHECK_MB_S if full else QUICK_CHECK_MB_S)
    if seconds < CHECK_NOTE_FROM_S:
        return
    length = f"{seconds / 60:.0f} 分钟" if seconds >= 90 else f"{max(10, round(seconds, -1)):.0f} 秒"
    why = "上次没有正常关闭，正在全面检查" if full else "正在检查"
    print(
        f"数据库有 {size_mb / 1000:.1f} GB，{why}它是否完好，大约需要 {length}，请稍候……",
        file=sys.stderr,
        flush=True,
    )


USER_ENV, PASSWORD_ENV = "MINQING_USER", "MINQING_PASSWORD"  # defaults for --user / --password-env


def sign_in(args: argparse.Namespace, ws: Workspace) -> User:
    """The account named by ``--user`` (else ``MINQING_USER``) with the password in the environment
    variable ``--password-env`` names (else ``MINQING_PASSWORD``); asked for at a terminal when missing.
    Wrong passwords are throttled and audited as in the window (:func:`app.accounts.authenticate`)."""
    from sqlalchemy.exc import OperationalError

    from app import accounts

    given = given_credentials(args, ask=True)
    if given is None:
        raise UserError(
            "这个命令要读写群众的资料，需要登录：请加 --user 登录名 --password-env 存放密码的环境变量名，"
            "或在终端里运行并按提示输入"
        )
    username, password = given
    if ws.locked:  # --user may be a 姓名, as in the window's sign-in list
        slots = ws.key_slots()
        username = slots.login_name(username) if slots is not None else username
    tell_about_the_check(ws)
    ws.unlock(username, password)  # the database is encrypted: the password unwraps its key
    from app.clock import clock_behind

    proven = ws.take_password_proof()  # the password just unwrapped this account's key, as in the window
    for attempt in range(4):
        try:
            with ws.work(None) as w:
                user = accounts.authenticate(w, username, password, proven_user_id=proven)
                w.session.expunge(user)
                behind = clock_behind(w)
            break
        except OperationalError as exc:
            # another command signed in between this one's read and its write (each writes an audit
            # row): SQLite refuses the write at once, not after its wait; the sign-in is simply tried again
            if "locked" not in str(exc.orig) or attempt == 3:
                raise
            time.sleep(0.05 * (attempt + 1))
    if behind is not None:  # said, not refused: a command (a backup) may be what the hour needs
        print(f"注意：{behind.message()}", file=sys.stderr, flush=True)
    return user


def given_credentials(args: argparse.Namespace, *, ask: bool) -> tuple[str, str] | None:
    username = getattr(args, "user", None) or os.environ.get(USER_ENV)
    env_name = getattr(args, "password_env", None)
    password = os.environ.get(env_name or PASSWORD_ENV)
    if env_name and not password:
        # (the name is not repeated: a password typed there by mistake would go into the log with it)
        raise UserError(
            "--password-env 给出的环境变量为空：这里要写存放密码的变量名（不是密码本身），"
            "请先把密码放进这个变量，或在终端里运行并按提示输入"
        )
    interactive = ask and sys.stdin is not None and sys.stdin.isatty()
    if interactive and not username:
        username = input("登录名：").strip()
    if interactive and password is None:
        password = getpass.getpass("密码：")
    if not username or password is None:
        return None
    return username, password


def common_parents() -> dict[str, argparse.ArgumentParser]:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data-dir", metavar="目录", help="工作目录（默认取 MINQING_DATA_DIR 或系统数据目录）")
    data.add_argument(
        "--user",
        metavar="登录名",
        help="以这个账号登录：登录名或姓名（默认取 MINQING_USER；终端里可按提示输入）",
    )
    data.add_argument(
        "--password-env",
        metavar="变量名",
        help="存放密码的环境变量名（默认 MINQING_PASSWORD；终端里可按提示输入）",
    )
    js = argparse.ArgumentParser(add_help=False)
    js.add_argument("--json", action="store_true", help="以 JSON 输出结果")
    return {"data": data, "json": js}


def _log_to_workspace(args: argparse.Namespace) -> Callable[[], None]:
    """Log into ``<data dir>/logs`` once the data dir exists (never create it just to log)."""
    from app import logs

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    done = False

    def setup() -> None:
        nonlocal done
        if not done and (data_dir / "minqing.db").exists():
            done = True
            try:
                logs.setup(data_dir / "logs")
            except OSError as exc:
                # a workspace on a read-only or full medium: the command goes on without its log file
                # and says the medium's problem, in Chinese, where it would write (or not at all)
                if environment_failure(exc) is None:
                    raise

    return setup


# -- core commands ------------------------------------------------------------------------------
def _cmd_init(args: argparse.Namespace) -> int:
    from app.stations import init_station

    password = None
    if args.admin_user:
        if not args.admin_password_env:
            raise UserError("指定了 --admin-user 时，请用 --admin-password-env 给出存放密码的环境变量名")
        password = os.environ.get(args.admin_password_env)
        if not password:
            raise UserError(f"环境变量 {args.admin_password_env} 为空，请先设置管理员密码")
    ws = open_workspace(args, create=True, account=False)
    try:
        info = init_station(
            ws,
            kind=args.kind,
            code=args.code,
            name=args.name,
            town_card=getattr(args, "town_card", None),
            admin_user=args.admin_user,
            admin_password=password,
        )
        code = None
        if args.admin_user:  # the key is now wrapped by the administrator's password, and by this code
            from app import accounts

            with ws.work(None) as w:
                code = accounts.new_recovery_code(w)
    finally:
        ws.close()
    text = f"已建立{info.kind_name}：{info.name}（{info.code}），工作目录 {ws.root}"
    if code is not None:
        text += (
            f"\n\n数据库已加密。恢复码（只显示这一次）：{code}\n"
            "请抄下或打印，放进工作站的保险柜：管理员忘记密码时，只有它能打开数据库。"
        )
    emit(
        args,
        text,
        {
            "station": {"id": info.id, "kind": info.kind, "code": info.code, "name": info.name},
            "data_dir": str(ws.root),
            "recovery_code": code,
        },
    )
    if code is not None and sys.stdin is not None and sys.stdin.isatty() and not args.json:
        _confirm_recovery_code(code)
    return EXIT_OK


def _confirm_recovery_code(code: str) -> None:
    """Ask for the recovery code again, so that it was written down before setup ends."""
    from db.keyslots import normalize_recovery_code

    while True:
        typed = input("请照抄下来的恢复码再输入一遍，以确认已经记下：")
        if normalize_recovery_code(typed) == normalize_recovery_code(code):
            print("恢复码已确认。")
            return
        print("与恢复码不一致，请核对后重新输入。")


def _cmd_stats(args: argparse.Namespace) -> int:
    from app.stats import live_counts, unit_names, visible_counts
    from app.sync.status import record_label

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        with ws.work(args.actor) as w:
            counts = visible_counts(live_counts(w.session), w.actor)
            names = unit_names(w.session)
    finally:
        ws.close()
    data = {"station": {"kind": station.kind, "code": station.code, "name": station.name}, "counts": counts}
    lines = [f"{station.name}（{station.code}）"]
    for village, per_type in counts.items():  # Chinese names here; --json keeps the table names
        name = names.get(village)
        lines.append(
            f"  {name}（{village}）：" if name else f"  {village}：",
        )
        lines[-1] += "，".join(f"{record_label(k)} {v}" for k, v in per_type.items())
    emit(args, "\n".join(lines), data)
    return EXIT_OK


def build_parser(
    modules: Sequence[str] | None = None,
) -> tuple[ChineseArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    """The whole command line, or only the commands of ``modules`` (and init, stats)."""
    parser = ChineseArgumentParser(
        prog="python -m app",
        description="民情簿：村级群众工作室的民情日记、户籍联系卡、矛盾纠纷调解与离线上报。不带参数运行时打开窗口。",
    )
    parser.add_argument(
        "--version", action="version", version=f"民情簿 minqing {__version__}", help="显示版本号"
    )
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="命令", parser_class=ChineseArgumentParser
    )
    parents = common_parents()
    p_data, p_json = parents["data"], parents["json"]

    init = sub.add_parser("init", help="建立村或乡镇工作站")
    init_sub: argparse._SubParsersAction[argparse.ArgumentParser] = init.add_subparsers(
        dest="kind", metavar="类型", required=True, parser_class=ChineseArgumentParser
    )
    v = init_sub.add_parser("village", help="村工作站", parents=[p_data, p_json])
    v.add_argument("--code", required=True, metavar="12位村代码")
    v.add_argument("--name", required=True, metavar="村名")
    v.add_argument("--town-card", metavar="文件", help="乡镇工作站卡片（由乡镇导出）")
    t = init_sub.add_parser("town", help="乡镇工作站", parents=[p_data, p_json])
    t.add_argument("--code", required=True, metavar="9位乡镇代码")
    t.add_argument("--name", required=True, metavar="乡镇名")
    for p in (v, t):
        p.add_argument("--admin-user", metavar="登录名", help="第一个管理员的登录名")
        p.add_argument("--admin-password-env", metavar="变量名", help="存放管理员密码的环境变量名")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {"init": _cmd_init}

    st = sub.add_parser("stats", help="各村在库记录数", parents=[p_data, p_json])
    handlers["stats"] = _cmd_stats
    del st

    for module_name in FEATURE_CLI_MODULES if modules is None else modules:
        module = importlib.import_module(module_name)
        handlers.update(module.register_cli(sub, parents))
    return parser, handlers


# Commands that parse without the other commands' modules: ``selftest`` starts the window as ``python -m
# app`` does, and the window's start loads nothing of the database layer before the sign-in box
# (ui/preload.py); every command module would load it (bench_startup times the selftest).
ALONE = {"selftest": "app.selftest"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    alone = ALONE.get(argv[0]) if argv else None
    parser, handlers = build_parser(None if alone is None else [alone])
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    handler = handlers[args.command]
    log_to_workspace = _log_to_workspace(args)
    log_to_workspace()
    log.info("命令 %s 开始", args.command)
    try:
        status = handler(args)
        _say_what_the_closes_could_not_do()
        log_to_workspace()
        log.info("命令 %s 结束，退出码 %s", args.command, status)
        return status
    except BrokenPipeError:
        # the output went into a pipe closed early (`… | head -1`): what was asked is done; nothing more
        # can be said there, and Python's own message at exit is kept off the screen too
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        log.info("命令 %s 的输出被提前关闭", args.command)
        return EXIT_OK
    except Exception as exc:
        _say_what_the_closes_could_not_do()
        failure = exc if isinstance(exc, UserError) else environment_failure(exc)
        if failure is None:
            raise
        exc = failure
        log_to_workspace()
        log.info("命令 %s 被拒绝：%s", args.command, exc.message)
        if getattr(args, "json", False):
            print(json.dumps({"error": exc.message}, ensure_ascii=False))
        print(f"错误：{exc.message}", file=sys.stderr)
        return EXIT_REFUSED
