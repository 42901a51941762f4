"""The diary's derived data (db/diary_derived.py: last home visit per household, per-day counts, the
periods each household was met in) stays equal to a recomputation from the diary itself, whatever path
wrote the diary: the forms (save, edit, participants changed, delete), demand changes, household
deletion, the demo's bulk batches, the bundle importer's bulk path (first import and a later one with
edits and deletions). The reminders and the report's figures read it (checked against the slow ways)."""

import datetime as dt
import shutil

from sqlalchemy import select

from db.models import Demand

from app import reports
from app.diary import demands, entries, todo, visits
from app.households import roster
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


def _periods(day: str) -> list[str]:
    return [day[:4], f"{day[:4]}-Q{(int(day[5:7]) + 2) // 3}", day[:7]]


def recomputed(conn) -> dict[str, set]:
    """Every derived table as recomputed from the base tables, independently of db/diary_derived.py."""
    q = conn.exec_driver_sql
    out: dict[str, set] = {}
    out["entry_fact"] = set(
        q("SELECT id, village_code, date(occurred_at), kind FROM diary_entry WHERE deleted_at IS NULL")
    )
    out["entry_day"] = set(
        q(
            "SELECT date(occurred_at), village_code, kind, count(*) FROM diary_entry WHERE deleted_at IS NULL "
            "GROUP BY 1, 2, 3"
        )
    )
    demand_rows = q(
        "SELECT date(e.occurred_at), d.village_code, d.status, d.category, d.feedback_verdict, d.due_on "
        "FROM demand d JOIN diary_entry e ON e.id = d.entry_id "
        "WHERE d.deleted_at IS NULL AND e.deleted_at IS NULL"
    ).fetchall()
    counts: dict[tuple, int] = {}
    for day, code, status, category, verdict, due in demand_rows:
        key = (day, code, status, category, verdict or "", "" if status == "已办结" else (due or ""))
        counts[key] = counts.get(key, 0) + 1
    out["demand_day"] = {(*k, n) for k, n in counts.items()}
    last = dict(
        q(
            "SELECT dp.household_id, max(e.occurred_at) FROM diary_participant dp "
            "JOIN diary_entry e ON e.id = dp.entry_id WHERE dp.deleted_at IS NULL AND e.deleted_at IS NULL "
            "AND e.kind = '入户走访' GROUP BY dp.household_id"
        ).fetchall()
    )
    out["household_visit"] = set()
    for hid, code, created in q(
        "SELECT id, village_code, created_at FROM household WHERE deleted_at IS NULL"
    ):
        day = last[hid][:10] if hid in last else None
        out["household_visit"].add((hid, code, day, day or created[:10]))
    out["household_met"] = {
        (period, code, hid)
        for code, hid, day in q(
            "SELECT e.village_code, dp.household_id, date(e.occurred_at) FROM diary_participant dp "
            "JOIN diary_entry e ON e.id = dp.entry_id WHERE dp.deleted_at IS NULL AND e.deleted_at IS NULL"
        )
        for period in _periods(day)
    }
    return out


def stored(conn) -> dict[str, set]:
    q = conn.exec_driver_sql
    return {
        "entry_fact": set(q("SELECT entry_id, village_code, day, kind FROM derived_entry_fact")),
        "entry_day": set(q("SELECT day, village_code, kind, n FROM derived_entry_day WHERE n > 0")),
        "demand_day": set(
            q(
                "SELECT day, village_code, status, category, verdict, due_on, n FROM derived_demand_day "
                "WHERE n > 0"
            )
        ),
        "household_visit": set(
            q("SELECT household_id, village_code, last_visit, since FROM derived_household_visit")
        ),
        "household_met": set(q("SELECT period, village_code, household_id FROM derived_household_met")),
    }


def assert_derived_matches(ws) -> dict[str, set]:
    with ws.engine.connect() as conn:
        want, have = recomputed(conn), stored(conn)
    for name in want:
        assert have[name] == want[name], (name, have[name] ^ want[name])
    return want


def _save(ws, user, data, entry_id=None):
    with ws.work(user) as w:
        return entries.save_entry(w, data, entry_id=entry_id, now=NOW)


def test_every_form_write_path_keeps_the_derived_data(village_ws, village_admin):
    cadre = add_cadre(village_ws)
    a, pa, _ = add_household(village_ws, "张三丰", cadre_id=cadre.id, created=dt.datetime(2023, 5, 1))
    b, pb, _ = add_household(village_ws, "李四", tags=["低保"], created=dt.datetime(2023, 6, 1))
    assert_derived_matches(village_ws)
    first = _save(
        village_ws, cadre, entry_input(a, pa, when=NOW - dt.timedelta(days=40), demands=[("医疗", "看病")])
    )
    second = _save(village_ws, cadre, entry_input(b, pb, when=NOW - dt.timedelta(days=3), kind="电话联系"))
    derived = assert_derived_matches(village_ws)
    assert {(h, v) for h, _c, v, _s in derived["household_visit"]} == {
        (a, (NOW - dt.timedelta(days=40)).date().isoformat()),
        (b, None),
    }
    # edited: another day, another kind, the other household met as well
    data = entry_input(a, pa, when=NOW - dt.timedelta(days=100), demands=[("医疗", "看病")])
    data.participants.append(entries.ParticipantInput(b, pb))
    _save(village_ws, cadre, data, entry_id=first.id)
    assert_derived_matches(village_ws)
    # a home visit now, only household b
    data = entry_input(b, pb, when=NOW - dt.timedelta(days=2), demands=[("医疗", "看病")])
    _save(village_ws, cadre, data, entry_id=first.id)
    assert_derived_matches(village_ws)
    # a demand answered and closed
    with village_ws.session() as s:
        demand_id = s.scalars(
            select(Demand.id).where(Demand.entry_id == first.id, Demand.deleted_at.is_(None))
        ).first()
    assert demand_id
    if demand_id:
        with village_ws.work(village_admin) as w:
            demands.reply_demand(
                w,
                demand_id,
                reply="已联系卫生院",
                replied_on=NOW.date(),
                replied_by="王建国",
                today=NOW.date(),
            )
        assert_derived_matches(village_ws)
    # deleted entry, deleted household
    with village_ws.work(cadre) as w:
        entries.delete_entry(w, second.id)
    assert_derived_matches(village_ws)
    with village_ws.work(village_admin) as w:
        roster.delete_household(w, a)
    derived = assert_derived_matches(village_ws)
    assert a not in {h for h, *_ in derived["household_visit"]}


def test_the_reminders_and_the_report_read_it_alike_the_slow_ways(village_ws, village_admin):
    cadre = add_cadre(village_ws)
    today = NOW.date()
    households = []
    for i, (tags, created) in enumerate(
        [
            ((), dt.datetime(2023, 1, 31)),
            (("低保",), dt.datetime(2023, 11, 30)),
            ((), dt.datetime(2024, 2, 29)),
        ]
    ):
        households.append(add_household(village_ws, f"户{i}", tags=tags, cadre_id=cadre.id, created=created))
    hid, pid, _ = households[0]
    _save(village_ws, cadre, entry_input(hid, pid, when=NOW - dt.timedelta(days=200)))
    other, other_p, _ = households[1]
    _save(
        village_ws,
        cadre,
        entry_input(
            other, other_p, when=NOW - dt.timedelta(days=10), kind="电话联系", demands=[("医疗", "看病")]
        ),
    )
    _save(
        village_ws,
        cadre,
        entry_input(other, other_p, when=NOW - dt.timedelta(hours=1), demands=[("住房", "漏雨")]),
    )
    with village_ws.work(village_admin) as w:
        every = visits.overdue_households(w, today)
        summary = visits.overdue_summary(w, today, first_of=cadre.id, limit=2)
        items = todo.todo_items(w, today)
    assert summary.total == len(every) and summary.per_cadre == {cadre.id: len(every)}
    assert [o.household_id for o in summary.first] == [o.household_id for o in every][:2]
    assert every and all(o.due_on < today for o in every)
    assert any(f"{cadre.display_name} 联系的 {len(every)} 户" in i.title for i in items)
    # the report's diary figures of each period equal counts over the diary itself
    periods = [reports.period_for(k, today) for k in ("month", "quarter", "year")]
    periods.append(reports.period_for("custom", today, today - dt.timedelta(days=250), today))
    for period in periods:
        with village_ws.work(village_admin) as w:
            r = reports.compute(w, period, today=today)
        assert (r.totals.households_visited, r.totals.visits, r.totals.demands) == slow_figures(
            village_ws, period
        )


def slow_figures(ws, period):
    args = (period.start_dt().isoformat(" "), period.end_dt().isoformat(" "))
    live = "e.deleted_at IS NULL AND e.occurred_at >= ? AND e.occurred_at < ?"
    with ws.engine.connect() as c:
        return tuple(
            c.exec_driver_sql(sql, args).scalar()
            for sql in (
                "SELECT count(DISTINCT dp.household_id) FROM diary_participant dp JOIN diary_entry e "
                f"ON e.id = dp.entry_id WHERE dp.deleted_at IS NULL AND {live}",
                f"SELECT count(*) FROM diary_entry e WHERE {live}",
                f"SELECT count(*) FROM demand d JOIN diary_entry e ON e.id = d.entry_id WHERE d.deleted_at IS NULL AND {live}",
            )
        )


def test_calendar_parts_cover_a_period_exactly():
    d = dt.date
    assert reports.calendar_parts(d(2026, 1, 1), d(2026, 12, 31)) == (["2026"], [])
    assert reports.calendar_parts(d(2026, 4, 1), d(2026, 6, 30)) == (["2026-Q2"], [])
    assert reports.calendar_parts(d(2026, 2, 1), d(2026, 2, 28)) == (["2026-02"], [])
    assert reports.calendar_parts(d(2025, 11, 15), d(2026, 5, 3)) == (
        ["2025-12", "2026-Q1", "2026-04"],
        [(d(2025, 11, 15), d(2025, 11, 30)), (d(2026, 5, 1), d(2026, 5, 3))],
    )
    assert reports.calendar_parts(d(2026, 3, 5), d(2026, 3, 9)) == ([], [(d(2026, 3, 5), d(2026, 3, 9))])


def test_the_bundle_import_bulk_path_and_the_demo_keep_it(two_villages, tmp_path):
    from app.sync.importer import import_bundles

    from tests.sync_support import export_one

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    first = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    try:
        assert_derived_matches(first)  # made by the demo's bulk batches
        assert assert_derived_matches(town)["household_met"]  # made by the importer's bulk path
        # a later bundle: an entry moved to another day and kind, another deleted, a household deleted
        with first.session() as s:
            rows = s.execute(
                select(Demand.entry_id).where(Demand.deleted_at.is_(None), Demand.status == "待办").limit(1)
            ).all()
        with first.work(None) as w:
            from db.models import DiaryEntry, DiaryParticipant, Household

            moved, gone = w.session.scalars(
                select(DiaryEntry).where(DiaryEntry.deleted_at.is_(None)).order_by(DiaryEntry.id).limit(2)
            ).all()
            moved.occurred_at = moved.occurred_at - dt.timedelta(days=120)
            moved.kind = "入户走访" if moved.kind != "入户走访" else "电话联系"
            gone.deleted_at = dt.datetime(2024, 12, 30)
            part = w.session.scalars(
                select(DiaryParticipant).where(DiaryParticipant.deleted_at.is_(None)).limit(1)
            ).first()
            part.deleted_at = dt.datetime(2024, 12, 30)
            h = w.session.scalars(select(Household).where(Household.deleted_at.is_(None)).limit(1)).first()
            h.deleted_at = dt.datetime(2024, 12, 30)
        assert rows is not None
        assert_derived_matches(first)  # by the triggers
        stick = tmp_path / "stick"
        stick.mkdir()
        report = import_bundles(town, [export_one(first, stick)])
        assert [b.status for b in report.bundles] == ["imported"], report.as_json()
        assert_derived_matches(town)
        # the triggers are back after the bulk import
        with town.engine.connect() as c:
            names = {r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"derived_entry_ai", "derived_participant_au", "derived_household_au"} <= names
    finally:
        town.close()
        first.close()
    shutil.rmtree(tmp_path / "stick", ignore_errors=True)


def test_the_roster_figures_leave_out_deleted_households(village_ws, village_admin):
    """在册人口, 标签 and 有联系干部的户 count every live row less those of deleted households: the same
    as counting through the live households."""
    cadre = add_cadre(village_ws)
    kept = add_household(village_ws, "留下", members=("甲", "乙"), tags=("低保", "党员"), cadre_id=cadre.id)
    gone = add_household(village_ws, "删掉", members=("丙",), tags=("低保",), cadre_id=cadre.id)
    add_household(village_ws, "无标签", members=())
    with village_ws.work(village_admin) as w:
        before = reports.compute(w, reports.period_for("year", NOW.date()), today=NOW.date()).totals
    with village_ws.session() as s:  # deleted by hand, its members, tags and cadre left live
        from db.models import Household

        s.get(Household, gone[0]).deleted_at = NOW
    with village_ws.work(village_admin) as w:
        after = reports.compute(w, reports.period_for("year", NOW.date()), today=NOW.date()).totals
    assert before.households - after.households == 1
    assert (before.persons, after.persons) == (6, 4)
    assert (before.tags["低保"], after.tags["低保"], after.tags.get("党员")) == (2, 1, 1)
    assert (before.with_contact_cadre, after.with_contact_cadre) == (2, 1)
    assert kept
