"""Commands for sync by file: card, enroll, revoke, bundle export/inspect/import, receipt, conflict."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from app.cli import EXIT_OK, EXIT_REFUSED, ChineseArgumentParser, emit, open_workspace
from app.errors import UserError

if TYPE_CHECKING:
    from app.sync.enrollment import Binding
    from app.sync.inspect import Inspection
    from app.workspace import Workspace

T = TypeVar("T")

COUNT_NAMES = {"new": "新增", "updated": "更新", "unchanged": "未变", "conflicts": "冲突", "rejected": "拒收"}
STATUS_NAMES = {
    "imported": "已导入",
    "already_imported": "已导入过（未作改动）",
    "rejected": "拒收",
    "checked": "检查通过（试导入，未写入）",
}


def _with_ws(args: argparse.Namespace, fn: Callable[[Workspace], T], *, account: bool = True) -> T:
    """Run ``fn`` on the open workspace as the signed-in account, which must be allowed to sync
    (``account=False``: a command that shows nothing of the residents, e.g. ``card export``)."""
    from app import accounts

    ws = open_workspace(args, account=account)
    try:
        if account:
            accounts.require(args.actor, "sync")
        return fn(ws)
    finally:
        ws.close()


def _cmd_card(args: argparse.Namespace) -> int:
    from app.sync.enrollment import export_card, own_fingerprint

    path, fingerprint = _with_ws(
        args, lambda ws: (export_card(ws, Path(args.out)), own_fingerprint(ws)), account=False
    )
    emit(
        args,
        f"已写出工作站卡片：{path}\n签名密钥指纹：{fingerprint}"
        "（对方导入这张卡片时会显示同一串指纹，请当面或电话核对）",
        {"file": str(path), "fingerprint": fingerprint},
    )
    return EXIT_OK


def _cmd_enroll(args: argparse.Namespace) -> int:
    from app.sync.enrollment import enroll

    st, new = _with_ws(args, lambda ws: enroll(ws, Path(args.card)))
    text = (
        f"已登记 {st.name}（{st.code}）的工作站"
        if new
        else f"{st.name}（{st.code}）的工作站早已登记，未作改动"
    )
    emit(args, text, {"station": {"id": st.id, "code": st.code, "name": st.name}, "enrolled": new})
    return EXIT_OK


def _cmd_bind(args: argparse.Namespace) -> int:
    from app.sync.enrollment import bind_town, read_town_card

    def run(ws: Workspace) -> Binding:
        expected = args.fingerprint
        if expected is None and not args.json and sys.stdin.isatty():
            # trust on first use: the clerk compares the key's fingerprint with the town's own screen
            card = read_town_card(ws, Path(args.card), actor=args.actor)
            print(
                f"乡镇卡片：{card.name}（{card.code}）\n签名密钥指纹：{card.fingerprint}\n"
                "请与乡镇工作人员核对：乡镇“上报与同步 → 工作站登记”页或 card export 显示的指纹应完全一致。"
            )
            if input("指纹一致吗？一致请输入 y 并回车：").strip().lower() not in ("y", "yes", "是"):
                raise UserError("未绑定：指纹没有确认一致。请向乡镇核实后再导入卡片")
            expected = card.fingerprint
        return bind_town(ws, Path(args.card), fingerprint=expected)

    binding = _with_ws(args, run)
    emit(
        args,
        f"已绑定乡镇：{binding.town_name}（{binding.town_code}），签名密钥指纹 {binding.fingerprint}。"
        "现在可以导出本村卡片交乡镇登记，并导出上报包",
        {
            "town": {"name": binding.town_name, "code": binding.town_code},
            "bound": binding.bound,
            "fingerprint": binding.fingerprint,
        },
    )
    return EXIT_OK


def _local_time(value: object) -> str:
    """A stored UTC time as people read it: local, to the minute."""
    import datetime as dt

    if not isinstance(value, dt.datetime):
        return "—"
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")


def bundle_name(village: str | None, seq: int | None) -> str:
    """“张家村 第 3 号包”, or what is known of a file that could not be read as a bundle."""
    if village is None:
        return "不是可识别的上报包" if seq is None else f"第 {seq} 号包"
    return f"{village} 第 {seq} 号包" if seq is not None else f"{village} 的包（号数不明）"


def _cmd_revoke(args: argparse.Namespace) -> int:
    from app.sync.enrollment import revoke

    st = _with_ws(args, lambda ws: revoke(ws, args.station, args.reason))
    emit(
        args,
        f"已吊销 {st.name}（{st.code}）的工作站（登记于 {_local_time(st.enrolled_at)}）：此后它的上报包一律拒收",
        {"station": {"id": st.id, "code": st.code, "name": st.name}, "revoked_at": st.revoked_at},
    )
    return EXIT_OK


def _cmd_stations(args: argparse.Namespace) -> int:
    from app.sync.enrollment import enrolled_stations

    rows = _with_ws(args, enrolled_stations)
    lines = [
        f"{r.code} {r.name} {r.state}（登记于 {_local_time(r.enrolled_at)}"
        + (f"，吊销于 {_local_time(r.revoked_at)}" if r.revoked_at else "")
        + "）"
        for r in rows
    ] or ["还没有登记任何工作站"]
    emit(
        args,
        "\n".join(lines),
        [
            {
                "id": r.id,
                "kind": r.kind,
                "code": r.code,
                "name": r.name,
                "enrolled_at": r.enrolled_at,
                "revoked_at": r.revoked_at,
            }
            for r in rows
        ],
    )
    return EXIT_OK


def _cmd_bundle_export(args: argparse.Namespace) -> int:
    from app.sync.export import export_bundles

    results = _with_ws(
        args, lambda ws: export_bundles(ws, Path(args.out), village=args.village, actor=args.actor)
    )
    lines = [str(r.path) for r in results] or ["没有需要下发的数据，未写出文件"]
    if not args.json:
        for r in results:
            lines.append(f"  发给 {r.recipient}，第 {r.seq} 号包，{r.total} 条记录，{r.attachments} 个附件")
            if r.missing_files:
                lines.append("  " + r.missing_note())
    emit(
        args,
        "\n".join(lines),
        {
            "bundles": [
                {
                    "file": str(r.path),
                    "recipient": r.recipient,
                    "village_code": r.village_code,
                    "seq": r.seq,
                    "counter": {"from": r.counter_from, "to": r.counter_to},
                    "counts": r.counts,
                    "attachments": r.attachments,
                    "missing_attachments": r.missing_attachments,
                    "missing_files": r.missing_files,
                }
                for r in results
            ]
        },
    )
    return EXIT_OK


def _cmd_bundle_inspect(args: argparse.Namespace) -> int:
    from app.sync.inspect import inspect_file

    if args.data_dir:
        ins = _with_ws(
            args, lambda ws: inspect_file(Path(args.file), None if ws.locked else ws), account=False
        )
    else:
        ins = inspect_file(Path(args.file))
    m = ins.manifest or {}
    data = {
        "file": ins.file,
        "signature_ok": ins.signature_ok,
        "hashes_ok": ins.hashes_ok,
        "enrolled": ins.enrolled,
        "problem": ins.problem,
        "decrypted_counts": ins.decrypted_counts,
        "manifest": m or None,
    }
    if m:
        tables = {
            s["name"].split(":", 1)[1]: s["count"]
            for s in m.get("sections", [])
            if s["name"].startswith("table:")
        }
        lines = [
            f"文件：{ins.file}",
            f"发送方：{m['sender']['name']}（{m['sender']['code']}）",
            f"接收方：{m['recipient']['name']}（{m['recipient']['code']}）",
            f"第 {m['sequence']} 号包，写于 {m['created_at']}，变更计数 {m['counter']['from']}→{m['counter']['to']}",
            f"格式版本 {m['format_version']}，数据结构 {m['schema_version']}，程序 {m['app_version']}",
            "记录数：" + "，".join(f"{k} {v}" for k, v in tables.items()),
            f"签名：{_signature_text(ins)}；校验值：{'核对无误' if ins.hashes_ok else '不符'}",
        ]
        if ins.decrypted_counts is not None:
            lines.append("已解密核对：" + "，".join(f"{k} {v}" for k, v in ins.decrypted_counts.items()))
    else:
        lines = [f"文件：{ins.file}"]
    if ins.problem:
        lines.append(f"问题：{ins.problem}")
    emit(args, "\n".join(lines), data)
    return EXIT_OK if ins.problem is None else EXIT_REFUSED


def _signature_text(ins: Inspection) -> str:
    """Say plainly whether the signer is known: without a workspace only the file's own key is checked."""
    if not ins.signature_ok:
        return "不符"
    if ins.enrolled is None:
        return "签名与文件内自带的公钥一致，未核对是否为已登记的工作站（请加 --data-dir 指定本站工作目录）"
    if ins.enrolled:
        return "核对无误（已登记的工作站）"
    return "签名与文件内自带的公钥一致，但签名者不是本站登记的工作站"


def _cmd_bundle_import(args: argparse.Namespace) -> int:
    from app.sync.importer import import_bundles

    gone = [p for p in args.paths if not Path(p).exists()]
    if gone:  # a path typed wrong, or a stick not in: not “an incomplete bundle”
        raise UserError(f"找不到 {'、'.join(gone[:3])}：请检查路径，或把 U 盘插好后再试；什么也没有导入")
    report = _with_ws(
        args,
        lambda ws: import_bundles(
            ws,
            [Path(p) for p in args.paths],
            dry_run=args.dry_run,
            user_id=args.actor.id if args.actor else None,
        ),
    )
    lines = []
    if not report.bundles:
        lines.append("没有找到上报包（*.mqb）")
    for b in report.bundles:
        who = bundle_name(b.village, b.seq)
        line = f"{Path(b.file).name}：{who}，{STATUS_NAMES[b.status]}"
        if b.status == "rejected":
            line += f"：{b.reason}"
        elif b.status in ("imported", "checked"):
            line += "（" + "，".join(f"{COUNT_NAMES[k]} {v}" for k, v in b.counts.items()) + "）"
        lines.append(line)
        for reason, n in b.rejection_summary():
            lines.append(f"  拒收 {n} 条：{reason}")
        if b.clock_note:
            lines.append(f"  注意：{b.clock_note}")
    for g in report.gaps:
        lines.append(g.text)
    if args.dry_run:
        lines.append("试导入：没有写入任何数据")
    emit(args, "\n".join(lines), report.as_json())
    return EXIT_REFUSED if report.any_rejected or report.any_rows_rejected else EXIT_OK


def _cmd_receipt_export(args: argparse.Namespace) -> int:
    from app.sync.receipts import export_receipts

    results = _with_ws(args, lambda ws: export_receipts(ws, Path(args.out), village=args.village))
    lines = [f"{r.path}（{r.village}：已收到第 {r.last_seq} 号包，共 {r.bundles} 个）" for r in results]
    emit(
        args,
        "\n".join(lines) or "还没有收到任何上报包，没有回执可写",
        {
            "receipts": [
                {
                    "file": str(r.path),
                    "village": r.village,
                    "village_code": r.village_code,
                    "through": r.through,
                    "last_seq": r.last_seq,
                }
                for r in results
            ]
        },
    )
    return EXIT_OK


def _cmd_receipt_import(args: argparse.Namespace) -> int:
    from app.sync.receipts import import_receipt

    r = _with_ws(args, lambda ws: import_receipt(ws, Path(args.file)))
    text = (
        f"已采用 {r.sender} 的回执：第 {r.last_seq} 号包及以前的变更已确认收到"
        if r.changed
        else f"{r.sender} 的这张回执没有新的确认（可能已导入过）"
    )
    if r.rejected:
        text += (
            f"\n{r.sender} 拒收了 {r.rejected} 条记录：它们不算已上报，下次导出会再带上；"
            "请在“上报与同步”页查看理由并改正（用了别村编号的户可重新编号）"
        )
    emit(
        args,
        text,
        {
            "sender": r.sender,
            "through": r.through,
            "acked_before": r.acked_before,
            "acked_now": r.acked_now,
            "counts": r.counts,
            "rejected": r.rejected,
        },
    )
    return EXIT_OK


def _cmd_conflict_list(args: argparse.Namespace) -> int:
    from app.sync.conflicts import list_conflicts
    from app.sync.status import field_words, record_label

    rows = _with_ws(args, lambda ws: list_conflicts(ws, open_only=not args.all))
    lines = [
        f"#{c.id} {record_label(c.record_type)}（{c.village_code}，来自 {c.incoming_station_name}）"
        f" 不同字段：{'、'.join(field_words(f) for f in c.differing) or '无'}"
        for c in rows
    ] or ["没有待处理的冲突"]
    emit(
        args,
        "\n".join(lines),
        [
            {
                "id": c.id,
                "record_type": c.record_type,
                "record_id": c.record_id,
                "village_code": c.village_code,
                "differing": c.differing,
                "resolution": c.resolution,
                "local": c.local,
                "incoming": c.incoming,
            }
            for c in rows
        ],
    )
    return EXIT_OK


def _cmd_conflict_resolve(args: argparse.Namespace) -> int:
    from app.sync.conflicts import resolve

    _with_ws(args, lambda ws: resolve(ws, args.id, args.keep, actor=args.actor))
    emit(
        args,
        f"冲突 #{args.id} 已处理（{'保留本站版本' if args.keep == 'local' else '采用对方版本'}）",
        {"id": args.id, "resolution": args.keep},
    )
    return EXIT_OK


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    p_data, p_json = parents["data"], parents["json"]
    pc = [p_data, p_json]

    card = sub.add_parser("card", help="工作站卡片")
    card_sub: argparse._SubParsersAction[argparse.ArgumentParser] = card.add_subparsers(
        dest="card_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    ce = card_sub.add_parser("export", help="导出本站卡片（乡镇卡片或村工作站卡片）", parents=pc)
    ce.add_argument("--out", required=True, metavar="文件", help="写到哪个文件（或文件夹）")
    ce.set_defaults(sync_handler=_cmd_card)

    en = sub.add_parser("enroll", help="乡镇登记村工作站的卡片", parents=pc)
    en.add_argument("card", metavar="卡片文件")
    en.set_defaults(sync_handler=_cmd_enroll)

    bn = sub.add_parser("bind", help="村工作站导入乡镇卡片（建站时没有卡片的，以后在此绑定）", parents=pc)
    bn.add_argument("card", metavar="乡镇卡片文件")
    bn.add_argument(
        "--fingerprint",
        metavar="指纹",
        help="乡镇读给你的签名密钥指纹（如 3F2A 9C01 …）；与卡片不一致则不绑定。"
        "不给出时，在终端里会显示指纹并请你确认",
    )
    bn.set_defaults(sync_handler=_cmd_bind)

    rv = sub.add_parser("revoke", help="吊销工作站（电脑丢失时）", parents=pc)
    rv.add_argument("station", metavar="工作站", help="村名或村代码（见 stations）")
    rv.add_argument("--reason", required=True, metavar="原因")
    rv.set_defaults(sync_handler=_cmd_revoke)

    stn = sub.add_parser("stations", help="列出已登记的工作站", parents=pc)
    stn.set_defaults(sync_handler=_cmd_stations)

    bd = sub.add_parser("bundle", help="上报包：导出、查看、导入")
    bd_sub: argparse._SubParsersAction[argparse.ArgumentParser] = bd.add_subparsers(
        dest="bundle_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    be = bd_sub.add_parser("export", help="导出上报包（乡镇：导出给各村的下发包）", parents=pc)
    be.add_argument("--out", required=True, metavar="文件夹", help="写到哪个文件夹（如 U 盘）")
    be.add_argument("--village", metavar="村", help="乡镇只给这个村导出（村代码或村名）")
    be.set_defaults(sync_handler=_cmd_bundle_export)
    bi = bd_sub.add_parser("inspect", help="查看上报包的清单并核对签名", parents=pc)
    bi.add_argument("file", metavar="文件")
    bi.set_defaults(sync_handler=_cmd_bundle_inspect)
    bm = bd_sub.add_parser("import", help="导入上报包（文件或文件夹，顺序不限）", parents=pc)
    bm.add_argument("paths", nargs="+", metavar="路径")
    bm.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    bm.set_defaults(sync_handler=_cmd_bundle_import)

    rc = sub.add_parser("receipt", help="回执：乡镇导出，村导入")
    rc_sub: argparse._SubParsersAction[argparse.ArgumentParser] = rc.add_subparsers(
        dest="receipt_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    re_ = rc_sub.add_parser("export", help="给每个村写一张签名回执", parents=pc)
    re_.add_argument("--out", required=True, metavar="文件夹")
    re_.add_argument("--village", metavar="村", help="只给这个村写")
    re_.set_defaults(sync_handler=_cmd_receipt_export)
    ri = rc_sub.add_parser("import", help="导入乡镇的回执", parents=pc)
    ri.add_argument("file", metavar="回执文件")
    ri.set_defaults(sync_handler=_cmd_receipt_import)

    cf = sub.add_parser("conflict", help="同步冲突：列出与处理")
    cf_sub: argparse._SubParsersAction[argparse.ArgumentParser] = cf.add_subparsers(
        dest="conflict_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    cl = cf_sub.add_parser("list", help="列出待处理的冲突", parents=pc)
    cl.add_argument("--all", action="store_true", help="包括已处理的")
    cl.set_defaults(sync_handler=_cmd_conflict_list)
    cr = cf_sub.add_parser("resolve", help="处理一条冲突", parents=pc)
    cr.add_argument("id", type=int, metavar="编号")
    cr.add_argument(
        "--keep", required=True, choices=["local", "incoming"], help="local 保留本站，incoming 采用对方"
    )
    cr.set_defaults(sync_handler=_cmd_conflict_resolve)

    def dispatch(args: argparse.Namespace) -> int:
        handler: Callable[[argparse.Namespace], int] = args.sync_handler
        return handler(args)

    return dict.fromkeys(
        ("card", "enroll", "bind", "revoke", "stations", "bundle", "receipt", "conflict"), dispatch
    )
