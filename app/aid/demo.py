"""Demo step: 帮扶 for the demo village's households in difficulty (低保, 困难户, 特困, 五保, 残疾) and a
few one-off 临时救助 to others: about 15 months of records, uneven between households as real aid is,
most linked to a diary entry of that household (the record's date is the visit's), and a 帮扶对子 for
each such household, some changed or ended over time (history kept).

Core bulk inserts, stamped by :func:`db.stamping.stamp_new_rows`; deterministic for the demo's seed
(a generator of its own, so the other steps' data stay what they were).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select

from db import vocab
from db.models import AidPair, AidRecord, DiaryEntry, DiaryParticipant, Household, HouseholdTag, User
from db.stamping import stamp_new_rows

from app.demo import DemoRun
from app.workspace import Workspace

NEED_TAGS = ("低保", "困难户", "特困", "五保", "残疾")
# kind → (share per mille, [(goods, policy, amount range in 元 or None, unit or None)])
AID: dict[str, tuple[int, list[tuple[str, str, tuple[int, int] | None, str | None]]]] = {
    "物资": (
        300,
        [
            ("大米 2 袋、食用油 1 桶", "春节走访慰问", None, None),
            ("棉被 2 床、棉衣 1 件", "冬季送温暖", None, "镇慈善分会"),
            ("米、面、油慰问品一份", "中秋慰问", None, None),
            ("电暖器 1 台", "冬季送温暖", None, "爱心企业鲁东建材"),
        ],
    ),
    "资金": (
        250,
        [
            ("", "临时救助", (300, 2000), "镇民政办"),
            ("", "低保金补发", (200, 900), "镇民政办"),
            ("慰问金", "春节走访慰问", (200, 500), None),
            ("", "特困供养金", (600, 1200), "县民政局"),
        ],
    ),
    "政策落实": (
        150,
        [
            ("协助办理低保年审材料", "最低生活保障", None, None),
            ("申请残疾人两项补贴，已获批", "残疾人两项补贴", None, "县残联"),
            ("办理城乡居民医保代缴", "医疗保障资助参保", None, None),
        ],
    ),
    "就业": (
        80,
        [
            ("推荐到镇扶贫车间务工", "就业帮扶车间", None, "县人社局"),
            ("安排村公益性岗位（保洁）", "公益性岗位", (600, 800), None),
        ],
    ),
    "医疗": (
        90,
        [
            ("协助办理大病救助报销", "医疗救助", (1500, 6000), "镇民政办"),
            ("联系家庭医生上门签约随访", "家庭医生签约服务", None, None),
        ],
    ),
    "教育": (
        60,
        [
            ("子女申请助学金", "教育资助", (1000, 3000), "县妇联"),
            ("送学习用品一套", "金秋助学", None, None),
        ],
    ),
    "住房": (
        30,
        [
            ("危房改造补助，已开工", "农村危房改造", (12000, 28000), "县住建局"),
            ("帮助修缮屋顶漏雨", "住房安全保障", None, "村委会"),
        ],
    ),
    "其他": (
        40,
        [
            ("志愿者帮助秋收", "志愿服务", None, "村志愿服务队"),
            ("帮助联系农资赊购", "产业帮扶", None, None),
        ],
    ),
}
PER_NEED_HOUSEHOLD = 4.5  # records in 15 months, on average (some households get none, some a dozen)
ONE_OFF_SHARE = 0.01  # other households with one 临时救助
END_REASONS = ("工作调整", "已脱困", "责任人调离")
BATCH = 20_000


def _pick_kind(rng: random.Random) -> str:
    r = rng.randrange(1000)
    for kind, (share, _choices) in AID.items():
        if r < share:
            return kind
        r -= share
    return vocab.AID_OTHER


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    assert ws.engine is not None, "the demo runs in an open workspace"
    rng = random.Random(f"{demo.seed}-aid")
    today = demo.today
    per_household = demo.sizes.get("aid_per_household_x10", int(PER_NEED_HOUSEHOLD * 10)) / 10
    with ws.engine.connect() as conn:
        cadres = list(
            conn.scalars(
                select(User.id)
                .where(User.deleted_at.is_(None), User.active.is_(True), User.roles.like("%cadre%"))
                .order_by(User.username)
            )
        ) or list(conn.scalars(select(User.id).where(User.deleted_at.is_(None)).order_by(User.username)))
        need = sorted(
            set(
                conn.scalars(
                    select(HouseholdTag.household_id).where(
                        HouseholdTag.tag.in_(NEED_TAGS), HouseholdTag.deleted_at.is_(None)
                    )
                )
            )
        )
        all_ids = list(
            conn.scalars(select(Household.id).where(Household.deleted_at.is_(None)).order_by(Household.id))
        )
        if len(need) < 3:  # a tiny demo: a few households in difficulty all the same
            need = sorted(set(need) | set(all_ids[:3]))
        need_set = set(need)
        one_off = [h for h in all_ids if h not in need_set and rng.random() < ONE_OFF_SHARE]
        aided = need + one_off
        visits: dict[str, list[tuple[str, dt.datetime]]] = {}
        for start in range(0, len(aided), 500):
            chunk = aided[start : start + 500]
            for hid, eid, at in conn.execute(
                select(DiaryParticipant.household_id, DiaryEntry.id, DiaryEntry.occurred_at)
                .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
                .where(
                    DiaryParticipant.household_id.in_(chunk),
                    DiaryParticipant.deleted_at.is_(None),
                    DiaryEntry.deleted_at.is_(None),
                )
            ):
                visits.setdefault(hid, []).append((eid, at))
    if not cadres or not aided:
        return {"aid_records": 0, "aid_pairs": 0}
    records: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    for hid in aided:
        is_need = hid in need_set
        seen = sorted(set(visits.get(hid, [])), key=lambda v: (v[1], v[0]))
        cadre = cadres[rng.randrange(len(cadres))]
        if is_need:
            began = today - dt.timedelta(days=rng.randint(300, 1100))
            r = rng.random()
            if r < 0.12 and len(cadres) > 1:  # the responsible cadre changed once
                change = began + dt.timedelta(days=rng.randint(60, max(61, (today - began).days - 1)))
                other = cadres[(cadres.index(cadre) + 1) % len(cadres)]
                pairs.append(_pair(hid, other, began, change, "工作调整"))
                pairs.append(_pair(hid, cadre, change, None, ""))
            elif r < 0.18:  # out of difficulty: the pair ended, the history stays
                pairs.append(
                    _pair(hid, cadre, began, today - dt.timedelta(days=rng.randint(5, 200)), "已脱困")
                )
            else:
                pairs.append(_pair(hid, cadre, began, None, ""))
        n = max(0, round(rng.gauss(per_household, 2.5))) if is_need else 1
        for _ in range(n):
            kind = _pick_kind(rng) if is_need else "资金"
            goods, policy, amounts, unit = rng.choice(AID[kind][1]) if is_need else AID["资金"][1][0]
            entry_id = None
            if seen and rng.random() < 0.7:
                entry_id, at = rng.choice(seen)
                given_on = at.date()
            else:
                given_on = today - dt.timedelta(days=rng.randint(0, 450))
            amount = rng.randrange(amounts[0], amounts[1] + 1, 50) * 100 if amounts else None
            by_unit = unit is not None and rng.random() < 0.8
            records.append(
                {
                    "household_id": hid,
                    "given_on": given_on,
                    "kind": kind,
                    "amount_fen": amount,
                    "goods": goods,
                    "policy": policy,
                    "giver_user_id": None if by_unit else cadre,
                    "giver_unit": unit if by_unit else "",
                    "entry_id": entry_id,
                    "note": "",
                }
            )
    ctx = ws.stamp_context()
    for start in range(0, max(len(records), len(pairs)), BATCH):
        with ws.engine.begin() as conn:
            for model, rows in (
                (AidRecord, records[start : start + BATCH]),
                (AidPair, pairs[start : start + BATCH]),
            ):
                if rows:
                    stamp_new_rows(conn, ctx, rows)
                    conn.execute(insert(model), rows)
        demo.progress(min(start + BATCH, len(records)), len(records), "帮扶记录")
    return {"aid_records": len(records), "aid_pairs": len(pairs)}


def _pair(hid: str, cadre: str, start: dt.date, end: dt.date | None, reason: str) -> dict[str, Any]:
    return {"household_id": hid, "cadre_id": cadre, "start_on": start, "end_on": end, "end_reason": reason}
