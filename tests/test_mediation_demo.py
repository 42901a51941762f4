"""The demo step makes screenings with zero reports and cases in every state, with real text."""

import datetime as dt
import random

from sqlalchemy import func, select

from db.models import CaseParty, MediationCase, Person, Recusal, Screening

from app.demo import DEMO_STEPS, DemoRun
from app.mediation import rules
from app.mediation.demo import generate


def test_demo_step_covers_every_state_and_zero_reports(village_ws):
    assert "app.mediation.demo:generate" in DEMO_STEPS
    demo = DemoRun(households=40, seed=3, today=dt.date(2026, 11, 20), rng=random.Random(3))
    made = generate(village_ws, demo)
    with village_ws.session() as s:
        states = dict(
            s.execute(select(MediationCase.state, func.count()).group_by(MediationCase.state)).all()
        )
        zero = s.scalar(select(func.count()).select_from(Screening).where(Screening.found_count == 0))
        titles = list(s.scalars(select(MediationCase.title)))
        over = s.execute(
            select(Screening.found_count, func.count(MediationCase.id))
            .join(MediationCase, MediationCase.source_record_id == Screening.id)
            .group_by(Screening.id)
        ).all()
    assert made == {"screenings": 13, "mediation_cases": sum(states.values())}  # 12 定期 and 1 不定期
    assert set(states) == set(rules.STATES)
    assert zero >= 1
    assert all("纠纷" in t for t in titles)
    assert all(linked <= found for found, linked in over)


def test_the_demo_never_makes_a_minor_a_party_without_a_legal_representative(village_ws):
    """Issue 16: 16 of 70 parties were under 18 (a 6-year-old ordered to pay, infants in 赡养 cases).
    Every minor party now has an adult 法定代理人 of the household; elders ask for 赡养; the demo
    shows one 回避 request, granted with a replacement."""
    from app import demo as demo_steps
    from app.mediation.capacity import age_on

    demo_steps.run(village_ws, households=60, seed=7, today=dt.date(2026, 11, 20))
    with village_ws.session() as s:
        rows = s.execute(
            select(MediationCase.accepted_on, MediationCase.title, CaseParty, Person.birth_date)
            .join(CaseParty, CaseParty.case_id == MediationCase.id)
            .outerjoin(Person, Person.id == CaseParty.guardian_person_id)
            .where(CaseParty.deleted_at.is_(None))
        ).all()
        recusals = s.scalars(select(Recusal)).all()
    minors = [(on, p) for on, _t, p, _g in rows if p.birth_date and age_on(p.birth_date, on) < 18]
    assert all(p.guardian_name and p.guardian_relation for _on, p in minors)
    for on, _title, p, guardian_birth in rows:
        if p.guardian_name:
            assert guardian_birth is not None and age_on(guardian_birth, on) >= 18
    for on, title, p, _g in rows:
        if "赡养" in title and p.role == "申请人":
            assert age_on(p.birth_date, on) >= 60, title
        if "工资" in title:
            assert age_on(p.birth_date, on) >= 18, title
    assert len(rows) >= 60
    assert [r.decision for r in recusals] == ["同意回避"] and recusals[0].replacement_name


def test_the_demo_is_coherent_numbers_places_offices(tmp_path):
    """Case numbers follow the acceptance date; a 入户走访 happens at the household; a demand's reply names
    the office its category (or content) goes to."""
    from db.models import Demand, DiaryEntry

    from app import demo as demo_app
    from app.diary.demo import office_of

    ws = demo_app.ensure_demo_station(tmp_path / "demo")
    try:
        demo_app.run(ws, households=40, seed=5, today=dt.date(2026, 11, 20))
        with ws.session() as s:
            cases = s.execute(
                select(MediationCase.case_year, MediationCase.case_seq, MediationCase.accepted_on).order_by(
                    MediationCase.case_year, MediationCase.case_seq
                )
            ).all()
            home = list(s.scalars(select(DiaryEntry.place).where(DiaryEntry.kind == "入户走访")))
            replies = s.execute(
                select(Demand.category, Demand.content, Demand.reply).where(Demand.reply != "")
            ).all()
    finally:
        ws.close()
    for year in {y for y, _s, _d in cases}:
        days = [d for y, _s, d in cases if y == year]
        assert days == sorted(days), f"{year}: case numbers do not follow the acceptance date"
    assert home and all("家" in place and "广场" not in place for place in home)
    assert replies
    for category, content, reply in replies:
        assert office_of(category, content) in reply or category == "矛盾纠纷", (category, content, reply)


def test_the_demo_s_versions_are_one_each_and_the_counter_ends_at_the_last(village_ws):
    """The step holds its rows in the session and takes versions a block at a time (issue 17: 2 500
    cases of a 100 000-household demo in one unit of work): every record still has a version of its
    own and the station counter ends at the last one handed out (the block's rest is given back)."""
    from db.models import StationCounter

    demo = DemoRun(households=80, seed=2, today=dt.date(2026, 11, 20), rng=random.Random(2))
    generate(village_ws, demo)
    with village_ws.engine.connect() as c:
        tables = [
            r[0]
            for r in c.exec_driver_sql(
                "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS "
                "(SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'version')"
            )
        ]
        versions = [v for t in tables for (v,) in c.exec_driver_sql(f'SELECT version FROM "{t}"')]
    with village_ws.session() as s:
        counter = s.scalar(select(StationCounter.value))
    assert len(versions) == len(set(versions)) > 300
    assert max(versions) == counter
