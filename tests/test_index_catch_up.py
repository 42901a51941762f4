"""A bundle import leaves the diary's full-text rows to one ordered pass after its last bundle. The pass
gives every entry the index row the village has; stopped part-way it keeps what it did, the records
are all there, searches say their results may be incomplete, and the window finishes it in the
background at the next start."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from sqlalchemy import func, select

from db import diary_fulltext
from db.models import DiaryEntry, ReceivedBundle
from db.queries import diary as diary_queries
from db.queries.diary import fts_entry_ids

from app import accounts, indexing
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync_support import demo_village, export_one

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


class Stop(Exception):
    """Stands for the 取消 button or a power cut during the indexing pass."""


@pytest.fixture
def village_town_bundle(templates, tmp_path):
    town = Workspace.open(
        shutil.copytree(templates["town"], tmp_path / "town"), create=False, credentials=ADMIN
    )
    village = demo_village(
        tmp_path, town, templates["town_card"], "370681101201", "张家村", households=12, seed=3
    )
    stick = tmp_path / "stick"
    stick.mkdir()
    bundle = export_one(village, stick)
    yield village, town, bundle
    village.close()
    town.close()


def _index(ws: Workspace) -> dict[str, tuple]:
    """entry id → its indexed texts."""
    with ws.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT m.entry_id, f.body, f.people, f.demands FROM fts_diary_map m "
            "JOIN fts_diary f ON f.rowid = m.k"
        ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def _gram_terms(ws: Workspace) -> dict[str, int]:
    """The bigram index as it is: each token and the number of index rows holding it."""
    with ws.engine.connect() as c:
        c.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.gram_vocab USING fts5vocab(main, fts_diary_gram, row)"
        )
        return dict(c.exec_driver_sql("SELECT term, doc FROM temp.gram_vocab").fetchall())


def _grams_of_texts(ws: Workspace) -> dict[str, int]:
    """What the bigram index must hold: the tokens the triggers' SQL function makes of each index row."""
    counts: Counter[str] = Counter()
    with ws.engine.connect() as c:
        for body, people, demands in c.exec_driver_sql("SELECT body, people, demands FROM fts_diary"):
            counts.update(set(diary_fulltext.bigrams(f"{body} {people} {demands}").lower().split()))
    return dict(counts)


def _keys_follow_visit_time(ws: Workspace) -> bool:
    with ws.engine.connect() as c:
        times = [
            r[0]
            for r in c.exec_driver_sql(
                "SELECT e.occurred_at FROM fts_diary_map m JOIN diary_entry e ON e.id = m.entry_id ORDER BY m.k"
            )
        ]
    return times == sorted(times)


def _admin_context(ws: Workspace):
    from ui.context import AppContext

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return AppContext(ws, user)


def _found(ws: Workspace, text: str) -> set[str]:
    with ws.new_session() as s:
        return set(s.scalars(fts_entry_ids(text)))


def _live_entries(ws: Workspace) -> int:
    with ws.new_session() as s:
        return s.scalar(select(func.count()).select_from(DiaryEntry).where(DiaryEntry.deleted_at.is_(None)))


def test_import_gives_every_entry_the_villages_index_row_in_visit_order(village_town_bundle):
    village, town, bundle = village_town_bundle
    steps = []
    report = import_bundles(town, [bundle], progress=lambda done, total, text: steps.append(text))
    assert report.bundles[0].status == "imported"
    assert any(t.startswith("正在更新全文索引") for t in steps)
    assert indexing.pending(town) == 0
    expected = _index(village)
    assert len(expected) == _live_entries(village) > 30
    assert _index(town) == expected
    assert _keys_follow_visit_time(town)
    with town.engine.connect() as c:  # the pass's larger FTS5 hash was set back
        assert c.exec_driver_sql("SELECT v FROM fts_diary_config WHERE k = 'hashsize'").scalar() in (
            None,
            1024 * 1024,
        )
    word = next(iter(expected.values()))[0].split()[0][:4]
    assert _found(town, word) == _found(village, word) != set()
    grams = _gram_terms(town)  # the bigram rows were made beside the trigram rows, as the triggers make them
    assert grams == _grams_of_texts(town) and len(grams) > 100
    two = next(t for t in grams if diary_fulltext.is_gram(t) and not t.isascii())
    assert _found(town, two) == _found(village, two) != set()


def test_the_pass_writes_its_index_rows_in_slices_and_each_gets_its_own_bigrams(
    templates, tmp_path, monkeypatch
):
    town = Workspace.open(
        shutil.copytree(templates["town"], tmp_path / "town"), create=False, credentials=ADMIN
    )
    village = demo_village(
        tmp_path, town, templates["town_card"], "370681101201", "张家村", households=12, seed=3
    )
    with village.engine.begin() as c:  # a visit dated before 1970 (as an odd bundle may say): a key below 0
        c.exec_driver_sql(
            "UPDATE diary_entry SET occurred_at = '1965-03-01 09:00:00.000000' "
            "WHERE id = (SELECT min(id) FROM diary_entry WHERE deleted_at IS NULL)"
        )
        assert c.exec_driver_sql("SELECT min(k) FROM fts_diary_map").scalar() < 0
    stick = tmp_path / "stick"
    stick.mkdir()
    bundle = export_one(village, stick)
    monkeypatch.setattr(diary_queries, "INDEX_ROWS_AT_ONCE", 7)
    assert import_bundles(town, [bundle]).bundles[0].status == "imported"
    assert indexing.pending(town) == 0 and _index(town) == _index(village)
    assert _gram_terms(town) == _grams_of_texts(town) == _gram_terms(village)
    village.close()
    town.close()


def test_an_import_stopped_while_indexing_keeps_its_records_and_the_rest_is_built_later(village_town_bundle):
    village, town, bundle = village_town_bundle

    def progress(done: int, total: int, text: str) -> None:
        if text.startswith("正在更新全文索引"):
            raise Stop

    with pytest.raises(Stop):
        import_bundles(town, [bundle], progress=progress)
    with town.new_session() as s:  # the bundle itself is in
        assert s.scalar(select(func.count()).select_from(ReceivedBundle)) == 1
    assert _live_entries(town) == _live_entries(village)
    waiting = indexing.pending(town)
    assert waiting >= _live_entries(village)
    assert _index(town) == {}
    # a second import of the same file is a no-op for the records and finishes the index
    done_steps = []
    again = import_bundles(town, [bundle], progress=lambda d, t, text: done_steps.append((d, t)))
    assert again.bundles[0].status == "already_imported"
    assert indexing.pending(town) == 0 and _index(town) == _index(village)
    assert (waiting, waiting) in done_steps


def test_the_pass_works_in_small_transactions_and_resumes_after_a_stop(village_town_bundle):
    village, town, bundle = village_town_bundle
    with pytest.raises(Stop):
        import_bundles(
            town,
            [bundle],
            progress=lambda d, t, text: (
                (_ for _ in ()).throw(Stop) if text.startswith("正在更新全文索引") else None
            ),
        )
    total = indexing.pending(town)
    seen = []

    def stop_after_two(done: int, total: int, text: str) -> None:
        seen.append(done)
        if len(seen) == 3:  # 0, then two steps of 7 entries
            raise Stop

    with pytest.raises(Stop):
        indexing.catch_up_indexes(town, stop_after_two, chunk=7)
    assert seen == [0, 7, 14]
    assert indexing.pending(town) == total - 14 and len(_index(town)) == 14
    assert indexing.catch_up_indexes(town, chunk=7) == total - 14
    assert indexing.pending(town) == 0
    assert _index(town) == _index(village) and _keys_follow_visit_time(town)


def test_the_window_finishes_an_interrupted_pass_and_the_diary_search_says_so_meanwhile(
    qtbot, village_town_bundle
):
    from ui.diary.page import DiaryTab
    from ui.main_window import MainWindow

    village, town, bundle = village_town_bundle
    word = next(iter(_index(village).values()))[0].split()[0][:4]
    with pytest.raises(Stop):
        import_bundles(
            town,
            [bundle],
            progress=lambda d, t, text: (
                (_ for _ in ()).throw(Stop) if text.startswith("正在更新全文索引") else None
            ),
        )
    waiting = indexing.pending(town)
    ctx = _admin_context(town)
    tab = DiaryTab(ctx)
    qtbot.addWidget(tab)
    tab.use_dates.setChecked(False)
    tab.search.setText(word)  # typed: the list reloads after the typing pause
    qtbot.waitUntil(lambda: not tab._search_timer.isActive(), timeout=3_000)
    assert not tab.index_note.isHidden() and f"还有 {waiting} 篇" in tab.index_note.text()

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: indexing.pending(town) == 0, timeout=20_000)
    qtbot.waitUntil(lambda: window.index_task is None, timeout=5_000)
    assert "全文索引已更新" in window.statusBar().currentMessage()
    tab.reload()
    assert tab.index_note.isHidden() and tab.model.rowCount() == len(_found(village, word)) > 0


def test_the_wizard_shows_its_summary_once_the_data_is_in_and_the_window_builds_the_index_after(
    qtbot, village_town_bundle
):
    """The town's import wizard does not wait for the full-text pass (a third of a 30-village import):
    its summary shows as soon as the bundles are committed, and the window indexes them in the
    background; the command line still returns with the index complete."""
    from ui.main_window import MainWindow
    from ui.sync.page import SyncPage

    village, town, bundle = village_town_bundle
    ctx = _admin_context(town)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    wizard = page.importer
    shown = []
    summary = wizard.show_report

    def show_report(report) -> None:
        shown.append((report, indexing.pending(town)))
        summary(report)

    wizard.show_report = show_report
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    wizard.set_paths([bundle])
    wizard.import_btn.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    report, waiting_at_summary = shown[0]
    assert report.bundles[0].status == "imported" and report.index_seconds == 0
    entries = len(_index(village))
    assert waiting_at_summary == entries > 0  # nothing indexed yet when the clerk sees the summary
    qtbot.waitUntil(lambda: indexing.pending(town) == 0, timeout=20_000)
    qtbot.waitUntil(lambda: window.index_task is None, timeout=5_000)
    assert "全文索引已更新" in window.statusBar().currentMessage()
    assert (
        f"正在更新全文索引（0/{entries}），可照常使用，搜索结果暂时可能不全…" in messages
    )  # the counts show
    assert _index(town) == _index(village) and _keys_follow_visit_time(town)


def test_entries_in_the_same_second_get_distinct_keys_across_villages_and_imports(templates, tmp_path):
    import datetime as dt

    from app.diary import entries
    from app.stations import init_station

    from tests.diary_helpers import add_cadre, add_household, entry_input
    from tests.sync_support import enroll_village

    town = Workspace.open(
        shutil.copytree(templates["town"], tmp_path / "town"), create=False, credentials=ADMIN
    )
    stick = tmp_path / "stick"
    stick.mkdir()
    when = dt.datetime(2024, 5, 1, 9, 0)
    bundles = []
    for code, name in (("370681101201", "张家村"), ("370681101202", "李家村")):
        ws = Workspace.open(tmp_path / code, credentials=ADMIN)
        init_station(
            ws,
            kind="village",
            code=code,
            name=name,
            town_card=templates["town_card"],
            admin_user="admin",
            admin_password="admin-pass-1",
            admin_display_name="管理员",
        )
        enroll_village(ws, town, tmp_path)
        cadre = add_cadre(ws)
        hid, pid, _ = add_household(ws, head=f"{name[0]}大山")
        with ws.work(cadre) as w:
            for text in ("同一秒的第一篇", "同一秒的第二篇"):
                entries.save_entry(w, entry_input(hid, pid, when=when, situation=text))
        bundles.append(export_one(ws, stick))
        ws.close()
    for path in bundles:  # two runs: the second finds keys of that second taken
        assert import_bundles(town, [path]).bundles[0].status == "imported"
    with town.engine.connect() as c:
        keys = sorted(r[0] for r in c.exec_driver_sql("SELECT k FROM fts_diary_map"))
    from db.queries.diary import fts_key

    assert keys == [fts_key(when) + n for n in range(4)]
    assert len(_found(town, "同一秒的")) == 4
    town.close()


def test_a_later_bundle_that_renames_a_person_or_edits_a_demand_reindexes_the_entries_it_touches(
    village_town_bundle, tmp_path
):
    from db.models import Demand, DiaryParticipant, Person

    village, town, bundle = village_town_bundle
    assert import_bundles(town, [bundle]).bundles[0].status == "imported"
    with village.session() as s:
        part = s.scalars(
            select(DiaryParticipant).where(
                DiaryParticipant.person_id.is_not(None), DiaryParticipant.deleted_at.is_(None)
            )
        ).first()
        person = s.get(Person, part.person_id)
        person.name = "司马新名"
        met = set(
            s.scalars(
                select(DiaryParticipant.entry_id).where(
                    DiaryParticipant.person_id == person.id, DiaryParticipant.deleted_at.is_(None)
                )
            )
        )
        demand = s.scalars(
            select(Demand).where(Demand.deleted_at.is_(None), Demand.entry_id.not_in(met))
        ).first()
        demand.handling = "已联系镇水利站上门查看"
        demand_entry = demand.entry_id
    second = export_one(village, tmp_path / "stick")
    assert import_bundles(town, [second]).bundles[0].status == "imported"
    assert indexing.pending(town) == 0
    assert _found(town, "司马新名") == met != set()
    assert _found(town, "镇水利站上门") == {demand_entry}
    assert _index(town) == _index(village)
    assert all("司马新名" in _index(town)[k][1] for k in met)


def test_a_pass_in_steps_takes_the_entries_by_id_and_gives_the_index_a_single_step_gives(
    village_town_bundle, tmp_path
):
    """A step takes the first listed entries by id (a village's entries, and the rows their texts are
    read from, are neighbours by id), never by walking the visit-time index over every live entry; the
    index rows are those a pass of one step gives, under keys that follow the visit time."""
    from sqlalchemy import event

    village, town, bundle = village_town_bundle
    import_bundles(town, [bundle], index=False)
    stepped = Workspace.open(
        shutil.copytree(town.root, tmp_path / "town-stepped"), create=False, credentials=ADMIN
    )
    total = indexing.pending(town)
    with stepped.engine.connect() as c:
        listed = [r[0] for r in c.exec_driver_sql("SELECT entry_id FROM fts_diary_pending ORDER BY entry_id")]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    taken: list[set[str]] = []

    def after_step(done: int, _total: int, _text: str) -> None:
        with stepped.engine.connect() as c:
            waiting = {r[0] for r in c.exec_driver_sql("SELECT entry_id FROM fts_diary_pending")}
        taken.append(set(listed) - waiting - set().union(*taken))

    event.listen(stepped.engine, "before_cursor_execute", seen)
    try:
        assert indexing.catch_up_indexes(town, chunk=total) == total
        assert indexing.catch_up_indexes(stepped, after_step, chunk=total // 3) == total
    finally:
        event.remove(stepped.engine, "before_cursor_execute", seen)
    try:
        assert not any("ix_diary_entry_live_occurred_at" in s for s in statements)
        step = total // 3
        assert [sorted(t) for t in taken if t] == [listed[i : i + step] for i in range(0, total, step)]
        assert indexing.pending(town) == 0 and indexing.pending(stepped) == 0
        assert _index(town) == _index(village) == _index(stepped)
        assert _keys_follow_visit_time(town) and _keys_follow_visit_time(stepped)
        assert _gram_terms(stepped) == _gram_terms(town)
    finally:
        stepped.close()


def test_a_later_bundle_reindexes_the_roster_search_of_households_it_changes_and_indexes_new_ones(
    village_town_bundle, tmp_path
):
    """The town's roster search after a second bundle: a household whose address changed at the village
    is found by the new address and no longer by the old one; a household new in that bundle is found."""
    from db.models import Household
    from db.queries.households import RosterFilter, roster_ids

    from app.households import roster
    from app.households.checks import HouseholdInput, MemberInput

    village, town, bundle = village_town_bundle
    assert import_bundles(town, [bundle]).bundles[0].status == "imported"
    with village.work(None) as w:
        household = w.session.scalars(select(Household).where(Household.deleted_at.is_(None))).first()
        old_address, changed_id = household.address, household.id
        household.address = "沙河沿北巷九十九号"
        roster.refresh_search_text(w, household)
        new = roster.create_household(
            w, HouseholdInput(group_name="七组", members=[MemberInput("欧阳新户", relation="户主", sex="男")])
        )
    assert old_address and old_address not in "沙河沿北巷九十九号"
    second = export_one(village, tmp_path / "stick")
    assert import_bundles(town, [second]).bundles[0].status == "imported"
    with town.new_session() as s:
        assert roster_ids(s, RosterFilter(text="沙河沿北巷")) == [changed_id]
        assert changed_id not in roster_ids(s, RosterFilter(text=old_address))
        assert roster_ids(s, RosterFilter(text="欧阳新户")) == [new.id]
