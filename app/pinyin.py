"""Pinyin keys for name search: every reading of a polyphonic character counts (曾 → z and c).

A name is keyed character by character: each character's readings come from pypinyin's single-character
dictionary and are kept in :data:`_CHAR_READINGS`, so a roster of 10 000 names asks pypinyin about each
of its few hundred distinct characters once. pypinyin's phrase dictionary (2.5 MB, ~0.2 s to load) is
never loaded: a name is not a phrase, and a phrase's reading would hide a character's other readings
(王国 read only as wangguo, never yuguo).
"""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Mapper

    from db.models import Person

MAX_VARIANTS = 16

_CHAR_READINGS: dict[str, tuple[str, ...]] = {}
_ONE_READING: dict[str, str] = {}  # the characters of _CHAR_READINGS that have exactly one reading


def _char_readings(ch: str) -> tuple[str, ...]:
    """Every reading of one character, toneless, ü written v (the character itself when it has none)."""
    readings = _CHAR_READINGS.get(ch)
    if readings is None:
        # loaded when a name is first keyed, not at every start of the window; without the phrases
        os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
        os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")  # nothing here edits its dictionary
        from pypinyin import Style, pinyin

        seen: list[str] = []
        for row in pinyin(ch, style=Style.NORMAL, heteronym=True, errors="default"):
            for r in row:
                r = r.lower().replace("ü", "v")
                if r and r not in seen:
                    seen.append(r)
        readings = _CHAR_READINGS[ch] = tuple(seen) or ("",)
        if len(readings) == 1 and readings[0] and readings != (ch.lower(),):
            _ONE_READING[ch] = readings[0]
    return readings


def _readings(name: str) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    run = ""  # a run of characters without a reading (latin letters, digits) stays one piece
    for ch in name:
        readings = _char_readings(ch)
        if readings == (ch.lower(),):
            run += ch.lower()
            continue
        if run:
            out.append((run,))
            run = ""
        out.append(readings)
    if run:
        out.append((run,))
    return out


def sort_key(name: str) -> str:
    """A name's alphabetical key: each character's first (most common) reading, space-separated. From
    the same per-character readings as the search keys, so no phrase dictionary is loaded (pypinyin's
    phrases cost about 50 MB of memory: issue 17's peak memory)."""
    return " ".join(r[0] for r in _readings((name or "").strip()))


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin variants, initials variants), each space-separated, for a person's name.

    >>> name_keys("张三丰")
    ('zhangsanfeng', 'zsf')
    """
    name = (name or "").strip()
    if not name:
        return "", ""
    if all(map(_ONE_READING.__contains__, name)):  # one reading a character (most names): one variant
        only = list(map(_ONE_READING.__getitem__, name))
        return "".join(only), "".join(p[0] for p in only)
    readings = _readings(name)
    fulls, initials = [], []
    for combo in itertools.islice(itertools.product(*readings), MAX_VARIANTS):
        full = "".join(combo)
        init = "".join(p[0] for p in combo if p)
        if full not in fulls:
            fulls.append(full)
        if init not in initials:
            initials.append(init)
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
