"""Setting up a station (工作站): a village or a town, its keys, counter and first administrator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db.models import Station, StationCounter

from app import accounts
from app.codes import InvalidDivisionCode, check_town_code, check_village_code
from app.errors import UserError
from app.sync import keys, station_cards
from app.workspace import Workspace


@dataclass(frozen=True)
class StationInfo:
    id: str
    kind: str
    code: str
    name: str
    town_code: str
    town_name: str | None

    @property
    def kind_name(self) -> str:
        return "村工作站" if self.kind == "village" else "乡镇工作站"


def station_info(station: Station) -> StationInfo:
    return StationInfo(
        station.id, station.kind, station.code, station.name, station.town_code, station.town_name
    )


def _check_name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError(f"请填写{what}名称", field="name")
    return name


def init_station(
    ws: Workspace,
    *,
    kind: str,
    code: str,
    name: str,
    town_card: Path | None = None,
    town_name: str | None = None,
    admin_user: str | None = None,
    admin_password: str | None = None,
    admin_display_name: str | None = None,
    service_phone: str | None = None,
) -> StationInfo:
    """Create the local station in an empty workspace. Refuses an initialised one."""
    if ws.locked:  # encrypted with an account's password: someone set it up
        name_of = (ws.public_station() or {}).get("name", "另一个")
        raise UserError(f"工作目录 {ws.root} 已经是“{name_of}”的工作站，不能重复初始化")
    if ws.is_initialized:
        st = ws.require_station()
        raise UserError(f"工作目录 {ws.root} 已经是“{st.name}”的工作站，不能重复初始化")
    name = _check_name(name, "村" if kind == "village" else "乡镇")
    town = None
    try:
        if kind == "village":
            code = check_village_code(code)
            town_code = code[:9]
            if town_card is not None:
                town = station_cards.read_card(town_card)
                if town.kind != "town":
                    raise UserError(f"{town_card} 不是乡镇的卡片")
                check_village_code(code, town.code)
                town_name = town.name
        elif kind == "town":
            code = check_town_code(code)
            town_code = code
            town_name = name
        else:
            raise UserError("工作站类型只能是 village（村）或 town（乡镇）")
    except InvalidDivisionCode as exc:
        raise UserError(str(exc), field="code") from None
    if admin_user and not admin_password:
        raise UserError("请为管理员设置密码", field="password")
    if (ws.keys_dir / keys.SIGN_KEY).exists():
        raise UserError(f"{ws.keys_dir} 里已有密钥文件，请换一个空的工作目录")
    sign_pub, enc_pub = keys.generate(ws.keys_dir, ws.key)
    session = ws.raw_session()
    try:
        station = Station(
            kind=kind,
            code=code,
            name=name,
            town_code=town_code,
            town_name=town_name,
            is_local=True,
            sign_public_key=sign_pub,
            encrypt_public_key=enc_pub,
            service_phone=service_phone,
        )
        session.add(station)
        session.flush()
        session.add(StationCounter(station_id=station.id, value=0))
        if town is not None:
            session.add(station_cards.pinned_station(town))
        session.commit()
    except Exception:
        session.rollback()
        # Leave nothing half-made behind: the keys belong to the station that was not created.
        for f in (keys.SIGN_KEY, keys.ENCRYPT_KEY):
            (ws.keys_dir / f).unlink(missing_ok=True)
        raise
    finally:
        session.close()
    created = ws.local_station(refresh=True)
    assert created is not None, "committed above"
    info = station_info(created)
    if admin_user:
        assert admin_password is not None, "refused above without one"
        with ws.work(None) as w:
            accounts.add_user(
                w,
                username=admin_user,
                display_name=admin_display_name or admin_user,
                password=admin_password,
                roles=["admin"] + (["town_staff"] if kind == "town" else []),
            )
    ws.write_public_station()
    return info


def station_card(ws: Workspace) -> station_cards.StationCard:
    """This station's public card; read from the public copy in ``keys/`` while the database is locked
    (``card export`` needs no account)."""
    if ws.locked:
        data = ws.public_station()
        if data is None:  # (an initialised station whose public copy is gone: init would refuse it)
            raise UserError(
                "导出本站的卡需要登录：请加 --user 登录名 --password-env 存放密码的环境变量名"
                "（不登录时读的是 keys 文件夹里本站的公开信息，它不见了）"
            )
        try:
            return station_cards.StationCard(
                kind=str(data["kind"]),
                station_id=str(data["station_id"]),
                code=str(data["code"]),
                name=str(data["name"]),
                town_code=str(data["town_code"]),
                town_name=data.get("town_name"),
                sign_public_key=str(data["sign_public_key"]),
                encrypt_public_key=str(data["encrypt_public_key"]),
            )
        except KeyError:
            raise UserError(f"{ws.keys_dir} 里的工作站信息不完整：请登录后再导出卡片") from None
    st = ws.require_station()
    assert st.sign_public_key is not None and st.encrypt_public_key is not None, "made by init_station"
    return station_cards.StationCard(
        kind=st.kind,
        station_id=st.id,
        code=st.code,
        name=st.name,
        town_code=st.town_code,
        town_name=st.town_name,
        sign_public_key=st.sign_public_key,
        encrypt_public_key=st.encrypt_public_key,
    )
