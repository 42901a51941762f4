"""Name keys for the search: every reading of every character, whatever phrase the name happens to spell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app import pinyin
from app.pinyin import name_keys


def test_a_name_that_spells_a_phrase_keeps_every_reading_of_its_characters():
    # 重阳 is a phrase (the festival, chong yang): as a given name 重 may be read zhong too, and 长 in 长江
    # may be zhang; a person typed either way is found
    full, initials = name_keys("张重阳")
    assert {"zhangchongyang", "zhangzhongyang"} <= set(full.split())
    assert {"zcy", "zzy"} <= set(initials.split())
    assert {"wcj", "wzj"} <= set(name_keys("王长江")[1].split())
    assert name_keys("张三丰") == ("zhangsanfeng", "zsf")
    assert name_keys("Tom张") == ("tomzhang", "tz")  # letters stay one piece, as before
    assert name_keys("") == ("", "")


def test_keying_names_loads_no_pypinyin_only_the_readings_table():
    """The readings come from resources/pinyin/readings.txt: pypinyin's dictionary (about 7 MB once
    loaded, for the life of the window) is not loaded to key a name (issue 17: peak memory)."""
    root = Path(__file__).resolve().parent.parent
    code = (
        "import sys\n"
        "from app.pinyin import name_keys\n"
        "print(name_keys('张三丰'), sorted(m for m in sys.modules if m.startswith('pypinyin')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "('zhangsanfeng', 'zsf') []"


def test_the_readings_table_is_the_installed_pypinyins():
    """The table is pypinyin's single-character dictionary as the keys use it. When pypinyin's readings
    change, remake it: ``python -m app.pinyin``."""
    assert pinyin.table_path().read_bytes() == pinyin.table_from_pypinyin(), "python -m app.pinyin"


def test_every_character_reads_from_the_table_as_pypinyin_reads_it(monkeypatch):
    """Every code point of the basic and supplementary planes where names are written (letters, digits,
    marks, every CJK block), looked up in the table, answers what pypinyin answers."""
    monkeypatch.setattr(pinyin, "_CHAR_READINGS", {})
    monkeypatch.setattr(pinyin, "_ONE_READING", {})
    wrong = [
        chr(p)
        for p in pinyin.scanned_points()
        if pinyin._char_readings(chr(p)) != pinyin.pypinyin_readings(chr(p))
    ]
    assert wrong == []
    assert pinyin._char_readings("曾") == ("ceng", "zeng")
    assert pinyin._char_readings("女") == ("nv", "ru")
    assert pinyin._char_readings("A") == ("a",)
    assert pinyin._char_readings("ü") == ("v",)


def test_sorting_names_loads_no_phrase_dictionary():
    """两评 orders names by pinyin from the per-character readings: pypinyin's phrase dictionary (about
    50 MB of memory once loaded) stays out, as for the search keys (issue 17: peak memory)."""
    code = (
        "import sys\n"
        "from app.reviews.common import pinyin_key\n"
        "names = sorted(['王五', '张三丰', '曾国藩', '李四'], key=pinyin_key)\n"
        "print(names, 'pypinyin.phrases_dict' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.strip() == "['曾国藩', '李四', '王五', '张三丰'] False"
