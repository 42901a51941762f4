"""Station cards: a station's public identity (kind, code, name, public keys), self-signed.

The town publishes its card; a village is set up against it. A village publishes its card; the
town enrolls (pins) it. The card is JSON so a clerk can read it; the signature covers every field.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature

from db.base import utcnow
from db.models import Station

from app.errors import UserError, os_error_text
from app.sync import bundle, gate, keys

CARD_FORMAT = "minqing-station-card"
CARD_VERSION = 1


@dataclass(frozen=True)
class StationCard:
    kind: str
    station_id: str
    code: str
    name: str
    town_code: str
    town_name: str | None
    sign_public_key: str
    encrypt_public_key: str

    def payload(self) -> bytes:
        body = {"format": CARD_FORMAT, "version": CARD_VERSION, **asdict(self)}
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def card_signature(card: StationCard, keys_dir: Path, db_key: bytes | None) -> str:
    """The card's signature by the station's signing key (base64)."""
    return keys.b64(keys.load_sign_key(keys_dir, db_key).sign(card.payload()))


def signature_holds(card: StationCard, signature: object) -> bool:
    """Is ``signature`` (base64, as kept in the public copy) the card's own signature by its key?"""
    if not isinstance(signature, str):
        return False
    try:
        keys.sign_public(card.sign_public_key).verify(keys.unb64(signature), card.payload())
    except (InvalidSignature, ValueError):
        return False
    return True


def write_card(card: StationCard, out: Path, signature: str) -> Path:
    """Write the card with its signature (:func:`card_signature`) under a temporary name, read it back,
    then rename (a stick pulled out mid-write leaves no half card under the real name)."""
    doc = {"format": CARD_FORMAT, "version": CARD_VERSION, **asdict(card), "signature": signature}
    data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
    return bundle.write_atomically(out, data, gate.check_card)


def read_card(path: Path) -> StationCard:
    """Read and verify a card file; raises UserError in Chinese for anything wrong."""
    try:
        if os.stat(path).st_size > gate.MAX_CARD:
            raise UserError(f"{path} 太大，不像民情簿的工作站卡片")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"找不到工作站卡片文件 {path}") from None
    except OSError as exc:
        raise UserError(f"无法读取工作站卡片 {path}（{os_error_text(exc)}），请检查 U 盘是否插好") from None
    try:
        doc = gate.check_card(data)
    except gate.FileInvalid as exc:
        raise UserError(f"{path}：{exc.reason}") from None
    if doc["version"] > CARD_VERSION:
        raise UserError(f"{path} 的卡片版本过新，请升级民情簿")
    try:
        card = StationCard(**{k: doc[k] for k in StationCard.__dataclass_fields__})
        signature = keys.unb64(doc["signature"])
        keys.sign_public(card.sign_public_key).verify(signature, card.payload())
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path} 的卡片内容不完整") from None
    except InvalidSignature:
        raise UserError(f"{path} 的卡片签名不符，可能被改动过，请向对方重新索取") from None
    if card.kind not in ("village", "town"):
        raise UserError(f"{path} 的工作站类型不明")
    return card


def pinned_station(
    card: StationCard, *, town_code: str | None = None, town_name: str | None = None
) -> Station:
    """The row that pins another station's card here (its keys are then the only ones taken from it):
    a town's card at a village, a village's card at its town."""
    return Station(
        id=card.station_id,
        kind=card.kind,
        code=card.code,
        name=card.name,
        town_code=town_code or (card.code if card.kind == "town" else card.town_code),
        town_name=town_name or (card.name if card.kind == "town" else card.town_name),
        is_local=False,
        sign_public_key=card.sign_public_key,
        encrypt_public_key=card.encrypt_public_key,
        enrolled_at=utcnow(),
    )
