"""Demo data of 两评 (a :data:`app.demo.DEMO_STEPS` step): the village's 驻村干部 (two of the demo's accounts
get a 驻村 职务), their 群众评议 tallies for the half-year that ended last, and — where the demo town stands
beside the village, as ``python -m app demo`` makes it — the town's last 点评会 with its decisions, brought to
the village by a real 下发包. A handful of rows: fast at any size."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import insert, select

from db.models import CadreReview, Station, User
from db.stamping import stamp_new_rows

from app.demo import DemoRun
from app.reviews.common import RESIDENT_CADRE_WORD, last_period, period_dates
from app.workspace import Workspace

# demo accounts that become the village's 驻村干部 (app/households/demo.py makes them)
RESIDENT_TITLES = {"cadre03": "驻村第一书记", "wangge02": "驻村工作队员"}
COMMENTS = (
    "第一书记常来组里，修路的事跑了好几趟。",
    "希望多到三组、四组走走，晚上在家的人多。",
    "低保复核讲得清楚，办事公道。",
    "有事打电话能找到人。",
)
MINUTES = (
    "会议逐村点评了上月的走访、诉求办理、矛盾纠纷排查和调解情况。"
    "各村走访面基本覆盖重点户，但部分诉求办理超期，答复群众不够及时；"
    "个别村排查流于形式，排查记录与民情日记对不上。会议研究了下月重点工作。"
)
DECISIONS = (
    (True, "各村在本月底前对低保、特困户逐户走访一遍，走访情况记入民情日记，困难问题当场登记诉求。"),
    (True, "逾期未办结的诉求逐条说明原因，能办的限期办结，办不了的向群众当面解释并上报乡镇。"),
    (False, "{village}尽快组织二组、五组的矛盾纠纷排查，排查情况下次点评会通报。"),
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
        made["review_decisions"] = _decisions_through_the_demo_town(ws, station.code, today)
    return made


def _decisions_through_the_demo_town(ws: Workspace, village_code: str, today: dt.date) -> int:
    """The demo town (``demo-town`` beside the demo village, as ``python -m app demo`` makes it) holds the
    last month's 点评会 with its decisions and sends them in a real 下发包, which the village imports. A
    village without that town beside it (the tests' and benchmarks' villages) gets none."""
    import tempfile

    from app import accounts
    from app.demo import DEMO_ADMIN
    from app.reviews import meetings
    from app.sync.enrollment import enroll, export_card
    from app.sync.export import export_bundles
    from app.sync.importer import import_bundles

    town_dir = ws.root / "demo-town"
    if not (town_dir / "minqing.db").exists():
        return 0
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    town = Workspace.open(town_dir, create=False, credentials=DEMO_ADMIN)
    try:
        with tempfile.TemporaryDirectory(prefix="minqing-demo-") as tmp:
            enroll(town, export_card(ws, Path(tmp) / "card.json"))  # the same card again changes nothing
            with town.work(None) as w:
                admin = accounts.first_active_admin(w)
                w.session.expunge(admin)
            with town.work(admin) as w:
                if meetings.meeting_of(w, last_month) is not None:
                    return 0
                held_on = min(today.replace(day=1) + dt.timedelta(days=4), today)
                meeting = meetings.save_meeting(
                    w,
                    last_month,
                    held_on=held_on,
                    place="镇政府三楼会议室",
                    attendees="镇党委书记、分管副镇长、各村党支部书记、驻村第一书记",
                    minutes=MINUTES,
                    today=today,
                )
                name = ws.require_station().name
                for to_all, text in DECISIONS:
                    meetings.add_decision(
                        w,
                        meeting.id,
                        text.format(village=name),
                        village_code=None if to_all else village_code,
                        due_on=held_on + dt.timedelta(days=20),
                    )
            sent = export_bundles(town, Path(tmp), village=village_code, today=today)
            import_bundles(ws, [r.path for r in sent])
    finally:
        town.close()
    return len(DECISIONS)
