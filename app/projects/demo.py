"""Demo step: the village's 为民实事 of the year in every state, each answering the demands of the 民情台账
that asked for it (a road, street lights, the water mains, a drain, the clinic), with milestones, a
photo, and the residents' 点评 of the accepted one. A handful of projects whatever the village's size."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from typing import Any

from sqlalchemy import select

from db.models import Demand, User
from db.models.projects import ACCEPTED, COMPLETED, IN_PROGRESS, PLANNED

from app import attachments
from app.demo import DemoRun
from app.projects import service
from app.projects.service import MilestoneInput, ProjectInput, ReviewInput
from app.workspace import Workspace

# (title, the demand it answers, plan, budget 元, funding source, responsible, milestones, what was done,
# the state it reached)
PROJECTS: tuple[tuple[Any, ...], ...] = (
    (
        "三组、五组进户道路硬化",
        "门前道路硬化",
        "三组、五组进户道路水泥硬化 1.6 公里，路面宽 3.5 米，两侧修排水边沟。",
        186000,
        "一事一议",
        "张建国",
        ("方案公示", "开工", "路基完成", "完工"),
        "硬化进户道路 1.62 公里，修边沟 900 米，惠及 86 户。",
        ACCEPTED,
    ),
    (
        "村内主干道路灯安装",
        "路灯损坏希望维修",
        "主干道和村委会广场安装太阳能路灯 48 盏，更换损坏灯头 12 个。",
        96000,
        "上级财政专项",
        "李志平",
        ("招标采购", "安装", "调试"),
        "安装太阳能路灯 48 盏，更换灯头 12 个，夜间主干道全部有照明。",
        COMPLETED,
    ),
    (
        "自来水管网改造",
        "自来水水压低",
        "更换二组、四组老化供水主管 2.3 公里，加装加压泵一台，解决高峰时段水压低。",
        420000,
        "上级财政专项",
        "王德明",
        ("勘察设计", "管材进场", "主管铺设", "通水验收"),
        "",
        IN_PROGRESS,
    ),
    (
        "排水沟疏通与新建",
        "希望安装排水沟",
        "疏通一组至六组排水沟 3 公里，新建排水沟 600 米，雨季前完工。",
        58000,
        "村集体经济",
        "赵凤兰",
        ("方案公示", "开工", "完工"),
        "",
        PLANNED,
    ),
    (
        "村卫生室改造提升",
        "希望村卫生室配备常用药",
        "卫生室扩建诊疗间一间，添置常用药品柜和检查床，配齐常用药。",
        75000,
        "财政奖补",
        "刘敏",
        ("设计", "施工", "设备进场"),
        "",
        PLANNED,
    ),
)
LINKS_PER_PROJECT = 6


def _actor(ws: Workspace) -> User:
    with ws.work(None) as w:
        user = (
            w.session.scalars(
                select(User).where(User.username == "admin", User.village_code == w.unit_code)
            ).first()
            or w.session.scalars(select(User).where(User.village_code == w.unit_code)).first()
        )
        assert user is not None, "a station has its administrator"
        w.session.expunge(user)
    return user


def photo_png(width: int = 320, height: int = 200, seed: int = 0) -> bytes:
    """A small stand-in photo (a sky-to-road gradient), made without an imaging library."""
    rows = []
    for y in range(height):
        if y < height * 0.55:
            pixel = bytes((120 + y // 3, 170 + y // 4, 230))
        else:
            shade = 110 + (y + seed * 7) % 40
            pixel = bytes((shade, shade, shade - 10))
        rows.append(b"\x00" + pixel * width)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    today, rng = demo.today, demo.rng
    user = _actor(ws)
    made = {"projects": 0}
    with ws.work(user) as w:
        keys = {p[1] for p in PROJECTS}
        by_content: dict[str, list[str]] = {}
        for did, content in w.session.execute(
            select(Demand.id, Demand.content)
            .where(Demand.content.in_(keys), Demand.deleted_at.is_(None), Demand.status != "已上报乡镇")
            .order_by(Demand.id)
        ):
            found = by_content.setdefault(content, [])
            if len(found) < LINKS_PER_PROJECT:
                found.append(did)
        start = today - dt.timedelta(days=150)
        for n, (title, key, plan, budget, source, responsible, steps, done, state) in enumerate(PROJECTS):
            span = 120 if state in (ACCEPTED, COMPLETED) else 200
            dues = [start + dt.timedelta(days=span * (k + 1) // len(steps)) for k in range(len(steps))]
            detail = service.save_project(
                w,
                ProjectInput(
                    title=title,
                    year=today.year,
                    budget=budget,
                    funding_source=source,
                    responsible=responsible,
                    content=plan,
                    contact="村委会办公室，或拨打群众工作室电话",
                    milestones=[MilestoneInput(s, d) for s, d in zip(steps, dues, strict=True)],
                    demand_ids=by_content.get(key, []),
                ),
                today=today,
            )
            made["projects"] += 1
            if state == PLANNED:
                continue
            service.advance(w, detail.id, IN_PROGRESS, on=start + dt.timedelta(days=3), today=today)
            for m in detail.milestones:
                if m.due_on <= today:
                    service.set_milestone_done(
                        w, m.id, min(today, m.due_on + dt.timedelta(days=rng.randint(0, 4))), today=today
                    )
            attachments.attach_bytes(w, "project", detail.id, photo_png(seed=n), f"{title}施工照片.png")
            if state == IN_PROGRESS:
                continue
            completed = start + dt.timedelta(days=span + 5)
            service.advance(
                w,
                detail.id,
                COMPLETED,
                on=completed,
                done_summary=done,
                spent=round(budget * rng.uniform(0.9, 1.0)),
                today=today,
            )
            if state == COMPLETED:
                continue
            reviewed = completed + dt.timedelta(days=10)
            service.advance(
                w,
                detail.id,
                ACCEPTED,
                on=reviewed,
                review=ReviewInput(
                    rng.randint(30, 45),
                    rng.randint(4, 9),
                    1,
                    "当面",
                    "路修得好；五组路口转弯处窄，会车不便，希望加宽。",
                    reviewed,
                ),
                today=today,
            )
    return made
