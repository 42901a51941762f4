"""交办 and 点评 in the window (issue 15): the village's "上报乡镇…", the town's 村级上报诉求 grouped by office
with its reply / forward form, the village's view of the reply (the entry, the ledger, 今日待办) and the 点评
at closing; real bundles between a village and its town. MINQING_SHOTS=folder saves the screens."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from db.models import Demand, DiaryEntry

from app import accounts, todo
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import export_one

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
SHOTS = os.environ.get("MINQING_SHOTS")
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _window_font(qapp):
    """The window's own font set-up (ui.app.make_application's): the bundled CJK font when the system
    has none, so that saved screens show the Chinese a user reads."""
    from ui.app import apply_ui_font

    apply_ui_font(qapp)


def _ctx(ws):
    from ui.context import AppContext

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return AppContext(ws, user)


def _shot(widget, name: str) -> None:
    if SHOTS:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        widget.grab().save(os.path.join(SHOTS, f"{name}.png"))


def _page(ctx, qtbot):
    from ui.diary.page import DiaryPage

    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    return page


def _dialog(qtbot, dlg, name: str):
    qtbot.addWidget(dlg)
    dlg.show()
    _shot(dlg, name)
    return dlg


def _ok(dlg) -> None:
    dlg.buttons.accepted.emit()


def test_referral_round_trip_from_the_window(qtbot, two_villages, tmp_path):
    from app.diary import demands, entries

    from ui.diary.dialogs import CloseDialog, ReferDialog, ReplyDialog, TownReplyDialog
    from ui.diary.page import entry_html

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    stick = tmp_path / "stick"
    stick.mkdir()
    try:
        vctx = _ctx(village)
        with village.new_session() as s:
            did = s.scalars(select(Demand.id).where(Demand.status == "待办").order_by(Demand.id)).first()
        # -- the village: 上报乡镇… on the ledger ---------------------------------------------------------
        page = _page(vctx, qtbot)
        page.show_record(did)
        ledger = page.ledger_tab
        assert page.tabs.currentWidget() is ledger and ledger._current().id == did
        assert ledger.refer_button.isEnabled() and not ledger.feedback_button.isEnabled()
        with vctx.work() as w:
            info = demands.demand_info(w, did)
        dlg = _dialog(qtbot, ReferDialog(vctx, info, page), "village-refer-dialog")
        _ok(dlg)  # no office chosen: a Chinese message, nothing saved
        assert dlg.error.isVisible() and "请选择乡镇的科室" in dlg.error.text()
        dlg.office.setCurrentIndex(dlg.office.findData("民政办"))
        dlg.note.setPlainText("户主长期卧病，家庭收入低，申请低保，材料已收齐。")
        _shot(dlg, "village-refer-dialog")
        _ok(dlg)
        assert dlg.result() == dlg.DialogCode.Accepted
        with village.new_session() as s:
            assert (s.get(Demand, did).status, s.get(Demand, did).referred_office) == ("已上报乡镇", "民政办")

        (up,) = import_bundles(town, [export_one(village, stick)]).bundles
        assert up.status == "imported" and up.counts["rejected"] == 0

        # -- the town: 今日待办 by office, the list by office, the reply form -------------------------------
        tctx = _ctx(town)
        with tctx.work() as w:
            civil = [i for i in todo.collect(w) if i.group == "民政办"]
        (item,) = [i for i in civil if i.record_id == f"referral:{did}"]
        assert item.page == "diary" and item.title.startswith("张家村")
        n = len(civil)
        tpage = _page(tctx, qtbot)
        tpage.show_record(item.record_id)  # the item opens the demand itself in the town's list
        tab = tpage.referral_tab
        assert tpage.tabs.currentWidget() is tab and tab.current_id() == did
        tpage.show_record("office:民政办")  # the list of one office
        assert tab.office.currentData() == "民政办"
        assert tab.tree.topLevelItemCount() == 1
        top = tab.tree.topLevelItem(0)
        assert top.text(0) == f"民政办（待答复 {n} 条）" and top.childCount() == n
        (mine,) = [top.child(k) for k in range(n) if top.child(k).data(0, Qt.ItemDataRole.UserRole) == did]
        assert mine.text(0).startswith("张家村") and mine.text(4) == "已上报乡镇"
        tab.tree.setCurrentItem(mine)
        assert tab.current_id() == did
        assert not tpage.ledger_tab.refer_button.isVisible() and not tpage.ledger_tab.reply_button.isVisible()
        tab.office.setCurrentIndex(0)
        _shot(tpage, "town-referrals-by-office")
        with tctx.work() as w:
            info = demands.demand_info(w, did)
            town_entry = entries.entry_detail(w, info.entry_id)
        town_html = entry_html(
            town_entry, town=True
        )  # the town's detail: its reply, none of the village's steps
        assert f'href="town:{did}"' in town_html and 'href="reply:' not in town_html
        assert 'href="refer:' not in town_html and "等待乡镇答复" in town_html
        dlg = _dialog(qtbot, TownReplyDialog(tctx, info, "张家村", tpage), "town-reply-dialog")
        assert not dlg.forwarded_to.isEnabled()
        dlg.kind.button(1).setChecked(True)  # 转报县级部门
        assert dlg.forwarded_to.isEnabled()
        dlg.reply.setPlainText("已转报县民政局审批，请村里告知群众：审批约需 20 个工作日。")
        _ok(dlg)
        assert "请填写转报到的县级部门" in dlg.error.text()
        dlg.forwarded_to.setText("县民政局")
        _shot(dlg, "town-reply-dialog")
        _ok(dlg)
        assert dlg.result() == dlg.DialogCode.Accepted
        tab.show_office("民政办")
        waiting = [tab.tree.topLevelItem(0).child(k) for k in range(n - 1)] if n > 1 else []
        assert did not in {c.data(0, Qt.ItemDataRole.UserRole) for c in waiting}
        assert tab.tree.topLevelItemCount() == (1 if n > 1 else 0)
        tab.answered.setChecked(True)
        top = tab.tree.topLevelItem(0)
        (mine,) = [
            top.child(k)
            for k in range(top.childCount())
            if top.child(k).data(0, Qt.ItemDataRole.UserRole) == did
        ]
        assert mine.text(4) == "乡镇已答复" and mine.text(5).startswith("已转报县民政局：")

        (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
        (b,) = import_bundles(village, [down.path]).bundles
        assert b.counts["updated"] == 1 and b.counts["rejected"] == 0

        # -- the village sees the reply: 今日待办, the ledger, the entry -----------------------------------
        with vctx.work() as w:
            (item,) = [i for i in todo.collect(w) if i.kind == "demand_town_replied"]
            entry = entries.entry_detail(w, demands.demand_info(w, did).entry_id)
        assert item.record_id == did and item.title.startswith("已转报县民政局，请答复群众")
        page.refresh()
        page.show_record(did)
        r = ledger._current()
        assert r.id == did and r.status == "乡镇已答复"
        town_col = [
            ledger.model.headerData(c, _horizontal()) for c in range(ledger.model.columnCount())
        ].index("乡镇")
        row = ledger.view.currentIndex().row()
        assert ledger.model.index(row, town_col).data().startswith("民政办转报县民政局：已转报县民政局审批")
        assert ledger.reply_button.isEnabled() and ledger.reply_button.text() == "答复群众…"
        _shot(page, "village-ledger-town-replied")
        html = entry_html(entry)
        assert "乡镇转报县民政局" in html and f'href="reply:{did}"' in html and "答复群众…" in html
        page.tabs.setCurrentWidget(page.diary_tab)
        page.diary_tab.use_dates.setChecked(False)
        page.diary_tab.reload(entry.id)
        _select_entry(page.diary_tab, entry.id)
        assert "乡镇转报县民政局" in page.diary_tab.detail.toHtml()
        _shot(page, "village-entry-town-replied")

        # -- the village answers the resident, closes it with the resident's 点评 ---------------------------
        with vctx.work() as w:
            info = demands.demand_info(w, did)
        dlg = _dialog(qtbot, ReplyDialog(vctx, info, page), "village-answer-resident")
        dlg.reply.setPlainText("已转报县民政局审批，约 20 个工作日，有结果立即告知。")
        _ok(dlg)
        assert dlg.result() == dlg.DialogCode.Accepted
        with vctx.work() as w:
            info = demands.demand_info(w, did)
        dlg = _dialog(qtbot, CloseDialog(vctx, info, page), "village-close-with-feedback")
        dlg.handling.setPlainText("县民政局已批准，纳入低保。")
        dlg.feedback.setChecked(True)
        dlg.feedback.verdict.button(2).setChecked(True)  # 不满意
        _ok(dlg)
        assert "请记下群众的原话" in dlg.error.text()
        dlg.feedback.words.setPlainText("批得太慢，跑了三趟")
        dlg.feedback.method.button(1).setChecked(True)  # 电话
        _shot(dlg, "village-close-with-feedback")
        _ok(dlg)
        assert dlg.result() == dlg.DialogCode.Accepted
        with village.new_session() as s:
            d = s.get(Demand, did)
            assert (d.status, d.feedback_verdict, d.feedback_words, d.feedback_method) == (
                "已办结",
                "不满意",
                "批得太慢，跑了三趟",
                "电话",
            )
        page.refresh()
        page.show_record(did)
        fb_col = [ledger.model.headerData(c, _horizontal()) for c in range(ledger.model.columnCount())].index(
            "群众点评"
        )
        assert (
            ledger.model.index(ledger.view.currentIndex().row(), fb_col).data()
            == "不满意（电话）：批得太慢，跑了三趟"
        )
        assert not ledger.feedback_button.isEnabled()  # recorded once
    finally:
        village.close()
        town.close()


def test_feedback_after_closing_from_the_ledger(qtbot, village_ws, village_admin):
    """A demand closed without a 点评: 今日待办 asks for it, the ledger's 群众点评… records it."""
    from app.diary import demands

    from ui.context import AppContext
    from ui.diary.dialogs import FeedbackDialog

    from tests.sync_support import add_demand, add_household

    hid = add_household(village_ws, "钟伟堃")
    did = add_demand(village_ws, hid, "村口路灯坏了")
    with village_ws.work(village_admin) as w:
        demands.reply_demand(w, did, reply="已报修", replied_on=TODAY, replied_by="村管理员")
        demands.close_demand(w, did, closed_on=TODAY, handling="电工已修好")
        (item,) = [i for i in todo.collect(w) if i.kind == "demand_feedback"]
    assert item.record_id == did and item.title == "请群众点评：钟伟堃 村口路灯坏了"
    ctx = AppContext(village_ws, village_admin)
    page = _page(ctx, qtbot)
    page.show_record(did)
    assert page.ledger_tab.feedback_button.isEnabled() and not page.ledger_tab.refer_button.isEnabled()
    with ctx.work() as w:
        info = demands.demand_info(w, did)
    dlg = _dialog(qtbot, FeedbackDialog(ctx, info, page), "village-feedback-dialog")
    dlg.feedback.verdict.button(0).setChecked(True)
    dlg.feedback.words.setPlainText("修得快")
    _shot(dlg, "village-feedback-dialog")
    _ok(dlg)
    assert dlg.result() == dlg.DialogCode.Accepted
    with village_ws.new_session() as s:
        assert s.get(Demand, did).feedback_verdict == "满意"


def _horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def _select_entry(tab, entry_id: str) -> None:
    from PySide6.QtCore import QItemSelectionModel

    row = tab.model.row_of(entry_id)
    assert row >= 0
    tab.view.selectionModel().setCurrentIndex(
        tab.model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    tab.show_detail()


def test_the_reports_page_counts_the_residents_feedback(qtbot, two_villages):
    """统计报表 shows 群众点评 as counts (the demo closes most demands with one), for the town and each village."""
    from db import vocab

    from ui.reports import ReportsPage

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        page = ReportsPage(_ctx(town))
        qtbot.addWidget(page)
        page.today = dt.date(2024, 6, 1)
        page.resize(1366, 768)
        page.show()
        page.set_period("year")
        with town.new_session() as s:
            counts = dict(
                s.execute(
                    select(Demand.feedback_verdict, func.count())
                    .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
                    .where(
                        Demand.status == "已办结",
                        Demand.feedback_verdict.is_not(None),
                        DiaryEntry.occurred_at >= dt.datetime(2024, 1, 1),
                        DiaryEntry.occurred_at < dt.datetime(2025, 1, 1),
                    )
                    .group_by(Demand.feedback_verdict)
                ).all()
            )
        assert sum(counts.values()) > 0
        t = page.report.totals
        assert {k: t.demands_feedback[k] for k in vocab.FEEDBACK_VERDICTS} == {
            k: counts.get(k, 0) for k in vocab.FEEDBACK_VERDICTS
        }
        assert page.demands_box.value("群众点评：满意") == str(t.demands_feedback["满意"])
        qtbot.wait(300)  # the boxes were filled anew: let the layout settle before the screen is saved
        _shot(page, "town-reports-feedback")
    finally:
        town.close()


def test_the_towns_list_of_referrals_is_read_when_its_tab_opens_not_with_the_page(
    two_villages, qtbot, monkeypatch
):
    """At a town, 民情日记 opens on its own tab; the list of referred demands (thousands at a town of 30
    villages, each read with its entry and household) is read when its tab is shown, once, and again
    after a change only when it is shown."""
    from app.diary import referral

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        reads: list[str | None] = []
        real = referral.town_worklist

        def counted(work, **kwargs):
            reads.append(kwargs.get("office"))
            return real(work, **kwargs)

        monkeypatch.setattr(referral, "town_worklist", counted)
        ctx = _ctx(town)
        page = _page(ctx, qtbot)
        tab = page.referral_tab
        assert tab is not None and page.tabs.currentWidget() is page.diary_tab
        assert reads == []  # the page is open: its own tabs are read, not the town's list
        page.tabs.setCurrentWidget(tab)
        assert reads == [None] and tab.count.text()
        page.tabs.setCurrentWidget(page.diary_tab)
        page.tabs.setCurrentWidget(tab)
        assert reads == [None]  # nothing changed: not read again
        page.refresh()  # shown and refreshed (data changed): read again at once
        assert reads == [None, None]
        page.tabs.setCurrentWidget(page.ledger_tab)
        page.refresh()  # hidden: only marked
        assert reads == [None, None]
        page.show_record("office:民政办")  # opening one office reads it once, for that office
        assert reads == [None, None, "民政办"] and page.tabs.currentWidget() is tab
    finally:
        town.close()
