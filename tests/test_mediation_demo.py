"""The demo step makes screenings with zero reports and cases in every state, with real text."""

import datetime as dt
import random

from sqlalchemy import func, select

from db.models import MediationCase, Screening

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
    assert made == {"screenings": 12, "mediation_cases": sum(states.values())}
    assert set(states) == set(rules.STATES)
    assert zero >= 1
    assert all("纠纷" in t for t in titles)
    assert all(linked <= found for found, linked in over)
