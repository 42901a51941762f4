"""First start (setup wizard) and signing in."""

from PySide6.QtWidgets import QDialog, QWizard

from app import accounts
from app.demo import DEMO_ADMIN, ensure_demo_station
from app.workspace import Workspace

from ui.setup_wizard import SetupWizard
from ui.signin import SignInDialog

from tests.conftest import ADMIN, ADMIN_PASSWORD


def _through_the_recovery_page(wizard, tmp_path):
    """Make the station, then the recovery page: the code is shown, its sheet saved, and it must be typed
    back before the wizard finishes."""
    from pypdf import PdfReader

    from db.keyslots import KeySlots

    wizard.button(QWizard.WizardButton.CommitButton).click()
    page = wizard.recovery_page
    assert wizard.currentPage() is page and len(page.code) == 24 == len(page.code_label.text())
    slots = KeySlots.load(wizard.ws.keys_dir)
    assert slots.has_recovery and slots.provisional_key is None  # nothing of the key is in the clear
    sheet = page.save_sheet(tmp_path)
    text = "".join(p.extract_text() for p in PdfReader(sheet).pages).replace("\x00", "")
    assert page.code in text and "保险柜" in text
    page.again.setText("2222-3333-4444-5555-6666")
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.isVisible() and "不一致" in page.error.text()
    page.again.setText(page.code.lower().replace("-", ""))  # typed loosely, as a person would
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.ws.key is not None and slots.open_recovery(page.code) == wizard.ws.key


def _fill_station(wizard, code, name):
    page = wizard.station_page
    page.code.setText(code)
    page.name.setText(name)


def test_wizard_creates_village_station_and_its_first_administrator(qtbot, tmp_path):
    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
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
        _through_the_recovery_page(wizard, tmp_path)
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
    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
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
    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
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
    ws = Workspace.open(tmp_path / "new", credentials=ADMIN)
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
        wizard.button(QWizard.WizardButton.CommitButton).click()
        assert wizard.isVisible() and "不一样" in a.error.text()
        assert not ws.is_initialized
        a.confirm.setText("secret-77")
        _through_the_recovery_page(wizard, tmp_path)
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


def test_the_first_sign_in_unlocks_the_encrypted_database_and_a_forgotten_password_is_recovered(
    qtbot, village_ws, village_admin
):
    from ui.signin import RecoveryDialog

    with village_ws.work(village_admin) as w:
        code = accounts.new_recovery_code(w)
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    assert ws.locked
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    assert "张家村" in dialog.findChildren(type(dialog.error))[0].text()  # heading from the public card
    dialog.username.setText("admin")
    dialog.password.setText("wrong-password")
    assert not dialog.try_sign_in() and ws.locked and "不对" in dialog.error.text()
    recovery = RecoveryDialog(ws, dialog)
    recovery.code.setText("2222-3333-4444-5555-6666")
    recovery.password.setText("new-pass-9")
    recovery.confirm.setText("new-pass-9")
    assert not recovery.try_recover() and ws.locked and "恢复码不对" in recovery.error.text()
    recovery.code.setText(code)
    assert recovery.try_recover() and not ws.locked and recovery.user.username == "admin"
    ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText("new-pass-9")
    assert dialog.try_sign_in(), dialog.error.text()
    assert dialog.user.username == "admin" and not ws.locked
    ws.close()


def test_signing_in_checks_the_password_once_when_its_slot_opened_the_database(
    qtbot, village_ws, village_admin, monkeypatch
):
    """The password that unwrapped the key is that account's (its one slot is rewrapped on every change):
    the sign-in does not run argon2 on it a second time against the account's hash. Any other sign-in
    (an open window's lock screen) checks the hash."""
    checked: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: checked.append(p) or real(h, p))
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    assert dialog.try_sign_in(), dialog.error.text()
    assert checked == [] and dialog.user.username == "admin"
    assert ws.take_password_proof() is None  # the proof was used once
    lock = SignInDialog(ws, locked_user=dialog.user)
    qtbot.addWidget(lock)
    lock.password.setText("wrong-password")
    assert not lock.try_sign_in() and checked == ["wrong-password"]
    ws.close()


def test_a_password_change_cut_short_leaves_two_slots_and_the_hash_decides(qtbot, village_ws, village_admin):
    """Killed between writing the new slot and dropping the old, both passwords open the key: then the
    account's hash in the database is checked, and the password it does not hold is refused."""
    with village_ws.work(village_admin) as w:
        accounts.change_own_password(w, ADMIN_PASSWORD, "new-admin-pass")
    # the old password's slot put back beside the new one, as a cut-short change leaves it
    village_ws.update_slots(
        lambda slots, key: slots.add_account(key, village_admin.id, "admin", ADMIN_PASSWORD)
    )
    village_ws.close()
    ws = Workspace.open(village_ws.root, create=False)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    assert not dialog.try_sign_in() and "不对" in dialog.error.text()
    assert not ws.locked  # the old slot did open the key; the database refused the password
    dialog.password.setText("new-admin-pass")
    assert dialog.try_sign_in(), dialog.error.text()
    ws.close()
