"""Demo data of 两评 (a :data:`app.demo.DEMO_STEPS` step): the village's 驻村干部 (two of the demo's accounts
get a 驻村 职务), their 群众评议 tallies for the half-year that ended last, and the decisions of the town's
last 点评会 addressed to this village as its 下发包 brings them (stamped as the town's rows: the demo
village has no town beside it that could send them). A handful of rows: fast at any size."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Connection, insert, select

from db.base import new_id, utcnow
from db.models import CadreReview, ReviewDecision, Station, User
from db.stamping import stamp_new_rows

from app.demo import DemoRun
from app.reviews.common import RESIDENT_CADRE_WORD, last_period, month_key, period_dates
from app.workspace import Workspace

# demo accounts that become the village's 驻村干部 (app/households/demo.py makes them)
RESIDENT_TITLES = {"cadre03": "驻村第一书记", "wangge02": "驻村工作队员"}
COMMENTS = (
    "第一书记常来组里，修路的事跑了好几趟。",
    "希望多到三组、四组走走，晚上在家的人多。",
    "低保复核讲得清楚，办事公道。",
    "有事打电话能找到人。",
)
DECISIONS = (
    (True, "各村在本月底前对低保、特困户逐户走访一遍，走访情况记入民情日记，困难问题当场登记诉求。"),
    (True, "逾期未办结的诉求逐条说明原因，能办的限期办结，办不了的向群众当面解释并上报乡镇。"),
    (False, "本村尽快组织二组、五组的矛盾纠纷排查，排查情况下次点评会通报。"),
)


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    station = ws.require_station()
    if station.kind != "village":
        return {}
    rng = random.Random(f"{demo.seed}-reviews")
    today = demo.today
    with ws.session() as s:
        users = {u.username: u for u in s.scalars(select(User).where(User.village_code == station.code))}
        if not any(RESIDENT_CADRE_WORD in (u.title or "") for u in users.values()):
            for username, title in RESIDENT_TITLES.items():
                if username in users:
                    users[username].title = title
        s.flush()
        cadres = [u for u in users.values() if RESIDENT_CADRE_WORD in (u.title or "") and u.active]
        town = s.scalars(select(Station).where(Station.kind == "town")).first()
        admin = next((u for u in users.values() if "admin" in u.role_set), None)
        cadre_ids = [u.id for u in sorted(cadres, key=lambda u: u.username)]
        admin_name = admin.display_name if admin else "村管理员"
    period = last_period(today)
    _start, end = period_dates(period)
    tallies = []
    for cadre_id in cadre_ids:
        issued = rng.randint(40, 60)
        returned = issued - rng.randint(0, 4)
        invalid = rng.randint(0, 2)
        dissatisfied = rng.randint(0, 3)
        basic = rng.randint(3, 10)
        tallies.append(
            {
                "cadre_id": cadre_id,
                "period": period,
                "ballots_issued": issued,
                "ballots_returned": returned,
                "satisfied": returned - invalid - dissatisfied - basic,
                "basically_satisfied": basic,
                "dissatisfied": dissatisfied,
                "invalid": invalid,
                "counted_on": min(end + dt.timedelta(days=rng.randint(5, 15)), today),
                "counted_by": f"{admin_name}、镇组织办干部",
                "comments": "\n".join(rng.sample(COMMENTS, 2)),
            }
        )
    made = {"cadre_reviews": 0, "review_decisions": 0}
    assert ws.engine is not None, "the demo runs in an open workspace"
    with ws.engine.begin() as conn:
        existing = conn.execute(select(CadreReview.id).where(CadreReview.period == period)).first()
        if tallies and existing is None:
            stamp_new_rows(conn, ws.stamp_context(admin.id if admin else None), tallies)
            conn.execute(insert(CadreReview), tallies)
            made["cadre_reviews"] = len(tallies)
        if town is not None:
            made["review_decisions"] = _decisions_from_town(conn, town.id, station.code, today)
    return made


def _decisions_from_town(conn: Connection, town_id: str, village_code: str, today: dt.date) -> int:
    """The last month's meeting's decisions for this village, as the town's 下发包 brought them."""
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if conn.execute(select(ReviewDecision.id).where(ReviewDecision.month == month_key(last_month))).first():
        return 0
    held_on = min(today.replace(day=1) + dt.timedelta(days=4), today)
    meeting_id = new_id(town_id, ms=int(dt.datetime.combine(held_on, dt.time(9)).timestamp() * 1000))
    now = utcnow()
    rows = []
    for seq, (to_all, text) in enumerate(DECISIONS, start=1):
        rows.append(
            {
                "id": new_id(town_id),
                "village_code": village_code,
                "origin_station": town_id,
                "version": seq,
                "changed_station": town_id,
                "base_station": None,
                "base_version": None,
                "created_at": now,
                "updated_at": now,
                "created_by": None,
                "updated_by": None,
                "deleted_at": None,
                "meeting_id": meeting_id,
                "month": month_key(last_month),
                "held_on": held_on,
                "seq": seq,
                "to_all": to_all,
                "text": text,
                "due_on": held_on + dt.timedelta(days=20),
                "done_on": None,
                "done_note": "",
                "done_by": None,
            }
        )
    conn.execute(insert(ReviewDecision), rows)
    return len(rows)
