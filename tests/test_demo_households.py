"""Demo households: valid IDs of the village's county, realistic families, deterministic for a seed."""

import datetime as dt
import random

from sqlalchemy import func, select

from db.models import CadreAssignment, Household, HouseholdTag, Person, User
from db.queries.households import RosterFilter, roster_ids

from app.codes import parse_resident_id
from app.demo import DEMO_STEPS, DemoRun
from app.households.demo import generate

from tests.conftest import ADMIN


def _run(ws, seed=7, n=250):
    demo = DemoRun(households=n, seed=seed, today=dt.date(2026, 1, 1), rng=random.Random(seed))
    made = generate(ws, demo)
    return demo, made


def test_demo_households_are_realistic_and_handed_to_later_steps(village_ws):
    assert "app.households.demo:generate" in DEMO_STEPS
    demo, made = _run(village_ws)
    assert made["households"] == 250 and made["persons"] > 500
    assert len(demo.shared["household_ids"]) == 250
    assert len(demo.shared["person_ids"]) == made["persons"]
    assert demo.shared["cadre_ids"]
    with village_ws.session() as s:
        persons = s.scalars(select(Person)).all()
        for p in persons:
            if p.id_number:
                rid = parse_resident_id(p.id_number, today=dt.date(2026, 1, 1))
                assert rid.address_code == "370681"
                assert (rid.birth_date, rid.sex) == (p.birth_date, p.sex)
        assert len({p.id_number for p in persons if p.id_number}) == sum(1 for p in persons if p.id_number)
        heads = [p for p in persons if p.relation == "户主"]
        assert len(heads) == 250
        assert s.scalar(select(func.count()).select_from(HouseholdTag)) > 0
        assert s.scalar(select(func.count()).select_from(CadreAssignment)) >= 250
        titles = set(s.scalars(select(User.title)))
        assert "村党支部书记" in titles
        assert any("mediator" in r for r in s.scalars(select(User.roles)))
        assert s.scalar(select(func.count()).where(Household.card_delivered_on.is_not(None))) > 100
        # The search index was built for the bulk insert.
        h = s.scalars(select(Household)).first()
        assert h.id in roster_ids(s, RosterFilter(text=h.head_name))


def test_same_seed_gives_the_same_village(village_ws, tmp_path, templates):
    import shutil

    from app.workspace import Workspace

    other = Workspace.open(
        shutil.copytree(templates["village"], tmp_path / "other"), create=False, credentials=ADMIN
    )
    try:
        _run(village_ws, seed=5, n=60)
        _run(other, seed=5, n=60)
        rows = []
        for ws in (village_ws, other):
            with ws.session() as s:
                rows.append(
                    s.execute(
                        select(Person.id, Person.name, Person.id_number, Person.birth_date).order_by(
                            Person.id
                        )
                    ).all()
                )
        assert rows[0] == rows[1]
    finally:
        other.close()


def test_the_demo_gives_the_connection_its_own_page_cache_back(village_ws):
    """The step writes with a large page cache, then the connection has its own again (an encrypted
    workspace's, db/engine.ENCRYPTED_CACHE_KIB): a search after the demo in the same process ran with
    SQLite's 2 MB, four times slower (bench_households)."""
    with village_ws.engine.connect() as conn:
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        conn.exec_driver_sql("PRAGMA cache_size=-12345")  # this connection's own, whatever it is
    _run(village_ws, n=20)
    with village_ws.engine.connect() as conn:
        assert village_ws.engine.pool.checkedin() == 0  # the same (only) connection as above
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -12345
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")
