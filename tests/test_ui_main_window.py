"""The main window: every screen opens, navigation by keyboard, status bar, 今日待办 and the idle lock."""

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app import accounts, preferences, todo
from app.todo import TodoItem

from ui.context import AppContext
from ui.home import HomePage
from ui.main_window import MainWindow
from ui.pages import PAGES

from tests.conftest import ADMIN_PASSWORD, VILLAGE_CODE, VILLAGE_NAME

TODAY = dt.date(2024, 3, 15)


def demo_reminders(work, today):
    """A provider as a feature would add one to TODO_PROVIDERS."""
    return [
        TodoItem(
            "must_visit",
            "王桂兰家：老人住院，必访",
            detail="3月10日住院",
            due=today - dt.timedelta(days=2),
            severity="overdue",
            page="diary",
            record_id="rec-1",
        ),
        TodoItem(
            "judicial_confirmation",
            "张李两家宅基地协议：司法确认期限",
            due=today + dt.timedelta(days=3),
            severity="warning",
            page="mediation",
        ),
        TodoItem("demand_due", "李四反映的排水沟问题待答复", severity="normal", page="diary"),
    ]


@pytest.fixture
def window(qtbot, village_ws, village_admin):
    w = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(w)
    w.show()
    return w


def test_main_window_opens_every_screen_without_an_error(window):
    for spec in PAGES:
        page = window.open_page(spec.key)
        assert window.stack.currentWidget() is page
        assert spec.key not in window.failed
    assert set(window.pages) == {s.key for s in PAGES}


def test_screens_are_created_only_when_first_shown(window):
    assert set(window.pages) == {"home"}
    window.open_page("diary")
    assert set(window.pages) == {"home", "diary"}


def test_status_bar_names_station_and_signed_in_user(window):
    assert VILLAGE_NAME in window.station_label.text() and VILLAGE_CODE in window.station_label.text()
    assert "村工作站" in window.station_label.text()
    assert "村管理员" in window.user_label.text() and "管理员" in window.user_label.text()


def test_page_shortcuts_switch_screens(window):
    window.page_actions["mediation"].trigger()
    assert window.nav.currentRow() == window.index_of("mediation")
    assert [a.shortcut().toString() for a in window.page_actions.values()] == [s.shortcut for s in PAGES]
    assert window.lock_action.shortcut().toString() == "Ctrl+L"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert window.help_action.shortcut().toString() == "F1"


def test_navigation_list_is_usable_by_keyboard(qtbot, window):
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.stack.currentWidget() is window.pages["households"]


def test_a_broken_screen_is_reported_and_the_window_keeps_working(
    qtbot, village_ws, village_admin, monkeypatch
):
    from ui import main_window
    from ui.pages import PageSpec

    broken = (*PAGES[:1], PageSpec("broken", "坏界面", "ui.no_such_module:Page", "Ctrl+9"))
    monkeypatch.setattr(main_window, "PAGES", broken)
    seen = []
    monkeypatch.setattr("sys.excepthook", lambda *exc: seen.append(exc[0]))
    w = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(w)
    w.open_page("broken")
    assert "ModuleNotFoundError" in w.failed["broken"]
    assert seen == [ModuleNotFoundError]
    w.open_page("home")
    assert w.stack.currentWidget() is w.pages["home"]


def test_home_shows_that_nothing_is_due_when_there_is_nothing(qtbot, village_ws, village_admin):
    page = HomePage(AppContext(village_ws, village_admin), today=TODAY)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(page.ready)
    assert page.empty.isVisible() and not page.tree.isVisible()
    assert "今天没有待办事项" in page.empty.text()
    assert "2024年3月15日" in page.title.text() and "星期五" in page.title.text()


def test_home_groups_reminders_and_opens_the_screen_of_one(qtbot, window, monkeypatch):
    monkeypatch.setattr(todo, "TODO_PROVIDERS", (f"{__name__}:demo_reminders",))
    home = window.pages["home"]
    home._fixed_today = TODAY
    home.refresh()
    assert not home.ready()  # gathered off the UI thread
    qtbot.waitUntil(home.ready)
    groups = [home.tree.topLevelItem(i).text(0) for i in range(home.tree.topLevelItemCount())]
    assert groups == ["已逾期（1）", "临近期限（1）", "待办（1）"]
    first = home.tree.topLevelItem(0).child(0)
    assert first.text(0).startswith("王桂兰家") and first.text(1) == "3月13日"
    assert home.tree.currentItem() is first
    with_record = []
    window.page_opened.connect(with_record.append)
    home.tree.itemActivated.emit(first, 0)
    assert window.stack.currentWidget() is window.pages["diary"]
    assert with_record == ["diary"]


def test_a_screen_opened_from_the_keyboard_takes_the_cursor(qtbot, window, monkeypatch):
    """Ctrl+1 puts the cursor on the first 待办 (Enter opens it, as the page says), once the list is in;
    Ctrl+2… on the screen's first field (its search box)."""
    monkeypatch.setattr(todo, "TODO_PROVIDERS", (f"{__name__}:demo_reminders",))
    window.page_actions["households"].trigger()
    households = window.pages["households"]
    assert households.focusWidget() is households.search
    window.page_actions["home"].trigger()  # (its list is gathered again off the UI thread)
    home = window.pages["home"]
    qtbot.waitUntil(home.ready)
    assert home.focusWidget() is home.tree and home.tree.currentItem().text(0).startswith("王桂兰家")


def test_idle_window_locks_and_only_its_user_unlocks_it(qtbot, window):
    window.idle.set_timeout_ms(50)
    window.idle.start()
    qtbot.waitUntil(lambda: window.locked, timeout=2000)
    dialog = window.lock_dialog
    assert dialog.isVisible() and dialog.username.text() == "admin" and dialog.username.isReadOnly()
    assert "15 分钟没有操作" in dialog.findChildren(QLabel)[1].text()
    assert window.stack.currentWidget() is window.lock_cover
    assert not window.nav.isEnabled()
    assert window.open_page("settings") is None  # nothing reachable while locked
    dialog.password.setText("not-the-password")
    dialog.ok_button.click()
    assert window.locked and "密码不对" in dialog.error.text()
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.ok_button.click()
    assert not window.locked
    assert window.stack.currentWidget() is window.pages["home"]
    assert window.nav.isEnabled()


def test_ctrl_l_locks_at_once(window):
    window.lock_action.trigger()
    assert window.locked and window.lock_dialog.isVisible()
    assert not any("没有操作" in label.text() for label in window.lock_dialog.findChildren(QLabel))


def test_ctrl_l_locks_with_a_form_open_and_the_form_comes_back_as_it_was(qtbot, window):
    """A form is modal: the window's own Ctrl+L cannot see the key. Pressed in the form, it locks all the
    same; the form is hidden with the data and comes back, as typed, after the password."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QLineEdit

    form = QDialog(window)
    field = QLineEdit(form)
    seen = []

    def press() -> None:
        field.setText("写了一半")
        field.setFocus()
        qtbot.keyClick(field, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        seen.append((window.locked, form.isVisible()))
        window.lock_dialog.password.setText(ADMIN_PASSWORD)
        window.lock_dialog.ok_button.click()
        seen.append((window.locked, form.isVisible(), field.text()))
        form.reject()

    QTimer.singleShot(0, press)
    form.exec()
    assert seen == [(True, False), (False, True, "写了一半")], seen
    assert QApplication.activeModalWidget() is None


def test_input_postpones_the_idle_lock(qtbot, window):
    # (a second of idleness: late in the whole suite a collection of its garbage can hold the event loop for
    # a few hundred ms between two keys, which a 400 ms timeout took for idleness)
    window.idle.set_timeout_ms(1000)
    window.idle.start()
    for _ in range(15):  # 1.5 s of typing in all, never a second without a key
        qtbot.wait(100)
        # a key that opens no screen: building a screen for the first time may itself take a while
        qtbot.keyClick(window.nav, Qt.Key.Key_Shift)
    assert not window.locked
    qtbot.waitUntil(lambda: window.locked, timeout=4000)  # and without input it does lock


def test_idle_lock_time_follows_the_setting(qtbot, window, village_ws, village_admin):
    assert window.idle.timer.interval() == preferences.IDLE_LOCK_DEFAULT * 60_000
    with village_ws.work(village_admin) as w:
        preferences.set_idle_lock_minutes(w, 5)
    window.ctx.data_changed.emit("settings")
    assert window.idle.timer.interval() == 5 * 60_000


def test_only_an_admin_may_change_the_idle_lock_time(village_ws, village_admin):
    from app.errors import UserError

    with village_ws.work(village_admin) as w:
        cadre = accounts.add_user(
            w,
            username="li",
            display_name="李干部",
            password="li-pass-1",
            roles=["cadre"],
        )
        w.session.expunge(cadre)
    with village_ws.work(cadre) as w, pytest.raises(UserError):
        preferences.set_idle_lock_minutes(w, 3)
    with village_ws.work(village_admin) as w:
        with pytest.raises(UserError, match="1 到 240"):
            preferences.set_idle_lock_minutes(w, 0)
        assert preferences.idle_lock_minutes(w) == preferences.IDLE_LOCK_DEFAULT


def test_ctrl_n_writes_a_diary_entry_from_any_screen(qtbot, window):
    from ui.diary.entry_form import EntryDialog

    def open_dialogs():
        return [w for w in window.findChildren(EntryDialog) if w.isVisible()]

    window.open_page("home")
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(open_dialogs()) == 1
    for dlg in open_dialogs():
        dlg.reject()
    window.open_page("diary")
    qtbot.keyClick(window.page("diary"), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(open_dialogs()) == 1)
