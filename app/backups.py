"""备份与恢复: back up a workspace's database (to its ``backups/`` or to a file on a USB stick) and
restore one, from the window or ``python -m app backup`` / ``python -m app restore``.

The file-level work — online backup, check, rotation, atomic restore — is :mod:`db.backups`; here are the
workspace's rules and the Chinese messages. A restore works on a closed workspace (its database may be
damaged: it is never opened for writing before the restore). Every backup is encrypted with the
workspace key, as the database is; the key is the caller's, unwrapped by a sign-in.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from db import backups, cipher, migrate, run_marks
from db.backups import BackupFailed, BackupSummary
from db.base import utcnow
from db.engine import make_engine
from db.keyslots import KeySlots
from db.models import User

from app import audit
from app.errors import UserError, folder_gone
from app.workspace import DB_NAME, Workspace


def describe(summary: BackupSummary) -> str:
    """One line a person can check before restoring: when, which station, how many records."""
    when = backups.when_text(summary.taken_at)
    when += " " if summary.named_time else "（按文件修改时间）"  # a copy renamed on the stick
    counts = "，".join(f"{n} {backups.SUMMARY_TABLES[t]}" for t, n in summary.counts.items())
    return f"{when}的备份（{summary.station or '未知工作站'}）：{counts}"


def summarize(path: Path | str, key: bytes | None) -> BackupSummary:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到备份文件 {path}", field="file")
    try:
        summary = backups.summarize(path, key)
    except BackupFailed:
        raise UserError(
            f"{path.name} 不是完好的民情簿备份，或不是用本工作站的密钥加密的，不能用来恢复；请换一个备份文件",
            field="file",
        ) from None
    if summary.revision is None or not migrate.is_known(summary.revision):
        raise UserError(
            f"{path.name} 的数据结构（{summary.revision or '无'}）不是本程序认识的版本：可能由更新版本的民情簿做的，"
            "或不是民情簿的备份；当前数据库没有改动",
            field="file",
        )
    return summary


def backup_to(ws: Workspace, out: Path | str | None = None, *, actor: User | None = None) -> Path:
    """A checked backup: into the workspace's ``backups/`` (rotated), or to ``out`` (e.g. a USB stick).
    Audit-logged as ``actor``'s (a copy of every resident's data, which may leave on a stick)."""
    made = _backup_to(ws, out)
    with ws.session() as s:
        audit.record(s, actor, "backup", detail=str(made) if out is not None else made.name)
    return made


def _backup_to(ws: Workspace, out: Path | str | None) -> Path:
    if out is None:
        return backups.write_backup(ws.db_path, ws.backups_dir, "manual", ws.key, slots_file=ws.slots_file)
    out = Path(out)
    if out.is_dir():  # a folder given (the stick's own, "E:\\"): the backup goes into it, named as ever
        out = out / default_backup_name(ws)
    if out.suffix.lower() != ".db":
        out = out.with_name(out.name + ".db")
    if out.exists():
        raise UserError(f"{out} 已经存在：请换一个文件名，或先把旧文件移走", field="out")
    if not out.parent.is_dir():
        raise UserError(f"文件夹 {out.parent} 不存在（U 盘可能没有插好）", field="out")
    made = None
    try:
        made = backups.copy_file(ws.db_path, out, ws.key)
        backups.keep_slots(ws.slots_file, made)  # (its key slots beside it: a file of their own)
    except OSError as exc:
        if made is not None:  # a backup without its key slots opens with no password: not left as one
            with contextlib.suppress(OSError):
                made.unlink()
            with contextlib.suppress(OSError):
                backups.slots_beside(made).unlink(missing_ok=True)
        if isinstance(exc, FileNotFoundError | NotADirectoryError):
            raise folder_gone(out) from None
        raise  # (a full stick: said as such by the caller)
    return made


def default_backup_name(ws: Workspace) -> str:
    station = ws.local_station()
    return backups.backup_name(station.code if station else "workspace")


def restore(root: Path | str, backup_file: Path | str, key: bytes, *, by: str | None = None) -> Path | None:
    """Put ``backup_file`` in place of the workspace's database (which must be closed). The current one
    is kept as a backup first; returns that backup (None when there was no database)."""
    root = Path(root)
    incoming = summarize(backup_file, key)
    if run_marks.runs_going(root):  # its saves would go into the file replaced, and be lost
        raise UserError(
            "这个工作站还在另一个民情簿窗口或命令里打开着：请先关闭它（或等命令做完），再恢复；当前数据库没有改动"
        )
    current = root / DB_NAME
    if current.exists() and current.stat().st_size > 0 and not backups.integrity_problems(current, key):
        try:
            mine = backups.summarize(current, key)
        except BackupFailed:
            mine = None
        if mine is not None and mine.station_code and incoming.station_code != mine.station_code:
            raise UserError(
                f"这个备份属于{incoming.station or '另一个工作站'}（{incoming.station_code}），"
                f"不是本工作站（{mine.station}，{mine.station_code}）的，不能用来恢复",
                field="file",
            )
    kept = backups.restore(
        current, Path(backup_file), root / "backups", key, slots_file=root / "keys" / "database.keys"
    )
    conn = cipher.connect(root / DB_NAME, key)
    try:  # in the restored database's log (the one replaced keeps its own, in the backup kept of it)
        with conn:
            restored_accounts = conn.execute(
                "SELECT id, username, display_name, password_hash FROM user "
                "WHERE village_code = ? AND active AND deleted_at IS NULL",
                (incoming.station_code,),
            ).fetchall()
            conn.execute(
                "INSERT INTO audit_log (at, user_id, username, action, detail) VALUES (?, NULL, ?, 'restore', ?)",
                (
                    utcnow().isoformat(sep=" "),
                    by,
                    f"从 {Path(backup_file).name} 恢复" + (f"，原数据库另存为 {kept.name}" if kept else ""),
                ),
            )
    finally:
        conn.close()
    if KeySlots.load(root / "keys") is not None and incoming.station_code is not None:
        KeySlots.change(root / "keys", key, lambda slots, k: _follow_accounts(slots, k, restored_accounts))
    return kept


RESTORED_PASSWORDS = (
    "恢复后，各账号和密码都回到备份时的样子：备份以后新建的账号没有了，备份以后改过的密码要用改之前的"
)


def _follow_accounts(slots: KeySlots, key: bytes, accounts: list[tuple[str, str, str, str | None]]) -> None:
    """The key's slots made to follow the restored (active) ``accounts``: each opens the database with the
    password it had at the backup (its slot made from the restored hash, as at the conversion to
    encryption), and an account the backup does not hold, or holds stopped, opens nothing. Without it
    an account made after the backup kept opening the database and one stopped since could not sign in
    although the restored list shows it active (docs/security.md)."""
    restored = {user_id: (username, name, hashed) for user_id, username, name, hashed in accounts}
    for slot in list(slots.slots):
        if slot.kind == "account" and slot.user_id not in restored:
            slots.remove_account(slot.user_id or "")
    for user_id, (username, _name, hashed) in restored.items():
        if hashed:
            slots.set_account_from_hash(key, user_id, username, hashed)
    slots.names = {user_id: name for user_id, (_u, name, _h) in restored.items() if name}


def salvage_to(root: Path | str, out: Path | str, key: bytes) -> tuple[backups.SalvageReport, int]:
    """Copy what can still be read of a damaged workspace into a new one at ``out`` (its keys and
    attachments too); returns the report and how many rows lost the record they belonged to. The
    damaged workspace is only read."""
    root, out = Path(root), Path(out)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} 不是空文件夹：请选一个新的、空的文件夹", field="out")
    for sub in ("keys", "attachments"):
        if (root / sub).is_dir():
            shutil.copytree(root / sub, out / sub, dirs_exist_ok=True)
    (out / "keys" / "signin.json").unlink(missing_ok=True)
    fresh = make_engine(out / DB_NAME, key=key)  # an empty database at this program's schema, same key
    try:
        migrate.upgrade(fresh, out / DB_NAME, out / "backups")
    finally:
        fresh.dispose()
    report = backups.salvage(root / DB_NAME, out / DB_NAME, key)
    conn = cipher.connect(out / DB_NAME, key)
    try:
        orphans = len(conn.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        conn.close()
    Workspace.open(out, create=False, key=key).close(daily_backup=False)  # it opens: sound, at this schema
    return report, orphans


def describe_salvage(report: backups.SalvageReport, orphans: int) -> str:
    names = {"household": "户", "person": "人", "diary_entry": "篇民情日记", "mediation_case": "件调解案件"}
    got = "，".join(f"{report.copied.get(t, 0)} {n}" for t, n in names.items())
    text = f"已读出：{got}"
    if report.damaged_tables:
        text += (
            f"；{len(report.damaged_tables)} 张表有读不出的部分（{'、'.join(sorted(report.damaged_tables))}）"
        )
    if orphans:
        text += f"；{orphans} 条记录的上级记录没能读出，保留待人工核对"
    return text


# -- command line -----------------------------------------------------------------------------------
def _cmd_backup(args: argparse.Namespace) -> int:
    from app import accounts
    from app.cli import EXIT_OK, emit, open_workspace

    ws = open_workspace(args)
    try:
        ws.require_station()
        accounts.require(args.actor, "manage_settings")
        made = backup_to(ws, args.out, actor=args.actor)
        summary = backups.summarize(made, ws.key)
    finally:
        ws.close(daily_backup=False)
    emit(args, f"已备份到 {made}\n{describe(summary)}", {"file": str(made), "counts": summary.counts})
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, EXIT_REFUSED, emit
    from app.paths import resolve_data_dir

    root = resolve_data_dir(args.data_dir)
    key = _require_admin_unless_damaged(args)
    summary = summarize(args.file, key)
    print(f"将要恢复：{describe(summary)}", file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError("恢复会替换当前数据库（当前的会先另存为备份）：确认无误后请加 --yes 再运行")
        answer = input("当前数据库会先另存为备份，然后被替换。确认恢复请输入 是：").strip()
        if answer not in ("是", "yes", "y"):
            print("没有恢复，什么也没有改变。", file=sys.stderr)
            return EXIT_REFUSED
    actor = getattr(args, "actor", None)
    kept = restore(root, args.file, key, by=actor.username if actor is not None else None)
    text = "已恢复。" + (f"原来的数据库另存为 {kept}。" if kept else "") + RESTORED_PASSWORDS
    emit(args, text, {"restored": str(args.file), "kept": str(kept) if kept else None})
    return EXIT_OK


def _require_admin_unless_damaged(args: argparse.Namespace) -> bytes:
    """A restore replaces everything: an administrator signs in first. A damaged database cannot be
    signed in to; then whoever unlocks its key with a password may put a checked backup back. Returns
    the workspace key."""
    from app import accounts
    from app.cli import given_credentials, open_workspace
    from app.paths import resolve_data_dir
    from app.workspace import DatabaseDamaged, DatabaseMissing

    try:
        ws = open_workspace(args)
    except DatabaseDamaged as exc:
        if exc.key is None and isinstance(exc, DatabaseMissing):  # the file gone: the key from a password
            given = given_credentials(args, ask=True)
            if given is None:
                raise UserError(
                    "数据库文件不见了：恢复要用管理员的账号和密码（--user 和 --password-env）"
                ) from None
            return Workspace(resolve_data_dir(args.data_dir)).key_without_database(*given)
        if exc.key is None:
            raise
        return exc.key
    try:
        accounts.require(args.actor, "manage_settings")
        assert ws.key is not None, "an open workspace has its key"
        return ws.key
    finally:
        ws.close(daily_backup=False)


def _cmd_salvage(args: argparse.Namespace) -> int:
    from app.cli import EXIT_OK, emit
    from app.paths import resolve_data_dir

    root = resolve_data_dir(args.data_dir)
    key = _require_admin_unless_damaged(args)
    if not backups.integrity_problems(root / DB_NAME, key):
        raise UserError("数据库完好，不需要抢救：要复制一份请用 python -m app backup --out 文件")
    report, orphans = salvage_to(root, args.out, key)
    if not any(report.copied.values()):  # every page failed: the file's first bytes, which all depend on
        raise UserError(
            f"一行也没能读出（新文件夹 {args.out} 里是空的工作站）：数据库文件开头的部分可能已损坏，"
            "整个文件因此都读不出。请从备份恢复，并把原工作目录复制一份保存后联系技术人员"
        )
    emit(
        args,
        f"已把能读出的部分写入新工作目录 {args.out}。{describe_salvage(report, orphans)}。"
        f"请用 --data-dir {args.out} 打开新目录核对。",
        {
            "out": str(args.out),
            "copied": report.copied,
            "damaged_tables": report.damaged_tables,
            "orphans": orphans,
        },
    )
    return EXIT_OK


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    b = sub.add_parser(
        "backup",
        help="备份数据库（到工作目录的 backups/，或用 --out 写到 U 盘）",
        parents=[parents["data"], parents["json"]],
    )
    b.add_argument(
        "--out", metavar="文件", help="备份文件写到这里（例如 U 盘上），不写则放在工作目录的 backups/"
    )
    r = sub.add_parser(
        "restore",
        help="从备份恢复（先显示备份的日期和记录数，当前数据库先另存为备份）",
        parents=[parents["data"], parents["json"]],
    )
    r.add_argument("file", metavar="备份文件")
    r.add_argument("--yes", action="store_true", help="不再询问，直接恢复")
    s = sub.add_parser(
        "salvage",
        help="数据库损坏又没有好的备份时：把还能读出的记录导出到一个新工作目录",
        parents=[parents["data"], parents["json"]],
    )
    s.add_argument("--out", required=True, metavar="新目录", help="新的、空的工作目录")
    return {"backup": _cmd_backup, "restore": _cmd_restore, "salvage": _cmd_salvage}
