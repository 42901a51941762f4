"""Two-character words and names in the diary's full-text search (issue 17): looked up in the bigram
index ``fts_diary_gram`` (migration 0018), not read out of every entry's text. The index must say exactly
what the indexed text says, after every way an entry is written, changed, deleted, imported or upgraded:
each test compares it with the text itself (:func:`index_agrees_with_text`)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from db.diary_fulltext import bigrams, is_gram
from db.models import DiaryParticipant, Household, Person
from db.queries.diary import DiaryFilter, diary_entry_count, diary_entry_ids, diary_query

from app.diary import entries
from app.workspace import Workspace

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


def index_agrees_with_text(ws: Workspace) -> int:
    """Every bigram token's entries in ``fts_diary_gram`` are exactly the index rows whose text holds
    it (the text ``fts_diary`` keeps for them); returns how many tokens were compared."""
    with ws.engine.connect() as c:
        want: Counter[str] = Counter()
        for body, people, demands in c.exec_driver_sql("SELECT body, people, demands FROM fts_diary"):
            want.update(set(bigrams(f"{body} {people} {demands}").lower().split()))  # a row counts once
        c.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.gram_vocab USING fts5vocab(main, fts_diary_gram, 'row')"
        )
        held = dict(c.exec_driver_sql("SELECT term, doc FROM temp.gram_vocab").fetchall())
        c.exec_driver_sql("DROP TABLE temp.gram_vocab")
    assert held == dict(want)
    return len(held)


def _text_hits(ws: Workspace, piece: str) -> list[str]:
    """What a search must return: entries whose indexed text holds every piece, newest first."""
    pieces = piece.split()
    with ws.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT m.entry_id, f.body, f.people, f.demands FROM fts_diary f "
            "JOIN fts_diary_map m ON m.k = f.rowid ORDER BY f.rowid DESC"
        ).fetchall()
    return [r[0] for r in rows if all(any(p.lower() in col.lower() for col in r[1:]) for p in pieces)]


def _search(ws: Workspace, text: str, **kw) -> list[str]:
    with ws.session() as s:
        return diary_entry_ids(s, DiaryFilter(text=text), **kw)


def _plan(ws: Workspace, text: str) -> str:
    with ws.session() as s:
        q = diary_query(DiaryFilter(text=text)).limit(50)
        sql = str(q.compile(compile_kwargs={"literal_binds": True}))
        return " | ".join(r[-1] for r in s.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


@pytest.fixture
def met(village_ws):
    """Visits that meet or mention people with two-character names: 丁东 (rare), 平安 (also a word)."""
    cadre = add_cadre(village_ws)
    ding, ding_p, _ = add_household(village_ws, "丁东")
    li, li_p, _ = add_household(village_ws, "李四")
    ping, ping_p, _ = add_household(village_ws, "平安")
    start = dt.datetime(2024, 1, 5, 9)
    made = {}
    with village_ws.work(cadre) as w:
        for name, hid, pid, situation in (
            ("meets 丁东", ding, ding_p, "老人身体良好"),
            ("丁东 inside a text", li, li_p, "村民丁东反映屋顶漏雨，请求帮助"),
            ("丁东 at the end of a text", li, li_p, "邻居家屋顶漏雨，联系人丁东"),
            ("丁 and 东 apart", li, li_p, "东丁两家；丁 东；丁，东"),
            ("meets 平安", ping, ping_p, "孩子上学路远"),
            ("平安 as a word", li, li_p, "参加平安建设宣传，门牌3号"),
        ):
            e = entries.save_entry(w, entry_input(hid, pid, when=start, situation=situation), now=NOW)
            made[name] = e.id
            start += dt.timedelta(days=1)
    return village_ws, cadre, made, (ding, ding_p, li, li_p)


def test_a_two_character_name_is_found_where_it_is_met_and_inside_texts_and_nowhere_else(met):
    ws, _cadre, made, _ = met
    assert index_agrees_with_text(ws) > 0
    found = _search(ws, "丁东")
    assert set(found) == {made["meets 丁东"], made["丁东 inside a text"], made["丁东 at the end of a text"]}
    assert found == _text_hits(ws, "丁东")  # newest first
    # a name that is also a word: the visit that met her and the one that speaks of 平安建设
    assert _search(ws, "平安") == [made["平安 as a word"], made["meets 平安"]]
    for text in (
        "漏雨",
        "东丁",
        "3号",
        "丁东 漏雨",
        "丁东 屋顶漏雨",
        "平安 3号",
        "屋顶漏雨",
        "丁",
        "丁，",
        "，东",
    ):
        assert _search(ws, text) == _text_hits(ws, text), text
    assert _search(ws, "丁东 上学") == []
    with ws.session() as s:
        assert diary_entry_count(s, DiaryFilter(text="丁东")) == 3
        assert diary_entry_count(s, DiaryFilter(text="丁东 漏雨")) == 2
        assert diary_entry_count(s, DiaryFilter(text="丁东", date_from=dt.date(2024, 1, 6))) == 2
    assert _search(ws, "丁东", descending=False) == _text_hits(ws, "丁东")[::-1]
    assert _search(ws, "丁东", sort="kind") != []  # another order goes through the same index
    # looked up, not read out of every text: the bigram index drives the search
    plan = _plan(ws, "丁东")
    assert "fts_diary_gram VIRTUAL TABLE" in plan and "SCAN fts_diary VIRTUAL" not in plan, plan


@pytest.mark.parametrize(
    "text",
    [
        "丁东\x00漏雨",
        '"',
        '""',
        "*",
        "丁东*",
        "NEAR(丁 东)",
        "body:丁东",
        "-丁东",
        "^丁",
        "丁东 OR 漏雨",
        "\\",
        "%",
        "_",
    ],
)
def test_query_syntax_and_control_characters_typed_in_the_box_are_text(met, text):
    """A NUL pasted into the search box, quotes, stars and the index's own operators are searched for as
    text (the NUL ends a word): none reaches SQLite as syntax."""
    ws, _cadre, _made, _ = met
    assert _search(ws, text) == _text_hits(ws, text.replace("\x00", " "))
    with ws.session() as s:
        assert diary_entry_count(s, DiaryFilter(text=text)) == len(_text_hits(ws, text.replace("\x00", " ")))


def test_editing_renaming_moving_and_deleting_keep_the_two_character_index(met):
    ws, cadre, made, (ding, ding_p, li, li_p) = met
    inside = made["丁东 inside a text"]
    with ws.work(cadre) as w:  # the text no longer names him
        entries.save_entry(w, entry_input(li, li_p, situation="屋顶漏雨已修好"), entry_id=inside, now=NOW)
    assert inside not in _search(ws, "丁东") and inside in _search(ws, "修好")
    with ws.work(cadre) as w:  # moved to another day: a new key, still found
        entries.save_entry(
            w,
            entry_input(li, li_p, when=dt.datetime(2024, 3, 1, 8), situation="丁东来电"),
            entry_id=inside,
            now=NOW,
        )
    assert _search(ws, "丁东")[0] == inside
    with ws.session() as s:  # renamed: found by the new name only, in every visit that met him
        s.get(Person, ding_p).name = "丁南"
        s.get(Household, ding).head_name = "丁南"
    assert _search(ws, "丁南") == [made["meets 丁东"]]
    with ws.session() as s:  # a participant taken off the visit
        part = s.scalars(
            select(DiaryParticipant).where(DiaryParticipant.entry_id == made["meets 丁东"])
        ).one()
        part.deleted_at = dt.datetime(2024, 3, 2)
    assert _search(ws, "丁南") == []
    with ws.work(cadre) as w:
        entries.delete_entry(w, made["丁东 at the end of a text"])
    assert _search(ws, "丁东") == [inside]
    assert index_agrees_with_text(ws) > 0


def test_a_bundle_import_gives_the_town_the_villages_two_character_index(templates, tmp_path):
    from app.sync.importer import import_bundles

    from tests.conftest import ADMIN
    from tests.sync_support import demo_village, export_one

    town = Workspace.open(
        shutil.copytree(templates["town"], tmp_path / "town"), create=False, credentials=ADMIN
    )
    village = demo_village(
        tmp_path, town, templates["town_card"], "370681101201", "张家村", households=12, seed=3
    )
    try:
        stick = tmp_path / "stick"
        stick.mkdir()
        assert import_bundles(town, [export_one(village, stick)]).bundles[0].status == "imported"
        assert index_agrees_with_text(town) > 100
        with village.session() as s:
            names = {n for n in s.scalars(select(Person.name)) if len(n) >= 2}
        given = sorted({n[-2:] for n in names})[:10]
        assert given
        for piece in given:
            assert set(_search(town, piece)) == set(_search(village, piece)) == set(_text_hits(town, piece))
        # a later bundle that renames a person re-indexes the visits that met them
        with village.session() as s:
            person = s.scalars(
                select(Person).join(DiaryParticipant, DiaryParticipant.person_id == Person.id).limit(1)
            ).one()
            person.name = "尉迟敬德"
        assert import_bundles(town, [export_one(village, stick)]).bundles[0].status == "imported"
        assert _search(town, "敬德") == _search(village, "敬德") != []
        assert index_agrees_with_text(town) > 100
    finally:
        village.close()
        town.close()


def test_an_old_workspace_gets_the_two_character_index_on_upgrade(tmp_path):
    """The fixture of an earlier release (tests/data, schema 0010) has no bigram index: 0018 builds it
    from the texts the trigram index holds."""
    fixture = next(
        p for p in sorted((Path(__file__).resolve().parent / "data").glob("workspace-*")) if p.is_dir()
    )
    ws = Workspace.open(shutil.copytree(fixture, tmp_path / "village"), create=False)
    try:
        assert index_agrees_with_text(ws) > 100
        with ws.engine.connect() as c:
            people = " ".join(r[0] for r in c.exec_driver_sql("SELECT people FROM fts_diary LIMIT 20"))
        name = next(n for n in people.split() if len(n) == 3)
        assert name[1:] in people and _search(ws, name[1:]) == _text_hits(ws, name[1:]) != []
    finally:
        ws.close(daily_backup=False)


def _bigrams_run_by_run(text: str | None) -> str:
    """bigrams as first written (runs of index characters, then their pairs): the reference."""
    import re

    from db.diary_fulltext import GRAM_CHARS

    if not text:
        return ""
    pairs: dict[str, None] = {}
    for run in re.findall(f"[{GRAM_CHARS}]{{2,}}", text):
        pairs.update(dict.fromkeys(map("".join, zip(run, run[1:], strict=False))))
    return " ".join(pairs)


def test_the_two_scan_bigrams_are_those_of_the_runs():
    """bigrams() runs for every indexed row (triggers, importer, demo) and is two regex scans: the set of
    tokens stays exactly the pairs of the runs (their order and repeats differ, which the index ignores:
    test_repeated_or_reordered_tokens_store_the_same_index)."""
    import random

    from app.diary import demo as diary_demo

    rng = random.Random(5)
    texts = [None, "", "a", "ab", "a b", "低保 低保 低保户", "王小二AB12低保", "é漢字", "ab-cd ｘｙ 1２"]
    texts += ["\U00020000\U00020001x", "\u3400\u4dbf\uf900\ufaff", "中文\u3000中文", "x\u4e00", "𠀀"]
    for _ in range(300):
        texts.append(
            " ".join(
                [
                    rng.choice(diary_demo.SITUATIONS).format(head="张丁", n=3, who="儿子"),
                    rng.choice(diary_demo.DIFFICULTIES).format(who="老伴"),
                    rng.choice(diary_demo.ACTIONS),
                    "丁东 Li Ming 138 0535 AbC",
                ]
            )
        )
    for text in texts:
        tokens = bigrams(text).split()
        assert set(tokens) == set(_bigrams_run_by_run(text).split()), text
        assert all(is_gram(t) for t in tokens), text


def test_repeated_or_reordered_tokens_store_the_same_index():
    """The bigram table keeps no positions (detail=none): a row's tokens in another order, or given
    twice, store the same index segments, so bigrams() need not sort or de-duplicate them."""
    from db import cipher
    from db.diary_fulltext import GRAM_TABLE

    def segments(rows: list[tuple[int, str]]) -> list[tuple[int, bytes]]:
        conn = cipher.sqlcipher.connect(":memory:")
        try:
            conn.execute(GRAM_TABLE)
            conn.executemany("INSERT INTO fts_diary_gram(rowid, grams) VALUES (?, ?)", rows)
            conn.commit()
            # id 1 holds the token totals (for ranking, which the diary search does not use)
            return conn.execute(
                "SELECT id, block FROM fts_diary_gram_data WHERE id > 1 ORDER BY id"
            ).fetchall()
        finally:
            conn.close()

    once = segments([(1, "低保 保户"), (2, "丁东"), (3, "低保 丁东")])
    assert once == segments([(1, "保户 低保 低保 保户"), (2, "丁东 丁东"), (3, "丁东 低保 丁东")])
    assert once != segments([(1, "低保 保户"), (2, "丁东"), (3, "低保")])
