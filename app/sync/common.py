"""What the bundle modules share: the bundle file suffix and the attachment sections' names, the
local station and its peers, a peer's bookkeeping row, the sender checks of an incoming bundle and the
busy-database message (used by export, inspect, the importer, receipts and status)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Station, SyncPeer

from app.errors import UserError
from app.sync.bundle import BundleRejected
from app.workspace import Workspace

BUNDLE_SUFFIX = ".mqb"
ATTACHMENT_INDEX = "attachments.index"
ATTACHMENT_DATA = "attachments"


def raise_if_busy(exc: BaseException) -> None:
    """A database another program is writing (it waited ``busy_timeout`` first): say so in Chinese."""
    text = str(getattr(exc, "orig", exc))
    if "locked" in text or "busy" in text:
        raise UserError(
            "数据库正被另一个程序使用（例如另一个民情簿窗口正在导入或保存），已等待仍未空闲；"
            "请关闭其他民情簿窗口后再试，已导入的内容都在"
        ) from None


def local_station(ws: Workspace) -> Station:
    return ws.require_station()


def peer_stations(ws: Workspace) -> list[Station]:
    """The stations this one exchanges bundles with: its town, or its enrolled villages."""
    with ws.new_session() as s:
        return list(
            s.scalars(
                select(Station)
                .where(Station.is_local.is_(False), Station.enrolled_at.is_not(None))
                .order_by(Station.code, Station.enrolled_at)
            )
        )


def ensure_peer(session: Session, station_id: str) -> SyncPeer:
    peer = session.get(SyncPeer, station_id)
    if peer is None:
        peer = SyncPeer(station_id=station_id, acked_through=0, last_seq=0)
        session.add(peer)
        session.flush()
    return peer


def check_sender(ws: Workspace, me: Station, m: dict[str, Any]) -> Station:
    """Recipient, enrollment, revocation and pinned key; raises BundleRejected."""
    try:
        recipient, sender_info = m["recipient"], m["sender"]
        sender_name = f"{sender_info['name']}（{sender_info['code']}）"
    except (KeyError, TypeError):
        raise BundleRejected("内容损坏：清单缺少收发双方") from None
    if recipient.get("town_code") != me.town_code:
        raise BundleRejected(
            f"不属于本镇：这是发给 {recipient.get('name')}（{recipient.get('town_code')}）的包，"
            f"本站属于 {me.town_name or me.name}（{me.town_code}）"
        )
    if recipient.get("station_id") != me.id:
        raise BundleRejected(
            f"不属于本工作站：这是发给 {recipient.get('name')}（{recipient.get('code')}）的包"
        )
    with ws.new_session() as s:
        sender = s.get(Station, sender_info.get("station_id"))
    if sender is None or sender.is_local or sender.enrolled_at is None:
        raise BundleRejected(f"未登记的工作站：{sender_name} 尚未在本站登记，请先导入它的工作站卡片")
    if sender.revoked_at is not None:
        raise BundleRejected(
            f"已吊销：{sender_name} 的工作站已于 {sender.revoked_at:%Y-%m-%d} 吊销，它的包一律不收"
        )
    if sender.sign_public_key != sender_info.get("sign_public_key"):
        raise BundleRejected(f"签名不符：签名的密钥不是 {sender.name} 登记的密钥")
    if sender.kind == me.kind:
        raise BundleRejected(
            f"不属于本工作站：{sender_name} 与本站同为{'村' if me.kind == 'village' else '乡镇'}工作站"
        )
    return sender
