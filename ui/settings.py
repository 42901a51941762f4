"""设置: my account (change my password), user management for administrators, the idle lock, the station."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import accounts, preferences
from app.accounts import ROLES, UserInfo
from app.errors import UserError

from ui.app import scaled_font
from ui.backup_box import BackupBox
from ui.context import AppContext
from ui.widgets.caps_lock import CapsLockHint, caps_lock_hint
from ui.widgets.fit import FitsScreen
from ui.widgets.inline_error import error_label, show_error

TITLES = (
    "村党支部书记",
    "村委会主任",
    "村委委员",
    "村民小组长",
    "网格员",
    "驻村干部",
    "调解委员会主任",
    "人民调解员",
    "乡镇干部",
)


def notify(parent: QWidget, title: str, text: str) -> QMessageBox:
    """An information box that does not block (the page stays scriptable and testable)."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _password_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _FormDialog(FitsScreen, QDialog):
    """A small form that stays open until its service call succeeds; errors shown in red below."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(440)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = error_label()
        self.layout_.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.ok_button = buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("取消", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.layout_.addWidget(buttons)
        self.fields: dict[str, QWidget] = {}
        self.caps_lock: CapsLockHint | None = None
        self._watched = False

    def showEvent(self, event: QShowEvent) -> None:
        if not self._watched:  # the subclass has added its rows by now
            self._watched = True
            self.caps_lock = caps_lock_hint(self.form)
        super().showEvent(event)

    def show_error(self, message: str, field: str | None = None) -> None:
        show_error(self.error, message)
        widget = self.fields.get(field or "")
        if widget is not None:
            widget.setFocus()

    def save(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def submit(self) -> bool:
        try:
            self.save()
        except UserError as exc:
            self.show_error(exc.message, exc.field)
            return False
        self.accept()
        return True


class ChangeOwnPasswordDialog(_FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("修改我的密码", "修改", parent)
        self.ctx = ctx
        self.old, self.new, self.confirm = _password_edit(), _password_edit(), _password_edit()
        self.new.setPlaceholderText(f"至少 {accounts.MIN_PASSWORD_LENGTH} 位")
        self.form.addRow("原密码(&O)：", self.old)
        self.form.addRow("新密码(&N)：", self.new)
        self.form.addRow("再输一次(&R)：", self.confirm)
        self.fields = {"old_password": self.old, "password": self.new}

    def save(self) -> None:
        if self.new.text() != self.confirm.text():
            raise UserError("两次输入的新密码不一样", field="password")
        with self.ctx.work() as w:
            accounts.change_own_password(w, self.old.text(), self.new.text())


class ResetPasswordDialog(_FormDialog):
    def __init__(self, ctx: AppContext, user: UserInfo, parent: QWidget | None = None) -> None:
        super().__init__(f"重置 {user.display_name} 的密码", "重置", parent)
        self.ctx, self.target = ctx, user
        self.form.addRow(QLabel(f"账号：{user.username}（{user.display_name}）。重置后请当面告知新密码。"))
        self.new, self.confirm = _password_edit(), _password_edit()
        self.form.addRow("新密码(&N)：", self.new)
        self.form.addRow("再输一次(&R)：", self.confirm)
        self.fields = {"password": self.new}

    def save(self) -> None:
        if self.new.text() != self.confirm.text():
            raise UserError("两次输入的新密码不一样", field="password")
        with self.ctx.work() as w:
            accounts.reset_password(w, self.target.id, self.new.text())


class UserDialog(_FormDialog):
    """Add a user (``user=None``) or edit name, phone, 职务 and roles of one."""

    def __init__(self, ctx: AppContext, user: UserInfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(
            "添加账号" if user is None else f"修改账号 {user.username}",
            "添加" if user is None else "保存",
            parent,
        )
        self.ctx, self.target = ctx, user
        self.username = QLineEdit(user.username if user else "")
        self.username.setReadOnly(user is not None)
        self.display_name = QLineEdit(user.display_name if user else "")
        self.phone = QLineEdit((user.phone or "") if user else "")
        self.phone.setPlaceholderText("手机号，可不填")
        self.title = QComboBox()
        self.title.setEditable(True)
        self.title.addItems(("",) + TITLES)
        self.title.setCurrentText((user.title or "") if user else "")
        roles_box = QWidget()
        roles_layout = QHBoxLayout(roles_box)
        roles_layout.setContentsMargins(0, 0, 0, 0)
        self.roles: dict[str, QCheckBox] = {}
        for key, name in ROLES.items():
            box = QCheckBox(name)
            box.setChecked(bool(user and key in user.roles) or (user is None and key == "cadre"))
            roles_layout.addWidget(box)
            self.roles[key] = box
        self.form.addRow("登录名(&U)：", self.username)
        self.form.addRow("姓名(&N)：", self.display_name)
        self.form.addRow("角色：", roles_box)
        self.form.addRow("职务(&T)：", self.title)
        self.form.addRow("电话(&H)：", self.phone)
        self.password = self.confirm = None
        if user is None:
            self.password, self.confirm = _password_edit(), _password_edit()
            self.password.setPlaceholderText(f"至少 {accounts.MIN_PASSWORD_LENGTH} 位")
            self.form.addRow("初始密码(&P)：", self.password)
            self.form.addRow("再输一次(&R)：", self.confirm)
        self.fields = {
            "username": self.username,
            "display_name": self.display_name,
            "phone": self.phone,
            "password": self.password,
            "roles": next(iter(self.roles.values())),
        }

    def selected_roles(self) -> list[str]:
        return [key for key, box in self.roles.items() if box.isChecked()]

    def save(self) -> None:
        with self.ctx.work() as w:
            if self.target is None:
                if self.password.text() != self.confirm.text():
                    raise UserError("两次输入的密码不一样", field="password")
                accounts.add_user(
                    w,
                    username=self.username.text(),
                    display_name=self.display_name.text(),
                    password=self.password.text(),
                    roles=self.selected_roles(),
                    phone=self.phone.text().strip() or None,
                    title=self.title.currentText().strip() or None,
                )
            else:
                accounts.update_user(
                    w,
                    self.target.id,
                    display_name=self.display_name.text(),
                    phone=self.phone.text(),
                    title=self.title.currentText().strip(),
                    roles=self.selected_roles(),
                )


class UserTableModel(QAbstractTableModel):
    """The station's accounts (a few dozen at most), active and deactivated."""

    COLUMNS = ("登录名", "姓名", "角色", "职务", "电话", "状态")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.users: list[UserInfo] = []

    def load(self, users: list[UserInfo]) -> None:
        self.beginResetModel()
        self.users = list(users)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.users)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.users):
            return None
        u = self.users[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                u.username,
                u.display_name,
                u.role_names,
                u.title or "",
                u.phone or "",
                "启用" if u.active else "已停用",
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not u.active:
            from PySide6.QtGui import QColor

            return QColor("#888888")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None


class UserAdmin(QGroupBox):
    """账号管理 (administrators only): add, edit, reset a password, deactivate / reactivate."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("账号管理", parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.model = UserTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(180)
        self.table.doubleClicked.connect(lambda _i: self.edit_user())
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton("添加账号(&A)…")
        self.edit_button = QPushButton("修改(&E)…")
        self.reset_button = QPushButton("重置密码(&R)…")
        self.toggle_button = QPushButton("停用(&D)")
        for b in (self.add_button, self.edit_button, self.reset_button, self.toggle_button):
            row.addWidget(b)
        row.addStretch()
        layout.addLayout(row)
        note = QLabel("账号不能删除：停用后不能再登录，但他写过的记录仍署他的名字。")
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.reset_button.clicked.connect(self.reset_password)
        self.toggle_button.clicked.connect(self.toggle_active)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.reload()

    def reload(self, select_id: str | None = None) -> None:
        current = select_id or (self.selected().id if self.selected() else None)
        with self.ctx.work() as w:
            users = [accounts.info(u) for u in accounts.local_users(w)]
        self.model.load(users)
        row = next((i for i, u in enumerate(users) if u.id == current), 0 if users else -1)
        if row >= 0:
            self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> UserInfo | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.users):
            return None
        return self.model.users[index.row()]

    def _update_buttons(self) -> None:
        user = self.selected()
        for b in (self.edit_button, self.reset_button, self.toggle_button):
            b.setEnabled(user is not None)
        self.toggle_button.setText("停用(&D)" if user is None or user.active else "启用(&D)")

    def _changed(self, select_id: str | None = None) -> None:
        self.reload(select_id)
        self.ctx.data_changed.emit("users")

    def add_user(self) -> UserDialog:
        dialog = UserDialog(self.ctx, None, self)
        dialog.accepted.connect(lambda: self._changed())
        dialog.open()
        return dialog

    def edit_user(self) -> UserDialog | None:
        user = self.selected()
        if user is None:
            return None
        dialog = UserDialog(self.ctx, user, self)
        dialog.accepted.connect(lambda: self._changed(user.id))
        dialog.open()
        return dialog

    def reset_password(self) -> ResetPasswordDialog | None:
        user = self.selected()
        if user is None:
            return None
        dialog = ResetPasswordDialog(self.ctx, user, self)
        dialog.accepted.connect(lambda: notify(self, "已重置", f"{user.display_name} 的密码已重置。"))
        dialog.open()
        return dialog

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        try:
            with self.ctx.work() as w:
                accounts.set_active(w, user.id, not user.active)
        except UserError as exc:
            self.last_warning = QMessageBox(
                QMessageBox.Icon.Warning, "无法完成", exc.message, QMessageBox.StandardButton.Ok, self
            )
            self.last_warning.open()
            return
        self._changed(user.id)


class SettingsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 16, 24, 16)
        title = QLabel("设置")
        scaled_font(title, 1.8, bold=True)
        layout.addWidget(title)

        top = QHBoxLayout()
        self.my_account = QGroupBox("我的账号")
        my_form = QFormLayout(self.my_account)
        self.my_labels = {k: QLabel() for k in ("username", "display_name", "roles", "title", "phone")}
        for key, label in (
            ("username", "登录名"),
            ("display_name", "姓名"),
            ("roles", "角色"),
            ("title", "职务"),
            ("phone", "电话"),
        ):
            my_form.addRow(f"{label}：", self.my_labels[key])
        self.change_password_button = QPushButton("修改我的密码(&W)…")
        self.change_password_button.clicked.connect(self.change_own_password)
        my_form.addRow(self.change_password_button)
        top.addWidget(self.my_account, 1)

        self.station_box = QGroupBox("本工作站")
        st_form = QFormLayout(self.station_box)
        st = ctx.station
        st_form.addRow("类型：", QLabel("村工作站" if st.kind == "village" else "乡镇工作站"))
        st_form.addRow("名称：", QLabel(st.name))
        st_form.addRow("代码：", QLabel(st.code))
        if st.kind == "village":
            st_form.addRow("所属乡镇：", QLabel(f"{st.town_name or '（未填写）'}（{st.town_code}）"))
        folder = QLabel(str(ctx.workspace.root))
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        st_form.addRow("工作目录：", folder)
        top.addWidget(self.station_box, 1)
        layout.addLayout(top)

        self.is_admin = accounts.can(ctx.user, "manage_users")
        self.user_admin: UserAdmin | None = UserAdmin(ctx) if self.is_admin else None
        if self.user_admin is not None:
            layout.addWidget(self.user_admin, 1)  # the account list gets the spare height

        self.lock_box = QGroupBox("自动锁定")
        lock_layout = QHBoxLayout(self.lock_box)
        lock_layout.addWidget(QLabel("无操作超过"))
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(*preferences.IDLE_LOCK_RANGE)
        self.idle_minutes.setSuffix(" 分钟")
        lock_layout.addWidget(self.idle_minutes)
        lock_layout.addWidget(QLabel("后锁定窗口，需重新输入密码。"))
        self.save_idle_button = QPushButton("保存(&S)")
        self.save_idle_button.clicked.connect(self.save_idle_minutes)
        lock_layout.addWidget(self.save_idle_button)
        lock_layout.addStretch()
        can_change = accounts.can(ctx.user, "manage_settings")
        self.idle_minutes.setEnabled(can_change)
        self.save_idle_button.setVisible(can_change)
        if not can_change:
            lock_layout.addWidget(QLabel("（由管理员设置）"))
        layout.addWidget(self.lock_box)

        # 字号: anyone signed in may choose it for this laptop; the whole window follows at once.
        self.font_box = QGroupBox("字号")
        font_layout = QHBoxLayout(self.font_box)
        font_layout.addWidget(QLabel("窗口文字大小："))
        self.font_size = QComboBox()
        self.font_size.addItems(preferences.FONT_SIZES)
        self.font_size.setAccessibleName("字号")
        font_layout.addWidget(self.font_size)
        font_layout.addWidget(QLabel("（本机设置，下次启动仍有效）"))
        font_layout.addStretch()
        self.font_size.activated.connect(lambda _i: self.save_font_size())
        layout.addWidget(self.font_box)
        self.backup_box: BackupBox | None = BackupBox(ctx) if can_change else None
        if self.backup_box is not None:
            layout.addWidget(self.backup_box)
        layout.addStretch()  # (the account list, when shown, takes the spare height: its stretch is 1)
        self._layout = layout
        ctx.user_changed.connect(self._apply_permissions)
        self.refresh()

    def _apply_permissions(self) -> None:
        """The signed-in account's roles changed (an administrator took off their own): 账号管理 and
        备份与恢复 go with the role, not with the page built at sign-in."""
        manage_users = accounts.can(self.ctx.user, "manage_users")
        can_change = accounts.can(self.ctx.user, "manage_settings")
        if self.user_admin is not None:
            self.user_admin.setVisible(manage_users)
        elif manage_users:
            self.user_admin = UserAdmin(self.ctx)
            self._layout.insertWidget(self._layout.indexOf(self.lock_box), self.user_admin, 1)
        self.idle_minutes.setEnabled(can_change)
        self.save_idle_button.setVisible(can_change)
        if self.backup_box is not None:
            self.backup_box.setVisible(can_change)
        elif can_change:
            self.backup_box = BackupBox(self.ctx)
            self._layout.insertWidget(self._layout.indexOf(self.font_box) + 1, self.backup_box)

    def refresh(self) -> None:
        user = self.ctx.user
        if user is not None:
            with self.ctx.work() as w:
                me = accounts.info(accounts.find_user(w, user.id))
                minutes = preferences.idle_lock_minutes(w)
                size = preferences.font_size(w)
            self.font_size.setCurrentText(size)
            self.my_labels["username"].setText(me.username)
            self.my_labels["display_name"].setText(me.display_name)
            self.my_labels["roles"].setText(me.role_names)
            self.my_labels["title"].setText(me.title or "—")
            self.my_labels["phone"].setText(me.phone or "—")
            self.idle_minutes.setValue(minutes)
        if self.user_admin is not None:
            self.user_admin.reload()

    def change_own_password(self) -> ChangeOwnPasswordDialog:
        dialog = ChangeOwnPasswordDialog(self.ctx, self)
        dialog.accepted.connect(lambda: notify(self, "已修改", "密码已修改，下次登录请用新密码。"))
        dialog.open()
        return dialog

    def save_idle_minutes(self) -> bool:
        try:
            with self.ctx.work() as w:
                preferences.set_idle_lock_minutes(w, self.idle_minutes.value())
        except UserError as exc:
            notify(self, "无法保存", exc.message).setIcon(QMessageBox.Icon.Warning)
            return False
        self.ctx.data_changed.emit("settings")
        return True

    def save_font_size(self) -> bool:
        """Store the chosen 字号 and apply it to the whole window (through the "settings" change)."""
        try:
            with self.ctx.work() as w:
                preferences.set_font_size(w, self.font_size.currentText())
        except UserError as exc:
            notify(self, "无法保存", exc.message).setIcon(QMessageBox.Icon.Warning)
            return False
        self.ctx.data_changed.emit("settings")
        return True

    def ready(self) -> bool:
        return True
