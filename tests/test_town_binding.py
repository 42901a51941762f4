"""A village set up without its town's card joins the town later: from the window (导入乡镇卡片, 导出本村卡片)
and from the command line (``bind``); the wizard takes the town's part of the code from the card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QPushButton, QWizard

from db.models import Household

from app import accounts
from app.errors import UserError
from app.stations import init_station, station_card
from app.sync import enrollment
from app.sync.enrollment import export_card
from app.sync.export import export_bundles
from app.sync.station_cards import card_signature, write_card
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, TOWN_CODE, TOWN_NAME
from tests.sync_support import add_household

ROOT = Path(__file__).resolve().parent.parent


def _ime(widget, text: str) -> None:
    """Chinese typed as an input method delivers it: one committed string (QTest types only Latin keys)."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _village_without_card(root: Path, code: str = "370681101203", name: str = "王家村") -> Workspace:
    ws = Workspace.open(root / f"village-{code}", credentials=ADMIN)
    init_station(
        ws,
        kind="village",
        code=code,
        name=name,
        town_name=TOWN_NAME,
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    return ws


def test_a_village_binds_its_town_later_and_can_then_export(town_ws, templates, tmp_path):
    village = _village_without_card(tmp_path)
    try:
        assert not enrollment.town_binding(village).bound
        with pytest.raises(UserError, match="导入乡镇卡片"):
            export_bundles(village, tmp_path)
        binding = enrollment.bind_town(village, templates["town_card"])
        assert binding.bound and (binding.town_name, binding.town_code) == (TOWN_NAME, TOWN_CODE)
        assert enrollment.bind_town(village, templates["town_card"]).bound  # the same card again: nothing
        enrollment.enroll(town_ws, enrollment.export_card(village, tmp_path / "v.json"))
        add_household(village, "王大山")
        (up,) = export_bundles(village, tmp_path)
        from app.sync.importer import import_bundles

        assert import_bundles(town_ws, [up.path]).bundles[0].status == "imported"
    finally:
        village.close()


def test_binding_refuses_the_wrong_card(town_ws, templates, tmp_path):
    other_town = Workspace.open(tmp_path / "town-b", credentials=ADMIN)
    init_station(other_town, kind="town", code="370681102", name="西城镇")
    other_card = export_card(other_town, tmp_path / "town-b.json")
    village = _village_without_card(tmp_path)
    village_card = enrollment.export_card(village, tmp_path / "village-card.json")
    try:
        with pytest.raises(UserError, match="不是本村的乡镇"):
            enrollment.bind_town(village, other_card)
        with pytest.raises(UserError, match="不是乡镇的卡片"):
            enrollment.bind_town(village, village_card)
        with pytest.raises(UserError, match="只有村工作站"):
            enrollment.bind_town(town_ws, templates["town_card"])
        assert not enrollment.town_binding(village).bound
        enrollment.bind_town(village, templates["town_card"])
        # a second town's card (a town that changed its computer) is not taken silently
        third = Workspace.open(tmp_path / "town-c", credentials=ADMIN)
        init_station(third, kind="town", code=TOWN_CODE, name="东城镇新电脑")
        third_card = export_card(third, tmp_path / "town-c.json")
        third.close()
        with pytest.raises(UserError, match="已绑定 东城镇"):
            enrollment.bind_town(village, third_card)
    finally:
        village.close()
        other_town.close()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_bind_on_the_command_line(town_ws, templates, tmp_path):
    """``bind`` joins a village set up without a card; then ``bundle export`` works, the town enrolls the
    village's card and imports the bundle. A wrong, damaged or forged card is refused in Chinese."""
    village = _village_without_card(tmp_path)
    add_household(village, "王大山")
    village.close()
    town_ws.close()
    v, t = str(village.root), str(town_ws.root)
    stick = tmp_path / "stick"
    stick.mkdir()
    r = _run("bundle", "export", "--data-dir", v, "--out", str(stick))
    assert r.returncode == 1 and "导入乡镇卡片" in r.stderr and "python -m app bind" in r.stderr

    other = Workspace.open(tmp_path / "town-b")
    init_station(other, kind="town", code="370681102", name="西城镇")
    other_card = export_card(other, tmp_path / "town-b.json")
    other.close()
    good = templates["town_card"].read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(good[:150], encoding="utf-8")
    edited = tmp_path / "edited.json"
    edited.write_text(good.replace(TOWN_NAME, "西城镇"), encoding="utf-8")
    for card, words in (
        (other_card, "不是本村的乡镇：村代码 370681101203 的前 9 位是 370681101"),
        (cut, "卡片内容不对"),
        (edited, "签名不符"),
    ):
        r = _run("bind", "--data-dir", v, str(card))
        assert r.returncode == 1 and words in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and not r.stdout

    r = _run("bind", "--data-dir", v, str(templates["town_card"]), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "town": {"name": TOWN_NAME, "code": TOWN_CODE},
        "bound": True,
        "fingerprint": enrollment.key_fingerprint(
            json.loads(templates["town_card"].read_text("utf-8"))["sign_public_key"]
        ),
    }
    r = _run("card", "export", "--data-dir", v, "--out", str(stick))
    assert r.returncode == 0, r.stderr
    r = _run("enroll", "--data-dir", t, str(stick / "370681101203-card.json"))
    assert r.returncode == 0 and "已登记 王家村（370681101203）" in r.stdout, r.stderr
    r = _run("bundle", "export", "--data-dir", v, "--out", str(stick))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    r = _run("bundle", "import", "--data-dir", t, str(stick), "--json")
    assert r.returncode == 0, r.stderr
    (got,) = json.loads(r.stdout)["bundles"]
    assert got["status"] == "imported" and got["counts"]["new"] >= 2  # the household and its head


def _click(qtbot, button) -> None:
    assert button.isVisible() and button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _browse_button(page):
    (browse,) = [b for b in page.findChildren(QPushButton) if b.text().startswith("浏览")]
    return browse


def _finish(qtbot, wizard) -> None:
    """Next until the wizard finishes (the pages after the station's may grow; each is clicked through)."""
    for _ in range(6):
        if wizard.result() == QDialog.DialogCode.Accepted:
            return
        page = wizard.currentPage()
        if page is getattr(wizard, "recovery_page", None) and not page.again.text():
            qtbot.keyClicks(page.again, page.code)  # the recovery code, typed back from its sheet
        for which in ("FinishButton", "CommitButton", "NextButton"):
            button = wizard.button(getattr(QWizard.WizardButton, which))
            if button.isVisible():
                _click(qtbot, button)
                break
    assert wizard.result() == QDialog.DialogCode.Accepted


def _sign_in(qtbot, ws, username: str, password: str):
    from ui.signin import SignInDialog

    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
    return dialog.user


def _main_window(qtbot, ws, user):
    from ui.context import AppContext
    from ui.main_window import MainWindow

    window = MainWindow(AppContext(ws, user))
    qtbot.addWidget(window)
    window.resize(1366, 700)
    window.show()
    window.activateWindow()
    return window


def _open_sync_page(qtbot, window):
    """The navigation entry 上报与同步, clicked."""
    (item,) = window.nav.findItems("上报与同步", Qt.MatchFlag.MatchExactly)
    qtbot.mouseClick(
        window.nav.viewport(), Qt.MouseButton.LeftButton, pos=window.nav.visualItemRect(item).center()
    )
    page = window.stack.currentWidget()
    assert page is window.pages["sync"]
    return page


def _open_tab(qtbot, page, title: str):
    bar = page.tabs.tabBar()
    (n,) = [i for i in range(bar.count()) if bar.tabText(i) == title]
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(n).center())
    assert page.tabs.currentIndex() == n
    return page.tabs.widget(n)


def test_the_wizard_takes_the_towns_part_of_the_code_from_the_card(qtbot, templates, tmp_path, monkeypatch):
    from ui.setup_wizard import SetupWizard

    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        page = wizard.station_page
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(templates["town_card"]), ""))
        _click(qtbot, _browse_button(page))
        assert page.code.text() == TOWN_CODE and page.town_name.text() == TOWN_NAME
        assert f"前 9 位 {TOWN_CODE} 是{TOWN_NAME}的代码" in page.hint.text()
        qtbot.keyClicks(page.code, "000")  # the town itself is not a village
        _ime(page.name, "孙家村")
        _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        assert wizard.currentPage() is page and "后 3 位是 000" in page.error.text()
        for _ in range(3):
            qtbot.keyClick(page.code, Qt.Key.Key_Backspace)
        qtbot.keyClicks(page.code, "204")  # the cadre types only the village's own three digits
        assert page.code.text() == TOWN_CODE + "204"
        # the town's part changed by hand is checked against the card
        page.code.selectAll()
        qtbot.keyClicks(page.code, "370681102204")
        _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        assert wizard.currentPage() is page
        assert "前 9 位应为卡片上的乡镇代码 370681101" in page.error.text()
        # choosing the card again puts the town's part back and keeps the village's own digits
        _click(qtbot, _browse_button(page))
        assert page.code.text() == TOWN_CODE + "204"
        _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        assert wizard.currentPage() is wizard.admin_page
    finally:
        ws.close()


def test_the_wizard_refuses_a_damaged_or_forged_card_in_chinese(qtbot, templates, tmp_path, monkeypatch):
    from ui.setup_wizard import SetupWizard

    good = templates["town_card"].read_text(encoding="utf-8")
    damaged = tmp_path / "damaged.json"
    damaged.write_text(good[: len(good) // 2], encoding="utf-8")
    forged = tmp_path / "forged.json"
    forged.write_text(good.replace(TOWN_CODE, "370681102"), encoding="utf-8")
    ws = Workspace.open(tmp_path / "new")
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        page = wizard.station_page
        for path, words in ((damaged, "不是有效的 JSON"), (forged, "签名不符")):
            monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, p=path, **k: (str(p), ""))
            _click(qtbot, _browse_button(page))
            assert words in page.error.text() and page.code.text() == ""
        qtbot.keyClicks(page.code, "370681102204")
        _ime(page.name, "孙家村")
        _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        assert wizard.currentPage() is page and "签名不符" in page.error.text()
        assert not ws.is_initialized
    finally:
        ws.close()


def test_a_whole_first_link_from_the_window(qtbot, town_ws, tmp_path, monkeypatch):
    """Village setup without a card, signing in, binding, the village's card to the town, enrollment, the
    first bundle, its import at the town, the receipt back: every step a click or typed keys in the two
    windows (the file dialogs are answered by the test; the stick is a folder)."""
    from ui.setup_wizard import SetupWizard

    stick = tmp_path / "stick"
    stick.mkdir()
    folder = {"path": stick}
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder["path"]))
    chosen: dict[str, Path] = {}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(chosen["file"]), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: ([str(chosen["file"])], ""))
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    asked: list[str] = []  # the village confirms the town card's fingerprint (trust on first use)
    from tests.test_card_fingerprint import answer_card

    answer_card(monkeypatch, [True], asked)

    # the town clerk writes the town's card to the stick
    town_window = _main_window(qtbot, town_ws, _sign_in(qtbot, town_ws, "admin", ADMIN_PASSWORD))
    town_page = _open_sync_page(qtbot, town_window)
    town_stations = _open_tab(qtbot, town_page, "工作站登记")
    _click(qtbot, town_stations.card_btn)
    (town_card,) = stick.glob(f"{TOWN_CODE}-card.json")

    # the village is set up without the card (it had not arrived yet)
    village = Workspace.open(tmp_path / "new-village")
    try:
        wizard = SetupWizard(village)
        qtbot.addWidget(wizard)
        wizard.show()
        page = wizard.station_page
        qtbot.keyClicks(page.code, "370681101205")
        _ime(page.name, "赵家村")
        _ime(page.town_name, TOWN_NAME)
        _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
        admin = wizard.admin_page
        for widget, text in (
            (admin.username, "zhao"),
            (admin.password, "pass-1234"),
            (admin.confirm, "pass-1234"),
        ):
            widget.selectAll()  # a field may come filled in (the user name does): typing replaces it
            qtbot.keyClicks(widget, text)
        admin.display_name.selectAll()
        _ime(admin.display_name, "赵书记")
        _finish(qtbot, wizard)

        window = _main_window(qtbot, village, _sign_in(qtbot, village, "zhao", "pass-1234"))
        view = _open_sync_page(qtbot, window).village
        assert "尚未绑定乡镇" in view.binding.text() and not view.export_btn.isEnabled()
        chosen["file"] = town_card
        _click(qtbot, view.bind_btn)
        assert not warnings
        assert town_stations.fingerprint.text().count(" ") >= 4
        shown = town_stations.fingerprint.text().split("<b>")[1].split("</b>")[0]
        assert len(asked) == 1 and shown in asked[0]  # the village reads what the town's screen shows
        assert "已绑定乡镇：东城镇" in view.binding.text() and view.export_btn.isEnabled()
        assert not view.bind_btn.isVisible()
        _click(qtbot, view.card_btn)
        (card,) = stick.glob("370681101205-card.json")

        # the town enrolls the card from its window: the list names the village, with no station ids
        town_window.activateWindow()
        chosen["file"] = card
        _click(qtbot, town_stations.enroll_btn)
        assert "已登记 赵家村" in town_stations.message.text()
        (row,) = town_stations.model.rows
        assert row[:3] == ("370681101205", "赵家村", "已登记")
        station_id = village.require_station().id
        assert not any(station_id in str(v) for v in row)

        # the village's first bundle: the stick chosen in the list by keyboard, exported by a click
        window.activateWindow()
        view.target.setFocus()
        qtbot.keyClick(view.target, Qt.Key.Key_End)
        assert view.target.currentText() == "选择文件夹…"
        _click(qtbot, view.export_btn)
        qtbot.waitUntil(lambda: "号包" in view.message.text(), timeout=10_000)
        (bundle,) = stick.glob("370681101205-up-*.mqb")

        # the town imports the stick and writes the receipt
        town_window.activateWindow()
        importer = _open_tab(qtbot, town_page, "导入上报包")
        _click(qtbot, importer.folder_btn)
        _click(qtbot, importer.import_btn)
        qtbot.waitUntil(lambda: importer.model.rowCount() == 1, timeout=10_000)
        assert importer.model.rows[0][:4] == (bundle.name, "赵家村", 1, "已导入")
        _click(qtbot, importer.receipt_btn)
        assert "已写回执" in importer.message.text()
        (receipt,) = stick.glob("*.mqr")

        # the village imports the receipt: the link is confirmed
        window.activateWindow()
        chosen["file"] = receipt
        _click(qtbot, view.receipt_btn)
        assert "已导入 东城镇 的回执" in view.message.text()
        assert "已连通：东城镇（370681101）已登记本村工作站" in view.binding.text()
        assert "尚未被乡镇确认的变更：0 条" in view.summary.text()
        assert not warnings
        window.grab().save(str(tmp_path / "village-linked.png"))
    finally:
        village.close()


def test_the_window_refuses_a_wrong_damaged_or_forged_card_in_chinese(
    qtbot, town_ws, templates, tmp_path, monkeypatch
):
    """At the village: a card of another town (its code is not the prefix of the village's), a card cut
    short, a card whose town was edited after signing; at the town: a forged village card. Each is a
    Chinese warning, no traceback, and nothing is bound or enrolled."""
    from ui.context import AppContext
    from ui.sync.page import SyncPage

    other = Workspace.open(tmp_path / "town-b")
    init_station(other, kind="town", code="370681102", name="西城镇")
    other_card = export_card(other, tmp_path / "town-b.json")
    other.close()
    good = templates["town_card"].read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(good[:200], encoding="utf-8")
    edited = tmp_path / "edited.json"
    edited.write_text(good.replace(TOWN_NAME, "西城镇"), encoding="utf-8")
    garbage = tmp_path / "photo.json"
    garbage.write_bytes(bytes(range(256)) * 40)

    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    chosen: dict[str, Path] = {}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(chosen["file"]), ""))
    village = _village_without_card(tmp_path)
    try:
        with village.work(None) as w:
            user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
            w.session.expunge(user)
        page = SyncPage(AppContext(village, user))
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        view = page.village
        for path, words in (
            (other_card, "不是本村的乡镇：村代码 370681101203 的前 9 位是 370681101"),
            (cut, "卡片内容不对"),
            (edited, "签名不符"),
            (garbage, "卡片内容不对"),
            (tmp_path / "gone.json", "找不到工作站卡片文件"),
        ):
            chosen["file"] = path
            _click(qtbot, view.bind_btn)
            assert words in warnings[-1], warnings[-1]
            assert "Traceback" not in warnings[-1]
            assert not enrollment.town_binding(village).bound and "尚未绑定乡镇" in view.binding.text()
        assert len(warnings) == 5

        village_card = json.loads(enrollment.export_card(village, tmp_path / "v.json").read_text("utf-8"))
        village_card["code"] = "370681101201"  # another village's code, under this station's signature
        forged = tmp_path / "forged-village.json"
        forged.write_text(json.dumps(village_card, ensure_ascii=False), encoding="utf-8")
        with town_ws.work(None) as w:
            clerk = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
            w.session.expunge(clerk)
        town_page = SyncPage(AppContext(town_ws, clerk))
        qtbot.addWidget(town_page)
        town_page.show()
        town_page.refresh()
        stations = _open_tab(qtbot, town_page, "工作站登记")
        chosen["file"] = forged
        _click(qtbot, stations.enroll_btn)
        assert "签名不符" in warnings[-1]
        chosen["file"] = templates["town_card"]
        _click(qtbot, stations.enroll_btn)
        assert "不是村工作站的卡片" in warnings[-1]
        assert stations.model.rows == []
    finally:
        village.close()


def test_a_revoked_station_is_revoked_from_the_window_and_its_bundle_refused(
    qtbot, village_ws, town_ws, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QInputDialog

    from ui.context import AppContext
    from ui.sync.page import SyncPage

    stick = tmp_path / "stick"
    stick.mkdir()
    add_household(village_ws, "张建国")
    card = enrollment.export_card(village_ws, tmp_path / "v.json")
    with town_ws.work(None) as w:
        clerk = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(clerk)
    page = SyncPage(AppContext(town_ws, clerk))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    stations = _open_tab(qtbot, page, "工作站登记")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(card), ""))
    _click(qtbot, stations.enroll_btn)
    export_bundles(village_ws, stick)

    # 吊销 with no reason is refused; with one, the row says so
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    stations.view.selectRow(0)
    answers = iter([("", True), ("电脑丢失", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    _click(qtbot, stations.revoke_btn)
    assert "请写明吊销原因" in warnings[-1]
    assert stations.model.rows[0][2] == "已登记"
    _click(qtbot, stations.revoke_btn)
    assert stations.model.rows[0][1:3] == ("张家村", "已吊销") and stations.model.rows[0][5] == "电脑丢失"
    assert "已吊销 张家村" in stations.message.text()

    # the bundle the lost laptop wrote is refused at import, in Chinese
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(stick))
    importer = _open_tab(qtbot, page, "导入上报包")
    _click(qtbot, importer.folder_btn)
    _click(qtbot, importer.import_btn)
    qtbot.waitUntil(lambda: importer.model.rowCount() == 1, timeout=10_000)
    row = importer.model.rows[0]
    assert row[3] == "拒收" and row[-1].startswith("已吊销：张家村")
    with town_ws.new_session() as s:  # the town holds nothing of the refused bundle
        assert s.query(Household).count() == 0


def test_export_card_to_a_place_that_cannot_be_written_is_refused_in_chinese(village_ws, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="无法写出工作站卡片") as refused:
        enrollment.export_card(village_ws, blocker / "card.json")
    assert "Errno" not in refused.value.message
    assert list(tmp_path.glob("**/*.tmp")) == []


def test_enrolling_a_second_computer_of_a_village_says_the_first_is_still_enrolled(
    qtbot, village_ws, town_ws, tmp_path, monkeypatch
):
    """A replacement laptop (or a card someone made for the village) is a second station of the same
    village: the clerk is told, with the first one's date, and where to revoke it."""
    from ui.context import AppContext
    from ui.sync.page import SyncPage

    first = enrollment.export_card(village_ws, tmp_path / "first.json")
    again = _village_without_card(tmp_path, code=village_ws.require_station().code, name="张家村")
    second = enrollment.export_card(again, tmp_path / "second.json")
    again.close()
    with town_ws.work(None) as w:
        clerk = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(clerk)
    page = SyncPage(AppContext(town_ws, clerk))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    stations = _open_tab(qtbot, page, "工作站登记")
    chosen = {"file": first}
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(chosen["file"]), ""))
    _click(qtbot, stations.enroll_btn)
    assert "注意" not in stations.message.text()
    chosen["file"] = second
    _click(qtbot, stations.enroll_btn)
    assert "张家村还有另一台登记的工作站" in stations.message.text()
    assert [r[1:3] for r in stations.model.rows] == [("张家村", "已登记"), ("张家村", "已登记")]


def test_a_town_card_carrying_the_villages_own_station_id_is_refused(town_ws, tmp_path):
    """A card made by someone who read the village's station id off a stick (it is in every manifest)."""
    import dataclasses

    village = _village_without_card(tmp_path)
    try:
        evil = dataclasses.replace(station_card(town_ws), station_id=village.require_station().id)
        card = write_card(evil, tmp_path / "evil.json", card_signature(evil, town_ws.keys_dir, town_ws.key))
        with pytest.raises(UserError, match="工作站编号是本村自己的"):
            enrollment.bind_town(village, card)
        assert not enrollment.town_binding(village).bound
        assert village.require_station().kind == "village"
    finally:
        village.close()
