"""The entry form, signature pad, lists and page with pytest-qt: typing, Ctrl+S, field messages, drafts.

Chinese text arrives through an input method as committed text, so it is inserted (QTest.keyClicks
only types Latin-1); pinyin in the picker and the shortcuts are real key presses.
"""

import datetime as dt

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from db.models import DiaryEntry
from db.queries.diary import DiaryFilter, LedgerFilter

from app.diary import acknowledgement, drafts, entries

from ui.context import AppContext
from ui.diary.entry_form import EntryDialog
from ui.diary.models import DiaryListModel, LedgerModel
from ui.diary.signature_pad import SignaturePad

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input

# The offscreen platform cannot pass size hints to a window manager it does not have.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def ctx(village_ws):
    cadre = add_cadre(village_ws)
    return AppContext(village_ws, cadre)


def _show(qtbot, widget):
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()


def _drafts(ctx):
    with ctx.work() as w:
        return drafts.list_drafts(w)


def _entries(ws):
    with ws.session() as s:
        return list(s.scalars(select(DiaryEntry)))


def test_typing_an_entry_and_ctrl_s_saves_it(qtbot, ctx):
    add_household(ctx.workspace, "张三丰", members=["李秀英"])
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    changes = []
    ctx.data_changed.connect(changes.append)
    qtbot.keyClicks(dlg.participants.picker.edit, "zsf")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    assert [p.name for p in dlg.participants.persons()] == ["张三丰"]
    dlg.situation.insertPlainText("老人独居，身体尚可")
    dlg.add_demand_row(focus=True)
    dlg.demand_rows[0].category.setCurrentText("医疗")
    dlg.demand_rows[0].content.insert("希望办理慢性病门诊卡")
    with qtbot.waitSignal(dlg.saved, timeout=2000):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    (entry,) = _entries(ctx.workspace)
    assert entry.situation == "老人独居，身体尚可" and entry.kind == "入户走访"
    with ctx.workspace.work() as w:
        detail = entries.entry_detail(w, entry.id)
    assert [d.content for d in detail.demands] == ["希望办理慢性病门诊卡"] and changes == ["diary"]
    assert _drafts(ctx) == []


def test_validation_message_appears_under_the_field_and_nothing_is_saved(qtbot, ctx):
    add_household(ctx.workspace, "张三丰")
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    dlg.situation.insertPlainText("没有选人")
    qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    label = dlg.errors["participants"]
    assert label.isVisible() and "走访对象" in label.text()
    assert _entries(ctx.workspace) == [] and dlg.isVisible()
    qtbot.keyClicks(dlg.participants.picker.edit, "zsf")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    dlg.add_demand_row()
    qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not label.isVisible(), label.text()
    assert dlg.demand_rows[0].error.isVisible(), {k: v.text() for k, v in dlg.errors.items() if v.isVisible()}
    assert dlg.demand_rows[0].error.isVisible() and "第 1 条诉求" in dlg.demand_rows[0].error.text()
    assert _entries(ctx.workspace) == []


def test_half_typed_entry_survives_closing_and_is_offered_back(qtbot, ctx):
    add_household(ctx.workspace, "张三丰")
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    qtbot.keyClicks(dlg.participants.picker.edit, "zsf")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    dlg.difficulties.insertPlainText("屋顶漏雨")
    qtbot.waitUntil(lambda: _drafts(ctx) != [], timeout=3000)
    dlg.close()  # as if the window were closed or the program crashed after the autosave
    again = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(again)
    _show(qtbot, again)
    assert again.draft_banner.isVisible() and again.difficulties.toPlainText() == ""
    qtbot.mouseClick(again.restore_button, Qt.MouseButton.LeftButton)
    assert again.difficulties.toPlainText() == "屋顶漏雨"
    assert [p.name for p in again.participants.persons()] == ["张三丰"]
    assert not again.draft_banner.isVisible()


def _opened(qtbot, ctx):
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    return dlg


def _kept(ctx):
    """What each kept draft holds, newest first: (its key is the form's own, 家庭情况, 困难问题)."""
    return [
        (d.key == "new", d.data.get("situation", ""), d.data.get("difficulties", "")) for d in _drafts(ctx)
    ]


def test_an_offered_draft_is_never_replaced_by_what_is_typed_before_choosing(qtbot, ctx):
    """A draft offered and neither restored nor discarded holds other work (丁凯祥's visit): typing in
    the new form keeps a draft of its own beside it (a crash then loses neither), saving other work
    leaves both, the newer is offered first; 恢复草稿 puts it back, 放弃草稿 drops only the offered one."""
    add_household(ctx.workspace, "张三丰")
    dlg = _opened(qtbot, ctx)
    dlg.difficulties.insertPlainText("屋顶漏雨")
    qtbot.waitUntil(lambda: _drafts(ctx) != [], timeout=3000)
    dlg.close()
    first = _drafts(ctx)

    again = _opened(qtbot, ctx)
    assert again.draft_banner.isVisible() and "这里新写的不会顶替它" in again.draft_label.text()
    again.situation.insertPlainText("另一户的情况")
    qtbot.waitUntil(lambda: len(_drafts(ctx)) == 2, timeout=3000)  # kept at the pause, before any close
    assert first[0] in _drafts(ctx)  # the offered draft, untouched
    assert _kept(ctx) == [(False, "另一户的情况", ""), (True, "", "屋顶漏雨")]
    again.reject()

    third = _opened(qtbot, ctx)  # the newer is offered
    assert "另一户的情况" not in third.situation.toPlainText() and third.draft_banner.isVisible()
    qtbot.keyClicks(third.participants.picker.edit, "zsf")
    qtbot.keyClick(third.participants.picker.edit, Qt.Key.Key_Return)
    third.situation.insertPlainText("第三户")
    assert third.save() and len(_entries(ctx.workspace)) == 1
    assert _kept(ctx) == [(False, "另一户的情况", ""), (True, "", "屋顶漏雨")]  # saving other work keeps both

    fourth = _opened(qtbot, ctx)
    fourth.situation.insertPlainText("打字打到一半")
    qtbot.waitUntil(lambda: len(_drafts(ctx)) == 3, timeout=3000)
    fourth.restore_draft()  # what was typed meanwhile is replaced by the draft, on screen and on disk
    assert fourth.situation.toPlainText() == "另一户的情况"
    assert _kept(ctx) == [(False, "另一户的情况", ""), (True, "", "屋顶漏雨")]
    assert fourth.save() is False  # (no household): the restored draft is kept under its own key
    fourth.reject()

    fifth = _opened(qtbot, ctx)
    assert fifth.situation.toPlainText() == ""
    qtbot.mouseClick(fifth.discard_button, Qt.MouseButton.LeftButton)  # drops the offered one only
    assert _kept(ctx) == [(True, "", "屋顶漏雨")]
    fifth.situation.insertPlainText("第五次")
    qtbot.waitUntil(lambda: len(_drafts(ctx)) == 2, timeout=3000)  # now the new typing is kept
    fifth.reject()
    sixth = _opened(qtbot, ctx)
    sixth.restore_draft()
    assert sixth.situation.toPlainText() == "第五次" and sixth.difficulties.toPlainText() == ""
    sixth.reject()
    assert _kept(ctx) == [(False, "第五次", ""), (True, "", "屋顶漏雨")]  # the first is still there


def test_tab_goes_down_the_form_through_each_demand(qtbot, ctx):
    """From 困难问题 Tab reaches the 诉求 (each one's fields and 删除), then 添加诉求, then 办理情况: a row
    added later had come after 计划日期, and its 删除 led back to 时间 at the top."""
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    first, second = dlg.add_demand_row(), dlg.add_demand_row()
    dlg.difficulties.setFocus()
    qtbot.waitUntil(dlg.difficulties.hasFocus)
    walked = []
    for _ in range(20):  # (Tab steps through a date's year, month and day before it leaves the box)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if not walked or walked[-1] is not QApplication.focusWidget():
            walked.append(QApplication.focusWidget())
    assert walked[:12] == [
        first.category,
        first.content,
        first.responsible,
        first.due,
        first.remove,
        second.category,
        second.content,
        second.responsible,
        second.due,
        second.remove,
        dlg.add_demand_button,
        dlg.actions,
    ]


def test_a_drawn_stroke_makes_a_non_empty_png(qtbot):
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(400, 160)
    pad.show()
    assert pad.is_empty() and pad.to_png() == b""
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPointF(30, 80).toPoint())
    for x in range(40, 300, 20):
        qtbot.mouseMove(pad, QPointF(x, 80 + (x % 40) - 20).toPoint())
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPointF(300, 90).toPoint())
    assert not pad.is_empty()
    png = pad.to_png()
    assert png.startswith(b"\x89PNG")
    image = QImage.fromData(png)
    dark = sum(
        1 for x in range(image.width()) for y in range(image.height()) if image.pixelColor(x, y).alpha() > 128
    )
    assert dark > 50
    qtbot.keyClick(pad, Qt.Key.Key_Delete)
    assert pad.is_empty()


def test_lazy_models_pass_the_model_tester_and_filter(qtbot, qtmodeltester, ctx):
    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰")
    with ws.work(ctx.user) as w:
        for day in range(1, 6):
            entries.save_entry(
                w,
                entry_input(
                    hid,
                    pid,
                    when=dt.datetime(2024, 3, day, 9),
                    situation=f"第{day}次走访",
                    demands=[("医疗", f"诉求{day}")],
                ),
                now=NOW,
            )
    model = DiaryListModel(ws.session)
    model.reload()
    qtmodeltester.check(model)
    assert model.rowCount() == 5 and model.index(0, 0).data() == "2024-03-05 09:00"
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.index(0, 0).data() == "2024-03-01 09:00"
    model.filter = DiaryFilter(text="第3次")
    model.reload()
    assert model.rowCount() == 1
    ledger_model = LedgerModel(ws.session, today=dt.date(2024, 3, 14))
    ledger_model.reload()
    qtmodeltester.check(ledger_model)
    assert ledger_model.rowCount() == 5
    overdue = [r for r in range(5) if ledger_model.index(r, 11).data() == "逾期"]
    assert len(overdue) == 3  # due 03-11, 03-12, 03-13
    assert ledger_model.index(overdue[0], 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    ledger_model.filter = LedgerFilter(overdue_on=dt.date(2024, 3, 14))
    ledger_model.reload()
    assert ledger_model.rowCount() == 3


def test_diary_page_lists_searches_and_shows_signed_entry_read_only(qtbot, ctx):
    from ui.diary.page import DiaryPage
    from ui.diary.timeline import HouseholdTimeline

    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰", cadre_id=ctx.user.id)
    with ws.work(ctx.user) as w:
        e1 = entries.save_entry(
            w,
            entry_input(
                hid,
                pid,
                when=dt.datetime(2024, 3, 1, 9),
                situation="屋顶漏雨需要修缮",
                demands=[("住房", "申请危房改造")],
            ),
            now=NOW,
        )
        entries.save_entry(
            w, entry_input(hid, pid, when=dt.datetime(2024, 3, 2, 9), situation="孩子上学路远"), now=NOW
        )
        acknowledgement.acknowledge(w, e1.id, method="当场签字", signer_name="张三丰", signature_png=b"png")
    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.diary_tab.use_dates.setChecked(False)  # the fixture's entries are in 2024
    page.refresh()
    assert page.ready() and page.diary_tab.model.rowCount() == 2
    assert page.ledger_tab.model.rowCount() == 1
    page.diary_tab.search.setText("屋顶漏雨")
    page.diary_tab.reload()
    assert page.diary_tab.model.rowCount() == 1 and page.diary_tab.current_id() == e1.id
    html = page.diary_tab.detail.toHtml()
    assert "张三丰" in html and "当场签字" in html and "申请危房改造" in html
    assert not page.diary_tab.edit_button.isEnabled() and page.diary_tab.amend_button.isEnabled()
    page.diary_tab.search.clear()
    page.diary_tab.ack.setCurrentIndex(2)  # 未签字
    assert page.diary_tab.model.rowCount() == 1 and page.diary_tab.edit_button.isEnabled()
    timeline = HouseholdTimeline(ctx)
    qtbot.addWidget(timeline)
    timeline.show_household(hid)
    assert "2024-03-02" in timeline.last.text() and "已签字" in timeline.view.toPlainText()


def test_diary_list_loads_ids_a_page_at_a_time(qtbot, qtmodeltester, ctx, monkeypatch):
    from ui.models import lazy

    monkeypatch.setattr(lazy, "PAGE_SIZE", 4)
    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰")
    with ws.work(ctx.user) as w:
        saved = [
            entries.save_entry(
                w,
                entry_input(hid, pid, when=dt.datetime(2024, 3, day, 9), demands=[("医疗", f"诉求{day}")]),
                now=NOW,
            ).id
            for day in range(1, 11)
        ]
    model = DiaryListModel(ws.session)
    model.reload()
    assert model.rowCount() == 10 and model.loaded_id_count() == 4  # counted, first page only
    assert model.row_of(saved[4]) == 5 and model.loaded_id_count() == 4  # found by SQL, no page loaded
    assert model.id_at(9) == saved[0] and model.loaded_id_count() == 6  # pages 0 and 2 (rows 8, 9)
    assert model.index(9, 0).data() == "2024-03-01 09:00"
    assert model.id_at(5) == saved[4]
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.loaded_id_count() == 4 and model.id_at(0) == saved[0]
    assert model.row_of(saved[6]) == 6
    model.filter = DiaryFilter(date_to=dt.date(2024, 3, 8))
    model.reload()
    assert model.rowCount() == 8 and model.row_of(saved[9]) == -1  # filtered out
    model.filter = DiaryFilter(text="老人腿脚", date_from=dt.date(2024, 3, 2))  # a search: the index's order
    model.reload()
    assert model.rowCount() == 9 and model.row_of(saved[8]) == 7 and model.row_of(saved[0]) == -1
    qtmodeltester.check(model)
    ledger_model = LedgerModel(ws.session, today=dt.date(2024, 3, 14))
    ledger_model.reload()
    assert ledger_model.rowCount() == 10 and ledger_model.loaded_id_count() == 4
    assert ledger_model.index(9, 3).data() == "诉求1"
    assert ledger_model.row_of(ledger_model.id_at(9)) == 9
    qtmodeltester.check(ledger_model)


def test_diary_opened_for_one_household_lists_all_its_visits_not_only_the_last_three_months(qtbot, ctx):
    from ui.diary.page import DiaryPage

    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰")
    other, other_p, _ = add_household(ws, "李四")
    with ws.work(ctx.user) as w:
        for month in (1, 3, 5, 7, 9, 11):
            entries.save_entry(w, entry_input(hid, pid, when=dt.datetime(2023, month, 5, 9)), now=NOW)
        entries.save_entry(w, entry_input(hid, pid, when=dt.datetime(2024, 3, 1, 9)), now=NOW)
        entries.save_entry(w, entry_input(other, other_p, when=dt.datetime(2024, 3, 2, 9)), now=NOW)
    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    page.refresh()
    assert page.diary_tab.use_dates.isChecked()  # the list opens on the last three months
    page.show_household(hid, "张三丰")
    assert not page.diary_tab.use_dates.isChecked()
    assert page.diary_tab.model.rowCount() == 7 and page.diary_tab.count.text() == "共 7 篇"
    assert page.diary_tab.household_chip.text() == "只看：张三丰 ✕"


def test_a_single_character_is_searched_on_enter_not_as_it_is_typed(qtbot, ctx):
    """One character is in no full-text index (a scan of every entry of the period): typing it and
    pausing leaves the list as it was and says to press Enter; two characters search as they are typed;
    Enter searches one."""
    from ui.diary.page import DiaryPage

    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰", cadre_id=ctx.user.id)
    with ws.work(ctx.user) as w:
        for day, text in ((1, "王家屋顶漏雨"), (2, "修路的事")):
            entries.save_entry(
                w, entry_input(hid, pid, when=dt.datetime(2024, 3, day, 9), situation=text), now=NOW
            )
    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    tab = page.diary_tab
    tab.use_dates.setChecked(False)
    page.refresh()
    assert tab.model.rowCount() == 2
    tab.search.setText("王")
    tab._search_timer.timeout.emit()
    assert tab.model.rowCount() == 2 and "回车" in tab.index_note.text() and not tab.index_note.isHidden()
    qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    assert tab.model.rowCount() == 1 and tab.count.text() == "共 1 篇" and tab.index_note.isHidden()
    tab.search.setText("修路")
    tab._search_timer.timeout.emit()
    assert tab.model.rowCount() == 1 and tab.count.text() == "共 1 篇"


def test_the_place_follows_the_way_and_the_person_until_one_is_typed(qtbot, ctx):
    """地点 was typed at every visit: 张三丰家中 after choosing 张三丰, 电话 for a call."""
    add_household(ctx.workspace, "张三丰", members=["李秀英"])
    add_household(ctx.workspace, "王五")
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    _show(qtbot, dlg)
    assert dlg.place.text() == ""  # no one chosen yet: the hint shows
    qtbot.keyClicks(dlg.participants.picker.edit, "zsf")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    assert dlg.place.text() == "张三丰家中"
    dlg.kind.setCurrentText("电话联系")
    assert dlg.place.text() == "电话"
    dlg.kind.setCurrentText("集中接访")
    assert dlg.place.text() == "村群众工作室"
    dlg.kind.setCurrentText("入户走访")
    assert dlg.place.text() == "张三丰家中"
    dlg.place.setText("村口大槐树下")  # the cadre's own: kept whatever changes after
    dlg.kind.setCurrentText("电话联系")
    qtbot.keyClicks(dlg.participants.picker.edit, "ww")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    assert dlg.place.text() == "村口大槐树下"
    dlg.situation.insertPlainText("电话询问近况")
    with qtbot.waitSignal(dlg.saved, timeout=2000):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    (entry,) = _entries(ctx.workspace)
    again = EntryDialog(ctx, entry.id, now=NOW)  # an entry opened again keeps its place
    qtbot.addWidget(again)
    again.kind.setCurrentText("入户走访")
    assert again.place.text() == "村口大槐树下"


def test_an_entry_made_twice_is_deleted_from_the_list_after_a_question(qtbot, ctx, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ui.diary.page import DiaryPage

    ws = ctx.workspace
    hid, pid, _ = add_household(ws, "张三丰", cadre_id=ctx.user.id)
    with ws.work(ctx.user) as w:
        for _ in range(2):  # the same visit typed twice
            entries.save_entry(w, entry_input(hid, pid, when=dt.datetime(2024, 3, 1, 9)), now=NOW)
    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    tab = page.diary_tab
    tab.use_dates.setChecked(False)
    page.refresh()
    tab.view.selectRow(0)
    assert tab.delete_button.isEnabled()
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
    )
    assert tab.delete_entry() is False and tab.model.rowCount() == 2  # 否: nothing goes
    assert "2024-03-01 09:00 张三丰" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    tab.view.setFocus()
    qtbot.waitUntil(tab.view.hasFocus)
    qtbot.keyClick(tab.view, Qt.Key.Key_Delete)
    assert tab.model.rowCount() == 1 and len([e for e in _entries(ws) if e.deleted_at is None]) == 1


def test_photos_chosen_for_a_half_typed_entry_come_back_with_its_draft(qtbot, ctx, tmp_path, monkeypatch):
    import ui.diary.entry_form as form

    photo = tmp_path / "房屋照片.jpg"
    photo.write_bytes(b"\xff\xd8" + bytes(300))
    monkeypatch.setattr(form, "ask_open_file_names", lambda *a, **k: ([str(photo)], ""))
    dlg = _opened(qtbot, ctx)
    dlg.situation.insertPlainText("拍了房屋照片")
    dlg._choose_attachments()
    qtbot.waitUntil(lambda: any(d.data.get("attachments") for d in _drafts(ctx)), timeout=3000)
    dlg.close()
    again = _opened(qtbot, ctx)
    again.restore_draft()
    assert again._attachment_paths == [photo] and again.attachment_list.item(0).text() == "房屋照片.jpg"
