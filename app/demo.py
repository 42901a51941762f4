"""``python -m app demo``: realistic demo data, deterministic for a seed.

Creates a demo town and village in an empty data dir, then runs every step in :data:`DEMO_STEPS`
(each feature adds its own: households first, then diaries, cases …). A step is
``generate(ws, demo: DemoRun) -> dict[str, int]`` (what it made, for the summary).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.workspace import Workspace

DEMO_STEPS: tuple[str, ...] = (
    "app.demo_households:generate",
    "app.demo_diary:generate",
    "app.demo_mediation:generate",
)

DEMO_TOWN = {"code": "370681101", "name": "东城镇"}
DEMO_VILLAGE = {"code": "370681101201", "name": "张家村"}
DEMO_ADMIN = ("admin", "minqing")  # shown on the sign-in dialog of a demo workspace only
DEMO_SETTING = "demo_workspace"


@dataclass
class DemoRun:
    households: int
    seed: int
    today: dt.date
    rng: random.Random
    progress: Callable[[int, int, str], None] = lambda done, total, text="": None
    shared: dict = field(default_factory=dict)  # steps hand each other what later steps need


def ensure_demo_station(data_dir: Path) -> Workspace:
    """Open ``data_dir``, creating a demo village (and its demo town's card) when it is empty."""
    import json

    from sqlalchemy import select

    from db.models import Setting

    from app.stations import init_station, station_card
    from app.sync.cards import write_card

    ws = Workspace.open(data_dir)
    if not ws.is_initialized:
        town = Workspace.open(data_dir / "demo-town")
        init_station(town, kind="town", code=DEMO_TOWN["code"], name=DEMO_TOWN["name"],
                     admin_user=DEMO_ADMIN[0], admin_password=DEMO_ADMIN[1], admin_display_name="镇管理员")
        card = write_card(station_card(town), town.keys_dir, data_dir / "demo-town-card.json")
        town.close()
        init_station(ws, kind="village", code=DEMO_VILLAGE["code"], name=DEMO_VILLAGE["name"], town_card=card,
                     admin_user=DEMO_ADMIN[0], admin_password=DEMO_ADMIN[1], admin_display_name="村管理员",
                     service_phone="0535-6611234")
        with ws.session() as s:
            if s.scalars(select(Setting).where(Setting.key == DEMO_SETTING)).first() is None:
                s.add(Setting(key=DEMO_SETTING, value=json.dumps(True)))
    return ws


def run(ws: Workspace, *, households: int = 300, seed: int = 1, today: dt.date | None = None,
        progress: Callable[[int, int, str], None] | None = None) -> dict[str, int]:
    demo = DemoRun(households=households, seed=seed, today=today or dt.date.today(), rng=random.Random(seed))
    if progress is not None:
        demo.progress = progress
    made: dict[str, int] = {}
    for spec in DEMO_STEPS:
        module_name, fn_name = spec.split(":")
        made.update(getattr(importlib.import_module(module_name), fn_name)(ws, demo))
    return made


def _cmd_demo(args: argparse.Namespace) -> int:
    from app.cli import emit
    from app.paths import resolve_data_dir

    ws = ensure_demo_station(resolve_data_dir(args.data_dir))
    try:
        made = run(ws, households=args.households, seed=args.seed)
    finally:
        ws.close()
    emit(args, "演示数据已生成：" + "，".join(f"{k} {v}" for k, v in made.items()), {"made": made})
    return 0


def register_cli(sub, parents):  # noqa: ANN001, ANN201
    p = sub.add_parser("demo", help="生成演示数据（空目录会先建立演示村）", parents=[parents["data"], parents["json"]])
    p.add_argument("--households", type=int, default=300, metavar="户数", help="户数（默认 300）")
    p.add_argument("--seed", type=int, default=1, metavar="种子", help="随机种子（同一种子结果相同）")
    return {"demo": _cmd_demo}
