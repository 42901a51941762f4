"""登记与吊销: pinning a village station's card at its town, and revoking a lost laptop."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from db.base import utcnow
from db.models import Station, SyncPeer, User

from app import accounts, audit
from app.errors import EnvironmentFailure, UserError, environment_failure, os_error_text
from app.stations import station_card
from app.sync import keys, station_cards
from app.workspace import Workspace


@dataclass(frozen=True)
class EnrolledStation:
    id: str
    kind: str
    code: str
    name: str
    enrolled_at: object
    revoked_at: object
    revoked_reason: str | None

    @property
    def state(self) -> str:
        return "已吊销" if self.revoked_at else "已登记"


def _info(st: Station) -> EnrolledStation:
    return EnrolledStation(st.id, st.kind, st.code, st.name, st.enrolled_at, st.revoked_at, st.revoked_reason)


def key_fingerprint(sign_public_key: str) -> str:
    """指纹 of a station's signing key, for two people to compare by reading it aloud: the first 80 bits
    of the SHA-256 of the raw Ed25519 public key, upper-case hex in groups of 4 (``3F2A 9C01 …``).
    Binding a town's card is trust on first use: the village compares this with what the town's own
    screen (上报与同步 → 工作站登记) or ``card export`` shows, before the card's key is pinned."""
    digest = hashlib.sha256(keys.unb64(sign_public_key)).hexdigest().upper()[:20]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def own_fingerprint(ws: Workspace) -> str:
    """This station's own fingerprint, as its card carries it (readable while the database is locked)."""
    return key_fingerprint(station_card(ws).sign_public_key)


def _same_fingerprint(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"[\s\-:]", "", text).upper()

    return norm(a) == norm(b)


@dataclass(frozen=True)
class TownCard:
    """A town card read and checked at a village, before binding: what the clerk confirms."""

    name: str
    code: str
    fingerprint: str
    already_bound: bool  # this very card is the town bound here already


@dataclass(frozen=True)
class Binding:
    """A village's link to its town: the town's card pinned here, or none yet; ``confirmed_at`` is when
    the last receipt signed by that town was imported (the town has enrolled this station and taken its
    bundles), None before the first."""

    town_name: str | None
    town_code: str
    bound_at: object
    confirmed_at: object = None
    fingerprint: str | None = None  # of the bound town's signing key

    @property
    def bound(self) -> bool:
        return self.town_name is not None

    @property
    def state(self) -> str:
        if not self.bound:
            return "尚未绑定乡镇"
        return "已连通" if self.confirmed_at else "已绑定，待乡镇登记"


def town_binding(ws: Workspace) -> Binding:
    me = ws.require_station()
    with ws.new_session() as s:
        town = s.scalars(
            select(Station).where(
                Station.is_local.is_(False), Station.kind == "town", Station.revoked_at.is_(None)
            )
        ).first()
        peer = s.get(SyncPeer, town.id) if town is not None else None
    if town is None:
        return Binding(None, me.town_code, None)
    return Binding(
        town.name,
        town.code,
        town.enrolled_at,
        peer.last_receipt_at if peer else None,
        key_fingerprint(town.sign_public_key) if town.sign_public_key else None,
    )


def read_town_card(ws: Workspace, card_path: Path, *, actor: User | None = None) -> TownCard:
    """Read a town card and make every check :func:`bind_town` makes, writing nothing: what the window
    and ``bind`` show for the clerk to confirm (name, code and the key's fingerprint)."""
    card, already = _checked_town_card(ws, card_path, actor)
    return TownCard(card.name, card.code, key_fingerprint(card.sign_public_key), already)


def _checked_town_card(
    ws: Workspace, card_path: Path, actor: User | None
) -> tuple[station_cards.StationCard, bool]:
    me = ws.require_station()
    if me.kind != "village":
        raise UserError("只有村工作站需要导入乡镇卡片；乡镇工作站请导出本镇卡片发给各村")
    if actor is not None:
        accounts.require(actor, "sync")
    card = station_cards.read_card(Path(card_path))
    if card.kind != "town":
        raise UserError(f"{Path(card_path).name} 不是乡镇的卡片（是{card.name}的村工作站卡片）")
    if card.code != me.code[:9]:
        raise UserError(
            f"卡片上的乡镇 {card.name}（{card.code}）不是本村的乡镇：村代码 {me.code} 的前 9 位是 {me.code[:9]}。"
            "请向本村所属乡镇索取卡片"
        )
    current = town_binding(ws)
    with ws.new_session() as s:
        existing = s.get(Station, card.station_id)
        if existing is not None and existing.is_local:
            raise UserError(
                f"{Path(card_path).name} 上的工作站编号是本村自己的，不是乡镇的卡片，可能是伪造的，请向乡镇核实"
            )
        if existing is not None:
            if (existing.sign_public_key, existing.encrypt_public_key) != (
                card.sign_public_key,
                card.encrypt_public_key,
            ):
                raise UserError(f"{card.name} 的这张卡片与已绑定的密钥不一致，可能是伪造的，请向乡镇核实")
            return card, True
    if current.bound:
        raise UserError(
            f"本村已绑定 {current.town_name}（{current.town_code}）；这是另一台乡镇工作站的卡片。"
            "如乡镇确实换了电脑，请按乡镇的通知重新建立本村工作站"
        )
    return card, False


def bind_town(
    ws: Workspace, card_path: Path, *, actor: User | None = None, fingerprint: str | None = None
) -> Binding:
    """绑定乡镇: pin the town's card at a village set up without one (the setup wizard lets a village
    start before the town's card arrives). The card's town code must be the first 9 digits of the
    village's code; a village already bound to a town is not re-bound to another. ``fingerprint`` is
    what the clerk confirmed (:func:`read_town_card`): a card whose key has another is refused."""
    me = ws.require_station()
    card, already = _checked_town_card(ws, card_path, actor)
    if fingerprint is not None and not _same_fingerprint(fingerprint, key_fingerprint(card.sign_public_key)):
        raise UserError(
            f"卡片上 {card.name} 的签名密钥指纹是 {key_fingerprint(card.sign_public_key)}，"
            f"与核对的 {fingerprint} 不一致：这张卡片可能被调换或伪造，未绑定。请向乡镇当面核实后重新索取卡片"
        )
    if already:
        return town_binding(ws)
    with ws.session(actor.id if actor else None) as s:
        s.add(station_cards.pinned_station(card))
        local = s.get(Station, me.id)
        assert local is not None, "the local station (ws.require_station)"
        local.town_name = card.name
        s.flush()
        audit.record(
            s,
            actor,
            "sync.bind_town",
            table="station",
            record_id=card.station_id,
            fields=["sign_public_key"],
            detail=f"{card.name}（{card.code}），签名密钥指纹 {key_fingerprint(card.sign_public_key)}",
        )
    ws.local_station(refresh=True)
    return town_binding(ws)


def export_card(ws: Workspace, out: Path) -> Path:
    """Write this station's self-signed card (the town card at a town, the station card at a village)."""
    out = Path(out)
    card = station_card(ws)  # from the public copy while the database is locked
    if out.is_dir():
        out = out / f"{card.code}-card.json"
    if ws.locked:  # the signing key is sealed: the signature kept beside the public card, if it holds
        signature = (ws.public_station() or {}).get("card_signature")
        if not station_cards.signature_holds(card, signature):
            raise UserError(
                "导出工作站卡片需要先登录（签名密钥已加密保存）：请加 --user 登录名 --password-env 环境变量名"
            )
        assert isinstance(signature, str), "signature_holds checked it"
    else:
        signature = station_cards.card_signature(card, ws.keys_dir, ws.key)
    try:
        return station_cards.write_card(card, out, signature)
    except (OSError, EnvironmentFailure) as exc:  # (a folder gone is said by the writer as such)
        failure = environment_failure(exc)
        advice = failure.message if failure else os_error_text(exc) if isinstance(exc, OSError) else ""
        raise UserError(f"无法写出工作站卡片 {out}：{advice or '请换一个位置'}", field="out") from None


def enroll(ws: Workspace, card_path: Path, *, actor: User | None = None) -> tuple[EnrolledStation, bool]:
    """Pin a village's card at the town. Returns (station, newly enrolled)."""
    me = ws.require_station()
    if me.kind != "town":
        raise UserError("只有乡镇工作站可以登记村工作站")
    if actor is not None:
        accounts.require(actor, "sync")
    card = station_cards.read_card(Path(card_path))
    if card.kind != "village":
        raise UserError(f"{card_path} 不是村工作站的卡片")
    if card.town_code != me.code or card.code[:9] != me.code:
        raise UserError(f"不属于本镇：{card.name}（{card.code}）不在 {me.name}（{me.code}）辖下，不能登记")
    with ws.session(actor.id if actor else None) as s:
        existing = s.get(Station, card.station_id)
        if existing is not None:
            if existing.is_local:
                raise UserError("这是本工作站自己的卡片")
            if existing.revoked_at is not None:
                raise UserError(
                    f"已吊销：{existing.name} 的这台工作站已吊销，不能再次登记；请为新电脑建立新的工作站"
                )
            if (existing.sign_public_key, existing.encrypt_public_key) != (
                card.sign_public_key,
                card.encrypt_public_key,
            ):
                raise UserError(
                    f"{card.name} 的这张卡片与已登记的密钥不一致，可能是伪造的；如确实换了电脑，请先吊销旧工作站"
                )
            return _info(existing), False
        station = station_cards.pinned_station(card, town_code=me.code, town_name=me.name)
        s.add(station)
        s.flush()
        audit.record(
            s, actor, "sync.enroll", table="station", record_id=station.id, fields=["sign_public_key"]
        )
        return _info(station), True


def find_station(ws: Workspace, key: str) -> Station:
    with ws.new_session() as s:
        found = list(
            s.scalars(
                select(Station)
                .where(Station.is_local.is_(False))
                .where((Station.id == key) | (Station.code == key) | (Station.name == key))
            )
        )
    if not found:
        raise UserError(f"没有登记过“{key}”的工作站", field="station")
    if len(found) > 1:
        active = [st for st in found if st.revoked_at is None]
        if len(active) != 1:
            raise UserError(
                f"“{key}”对应多台工作站（"
                + "、".join(f"{st.name} 登记于 {st.enrolled_at:%Y-%m-%d %H:%M}" for st in found)
                + "），请在窗口“上报与同步 → 工作站登记”里选中要吊销的那一台",
                field="station",
            )
        return active[0]
    return found[0]


def revoke(ws: Workspace, key: str, reason: str, *, actor: User | None = None) -> EnrolledStation:
    """吊销: bundles and receipts from the station are refused from now on (a lost or stolen laptop)."""
    me = ws.require_station()
    if me.kind != "town":
        raise UserError("只有乡镇工作站可以吊销工作站")
    if actor is not None:
        accounts.require(actor, "sync")
    reason = (reason or "").strip()
    if not reason:
        raise UserError("请写明吊销原因（例如：电脑丢失）", field="reason")
    target = find_station(ws, key)
    with ws.session(actor.id if actor else None) as s:
        st = s.get(Station, target.id)
        assert st is not None, "found by find_station; stations are never deleted"
        if st.revoked_at is None:
            st.revoked_at = utcnow()
            st.revoked_reason = reason
            audit.record(s, actor, "sync.revoke", table="station", record_id=st.id, fields=["revoked_at"])
        return _info(st)


def enrolled_stations(ws: Workspace) -> list[EnrolledStation]:
    with ws.new_session() as s:
        return [
            _info(st)
            for st in s.scalars(
                select(Station).where(Station.is_local.is_(False)).order_by(Station.code, Station.enrolled_at)
            )
        ]
