"""Reading at 1366×768, for people in their fifties (issue 15): the window fits the screen with its
taskbar, a 字号 setting (标准 / 大 / 特大) for the whole window that survives a restart, no text cut off
at 特大, read-only screens readable, and no internals (UUIDs, UTC, table names, “?”) shown."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget
from sqlalchemy import select

from db.models import MediationCase

from app import accounts, preferences
from app.errors import UserError
from app.mediation import rules
from app.workspace import Workspace

from ui import selftest
from ui.app import apply_font_size, font_point_size
from ui.context import AppContext
from ui.main_window import DEFAULT_SIZE, MainWindow, show_fitted

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE

TITLE_BAR = 32  # a Windows 10 title bar at 100 %; the work area of 1366×768 with a 40-px taskbar is 728


@pytest.fixture(autouse=True)
def _standard_size_after():
    yield
    app = QApplication.instance()
    if app is not None:
        apply_font_size("标准", app)


def _admin(ws: Workspace):
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


def test_the_window_fits_a_1366x768_screen_with_its_taskbar(qtbot, village_ws, village_admin):
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    assert window.width() <= 1366 and window.height() + TITLE_BAR <= 700
    assert window.minimumWidth() <= 1366 and window.minimumHeight() + TITLE_BAR <= 700
    show_fitted(window)  # the offscreen screen is smaller than the window: it starts maximized
    screen = window.screen().availableGeometry()
    if screen.width() < DEFAULT_SIZE[0] + 80 or screen.height() < DEFAULT_SIZE[1] + 120:
        assert window.isMaximized()
    window.close()


def test_font_size_applies_to_the_whole_window_and_survives_a_restart(qtbot, village_ws, village_admin):
    app = QApplication.instance()
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    standard = app.font().pointSizeF()
    window.open_page("settings")
    page = window.page("settings")
    diary = window.open_page("diary")  # a screen made before the change follows it too
    page.font_size.setCurrentText("特大")
    page.font_size.activated.emit(page.font_size.currentIndex())
    assert (
        app.font().pointSizeF() == pytest.approx(font_point_size("特大"))
        and app.font().pointSizeF() >= 1.35 * standard
    )
    qtbot.wait(50)  # Qt posts the change to the widgets
    assert diary.findChild(QPushButton).font().pointSizeF() == pytest.approx(app.font().pointSizeF())
    with village_ws.work(village_admin) as w:
        assert preferences.font_size(w) == "特大"
    window.close()
    apply_font_size("标准")
    root = village_ws.root  # opened again, as at the next start
    again = Workspace.open(root, create=False, credentials=ADMIN)
    try:
        restarted = MainWindow(AppContext(again, _admin(again)))
        qtbot.addWidget(restarted)
        qtbot.wait(50)  # its start-up timers run while the workspace is open
        assert restarted.font_size == "特大"
        assert app.font().pointSizeF() == pytest.approx(font_point_size("特大"))
        restarted.close()
    finally:
        again.close()


def test_font_size_takes_only_the_three_sizes_and_a_signed_in_user(village_ws, village_admin):
    with pytest.raises(UserError) as err, village_ws.work(village_admin) as w:
        preferences.set_font_size(w, "200%")
    assert "字号" in err.value.message
    with pytest.raises(UserError), village_ws.work(None) as w:
        preferences.set_font_size(w, "大")
    with village_ws.work(village_admin) as w:
        preferences.set_font_size(w, "大")
        assert preferences.font_size(w) == "大"
        from db.settings import put

        put(w.session, preferences.FONT_SIZE, {"size": 99})  # a planted value reads as 标准
        assert preferences.font_size(w) == "标准"


def test_the_check_finds_text_that_does_not_fit(qtbot):
    root = QWidget()
    qtbot.addWidget(root)
    row = QHBoxLayout(root)
    label = QLabel("诉求：全部待办的事项")
    combo = QComboBox()
    combo.addItem("签字：全部已签字")
    button = QPushButton("登记必访事件…")
    edit = QLineEdit()
    edit.setPlaceholderText("搜索诉求内容、办理情况、答复")
    for w in (label, combo, button, edit):
        row.addWidget(w)
    root.resize(1200, 80)
    root.show()
    qtbot.waitExposed(root)
    assert selftest.clipped_texts(root) == []
    for w in (label, combo, button, edit):
        w.setFixedWidth(50)
    qtbot.wait(20)
    found = "\n".join(selftest.clipped_texts(root))
    for text in ("诉求：全部待办", "签字：全部已签字", "登记必访事件", "搜索诉求内容"):
        assert text in found


@pytest.mark.parametrize(("station", "size"), [("town", "特大"), ("first", "特大"), ("first", "大")])
def test_every_screen_reads_whole_in_a_1366x700_window(qtbot, two_villages, tmp_path, station, size):
    """Every screen and each of its tabs, with the demo's data, at the size: no label, button, check box,
    drop-down or search hint cut off (the same check ``selftest --font-size`` makes), screenshots saved."""
    report = selftest.run(
        two_villages[station], install_hooks=False, credentials=ADMIN, screenshots=tmp_path, font_size=size
    )
    assert report["font_size"] == size
    clipped = {p["key"]: p["clipped"] for p in report["pages"] if p["clipped"]}
    assert clipped == {}
    assert all(p["ok"] for p in report["pages"]), [p["error"] for p in report["pages"]]
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "03-diary-2.png" in shots and "04-mediation-2.png" in shots  # the tabs are visited too


def test_the_town_diary_shows_no_dead_buttons(qtbot, two_villages):
    from ui.diary.page import DiaryTab

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        tab = DiaryTab(AppContext(town, _admin(town)))
        qtbot.addWidget(tab)
        tab.show()
        shown = [b.text() for b in tab.findChildren(QPushButton) if b.isVisible() and b.text()]
        assert shown == ["导出 Excel…"]
        assert not any(b.isVisible() and not b.isEnabled() for b in tab.findChildren(QPushButton))
    finally:
        town.close()


def _case(ws: Workspace, state: str) -> str:
    with ws.work(None) as w:
        return w.session.scalars(
            select(MediationCase.id).where(
                MediationCase.village_code == VILLAGE_CODE, MediationCase.state == state
            )
        ).first()


def test_the_towns_escalated_case_reads_whole_without_greyed_buttons(qtbot, two_villages):
    from ui.mediation.case.dialog import CaseDialog

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        apply_font_size("特大")
        dialog = CaseDialog(AppContext(town, _admin(town)), _case(town, rules.ESCALATED))
        qtbot.addWidget(dialog)
        dialog.resize(1366, 700)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert "乡镇只读" in dialog.header.text()
        assert dialog.header.visibleRegion().boundingRect().width() == dialog.header.width()
        assert [p for p in selftest.clipped_texts(dialog) if "（格式文字）" not in p] == []
        buttons = [b for b in dialog.findChildren(QPushButton) if b.isVisible()]
        assert all(b.isEnabled() for b in buttons)  # nothing greyed: hidden instead
        assert dialog.town_save.isVisible()
        reg = dialog.registration_tab.reg
        assert reg.isEnabled() and reg.title.isReadOnly() and reg.title.isEnabled()
        assert not dialog.registration_tab.town_handling.isReadOnly()  # the town's own part is written
    finally:
        town.close()


def test_an_archived_case_is_read_as_text_not_greyed(qtbot, two_villages):
    from ui.mediation.case.dialog import CaseDialog

    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    try:
        dialog = CaseDialog(AppContext(village, _admin(village)), _case(village, rules.ARCHIVED))
        qtbot.addWidget(dialog)
        dialog.show()
        reg = dialog.registration_tab.reg
        assert reg.title.isEnabled() and reg.title.isReadOnly() and reg.facts.isReadOnly()
        assert reg.source.isEnabled()  # its value in normal colours, but it takes no input
        assert not dialog.registration_tab.reg_save.isVisible()
        assert not any(b.isVisible() and not b.isEnabled() for b in dialog.findChildren(QPushButton))
        history = [dialog.history_list.item(i).text() for i in range(dialog.history_list.count())]
        assert history and not any("UTC" in line for line in history)
        assert all("记录于 20" in line for line in history)
    finally:
        village.close()


# -- signing in by 姓名 -------------------------------------------------------------------------------------
def test_sign_in_offers_the_active_users_by_name_before_the_database_is_open(
    qtbot, village_ws, village_admin
):
    from ui.signin import SignInDialog

    with village_ws.work(village_admin) as w:
        accounts.add_user(w, username="wxy", display_name="王秀英", password="wang-pass-1", roles=["cadre"])
        gone = accounts.add_user(
            w, username="lisi", display_name="李四", password="lisi-pass-1", roles=["cadre"]
        )
    with village_ws.work(village_admin) as w:
        accounts.set_active(w, gone.id, False)
    root = village_ws.root  # opened again, as at the next start
    ws = Workspace.open(root, create=False)
    try:
        assert ws.locked
        dialog = SignInDialog(ws)
        qtbot.addWidget(dialog)
        names = [dialog.account.itemText(i) for i in range(dialog.account.count())]
        assert sorted(names) == sorted(["村管理员", "王秀英"])  # the stopped account is not offered
        dialog.account.setCurrentIndex(names.index("王秀英"))
        assert dialog.username.text() == "王秀英"
        dialog.password.setText("wrong-pass-1")
        assert not dialog.try_sign_in() and ws.locked
        dialog.password.setText("wang-pass-1")
        assert dialog.try_sign_in()
        assert not ws.locked and dialog.user.username == "wxy"
    finally:
        ws.close()


def test_a_login_name_can_still_be_typed_and_a_renamed_user_is_offered_by_the_new_name(
    qtbot, village_ws, village_admin
):
    from ui.signin import SignInDialog

    with village_ws.work(village_admin) as w:
        accounts.update_user(w, village_admin.id, display_name="张建国")
    root = village_ws.root  # opened again, as at the next start
    ws = Workspace.open(root, create=False)
    try:
        dialog = SignInDialog(ws)
        qtbot.addWidget(dialog)
        assert [dialog.account.itemText(i) for i in range(dialog.account.count())] == ["张建国"]
        dialog.username.setText("admin")
        dialog.password.setText(ADMIN_PASSWORD)
        assert dialog.try_sign_in() and dialog.user.display_name == "张建国"
    finally:
        ws.close()


def test_two_people_of_one_name_are_told_apart(village_ws, village_admin):
    from ui.signin import login_name_for, sign_in_choices

    with village_ws.work(village_admin) as w:
        for login in ("zw1", "zw2"):
            accounts.add_user(
                w, username=login, display_name="张伟", password="zhang-pass-1", roles=["cadre"]
            )
    choices = sign_in_choices(village_ws)
    assert ("张伟（zw1）", "zw1") in choices and ("张伟（zw2）", "zw2") in choices
    assert login_name_for(choices, "张伟（zw2）") == "zw2"
    assert login_name_for(choices, "zw1") == "zw1"


def test_a_planted_names_entry_in_the_key_file_only_mislabels(village_ws, village_admin):
    import json

    from db.keyslots import FILE_NAME, KeySlots

    path = village_ws.keys_dir / FILE_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    data["names"] = {"x" * 500: 3, village_admin.id: ["not", "a", "name"]}
    path.write_text(json.dumps(data), encoding="utf-8")
    slots = KeySlots.load(village_ws.keys_dir)
    assert slots.names == {} and slots.sign_in_choices() == [("admin", "admin")]


# -- no internals on the command line --------------------------------------------------------------------
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROOT = Path(__file__).resolve().parent.parent


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_command_line_names_stations_and_tables_in_chinese_without_uuids(two_villages, tmp_path):
    town = two_villages["town"]
    r = _cli("stations", "--data-dir", town)
    assert r.returncode == 0 and "张家村" in r.stdout and "已登记" in r.stdout and "登记于" in r.stdout
    assert not UUID.search(r.stdout)
    r = _cli("stats", "--data-dir", town)
    assert r.returncode == 0 and "张家村（370681101201）" in r.stdout
    assert "户 " in r.stdout and "民情日记" in r.stdout and "households" not in r.stdout
    assert not re.search(r"[a-z]+_[a-z]+", r.stdout)  # no table names
    r = _cli("stats", "--data-dir", town, "--json")
    assert "households" in json.loads(r.stdout)["counts"]["370681101201"]  # --json keeps the keys
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "usb.mqb").write_bytes(b"not a bundle")
    r = _cli("bundle", "import", "--data-dir", town, stick)
    assert "?" not in r.stdout and "不是可识别的上报包" in r.stdout
    r = _cli("revoke", "--data-dir", town, "370681101201", "--reason", "电脑丢失")  # by code
    assert r.returncode == 0, r.stderr
    assert "已吊销 张家村（370681101201）" in r.stdout and not UUID.search(r.stdout)
    r = _cli("stations", "--data-dir", town)
    assert "张家村 已吊销" in r.stdout and not UUID.search(r.stdout)


def test_the_town_import_report_says_what_an_unreadable_file_is(qtbot, town_ws, tmp_path):
    from app.sync.importer import import_bundles

    from ui.sync.town import ImportView

    admin = _admin(town_ws)
    view = ImportView(AppContext(town_ws, admin))
    qtbot.addWidget(view)
    (tmp_path / "usb.mqb").write_bytes(b"not a bundle")
    view.show_report(import_bundles(town_ws, [tmp_path / "usb.mqb"]))
    row = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    assert row[1] == "（不是可识别的上报包）" and row[2] == "—"
    assert "?" not in "".join(str(v) for v in row)


def test_the_import_preview_shows_every_problem_of_a_row_whole(qtbot, village_ws, village_admin, tmp_path):
    from PySide6.QtCore import Qt

    from ui.households.import_wizard import ImportWizard

    from tests.test_roster_excel import ugly_workbook

    wizard = ImportWizard(AppContext(village_ws, village_admin))
    qtbot.addWidget(wizard)
    wizard.resize(1366, 700)
    wizard.show()
    wizard.file_page.path.setText(str(ugly_workbook(tmp_path / "花名册.xlsx")))
    wizard.file_page._load_sheets()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mapping_page, timeout=10_000)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.preview_page, timeout=10_000)
    page = wizard.preview_page
    assert page.view.textElideMode() == Qt.TextElideMode.ElideNone
    line = page.view.fontMetrics().lineSpacing()
    with_problems = [r for r in range(page.model.rowCount()) if page.model.rows[r].problems]
    assert with_problems
    for r in with_problems:
        text = page.model.index(r, 4).data()
        assert len(text.splitlines()) == len(page.model.rows[r].problems)  # one problem a line
        assert page.view.rowHeight(r) >= len(text.splitlines()) * line  # every line of it shows


def test_the_command_line_takes_a_name_for_user(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        accounts.add_user(w, username="wxy", display_name="王秀英", password="wang-pass-1", roles=["cadre"])
    village_ws.close()
    env = {**os.environ, "MINQING_USER": "王秀英", "MINQING_PASSWORD": "wang-pass-1"}
    r = subprocess.run(
        [sys.executable, "-m", "app", "stats", "--data-dir", str(village_ws.root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    env["MINQING_PASSWORD"] = "wrong-pass-1"
    r = subprocess.run(
        [sys.executable, "-m", "app", "stats", "--data-dir", str(village_ws.root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 1 and "密码" in r.stderr
