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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import UserError
from app.workspace import Workspace

DEMO_STEPS: tuple[str, ...] = (
    "app.households.demo:generate",
    "app.diary.demo:generate",
    "app.mediation.demo:generate",
    "app.keycases.demo:generate",
    "app.informants.demo:generate",
    "app.aid.demo:generate",
    "app.reviews.demo:generate",
    "app.projects.demo:generate",
)

DEMO_TOWN = {"code": "370681101", "name": "东城镇"}
DEMO_VILLAGE = {"code": "370681101201", "name": "张家村"}
DEMO_ADMIN = ("admin", "minqing")  # shown on the sign-in dialog of a demo workspace only
DEMO_SETTING = "demo_workspace"


def _no_progress(done: int, total: int, text: str = "") -> None:
    return None


@dataclass
class DemoRun:
    households: int
    seed: int
    today: dt.date
    rng: random.Random
    progress: Callable[[int, int, str], None] = _no_progress
    shared: dict[str, Any] = field(default_factory=dict)  # steps hand each other what later steps need
    # Sizes other than each step's default, e.g. {"diary_entries": 10_000, "mediation_cases": 300}
    # (the benchmarks' village-year); a step reads the keys it knows.
    sizes: dict[str, int] = field(default_factory=dict)


def ensure_demo_station(data_dir: Path) -> Workspace:
    """Open ``data_dir``, creating a demo village (and its demo town's card) when it is empty."""
    from app.stations import init_station, station_card
    from app.sync.station_cards import card_signature, write_card

    ws = Workspace.open(data_dir)
    if ws.locked:  # an encrypted workspace: a demo one opens with the demo account, any other is refused
        if (ws.public_station() or {}).get("demo") is not True:
            raise UserError(f"{data_dir} 是一个正式工作站，不是演示工作站：请换一个空目录生成演示数据")
        ws.unlock(*DEMO_ADMIN)
    if not ws.is_initialized:
        town = Workspace.open(data_dir / "demo-town")
        init_station(
            town,
            kind="town",
            code=DEMO_TOWN["code"],
            name=DEMO_TOWN["name"],
            admin_user=DEMO_ADMIN[0],
            admin_password=DEMO_ADMIN[1],
            admin_display_name="镇管理员",
        )
        town_card = station_card(town)
        card = write_card(
            town_card, data_dir / "demo-town-card.json", card_signature(town_card, town.keys_dir, town.key)
        )
        town.close()
        init_station(
            ws,
            kind="village",
            code=DEMO_VILLAGE["code"],
            name=DEMO_VILLAGE["name"],
            town_card=card,
            admin_user=DEMO_ADMIN[0],
            admin_password=DEMO_ADMIN[1],
            admin_display_name="村管理员",
            service_phone="0535-6611234",
        )
        with ws.session() as s:
            from db import settings

            settings.put(s, DEMO_SETTING, True)
        ws.write_public_station()  # the sign-in box offers the demo account before the database opens
    return ws


def _has_households(ws: Workspace) -> bool:
    from sqlalchemy import select

    from db.models import Household

    with ws.session() as s:
        return s.scalars(select(Household.id).limit(1)).first() is not None


def is_demo_workspace(ws: Workspace) -> bool:
    """True for a workspace made by :func:`ensure_demo_station` (the sign-in box offers the demo account)."""
    with ws.session() as s:
        from db import settings

        return bool(settings.get(s, DEMO_SETTING, False))


def step_name(spec: str) -> str:
    """ "app.households.demo:generate" → "households" (the name ``--steps`` uses): the feature package's
    name; a step module outside a feature package is named by itself, less a ``demo_`` prefix."""
    parts = spec.split(":")[0].split(".")
    return parts[-2] if parts[-1] == "demo" and len(parts) > 2 else parts[-1].removeprefix("demo_")


def chosen_steps(steps: Sequence[str] | None) -> tuple[str, ...]:
    """The specs of :data:`DEMO_STEPS` named in ``steps`` (all when None), in their order.

    Later steps use what earlier ones made (households first), so a choice must include every step
    before the last one chosen: ``households`` or ``households,diary`` but not ``diary`` alone.
    """
    names = [step_name(spec) for spec in DEMO_STEPS]
    if steps is None:
        return DEMO_STEPS
    unknown = [s for s in steps if s not in names]
    if unknown:
        raise ValueError(f"没有这个演示步骤：{'、'.join(unknown)}（可选：{'、'.join(names)}）")
    last = max(names.index(s) for s in steps) if steps else -1
    return DEMO_STEPS[: last + 1]


def run(
    ws: Workspace,
    *,
    households: int = 300,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    steps: Sequence[str] | None = None,
    timings: dict[str, float] | None = None,
    sizes: dict[str, int] | None = None,
) -> dict[str, int]:
    """Run the demo steps (all, or ``steps`` and those they need); ``timings`` gets seconds per step;
    ``sizes`` overrides a step's default amount (see :class:`DemoRun`)."""
    demo = DemoRun(
        households=households,
        seed=seed,
        today=today or dt.date.today(),
        rng=random.Random(seed),
        sizes=dict(sizes or {}),
    )
    if progress is not None:
        demo.progress = progress
    made: dict[str, int] = {}
    for spec in chosen_steps(steps):
        module_name, fn_name = spec.split(":")
        started = time.perf_counter()
        made.update(getattr(importlib.import_module(module_name), fn_name)(ws, demo))
        if timings is not None:
            timings[step_name(spec)] = round(time.perf_counter() - started, 2)
    return made


def _cmd_demo(args: argparse.Namespace) -> int:
    from app.cli import emit
    from app.paths import resolve_data_dir

    steps = [s.strip() for s in args.steps.replace("，", ",").split(",") if s.strip()] if args.steps else None
    try:
        chosen_steps(steps)
    except ValueError as exc:
        emit(args, str(exc), {"error": str(exc)})
        return 1
    started = time.perf_counter()
    timings: dict[str, float] = {}
    ws = ensure_demo_station(resolve_data_dir(args.data_dir))
    try:
        if steps is None and _has_households(ws):  # (run again, its records would collide with its own)
            raise UserError(
                f"{ws.root} 里已经生成过演示数据：要重新生成，请换一个空目录（或先删掉这个目录）；"
                "只补做某一步请用 --steps"
            )
        made = run(ws, households=args.households, seed=args.seed, steps=steps, timings=timings)
    finally:
        # No day's backup of data just generated (a copy of the whole database: 9 s at 100 000
        # households); the first close of the window today makes it, as for any workspace.
        ws.close(daily_backup=False)
    total = round(time.perf_counter() - started, 2)
    emit(
        args,
        "演示数据已生成："
        + "，".join(f"{k} {v}" for k, v in made.items())
        + f"\n用时 {total} 秒（"
        + "，".join(f"{k} {v} 秒" for k, v in timings.items())
        + "）",
        {"made": made, "seconds": {"total": total, **timings}},
    )
    return 0


def register_cli(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: dict[str, argparse.ArgumentParser]
) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser(
        "demo", help="生成演示数据（空目录会先建立演示村）", parents=[parents["data"], parents["json"]]
    )
    p.add_argument("--households", type=int, default=300, metavar="户数", help="户数（默认 300）")
    p.add_argument("--seed", type=int, default=1, metavar="种子", help="随机种子（同一种子结果相同）")
    p.add_argument(
        "--steps",
        metavar="步骤",
        help="只生成这些步骤（逗号分隔，如 households；默认全部："
        + "、".join(step_name(s) for s in DEMO_STEPS)
        + "）",
    )
    return {"demo": _cmd_demo}
