"""Pinyin keys for name search: every reading of a polyphonic character counts (曾 → z and c).

A name is keyed character by character. Each character's readings are pypinyin's, taken once from its
single-character dictionary into ``resources/pinyin/readings.txt`` (one line a character: the character,
a tab, its toneless readings, ü written v, most common first), and looked up there by binary search. The
table is 0.4 MB and is read when a name is first keyed; pypinyin's own dictionary, loaded, held about
7 MB for the life of the window (issue 17's peak memory) and is now needed only to remake the table:
``python -m app.pinyin`` (pypinyin is a test dependency; ``tests/test_pinyin_keys.py`` fails when the
table and the installed pypinyin disagree). Phrases are never used: a name is not a phrase, and a
phrase's reading would hide a character's other readings (王国 read only as wangguo, never yuguo).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Mapper

    from db.models import Person

MAX_VARIANTS = 16
# Where the table looks beyond pypinyin's dictionary for a character read otherwise than as itself (ü → v):
# the basic plane and the supplementary ideographic planes, without the surrogates
SCANNED_RANGES = ((0x20, 0xD800), (0xE000, 0x10000), (0x20000, 0x32400))
TABLE_NAME = "readings.txt"

_CHAR_READINGS: dict[str, tuple[str, ...]] = {}
_ONE_READING: dict[str, str] = {}  # the characters of _CHAR_READINGS that have exactly one reading
# the readings table once read: its code points, where each one's readings start, the file's bytes
_table: tuple[array[int], array[int], bytes] | None = None
_table_lock = threading.Lock()


def table_path() -> Path:
    from app.paths import resources_dir

    return resources_dir() / "pinyin" / TABLE_NAME


def _load_table() -> tuple[array[int], array[int], bytes]:
    """The readings table: its characters' code points in order, the offset of each one's readings, and
    the file's bytes (two arrays and one bytes object: no object per character)."""
    global _table
    with _table_lock:
        if _table is None:
            text = table_path().read_bytes()
            points, starts = array("I"), array("I")
            for m in re.finditer(rb"\n([^\t\n]+)\t", text):
                points.append(ord(m.group(1).decode("utf-8")))
                starts.append(m.end())
            _table = (points, starts, text)
        return _table


def _char_readings(ch: str) -> tuple[str, ...]:
    """Every reading of one character, toneless, ü written v (the character itself when it has none)."""
    readings = _CHAR_READINGS.get(ch)
    if readings is None:
        points, starts, text = _table if _table is not None else _load_table()
        i = bisect_left(points, ord(ch))
        if i < len(points) and points[i] == ord(ch):
            start = starts[i]
            readings = tuple(text[start : text.index(b"\n", start)].decode("utf-8").split(" "))
        else:  # not a character pypinyin reads (a letter, a digit, a mark): itself
            readings = (ch.lower(),)
        _CHAR_READINGS[ch] = readings
        if len(readings) == 1 and readings[0] and readings != (ch.lower(),):
            _ONE_READING[ch] = readings[0]
    return readings


def _without_phrases() -> None:
    """Before pypinyin is first imported: it loads no phrase dictionary (single characters only)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")


def pypinyin_readings(ch: str) -> tuple[str, ...]:
    """One character's readings as pypinyin gives them (what the table keeps): toneless, lower case, ü
    written v, each once, most common first; the character itself when pypinyin has none."""
    _without_phrases()
    from pypinyin import Style, pinyin

    seen: list[str] = []
    for row in pinyin(ch, style=Style.NORMAL, heteronym=True, errors="default"):
        for r in row:
            r = r.lower().replace("ü", "v")
            if r and r not in seen:
                seen.append(r)
    return tuple(seen) or ("",)


def scanned_points() -> Iterator[int]:
    return itertools.chain.from_iterable(range(lo, hi) for lo, hi in SCANNED_RANGES)


def table_from_pypinyin() -> bytes:
    """The readings table made anew from the installed pypinyin: every character whose readings are not
    just itself (those of its dictionary, and ü), in code point order."""
    _without_phrases()
    from pypinyin.constants import PINYIN_DICT

    lines = []
    for point in sorted(set(PINYIN_DICT) | set(scanned_points())):
        ch = chr(point)
        readings = pypinyin_readings(ch)
        if readings != (ch.lower(),):
            lines.append(f"{ch}\t{' '.join(readings)}")
    return ("\n" + "\n".join(lines) + "\n").encode("utf-8")


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


if __name__ == "__main__":  # python -m app.pinyin: remake the table from the installed pypinyin
    table_path().write_bytes(table_from_pypinyin())
    print(table_path())
