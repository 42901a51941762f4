"""登录: the sign-in dialog, also used to unlock a window locked after idle time (same user only)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.models import User

from app import accounts
from app.demo import DEMO_ADMIN, is_demo_workspace
from app.errors import UserError
from app.workspace import Workspace

ERROR_STYLE = "color: #b00020;"


class SignInDialog(QDialog):
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
        station = ws.require_station()
        self.setWindowTitle("民情簿 · 已锁定" if locked_user else "民情簿 · 登录")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)

        heading = QLabel(
            f"<b>{station.name}</b>（{'村' if station.kind == 'village' else '乡镇'}工作站 {station.code}）"
        )
        layout.addWidget(heading)
        if locked_user is not None:
            why = f"{idle_minutes} 分钟没有操作，" if idle_minutes else ""
            note = QLabel(f"{why}窗口已锁定。请{locked_user.display_name}输入密码继续。")
            note.setWordWrap(True)
            layout.addWidget(note)

        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setPlaceholderText("登录名")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("密码")
        form.addRow("登录名(&U)：", self.username)
        form.addRow("密码(&P)：", self.password)
        layout.addLayout(form)
        if locked_user is not None:
            self.username.setText(locked_user.username)
            self.username.setReadOnly(True)
            self.username.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.demo_hint = None
        if locked_user is None and is_demo_workspace(ws):
            self.demo_hint = QLabel(
                f"这是演示工作站：登录名 <b>{DEMO_ADMIN[0]}</b>，密码 <b>{DEMO_ADMIN[1]}</b>"
            )
            self.demo_hint.setStyleSheet("color: #555;")
            layout.addWidget(self.demo_hint)

        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            "登录" if locked_user is None else "解锁", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton("退出程序", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        (self.password if locked_user is not None else self.username).setFocus()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def try_sign_in(self) -> bool:
        username = self.username.text().strip()
        if not username:
            self.show_error("请填写登录名")
            self.username.setFocus()
            return False
        try:
            with self.ws.work(None) as w:
                user = accounts.authenticate(w, username, self.password.text())
                if self.locked_user is not None and user.id != self.locked_user.id:
                    raise UserError("窗口锁定时只能由原用户解锁")
                w.session.expunge(user)
        except UserError as exc:
            self.show_error(exc.message)
            self.password.clear()
            self.password.setFocus()
            return False
        self.user = user
        self.accept()
        return True

    def keyPressEvent(self, event) -> None:
        # Escape on a lock screen must not dismiss the lock.
        if self.locked_user is not None and event.key() == Qt.Key.Key_Escape:
            event.ignore()
            return
        super().keyPressEvent(event)


def sign_in(ws: Workspace, parent: QWidget | None = None) -> User | None:
    dialog = SignInDialog(ws, parent)
    return dialog.user if dialog.exec() == QDialog.DialogCode.Accepted else None
