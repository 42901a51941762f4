"""Pinyin keys for name search: every reading of a polyphonic character counts (曾 → z and c)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Mapper

    from db.models import Person

MAX_VARIANTS = 16


def _readings(name: str) -> list[list[str]]:
    # pypinyin loads its phrase dictionary on import (~0.3 s): only when a name is first keyed,
    # not at every start of the window.
    from pypinyin import Style, pinyin

    out = []
    for readings in pinyin(name, style=Style.NORMAL, heteronym=True, errors="default"):
        seen = []
        for r in readings:
            r = r.lower().replace("ü", "v")
            if r and r not in seen:
                seen.append(r)
        out.append(seen or [""])
    return out


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin variants, initials variants), each space-separated, for a person's name.

    >>> name_keys("张三丰")
    ('zhangsanfeng', 'zsf')
    """
    name = (name or "").strip()
    if not name:
        return "", ""
    readings = _readings(name)
    fulls, initials = [], []
    for combo in itertools.islice(itertools.product(*readings), MAX_VARIANTS):
        full = "".join(combo)
        init = "".join(p[0] for p in combo if p)
        if full not in fulls:
            fulls.append(full)
        if init not in initials:
            initials.append(init)
    # Initial letters of every reading too, even past the variant cap.
    return " ".join(fulls), " ".join(initials)


def _fill_person_keys(_mapper: Mapper[Person], _connection: Connection, target: Person) -> None:
    target.name_pinyin, target.name_initials = name_keys(target.name)


def install_hooks() -> None:
    """Keep ``Person.name_pinyin``/``name_initials`` in step with the name on every ORM write.

    Core bulk inserts (demo data, fast importers) call :func:`name_keys` themselves.
    """
    from sqlalchemy import event

    from db.models import Person

    if not event.contains(Person, "before_insert", _fill_person_keys):
        event.listen(Person, "before_insert", _fill_person_keys)
        event.listen(Person, "before_update", _fill_person_keys)
