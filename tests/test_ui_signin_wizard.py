"""First start (setup wizard) and signing in."""

from PySide6.QtWidgets import QDialog, QWizard

from app import accounts
from app.demo import DEMO_ADMIN, ensure_demo_station
from app.workspace import Workspace

from ui.setup_wizard import SetupWizard
from ui.signin import SignInDialog

from tests.conftest import ADMIN_PASSWORD


def _fill_station(wizard, code, name):
    page = wizard.station_page
    page.code.setText(code)
    page.name.setText(name)


def test_wizard_creates_village_station_and_its_first_administrator(qtbot, tmp_path):
    ws = Workspace.open(tmp_path / "new")
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        _fill_station(wizard, "370681101202", "李家村")
        wizard.station_page.town_name.setText("东城镇")
        wizard.next()
        assert wizard.currentPage() is wizard.admin_page
        a = wizard.admin_page
        a.username.setText("lijia")
        a.display_name.setText("李明")
        a.password.setText("secret-77")
        a.confirm.setText("secret-77")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wizard.result() == QDialog.DialogCode.Accepted
        station = ws.local_station(refresh=True)
        assert (station.kind, station.code, station.name, station.town_name) == (
            "village",
            "370681101202",
            "李家村",
            "东城镇",
        )
        with ws.work(None) as w:
            user = accounts.authenticate(w, "lijia", "secret-77")
            assert user.display_name == "李明" and "admin" in user.role_set
    finally:
        ws.close()


def test_wizard_refuses_a_village_code_of_the_wrong_length(qtbot, tmp_path):
    ws = Workspace.open(tmp_path / "new")
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        _fill_station(wizard, "37068110120", "李家村")
        wizard.next()
        assert wizard.currentPage() is wizard.station_page
        assert "12 位" in wizard.station_page.error.text()
        assert not ws.is_initialized
    finally:
        ws.close()


def test_wizard_refuses_a_village_outside_the_town_on_its_card(qtbot, tmp_path, templates):
    ws = Workspace.open(tmp_path / "new")
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        _fill_station(wizard, "370681102201", "王家村")
        wizard.station_page.town_card.setText(str(templates["town_card"]))
        wizard.next()
        assert wizard.currentPage() is wizard.station_page
        assert "370681101" in wizard.station_page.error.text()
    finally:
        ws.close()


def test_wizard_creates_town_station_and_keeps_admin_page_open_on_mismatched_passwords(qtbot, tmp_path):
    ws = Workspace.open(tmp_path / "new")
    try:
        wizard = SetupWizard(ws)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.station_page.town.setChecked(True)
        _fill_station(wizard, "370681101", "东城镇")
        wizard.next()
        a = wizard.admin_page
        a.display_name.setText("镇管理员")
        a.password.setText("secret-77")
        a.confirm.setText("secret-78")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wizard.isVisible() and "不一样" in a.error.text()
        assert not ws.is_initialized
        a.confirm.setText("secret-77")
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wizard.result() == QDialog.DialogCode.Accepted
        assert ws.local_station(refresh=True).kind == "town"
    finally:
        ws.close()


def test_sign_in_refuses_a_wrong_password_and_accepts_the_right_one(qtbot, village_ws):
    dialog = SignInDialog(village_ws)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("admin")
    dialog.password.setText("wrong-password")
    dialog.ok_button.click()
    assert dialog.user is None and dialog.isVisible()
    assert "密码不对" in dialog.error.text()
    assert dialog.password.text() == ""
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.ok_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.user.username == "admin"
    assert dialog.demo_hint is None  # a real workspace never shows a password


def test_sign_in_of_a_demo_workspace_shows_the_demo_login(qtbot, tmp_path):
    ws = ensure_demo_station(tmp_path / "demo")
    try:
        dialog = SignInDialog(ws)
        qtbot.addWidget(dialog)
        assert DEMO_ADMIN[0] in dialog.demo_hint.text() and DEMO_ADMIN[1] in dialog.demo_hint.text()
        dialog.username.setText(DEMO_ADMIN[0])
        dialog.password.setText(DEMO_ADMIN[1])
        assert dialog.try_sign_in()
    finally:
        ws.close()


def test_sign_in_refuses_a_deactivated_account(qtbot, village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        clerk = accounts.add_user(
            w,
            username="zhao",
            display_name="赵会计",
            password="zhao-pass",
            roles=["cadre"],
        )
        accounts.set_active(w, clerk.id, False)
    dialog = SignInDialog(village_ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("zhao")
    dialog.password.setText("zhao-pass")
    assert not dialog.try_sign_in()
    assert "停用" in dialog.error.text()
