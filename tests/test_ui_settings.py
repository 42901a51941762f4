"""设置: administrators manage accounts (add, reset, deactivate, never delete); others only their own."""

import pytest

from app import accounts
from app.errors import UserError

from ui.context import AppContext
from ui.settings import SettingsPage, UserTableModel

from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def admin_page(qtbot, village_ws, village_admin):
    page = SettingsPage(AppContext(village_ws, village_admin))
    qtbot.addWidget(page)
    page.show()
    return page


def _add_cadre(ws, actor, username="wang", password="wang-pass-1"):
    with ws.work(actor) as w:
        user = accounts.add_user(
            w,
            username=username,
            display_name="王秀英",
            password=password,
            roles=["cadre"],
            title="网格员",
        )
        w.session.expunge(user)
    return user


def _select(admin, username):
    row = [u.username for u in admin.model.users].index(username)
    admin.table.selectRow(row)
    assert admin.selected().username == username


def test_admin_adds_a_cadre_who_can_then_sign_in(admin_page, village_ws):
    admin = admin_page.user_admin
    dialog = admin.add_user()
    dialog.username.setText("wang")
    dialog.display_name.setText("王秀英")
    dialog.roles["cadre"].setChecked(True)
    dialog.roles["mediator"].setChecked(True)
    dialog.title.setCurrentText("网格员")
    dialog.phone.setText("138 0535 1234")
    dialog.password.setText("wang-pass-1")
    dialog.confirm.setText("wang-pass-1")
    assert dialog.submit()
    assert [u.username for u in admin.model.users] == ["admin", "wang"]
    added = admin.model.users[1]
    assert added.role_names == "村干部、调解员" and added.title == "网格员" and added.phone == "13805351234"
    with village_ws.work(None) as w:
        assert accounts.authenticate(w, "wang", "wang-pass-1").display_name == "王秀英"


def test_adding_a_user_with_a_taken_name_keeps_the_dialog_open_with_the_reason(admin_page):
    dialog = admin_page.user_admin.add_user()
    dialog.username.setText("admin")
    dialog.display_name.setText("重名")
    dialog.password.setText("whatever-1")
    dialog.confirm.setText("whatever-1")
    assert not dialog.submit()
    assert dialog.isVisible() and "已被使用" in dialog.error.text()
    assert len(admin_page.user_admin.model.users) == 1


def test_admin_resets_a_password(admin_page, village_ws, village_admin):
    _add_cadre(village_ws, village_admin)
    admin = admin_page.user_admin
    admin.reload()
    _select(admin, "wang")
    dialog = admin.reset_password()
    dialog.new.setText("fresh-pass-2")
    dialog.confirm.setText("fresh-pass-2")
    assert dialog.submit()
    with village_ws.work(None) as w:
        assert accounts.authenticate(w, "wang", "fresh-pass-2").username == "wang"
        with pytest.raises(UserError):
            accounts.authenticate(w, "wang", "wang-pass-1")


def test_admin_deactivates_and_reactivates_without_deleting(admin_page, village_ws, village_admin):
    _add_cadre(village_ws, village_admin)
    admin = admin_page.user_admin
    admin.reload()
    _select(admin, "wang")
    assert admin.toggle_button.text() == "停用(&D)"
    admin.toggle_button.click()
    assert admin.selected().username == "wang" and not admin.selected().active
    assert admin.model.data(admin.model.index(1, 5)) == "已停用"
    assert admin.toggle_button.text() == "启用(&D)"
    with village_ws.work(None) as w:
        with pytest.raises(UserError, match="停用"):
            accounts.authenticate(w, "wang", "wang-pass-1")
        assert len(accounts.local_users(w)) == 2  # still there, records keep their author
    admin.toggle_button.click()
    with village_ws.work(None) as w:
        assert accounts.authenticate(w, "wang", "wang-pass-1").active


def test_admin_cannot_deactivate_their_own_account(admin_page):
    admin = admin_page.user_admin
    _select(admin, "admin")
    admin.toggle_button.click()
    assert admin.last_warning.isVisible() and admin.last_warning.text() == "不能停用自己正在使用的账号"
    admin.last_warning.close()
    assert admin.selected().active


def test_a_cadre_sees_only_their_own_account(qtbot, village_ws, village_admin):
    cadre = _add_cadre(village_ws, village_admin)
    page = SettingsPage(AppContext(village_ws, cadre))
    qtbot.addWidget(page)
    assert page.user_admin is None
    assert page.my_labels["username"].text() == "wang" and page.my_labels["title"].text() == "网格员"
    assert not page.idle_minutes.isEnabled() and page.save_idle_button.isHidden()
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="权限"):
        accounts.add_user(w, username="x", display_name="某人", password="xxxxxx1", roles=["admin"])
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="权限"):
        accounts.reset_password(w, village_admin.id, "taken-over")


def test_a_user_changes_their_own_password_only_with_the_old_one(qtbot, village_ws, village_admin):
    cadre = _add_cadre(village_ws, village_admin)
    page = SettingsPage(AppContext(village_ws, cadre))
    qtbot.addWidget(page)
    dialog = page.change_own_password()
    dialog.old.setText("guessed-1")
    dialog.new.setText("mine-now-1")
    dialog.confirm.setText("mine-now-1")
    assert not dialog.submit() and "原密码不对" in dialog.error.text()
    dialog.old.setText("wang-pass-1")
    assert dialog.submit()
    with village_ws.work(None) as w:
        assert accounts.authenticate(w, "wang", "mine-now-1").username == "wang"


def test_admin_sets_the_idle_lock_minutes(admin_page, village_ws):
    from app import preferences

    topics = []
    admin_page.ctx.data_changed.connect(topics.append)
    admin_page.idle_minutes.setValue(30)
    admin_page.save_idle_button.click()
    assert topics == ["settings"]
    with village_ws.work(None) as w:
        assert preferences.idle_lock_minutes(w) == 30


def test_user_table_model_is_a_valid_qt_model(qtmodeltester, village_ws, village_admin):
    _add_cadre(village_ws, village_admin)
    model = UserTableModel()
    with village_ws.work(None) as w:
        model.load([accounts.info(u) for u in accounts.local_users(w)])
    qtmodeltester.check(model)
    assert (
        model.rowCount() == 2
        and model.headerData(0, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal) == "登录名"
    )


def test_admin_password_still_signs_in_after_page_use(admin_page, village_ws):
    with village_ws.work(None) as w:
        assert accounts.authenticate(w, "admin", ADMIN_PASSWORD).username == "admin"


def test_an_administrator_who_takes_off_their_own_role_loses_the_admin_parts_at_once(
    qtbot, village_ws, village_admin, tmp_path, monkeypatch
):
    """账号管理 and 备份与恢复 follow the signed-in account's roles, not those it had at sign-in; a
    backup or restore asked for anyway is refused (their services take no account)."""
    from PySide6.QtWidgets import QMessageBox

    ctx = AppContext(village_ws, village_admin)
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.user_admin.isVisible() and page.backup_box.isVisible()
    with village_ws.work(village_admin) as w:
        accounts.add_user(
            w, username="admin2", display_name="副书记", password="admin2-pass", roles=["admin"]
        )
    with village_ws.work(village_admin) as w:
        accounts.update_user(w, village_admin.id, roles=["cadre"])
    with village_ws.work(village_admin) as w:
        me = accounts.find_user(w, village_admin.id)
        w.session.expunge(me)
    ctx.set_user(me)  # as the main window does when 账号 change ("users")
    assert not page.user_admin.isVisible() and not page.backup_box.isVisible()
    assert not page.idle_minutes.isEnabled()
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    assert page.backup_box.backup_to(tmp_path / "b.db") is None
    assert page.backup_box.confirm_and_restore(tmp_path / "b.db", ask=False) is False
    assert warned == ["您的账号没有这项权限，请联系管理员"] * 2 and not (tmp_path / "b.db").exists()
