"""A village set up without its town's card joins the town later: from the window (导入乡镇卡片, 导出本村卡片)
and from the command line (``bind``); the wizard takes the town's part of the code from the card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QWizard

from app import accounts
from app.errors import UserError
from app.stations import init_station, station_card
from app.sync import enrollment
from app.sync.export import export_bundles
from app.sync.station_cards import write_card
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
    other_card = write_card(station_card(other_town), other_town.keys_dir, tmp_path / "town-b.json")
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
        third_card = write_card(station_card(third), third.keys_dir, tmp_path / "town-c.json")
        third.close()
        with pytest.raises(UserError, match="已绑定 东城镇"):
            enrollment.bind_town(village, third_card)
    finally:
        village.close()
        other_town.close()


def test_bind_on_the_command_line(templates, tmp_path):
    village = _village_without_card(tmp_path)
    village.close()
    run = [sys.executable, "-m", "app"]
    r = subprocess.run(
        [*run, "bind", "--data-dir", str(village.root), str(templates["town_card"]), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"town": {"name": TOWN_NAME, "code": TOWN_CODE}, "bound": True}
    r = subprocess.run(
        [*run, "bundle", "export", "--data-dir", str(village.root), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def test_the_wizard_takes_the_towns_part_of_the_code_from_the_card(qtbot, templates, tmp_path, monkeypatch):
    from ui.setup_wizard import SetupWizard

    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        page = wizard.station_page
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(templates["town_card"]), ""))
        page._browse_card()
        assert page.code.text() == TOWN_CODE and page.town_name.text() == TOWN_NAME
        qtbot.keyClicks(page.code, "204")  # the cadre types only the village's own three digits
        assert page.code.text() == TOWN_CODE + "204"
    finally:
        ws.close()


def test_a_whole_first_link_from_the_window(qtbot, town_ws, templates, tmp_path, monkeypatch):
    """Village setup without a card, binding, card to the town, enrollment, the first bundle, its
    receipt: every step a button or a typed field in the window (file dialogs answered by the test)."""
    from ui.context import AppContext
    from ui.setup_wizard import SetupWizard
    from ui.sync.page import SyncPage

    stick = tmp_path / "stick"
    stick.mkdir()
    village = Workspace.open(tmp_path / "new-village", credentials=ADMIN)
    try:
        wizard = SetupWizard(village)
        qtbot.addWidget(wizard)
        wizard.show()
        page = wizard.station_page
        qtbot.keyClicks(page.code, "370681101205")
        _ime(page.name, "赵家村")
        _ime(page.town_name, TOWN_NAME)
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
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
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.CommitButton), Qt.MouseButton.LeftButton)
        qtbot.keyClicks(wizard.recovery_page.again, wizard.recovery_page.code)  # typed back from the sheet
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
        assert wizard.result() == QDialog.DialogCode.Accepted

        with village.work(None) as w:
            user = accounts.authenticate(w, "zhao", "pass-1234")
            w.session.expunge(user)
        vpage = SyncPage(AppContext(village, user))
        qtbot.addWidget(vpage)
        vpage.resize(1366, 700)
        vpage.show()
        vpage.refresh()
        view = vpage.village
        assert "尚未绑定乡镇" in view.binding.text() and not view.export_btn.isEnabled()
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(templates["town_card"]), ""))
        qtbot.mouseClick(view.bind_btn, Qt.MouseButton.LeftButton)
        assert "已绑定乡镇：东城镇" in view.binding.text() and view.export_btn.isEnabled()
        assert not view.bind_btn.isVisible()
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(stick))
        qtbot.mouseClick(view.card_btn, Qt.MouseButton.LeftButton)
        (card,) = stick.glob("*-card.json")
        vpage.grab().save(str(tmp_path / "village-bound.png"))

        # the town enrolls the card from its window
        with town_ws.work(None) as w:
            clerk = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
            w.session.expunge(clerk)
        tpage = SyncPage(AppContext(town_ws, clerk))
        qtbot.addWidget(tpage)
        tpage.show()
        tpage.refresh()
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(card), ""))
        qtbot.mouseClick(tpage.stations.enroll_btn, Qt.MouseButton.LeftButton)
        assert "已登记 赵家村" in tpage.stations.message.text()
        (row,) = tpage.stations.model.rows
        assert row[:3] == ("370681101205", "赵家村", "已登记")
        assert not any(str(v).count("-") >= 4 for v in row)  # no station UUIDs on screen

        # the village's first bundle, imported at the town, and the receipt back
        view.target.insertItem(0, "测试 U 盘", str(stick))
        view.target.setCurrentIndex(0)
        qtbot.mouseClick(view.export_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "号包" in view.message.text(), timeout=10_000)
        from app.sync.importer import import_bundles
        from app.sync.receipts import export_receipts

        (got,) = import_bundles(town_ws, [next(stick.glob("*-up-*.mqb"))]).bundles
        assert got.status == "imported"
        (receipt,) = export_receipts(town_ws, stick)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(receipt.path), ""))
        qtbot.mouseClick(view.receipt_btn, Qt.MouseButton.LeftButton)
        assert "已导入 东城镇 的回执" in view.message.text()
    finally:
        village.close()
