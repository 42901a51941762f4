"""The mediation demo picks parties by age with a comparison of dates (no age computed): it must say what
the age rules of the mediation law say (app.mediation.capacity.age_on), on leap days too, or a child
could become a party without a guardian."""

from __future__ import annotations

import datetime as dt
import random

from app.mediation import capacity
from app.mediation.demo import _Resident

DAYS = [
    dt.date(2024, 2, 29),
    dt.date(2025, 2, 28),
    dt.date(2025, 3, 1),
    dt.date(2026, 1, 1),
    dt.date(2026, 12, 31),
]


def test_born_by_agrees_with_the_age_the_law_counts():
    rng = random.Random(7)
    births = [dt.date(2008, 2, 29), dt.date(1966, 2, 28), dt.date(1966, 3, 1)]
    births += [dt.date(1900, 1, 1) + dt.timedelta(days=rng.randrange(46_000)) for _ in range(3_000)]
    days = DAYS + [dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(10_000)) for _ in range(30)]
    for birth in births:
        resident = _Resident("p", "张三", birth, "h")
        for day in days:
            for years in (capacity.ADULT_AGE, 60):
                assert resident.born_by(day, years) == (capacity.age_on(birth, day) >= years), (birth, day)


def test_a_child_turns_adult_on_the_birthday_and_an_unknown_birth_counts_as_adult():
    child = _Resident("p", "张小", dt.date(2008, 2, 29), "h")
    assert not child.born_by(dt.date(2026, 2, 28), capacity.ADULT_AGE)
    assert child.born_by(dt.date(2026, 3, 1), capacity.ADULT_AGE)
    assert _Resident("", "王五", None, None).born_by(dt.date(2026, 1, 1), capacity.ADULT_AGE)
