"""The town's 今日待办: what the town can act on (cases escalated to it by their deadline, demands referred to
it under their office, villages whose 上报包 is overdue), each opening exactly its thing; no village visit
reminders. The town's handling form of an escalated case presets no outcome. Rules: docs/town-todo.md."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select, update

from db import vocab
from db.models import Demand, MediationCase, ReceivedBundle, Station

from app import accounts, preferences, todo
from app.diary import todo as diary_todo
from app.errors import UserError
from app.mediation import deadlines, rules
from app.sync import overdue
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import SECOND_VILLAGE, without_town_rule

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
SHOTS = os.environ.get("MINQING_SHOTS")
TOWN_KINDS = {"case_escalated", "demand_referred", "bundle_overdue"}


@pytest.fixture
def town(two_villages):
    ws = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    yield ws
    ws.close()


def _admin(ws):
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


def _escalate(ws, on: dt.date) -> str:
    """One of the first village's cases as a village's bundle brings it escalated to the town on ``on``
    (written into the town's copy directly: the setup of the state, not the thing tested)."""
    with without_town_rule(), ws.session() as s:
        s.execute(update(MediationCase).values(state=rules.ARCHIVED))  # only this one is waiting
        case = s.scalars(
            select(MediationCase).where(MediationCase.village_code == VILLAGE_CODE).order_by(MediationCase.id)
        ).first()
        case.state, case.escalated_to, case.escalated_on = rules.ESCALATED, "乡镇", on
        case.escalation_reason, case.town_outcome = "涉及多户，需要乡镇协调", None
        return case.id


def _items(ws, today, kind=None):
    with ws.work(_admin(ws)) as w:
        items = todo.collect(w, today)
    return [i for i in items if kind is None or i.kind == kind]


def test_an_escalated_case_is_due_a_month_after_its_escalation_not_on_that_day(town):
    escalated = dt.date(2026, 1, 31)
    case_id = _escalate(town, escalated)
    due = dt.date(2026, 2, 28)  # one calendar month, clamped to the month's end
    assert deadlines.town_deadline(escalated) == due
    for today, severity, words in (
        (dt.date(2026, 2, 10), "normal", "还剩 18 天"),
        (dt.date(2026, 2, 22), "warning", "还剩 6 天"),
        (due, "warning", "今天是处理期限"),
        (dt.date(2026, 3, 5), "overdue", "已超过处理期限 5 天"),
    ):
        (item,) = _items(town, today, "case_escalated")
        assert (item.due, item.severity, item.page, item.record_id) == (due, severity, "mediation", case_id)
        assert words in item.detail and "2026-01-31 上报" in item.detail
        assert item.title.startswith("张家村上报：")
    with without_town_rule(), town.session() as s:  # the town recorded its handling: nothing left to do
        s.get(MediationCase, case_id).town_outcome = "调解成功"
    assert _items(town, dt.date(2026, 3, 5), "case_escalated") == []


def test_the_town_sees_no_village_visit_reminders(town):
    kinds = {i.kind for i in _items(town, dt.date.today() + dt.timedelta(days=400))}
    assert kinds and kinds <= TOWN_KINDS


def _refer(ws, n: int, office: str, on: dt.date) -> list[str]:
    with without_town_rule(), ws.session() as s:
        ids = list(
            s.scalars(
                select(Demand.id).where(Demand.deleted_at.is_(None)).order_by(Demand.village_code, Demand.id)
            )
        )[:n]
        s.execute(update(Demand).where(Demand.status == vocab.REFERRED).values(status="已办结"))
        s.execute(
            update(Demand)
            .where(Demand.id.in_(ids))
            .values(status=vocab.REFERRED, referred_office=office, referred_on=on, referral_note="请审核")
        )
    return ids


def test_referred_demands_are_listed_one_by_one_under_their_office_and_open_the_demand(town):
    on = dt.date(2026, 3, 1)
    ids = _refer(town, diary_todo.MAX_REFERRED_PER_OFFICE + 2, "民政办", on)
    items = _items(town, on + dt.timedelta(days=7), "demand_referred")
    assert {i.group for i in items} == {"民政办"}
    rows, more = items[:-1], items[-1]
    assert len(rows) == diary_todo.MAX_REFERRED_PER_OFFICE
    assert {i.record_id for i in rows} <= {f"referral:{d}" for d in ids}
    assert all(i.page == "diary" and i.severity == "warning" for i in rows)  # 7 days waited
    assert all(i.due == on + dt.timedelta(days=diary_todo.TOWN_REPLY_DAYS) for i in rows)
    assert "已等 7 天" in rows[0].detail and "请审核" in rows[0].detail
    assert (more.title, more.record_id) == ("另有 2 条上报民政办的诉求待答复", "office:民政办")
    assert (more.count, more.overdue_count) == (2, 0)  # the heading counts the 2 it stands for
    late = _items(town, on + dt.timedelta(days=16), "demand_referred")
    assert {i.severity for i in late if i.record_id.startswith("referral:")} == {"overdue"}
    more = late[-1]  # the two not listed have waited as long: counted overdue in the heading
    assert (more.title, more.count, more.overdue_count) == (
        "另有 2 条上报民政办的诉求待答复（其中 2 条已逾期）",
        2,
        2,
    )
    assert sum(i.count for i in late) == diary_todo.MAX_REFERRED_PER_OFFICE + 2


def test_each_offices_oldest_referrals_are_those_of_the_whole_list_in_order(town):
    """The town's 今日待办 picks each office's ten oldest from the index (migration 0029): they are the first
    ten of the whole ordered list, whatever ties of day and village (broken by the visit, then the id)
    and missing days there are, and each office's count is its whole list's."""
    from db.queries.diary import oldest_referrals, referral_rows

    with without_town_rule(), town.session() as s:
        ids = list(
            s.scalars(
                select(Demand.id).where(Demand.deleted_at.is_(None)).order_by(Demand.village_code, Demand.id)
            )
        )
        assert len(ids) >= 40
        s.execute(update(Demand).where(Demand.status == vocab.REFERRED).values(status="已办结"))
        first, second = dt.date(2026, 3, 1), dt.date(2026, 3, 2)
        for n, demand_id in enumerate(ids[:40]):
            office = ("民政办", "民政办", "民政办", "司法所", "农业农村办")[n % 5]  # 24, 8 and 8 of them
            day = (
                None if n in (7, 30) else (first if n % 3 else second)
            )  # ties of day and village, two missing
            s.execute(
                update(Demand)
                .where(Demand.id == demand_id)
                .values(status=vocab.REFERRED, referred_office=office, referred_on=day)
            )
        s.execute(  # a deleted one and an answered one count nowhere
            update(Demand).where(Demand.id == ids[0]).values(deleted_at=dt.datetime(2026, 3, 3))
        )
        s.execute(update(Demand).where(Demand.id == ids[5]).values(status=vocab.TOWN_REPLIED))
    for twice in (False, True):
        if twice:  # a village code held by two station rows (a revoked one and its new one): each demand once
            with without_town_rule(), town.session() as s:
                old = s.scalars(select(Station).where(Station.code == VILLAGE_CODE)).one()
                s.add(
                    Station(
                        kind=old.kind,
                        code=old.code,
                        name=old.name,
                        town_code=old.town_code,
                        revoked_at=dt.datetime(2026, 1, 1),
                    )
                )
        for per_office in (1, 3, 10, 30):
            with town.work(None) as w:
                whole = referral_rows(w.session, statuses=[vocab.REFERRED])
                shown, counts = oldest_referrals(w.session, status=vocab.REFERRED, per_office=per_office)
            expected: dict[str, list[str]] = {}
            for r in whole:
                expected.setdefault(r.office, []).append(r.id)
            assert counts == {office: len(rows) for office, rows in expected.items()}
            assert {office: [r.id for r in rows] for office, rows in shown.items()} == {
                office: rows[:per_office] for office, rows in expected.items()
            }, (per_office, twice)
        assert counts == {"民政办": 22, "司法所": 8, "农业农村办": 8}
    assert len({(r.referred_on, r.village_code) for r in whole if r.office == "民政办"}) < 22  # ties tested


def test_the_towns_referred_demands_are_picked_from_the_index(town):
    """Counting and ordering the waiting referrals reads the index only (no row of the demand table)."""
    with town.work(None) as w:
        conn = w.session.connection()
        plan = " | ".join(
            row[3]
            for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT referred_office, referred_on, village_code, id FROM demand "
                "WHERE deleted_at IS NULL AND status = ? AND referred_office IS NOT NULL",
                (vocab.REFERRED,),
            )
        )
    assert "USING COVERING INDEX ix_demand_referred_live (status=?" in plan, plan


def _imported_day(ws) -> dt.date:
    """The day the fixture's bundles were written and imported (the fixture is built once per run, which
    may have been yesterday)."""
    with without_town_rule(), ws.session() as s:
        days = {
            overdue.local_day(min(b.created_at, b.imported_at)) for b in s.scalars(select(ReceivedBundle))
        }
    (day,) = days
    return day


def _bundles(ws) -> dict[str, int]:
    with without_town_rule(), ws.session() as s:
        return {st.code: st.id for st in s.scalars(select(Station).where(Station.kind == "village"))}


def test_a_village_is_overdue_after_the_towns_number_of_days_without_a_bundle(town):
    admin = _admin(town)
    imported = _imported_day(town)
    with town.work(admin) as w:
        assert preferences.bundle_overdue_days(w) == preferences.BUNDLE_OVERDUE_DEFAULT == 35
        assert overdue.quiet_villages(w, imported + dt.timedelta(days=35)) == []
        quiet = overdue.quiet_villages(w, imported + dt.timedelta(days=36))
        assert [(q.code, q.since, q.last_seq, q.days) for q in quiet] == [
            (VILLAGE_CODE, imported, 1, 36),
            (SECOND_VILLAGE[0], imported, 1, 36),
        ]
        preferences.set_bundle_overdue_days(w, 60)
    items = _items(town, imported + dt.timedelta(days=61), "bundle_overdue")
    stations = _bundles(town)
    assert [(i.page, i.record_id, i.severity) for i in items] == [
        ("sync", stations[VILLAGE_CODE], "overdue"),
        ("sync", stations[SECOND_VILLAGE[0]], "overdue"),
    ]
    assert items[0].title == "张家村：61 天没有上报包"
    assert f"最近一包是第 1 号（{imported:%Y-%m-%d}）" in items[0].detail and "超过 60 天" in items[0].detail
    assert _items(town, imported + dt.timedelta(days=60), "bundle_overdue") == []


def test_a_village_clock_set_ahead_does_not_hide_its_silence_and_revoked_stations_are_left_out(town):
    admin = _admin(town)
    stations = _bundles(town)
    imported = _imported_day(town)
    with (
        without_town_rule(),
        town.session() as s,
    ):  # the first village's laptop claims it wrote its bundle next year
        s.execute(
            update(ReceivedBundle)
            .where(ReceivedBundle.sender_station == stations[VILLAGE_CODE])
            .values(created_at=dt.datetime(2099, 1, 1))
        )
        s.get(Station, stations[SECOND_VILLAGE[0]]).revoked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with town.work(admin) as w:
        quiet = overdue.quiet_villages(w, imported + dt.timedelta(days=36))
    assert [(q.code, q.since) for q in quiet] == [(VILLAGE_CODE, imported)]


def test_a_village_that_never_sent_counts_from_its_enrollment(town):
    with without_town_rule(), town.session() as s:
        s.execute(update(ReceivedBundle).values(sender_station="someone-else"))
        enrolled = {
            st.code: overdue.local_day(st.enrolled_at) for st in s.scalars(select(Station)) if st.enrolled_at
        }
    with town.work(_admin(town)) as w:
        (first, _second) = overdue.quiet_villages(w, enrolled[VILLAGE_CODE] + dt.timedelta(days=40))
    assert (first.since, first.last_seq) == (enrolled[VILLAGE_CODE], None)
    (item, _) = _items(town, enrolled[VILLAGE_CODE] + dt.timedelta(days=40), "bundle_overdue")
    assert "登记后还没有收到上报包" in item.detail


@pytest.mark.parametrize("bad", [0, 366, True, "30", 3.5])
def test_the_overdue_days_setting_refuses_what_is_not_a_whole_number_of_days(town, bad):
    with town.work(_admin(town)) as w, pytest.raises(UserError) as err:
        preferences.set_bundle_overdue_days(w, bad)
    assert err.value.field == "bundle_overdue_days" and "上报包逾期天数" in err.value.message


def test_a_village_has_no_overdue_bundle_setting_nor_reminders(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        with pytest.raises(UserError):
            preferences.set_bundle_overdue_days(w, 10)
        assert overdue.todo_items(w, dt.date.today() + dt.timedelta(days=999)) == []


# -- the window ---------------------------------------------------------------------------------------------
def _ctx(ws):
    from ui.context import AppContext

    return AppContext(ws, _admin(ws))


def _rows(tree):
    from PySide6.QtCore import Qt

    out = []

    def walk(item, depth):
        out.append((depth, item.text(0), item.data(0, Qt.ItemDataRole.UserRole)))
        for n in range(item.childCount()):
            walk(item.child(n), depth + 1)

    for n in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(n), 0)
    return out


def test_town_home_lists_sections_and_each_item_opens_exactly_its_thing(qtbot, town):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.app import apply_ui_font
    from ui.home import HomePage
    from ui.main_window import MainWindow
    from ui.mediation.case.dialog import CaseDialog

    apply_ui_font(QApplication.instance())
    case_id = _escalate(town, dt.date(2026, 1, 31))
    demand_ids = _refer(town, 2, "司法所", dt.date(2026, 3, 1))
    today = dt.date(2027, 1, 10)  # long after the bundles' day (this test runs before 2026-12): overdue
    today = max(today, dt.date.today() + dt.timedelta(days=40))
    ctx = _ctx(town)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    home = window.page("home") or window.open_page("home")
    assert isinstance(home, HomePage)
    home._fixed_today = today
    window.show()
    home.refresh()
    qtbot.waitUntil(home.ready, timeout=10_000)
    rows = _rows(home.tree)
    headings = [text for depth, text, item in rows if item is None]
    assert headings[0].startswith("村调委会上报的调解案件（1，已逾期 1）")
    assert "司法所" in headings and any(h.startswith("上报包逾期的村（2") for h in headings)
    assert all(item.kind in TOWN_KINDS for _d, _t, item in rows if item is not None), (
        "no village visit reminders at a town"
    )
    if SHOTS:
        window.grab().save(os.path.join(SHOTS, "town-home.png"))

    def activate(record_id):
        from PySide6.QtCore import Qt

        it = home.tree.findItems("", Qt.MatchFlag.MatchContains | Qt.MatchFlag.MatchRecursive)
        (row,) = [
            r
            for r in it
            if r.data(0, Qt.ItemDataRole.UserRole) is not None
            and r.data(0, Qt.ItemDataRole.UserRole).record_id == record_id
        ]
        home.tree.itemActivated.emit(row, 0)

    seen = []

    def close_case():
        d = QApplication.activeModalWidget()
        if not isinstance(d, CaseDialog):
            QTimer.singleShot(20, close_case)
            return
        seen.append(d.case_id)
        d.reject()

    QTimer.singleShot(0, close_case)
    activate(case_id)
    assert seen == [case_id]

    activate(f"referral:{demand_ids[1]}")
    diary = window.page("diary")
    assert diary.tabs.currentWidget() is diary.referral_tab
    assert diary.referral_tab.current_id() == demand_ids[1]
    assert diary.referral_tab.office.currentData() is None

    stations = _bundles(town)
    window.open_page("home")
    activate(stations[SECOND_VILLAGE[0]])
    sync = window.page("sync")
    assert sync.tabs.currentWidget() is sync.board
    row = sync.board.view.currentIndex().row()
    assert sync.board.model.keys[row] == stations[SECOND_VILLAGE[0]]
    window.close()


def test_the_towns_handling_form_presets_no_outcome_and_names_the_field(qtbot, town, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ui.mediation.case.dialog import CaseDialog

    case_id = _escalate(town, dt.date.today() - dt.timedelta(days=3))
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: shown.append(text))
    dlg = CaseDialog(_ctx(town), case_id)
    qtbot.addWidget(dlg)
    tab = dlg.registration_tab
    assert tab.town_outcome.currentIndex() == -1 and tab.town_outcome.currentText() == ""
    assert tab.town_outcome.placeholderText() == "请选择处理结果"
    tab.town_handling.setText("镇司法所组织双方调解")
    tab.town_save.click()
    assert shown and shown[-1].startswith("处理结果请选择")
    with without_town_rule(), town.session() as s:
        assert s.get(MediationCase, case_id).town_outcome is None  # nothing saved
    tab.town_outcome.setCurrentText("调解不成")
    tab.town_save.click()
    with without_town_rule(), town.session() as s:
        assert s.get(MediationCase, case_id).town_outcome == "调解不成"


def test_the_overdue_days_are_set_on_the_towns_board_of_villages(qtbot, town):
    from ui.sync.page import SyncPage

    page = SyncPage(_ctx(town))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    board = page.board
    assert board.overdue_days.value() == 35 and not board.save_days.isHidden()
    board.overdue_days.setValue(20)
    assert board.save_overdue_days()
    with town.work(_admin(town)) as w:
        assert preferences.bundle_overdue_days(w) == 20
    states = {board.model.rows[r][2] for r in range(board.model.rowCount())}
    assert states == {"正常"}  # both sent today


def test_dates_a_village_typed_ahead_cannot_push_the_towns_deadlines_away(town):
    """A dishonest (or wrongly set) village clock: an escalation or referral dated in 2099 counts from the
    day the town imported it."""
    imported = _imported_day(town)
    case_id = _escalate(town, dt.date(2099, 1, 1))
    (demand_id,) = _refer(town, 1, "民政办", dt.date(2099, 1, 1))
    # as the village's bundle brought them: its station and a version inside that bundle (written past
    # the session, whose stamping would make them the town's own change)
    with town.engine.begin() as conn:
        village = conn.scalar(select(Station.id).where(Station.code == VILLAGE_CODE))
        top = conn.scalar(select(ReceivedBundle.counter_to).where(ReceivedBundle.sender_station == village))
        for model, row_id in ((MediationCase, case_id), (Demand, demand_id)):
            table = model.__table__
            conn.execute(
                update(table).where(table.c.id == row_id).values(changed_station=village, version=top)
            )
    later = imported + dt.timedelta(days=40)
    (case,) = _items(town, later, "case_escalated")
    assert case.due == rules.add_months(imported, 1) and case.severity == "overdue"
    (demand,) = _items(town, later, "demand_referred")
    assert demand.severity == "overdue" and "已等 40 天" in demand.detail


def test_the_headings_count_the_referrals_not_listed_too(town, qtbot):
    """The heading said “村里上报的诉求（按科室）（80，已逾期 80）” over 313 waiting: it counted the lines
    shown. It counts every demand, those under “另有 N 条” too, and the overdue among them."""
    from ui.context import AppContext
    from ui.home import HomePage

    on = dt.date(2026, 3, 1)
    _refer(town, diary_todo.MAX_REFERRED_PER_OFFICE + 2, "民政办", on)
    page = HomePage(AppContext(town, _admin(town)), today=on + dt.timedelta(days=16))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(page.ready)
    headings = [page.tree.topLevelItem(i).text(0) for i in range(page.tree.topLevelItemCount())]
    n = diary_todo.MAX_REFERRED_PER_OFFICE + 2
    assert f"村里上报的诉求（按科室）（{n}，已逾期 {n}）" in headings, headings
    assert page.summary.text().startswith(f"共 {sum(i.count for i in page.items)} 项")
