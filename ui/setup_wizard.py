"""首次使用向导: an empty workspace becomes a village or town station with its first administrator, and
the encrypted database gets its recovery code, shown once, printed, and typed back before setup ends."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app import accounts, recovery_sheet
from app.codes import InvalidDivisionCode, check_town_code, check_village_code, to_halfwidth
from app.errors import UserError, os_error_text
from app.stations import StationInfo, init_station
from app.sync import station_cards
from app.workspace import Workspace

from ui.file_dialogs import ask_open_file_name
from ui.widgets.caps_lock import caps_lock_hint
from ui.widgets.fit import FitsScreen
from ui.widgets.inline_error import error_label, show_error


class StationPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第一步：这是哪个工作站")
        self.setSubTitle("每台电脑是一个工作站。村里用的电脑选“村工作站”，乡镇汇总用的电脑选“乡镇工作站”。")
        layout = QVBoxLayout(self)
        kinds = QHBoxLayout()
        self.village = QRadioButton("村工作站(&V)")
        self.town = QRadioButton("乡镇工作站(&T)")
        self.village.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.village)
        group.addButton(self.town)
        kinds.addWidget(self.village)
        kinds.addWidget(self.town)
        kinds.addStretch()
        layout.addLayout(kinds)

        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setMaxLength(12)
        self.name = QLineEdit()
        self.code_label = QLabel()
        self.name_label = QLabel()
        form.addRow(self.code_label, self.code)
        form.addRow(self.name_label, self.name)
        self.card_row = QWidget()
        card_layout = QHBoxLayout(self.card_row)
        card_layout.setContentsMargins(0, 0, 0, 0)
        self.town_card = QLineEdit()
        self.town_card.setPlaceholderText("可暂不选择，以后在“上报与同步”中导入")
        browse = QPushButton("浏览(&B)…")
        browse.clicked.connect(self._browse_card)
        card_layout.addWidget(self.town_card)
        card_layout.addWidget(browse)
        self.card_label = QLabel("乡镇工作站卡片(&K)：")
        self.card_label.setBuddy(self.town_card)
        form.addRow(self.card_label, self.card_row)
        self.town_name = QLineEdit()
        self.town_name.setPlaceholderText("没有卡片时填写，例如 东城镇")
        self.town_name_label = QLabel("所属乡镇名称(&Z)：")
        self.town_name_label.setBuddy(self.town_name)
        form.addRow(self.town_name_label, self.town_name)
        layout.addLayout(form)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        layout.addWidget(self.hint)
        self.error = error_label()
        layout.addWidget(self.error)
        layout.addStretch()
        self.village.toggled.connect(self._kind_changed)
        self._kind_changed()

    @property
    def kind(self) -> str:
        return "village" if self.village.isChecked() else "town"

    def _kind_changed(self) -> None:
        village = self.kind == "village"
        self.code_label.setText("村代码(&C)：" if village else "乡镇代码(&C)：")
        self.code_label.setBuddy(self.code)
        self.name_label.setText("村名(&N)：" if village else "乡镇名(&N)：")
        self.name_label.setBuddy(self.name)
        self.code.setPlaceholderText(
            "12 位统计用区划代码，例如 370681101201" if village else "9 位统计用区划代码，例如 370681101"
        )
        for w in (self.card_label, self.card_row, self.town_name_label, self.town_name):
            w.setVisible(village)
        self.hint.setText(
            "村代码的前 9 位是所属乡镇的代码。乡镇工作站卡片由乡镇导出，用来加密上报的数据。"
            if village
            else "乡镇工作站接收各村上报的数据；建好后请把本站卡片发给各村。"
        )

    def _browse_card(self) -> None:
        path, _ = ask_open_file_name(self, "选择乡镇工作站卡片", "", "工作站卡片 (*.json);;所有文件 (*)")
        if path:
            self.town_card.setText(path)
            self.prefill_from_card(path)

    def prefill_from_card(self, path: str) -> None:
        """The town's part of the village code (its first 9 digits) and the town's name come from the
        card: the cadre types only the village's own 3 digits."""
        try:
            card = station_cards.read_card(Path(path))
        except UserError as exc:
            self.show_error(exc.message)
            return
        if card.kind != "town":
            self.show_error(f"{Path(path).name} 不是乡镇的卡片")
            return
        self.error.hide()
        typed = to_halfwidth(self.code.text()).strip()
        if not typed.startswith(card.code):  # keep the village's own 3 digits if they were typed already
            self.code.setText(card.code + (typed[9:] if len(typed) == 12 else ""))
        self.town_name.setText(card.name)
        self.hint.setText(
            f"村代码的前 9 位 {card.code} 是{card.name}的代码，已从卡片填好；请接着填本村自己的 3 位代码。"
        )
        self.code.setFocus()
        self.code.end(False)

    def show_error(self, message: str) -> None:
        show_error(self.error, message)

    def checked_values(self) -> dict:
        """The page's values, validated; raises UserError naming the field."""
        name = self.name.text().strip()
        card_path = self.town_card.text().strip() if self.kind == "village" else ""
        try:
            if self.kind == "village":
                code = check_village_code(self.code.text())
            else:
                code = check_town_code(self.code.text())
        except InvalidDivisionCode as exc:
            raise UserError(str(exc), field="code") from None
        if not name:
            raise UserError("请填写" + ("村名" if self.kind == "village" else "乡镇名"), field="name")
        if card_path:
            card = station_cards.read_card(Path(card_path))
            if card.kind != "town":
                raise UserError(f"{card_path} 不是乡镇的卡片", field="town_card")
            if code[:9] != card.code:
                raise UserError(
                    f"村代码 {code} 的前 9 位应为卡片上的乡镇代码 {card.code}（{card.name}）", field="code"
                )
        return {
            "kind": self.kind,
            "code": code,
            "name": name,
            "town_card": Path(card_path) if card_path else None,
            "town_name": (self.town_name.text().strip() or None) if self.kind == "village" else None,
        }

    def validatePage(self) -> bool:
        try:
            self.checked_values()
        except UserError as exc:
            self.show_error(exc.message)
            {"name": self.name, "town_card": self.town_card}.get(exc.field, self.code).setFocus()
            return False
        self.error.hide()
        return True


class AdminPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第二步：第一个管理员")
        self.setSubTitle(
            "管理员可以添加其他账号、重置密码。请牢记密码；忘记时可由其他管理员重置，或用下一步的恢复码。"
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.username = QLineEdit("admin")
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText("例如 张建国")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(f"至少 {accounts.MIN_PASSWORD_LENGTH} 位")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("登录名(&U)：", self.username)
        form.addRow("姓名(&N)：", self.display_name)
        form.addRow("密码(&P)：", self.password)
        form.addRow("再输一次密码(&R)：", self.confirm)
        layout.addLayout(form)
        self.caps_lock = caps_lock_hint(form)
        self.error = error_label()
        layout.addWidget(self.error)
        layout.addStretch()

    def show_error(self, message: str) -> None:
        show_error(self.error, message)

    def validatePage(self) -> bool:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        fields = {"username": self.username, "display_name": self.display_name, "password": self.password}
        try:
            if not self.username.text().strip():
                raise UserError("请填写登录名", field="username")
            if not self.display_name.text().strip():
                raise UserError("请填写姓名", field="display_name")
            if self.password.text() != self.confirm.text():
                raise UserError("两次输入的密码不一样，请重新输入", field="password")
            if len(self.password.text()) < accounts.MIN_PASSWORD_LENGTH:
                raise UserError(f"密码至少 {accounts.MIN_PASSWORD_LENGTH} 位", field="password")
            wizard.create_station()
        except UserError as exc:
            self.show_error(exc.message)
            fields.get(exc.field or "", self.password).setFocus()
            return False
        return True


class RecoveryPage(QWizardPage):
    """第三步：恢复码. Made when the page is shown (the station exists by then), shown once in large type,
    printed to a PDF for the safe, and typed back before the wizard can finish."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("第三步：恢复码")
        self.setSubTitle(
            "数据库已加密。所有管理员都忘记密码时，只有恢复码能打开它。请打印或抄下，放进工作站的保险柜。"
        )
        self.code = ""
        layout = QVBoxLayout(self)
        self.code_label = QLabel()
        font = QFont(self.code_label.font())
        font.setPointSize(font.pointSize() + 8)
        font.setBold(True)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(self.code_label.textInteractionFlags())
        layout.addWidget(self.code_label)
        row = QHBoxLayout()
        self.print_button = QPushButton("保存打印页(&S)…")
        self.print_button.clicked.connect(self._save_sheet)
        row.addWidget(self.print_button)
        self.saved = QLabel()
        self.saved.setWordWrap(True)
        row.addWidget(self.saved, 1)
        layout.addLayout(row)
        form = QFormLayout()
        self.again = QLineEdit()
        self.again.setPlaceholderText("照着抄下的恢复码再输入一遍")
        form.addRow("再输入一遍恢复码(&C)：", self.again)
        layout.addLayout(form)
        self.error = error_label()
        layout.addWidget(self.error)
        layout.addStretch()

    def initializePage(self) -> None:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        if not self.code:
            with wizard.ws.work(None) as w:
                self.code = accounts.new_recovery_code(w)
        self.code_label.setText(self.code)

    def sheet_path(self, folder: str) -> Path:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        name = wizard.info.name if wizard.info else "工作站"
        return Path(folder) / f"{name}-恢复码.pdf"

    def _save_sheet(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "把恢复码打印页保存到哪个文件夹（可以是 U 盘）")
        if folder:
            self.save_sheet(Path(folder))

    def save_sheet(self, folder: Path) -> Path | None:
        wizard: SetupWizard = self.wizard()  # type: ignore[assignment]
        try:
            path = recovery_sheet.write_sheet(
                self.sheet_path(str(folder)), station=wizard.info.name if wizard.info else "", code=self.code
            )
        except OSError as exc:
            self.show_error(f"没能保存：{os_error_text(exc)}。请换一个文件夹")
            return None
        self.saved.setText(f"已保存：{path}（打印后请把这个文件删掉）")
        return path

    def show_error(self, message: str) -> None:
        show_error(self.error, message)

    def validatePage(self) -> bool:
        from db.keyslots import normalize_recovery_code

        if normalize_recovery_code(self.again.text()) != normalize_recovery_code(self.code):
            self.show_error("与恢复码不一致：请核对抄下的恢复码后重新输入（不分大小写，横线可不输）")
            self.again.setFocus()
            return False
        return True


class SetupWizard(FitsScreen, QWizard):
    """After accept, ``info`` describes the station that was created (with its administrator)."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.info: StationInfo | None = None
        self.setWindowTitle("民情簿 · 首次使用")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步(&N) >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< 上一步(&B)")
        self.setButtonText(QWizard.WizardButton.FinishButton, "完成(&F)")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.station_page = StationPage()
        self.admin_page = AdminPage()
        self.admin_page.setCommitPage(True)  # the station is made here: no way back to change it
        self.setButtonText(QWizard.WizardButton.CommitButton, "建立工作站(&N) >")
        self.recovery_page = RecoveryPage()
        self.addPage(self.station_page)
        self.addPage(self.admin_page)
        self.addPage(self.recovery_page)
        self.resize(640, 460)

    def create_station(self) -> StationInfo:
        values = self.station_page.checked_values()
        a = self.admin_page
        self.info = init_station(
            self.ws,
            kind=values["kind"],
            code=values["code"],
            name=values["name"],
            town_card=values["town_card"],
            town_name=values["town_name"],
            admin_user=a.username.text().strip(),
            admin_password=a.password.text(),
            admin_display_name=a.display_name.text().strip(),
        )
        return self.info
