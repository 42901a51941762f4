"""登录: the sign-in dialog, also used to unlock a window locked after idle time (same user only).

The database is encrypted: the first sign-in of a run unwraps its key with the password
(:meth:`app.workspace.Workspace.unlock`). "忘记密码" opens it with the recovery code instead and gives an
administrator a new password (:class:`RecoveryDialog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.keyslots import KeySlotsDamaged

from app.demo import DEMO_ADMIN, is_demo_workspace
from app.errors import UserError
from app.workspace import DatabaseDamaged, Workspace

from ui import preload
from ui.widgets.caps_lock import caps_lock_hint
from ui.widgets.fit import FitsScreen
from ui.widgets.inline_error import error_label, show_error

if TYPE_CHECKING:
    from db.models import User

# The box shows before the database layer is loaded (SQLAlchemy, the models, the services): it needs
# only the key slots and the station's public card. :mod:`ui.preload` loads the rest while a password is
# typed; a sign-in waits for it (app.accounts and what it needs are imported where they are used).


class SignInDialog(FitsScreen, QDialog):
    """Asks for account and password; ``user`` holds the signed-in (detached) user after accept.

    With ``locked_user`` it unlocks: the account is fixed and only that user's password is accepted.
    """

    def __init__(
        self,
        ws: Workspace,
        parent: QWidget | None = None,
        *,
        locked_user: User | None = None,
        idle_minutes: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.ws = ws
        self.locked_user = locked_user
        self.user: User | None = None
        self.damaged: DatabaseDamaged | None = None  # found when the password opened the database
        station = _station_heading(ws)
        self.setWindowTitle("民情簿 · 已锁定" if locked_user else "民情簿 · 登录")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)

        heading = QLabel(station)
        layout.addWidget(heading)
        if locked_user is not None:
            why = f"{idle_minutes} 分钟没有操作，" if idle_minutes else ""
            note = QLabel(f"{why}窗口已锁定。请{locked_user.display_name}输入密码继续。")
            note.setWordWrap(True)
            layout.addWidget(note)

        form = QFormLayout()
        # The station's active users by 姓名 to choose from; a login name can still be typed.
        self.account = QComboBox()
        self.account.setEditable(True)
        self.account.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.account.setAccessibleName("登录账号")
        self.choices: list[tuple[str, str]] = [] if locked_user is not None else sign_in_choices(ws)
        for label, username in self.choices:
            self.account.addItem(label, username)
        self.account.setCurrentIndex(-1)
        self.username = self.account.lineEdit()
        self.username.setPlaceholderText("选择姓名，或输入登录名")
        if self.account.completer() is not None:
            self.account.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("密码")
        form.addRow("姓名或登录名(&U)：", self.account)
        form.addRow("密码(&P)：", self.password)
        layout.addLayout(form)
        self.caps_lock = caps_lock_hint(form)
        if locked_user is not None:
            self.username.setText(locked_user.username)
            self.username.setReadOnly(True)
            self.username.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.account.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.demo_hint = None
        public = ws.public_station() or {}
        if locked_user is None and (public.get("demo") is True if ws.locked else is_demo_workspace(ws)):
            self.demo_hint = QLabel(
                f"这是演示工作站：登录名 <b>{DEMO_ADMIN[0]}</b>，密码 <b>{DEMO_ADMIN[1]}</b>"
            )
            self.demo_hint.setStyleSheet("color: #555;")
            layout.addWidget(self.demo_hint)

        self.error = error_label()
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            "登录" if locked_user is None else "解锁", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton("退出程序", QDialogButtonBox.ButtonRole.RejectRole)
        self.forgot_button: QPushButton | None = None
        if locked_user is None:
            self.forgot_button = QPushButton("忘记密码(&F)…")
            self.forgot_button.setAutoDefault(False)
            self.forgot_button.clicked.connect(self.recover)
            self.buttons.addButton(self.forgot_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        (self.password if locked_user is not None else self.username).setFocus()

    def show_error(self, message: str) -> None:
        show_error(self.error, message)

    def login_name(self) -> str:
        """The login name meant by what is in the box: a chosen (or typed) 姓名 gives its account's login
        name; anything else is taken as a login name."""
        typed = self.username.text().strip()
        if self.locked_user is not None:
            return typed
        return login_name_for(self.choices, typed)

    def try_sign_in(self) -> bool:
        username = self.login_name()
        if not username:
            self.show_error("请选择姓名或填写登录名")
            self.username.setFocus()
            return False
        try:
            proof = None
            if self.ws.locked:  # the key is unwrapped while the background load finishes
                self.ws.unlock(username, self.password.text(), before_open=preload.wait)
                proof = self.ws.take_password_proof()  # the same password: one argon2, not two
            preload.wait()  # before anything of the database layer is imported here
            from app import accounts

            with self.ws.work(None) as w:
                user = accounts.authenticate(w, username, self.password.text(), proven_user_id=proof)
                if self.locked_user is not None and user.id != self.locked_user.id:
                    raise UserError("窗口锁定时只能由原用户解锁")
                w.session.expunge(user)
        except DatabaseDamaged as exc:
            self.damaged = exc
            self.reject()
            return False
        except UserError as exc:
            self.show_error(exc.message)
            self.password.clear()
            self.password.setFocus()
            return False
        self.user = user
        self.accept()
        return True

    def recover(self) -> None:
        """忘记密码: the recovery code opens the database and an administrator gets a new password."""
        dialog = RecoveryDialog(self.ws, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.user is not None:
            self.user = dialog.user
            self.accept()
        elif dialog.damaged is not None:
            self.damaged = dialog.damaged
            self.reject()

    def keyPressEvent(self, event) -> None:
        # Escape on a lock screen must not dismiss the lock.
        if self.locked_user is not None and event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)


def sign_in_choices(ws: Workspace) -> list[tuple[str, str]]:
    """(label, login name) of the accounts that may sign in here, by 姓名. Before the database is open
    they come from beside the key slots (``KeySlots.names``); when it is open, from the accounts. Two
    people of one name are told apart by their login names."""
    choices: list[tuple[str, str]] = []
    try:
        if ws.locked:
            slots = ws.key_slots()
            choices = slots.sign_in_choices() if slots is not None else []
        else:
            from app import accounts

            with ws.work(None) as w:
                users = accounts.local_users(w, include_inactive=False)
                choices = sorted(
                    ((u.display_name or u.username, u.username) for u in users), key=lambda c: c[0]
                )
    except (UserError, KeySlotsDamaged):
        return []  # the dialog still takes a typed login name; the slot file's damage shows on sign-in
    labels = [label for label, _ in choices]
    return [(f"{label}（{name}）" if labels.count(label) > 1 else label, name) for label, name in choices]


def login_name_for(choices: list[tuple[str, str]], typed: str) -> str:
    """The login name for ``typed``: a label of ``choices`` (a 姓名) gives its login name, else ``typed``."""
    typed = typed.strip()
    for label, name in choices:
        if typed == label:
            return name
    return typed


def _station_heading(ws: Workspace) -> str:
    if ws.locked:
        public = ws.public_station() or {}
        name, kind, code = public.get("name", ""), public.get("kind", ""), public.get("code", "")
    else:
        station = ws.require_station()
        name, kind, code = station.name, station.kind, station.code
    return f"<b>{name}</b>（{'村' if kind == 'village' else '乡镇'}工作站 {code}）"


class RecoveryDialog(FitsScreen, QDialog):
    """用恢复码重设管理员密码: when every administrator has forgotten the password. The recovery code
    opens the database; the named administrator gets a new password (audit-logged)."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        preload.wait()
        from app import accounts

        super().__init__(parent)
        self.ws = ws
        self.user: User | None = None
        self.damaged: DatabaseDamaged | None = None
        self.setWindowTitle("民情簿 · 用恢复码重设管理员密码")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        note = QLabel(
            "请从保险柜取出“民情簿数据库恢复码”打印页，照着输入恢复码（不分大小写，横线可不输），"
            "再为一位管理员设新密码。这次使用会记入操作记录。"
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX")
        self.username = QLineEdit("admin")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(f"至少 {accounts.MIN_PASSWORD_LENGTH} 位")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("恢复码(&C)：", self.code)
        form.addRow("管理员登录名(&U)：", self.username)
        form.addRow("新密码(&P)：", self.password)
        form.addRow("再输一次新密码(&R)：", self.confirm)
        layout.addLayout(form)
        self.caps_lock = caps_lock_hint(form)
        self.error = error_label()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton("重设密码并登录", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_recover)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.code.setFocus()

    def show_error(self, message: str) -> None:
        show_error(self.error, message)

    def try_recover(self) -> bool:
        from app import accounts

        fields = {"username": self.username, "password": self.password, "code": self.code}
        try:
            if self.password.text() != self.confirm.text():
                raise UserError("两次输入的新密码不一样，请重新输入", field="password")
            if len(self.password.text()) < accounts.MIN_PASSWORD_LENGTH:
                raise UserError(f"新密码至少 {accounts.MIN_PASSWORD_LENGTH} 位", field="password")
            try:
                self.ws.unlock_with_recovery(self.code.text())  # checked even when already open
            except UserError as exc:
                raise UserError(exc.message, field="code") from None
            with self.ws.work(None) as w:
                user = accounts.recover(w, self.username.text(), self.password.text())
                w.session.expunge(user)
        except DatabaseDamaged as exc:
            self.damaged = exc
            self.reject()
            return False
        except UserError as exc:
            self.show_error(exc.message)
            fields.get(exc.field or "", self.code).setFocus()
            return False
        self.user = user
        self.accept()
        return True


def sign_in(ws: Workspace, parent: QWidget | None = None) -> User | None:
    """The signed-in user, or None when the person quit. Raises :class:`DatabaseDamaged` when the
    password opened a database that fails its check (the caller offers the rescue)."""
    dialog = SignInDialog(ws, parent)
    # the database layer, loaded while the password is typed: started once the box is up (the event
    # loop's first turn), so that it does not slow the box's first paint
    QTimer.singleShot(0, preload.start)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        return dialog.user
    if dialog.damaged is not None:
        raise dialog.damaged
    return None
