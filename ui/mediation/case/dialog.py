"""The case screen (卷宗): the shell around the tabs (registration, parties, meetings, agreement,
follow-ups, case file, history).

State actions appear as buttons only when the step is legal from the current state (Alt+1, Alt+2 …);
print buttons write the case's documents as PDF. Every change goes through the services of
``app.mediation`` (:meth:`CaseDialog.run`), and every tab is filled again after it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import accounts
from app.errors import UserError
from app.mediation import agreement, casefile, printable, rules, states
from app.mediation.info import CaseFile

from ui.context import AppContext
from ui.file_dialogs import ask_save_file_name
from ui.mediation import forms
from ui.mediation.case.agreement import AgreementTab
from ui.mediation.case.casefile import FileTab
from ui.mediation.case.follow_ups import FollowUpTab
from ui.mediation.case.history import HistoryTab
from ui.mediation.case.meetings import MeetingsTab
from ui.mediation.case.parties import PartiesTab
from ui.mediation.case.registration import RegistrationTab
from ui.mediation.case.tab import day_text
from ui.tasks import run_in_background
from ui.widgets.fit import FitsScreen
from ui.widgets.form_draft import FormDraft


class CaseDialog(FitsScreen, QDialog):
    """One case file. ``reload()`` reads it again (opening is audited once, on construction)."""

    def __init__(
        self, ctx: AppContext, case_id: str, parent: QWidget | None = None, *, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.case_id = ctx, case_id
        self.today = today or dt.date.today()
        self.cf: CaseFile | None = None
        self.last_printed: printable.PrintedDocument | None = None
        self.resize(1180, 690)
        self.setMinimumSize(900, 560)

        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.header.setFont(font)
        self.actions_row = QHBoxLayout()
        self.print_button = QToolButton()
        self.print_button.setText("打印（Ctrl+P）")
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.print_menu = QMenu(self.print_button)
        self.print_button.setMenu(self.print_menu)
        QShortcut(QKeySequence("Ctrl+P"), self, self.print_button.showMenu)
        self.header.setWordWrap(True)  # read whole at any 字号; the buttons get a row of their own
        top = QVBoxLayout()
        top.addWidget(self.header)
        buttons_row = QHBoxLayout()
        buttons_row.addLayout(self.actions_row)
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.print_button)
        top.addLayout(buttons_row)

        self.registration_tab = RegistrationTab(self)
        self.parties_tab = PartiesTab(self)
        self.meetings_tab = MeetingsTab(self)
        self.agreement_tab = AgreementTab(self)
        self.follow_up_tab = FollowUpTab(self)
        self.file_tab = FileTab(self)
        self.history_tab = HistoryTab(self)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.registration_tab, "登记")
        self.tabs.addTab(self.parties_tab, "当事人")
        self.tabs.addTab(self.meetings_tab, "调解记录")
        self.tabs.addTab(self.agreement_tab, "协议")
        self.tabs.addTab(self.follow_up_tab, "回访")
        self.tabs.addTab(self.file_tab, "卷宗")
        self.tabs.addTab(self.history_tab, "历程")
        # The tabs' controls and actions that are used through the dialog.
        self.notice_label = self.registration_tab.notice_label
        self.town_save = self.registration_tab.town_save
        self.record_notice = self.registration_tab.record_notice
        self.session_add = self.meetings_tab.session_add
        self.ag_status = self.agreement_tab.ag_status
        self.history_list = self.history_tab.history_list
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.action_buttons: dict[str, QPushButton] = {}
        self._shortcuts: list[QShortcut] = []
        self.reload(audit_open=True)

    # -- helpers ---------------------------------------------------------------------------------
    def run(self, fn, *args, fields: dict | None = None, **kwargs):
        """Run a service in one unit of work; a UserError is shown and nothing is saved."""
        try:
            with self.ctx.work() as w:
                result = fn(w, *args, **kwargs)
        except UserError as exc:
            forms.show_error(self, exc, fields)
            return None
        self.ctx.data_changed.emit("mediation")
        self.reload()
        return result if result is not None else True

    def service(self, fn, *args, **kwargs):
        """For dialogs: run the service; a UserError propagates so the dialog stays open."""
        with self.ctx.work() as w:
            return fn(w, *args, **kwargs)

    def after_change(self) -> None:
        self.ctx.data_changed.emit("mediation")
        self.reload()

    @property
    def user_name(self) -> str:
        return self.ctx.user.display_name if self.ctx.user else ""

    def reload(self, *, audit_open: bool = False) -> None:
        with self.ctx.work() as w:
            self.cf = casefile.open_case(w, self.case_id, audit_open=audit_open)
            self.missing = agreement.agreement_missing_signatures(w, self.case_id)
        c = self.cf.case
        self.setWindowTitle(f"调解案件 {c.case_number}")
        self.header.setText(f"{c.case_number}　{c.title}　受理于 {day_text(c.accepted_on)}　【{c.state}】")
        self._fill_actions()
        self._fill_print_menu()
        self.registration_tab.fill()
        self.parties_tab.fill()
        self.meetings_tab.fill()
        self.agreement_tab.fill()
        self.follow_up_tab.fill()
        self.file_tab.fill()
        self.history_tab.fill()
        self._apply_ownership()

    def _apply_ownership(self) -> None:
        """At the town a village's case is read-only: only the town's handling of an escalated case is
        written here (the services refuse the rest as well)."""
        c = self.cf.case
        station = self.ctx.station
        foreign = c.village_code != station.code
        if not foreign and c.state != rules.ARCHIVED:
            return
        if foreign:
            self.header.setText(self.header.text() + "　（村调委会的案件：乡镇只读，可填写乡镇处理结果）")
        else:  # 已归档: the services refuse every change; the case is read, not greyed
            self.header.setText(self.header.text() + "　（已归档：只能查看和打印）")
        # what the town cannot use is not shown (a greyed button only hides what matters)
        for b in self.tabs.findChildren(QPushButton) + [
            self.actions_row.itemAt(i).widget() for i in range(self.actions_row.count())
        ]:
            if b is not None and b is not self.town_save:
                b.setEnabled(False)
                b.hide()
        for tab in (self.registration_tab, self.parties_tab, self.meetings_tab, self.agreement_tab):
            forms.set_read_only(tab, True)
        self.parties_tab.show_adding(False)
        self.town_save.setVisible(foreign and self.cf.case.state == rules.ESCALATED)
        for w in (
            self.registration_tab.town_handling,
            self.registration_tab.town_outcome,
            self.registration_tab.town_note,
        ):
            forms.set_read_only(w, False)

    # -- state actions -----------------------------------------------------------------------------
    def _fill_actions(self) -> None:
        while self.actions_row.count():
            w = self.actions_row.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for sc in self._shortcuts:
            sc.setEnabled(False)
            sc.deleteLater()
        self._shortcuts = []
        self.action_buttons = {}
        for n, t in enumerate(states.legal_actions(self.cf.case.state), start=1):
            b = QPushButton(f"{t.action}（Alt+{n}）")
            b.setToolTip(f"{t.source} → {t.target}")
            b.clicked.connect(lambda _=False, t=t: self.do_transition(t))
            self.actions_row.addWidget(b)
            self.action_buttons[t.target] = b
            self._shortcuts.append(QShortcut(QKeySequence(f"Alt+{n}"), self, b.click))

    def do_transition(self, t: rules.Transition, values: dict | None = None) -> bool:
        if values is None:
            # a refused step keeps the dialog open with what was typed (the reason is said over it), and
            # what was typed is kept as a draft until the step is taken
            volume_no = ""
            if t.target == rules.ARCHIVED:
                with self.ctx.work() as w:
                    volume_no = states.next_volume_no(w, self.case_id, self.today.year)
            dlg = forms.TransitionDialog(
                t, self, today=self.today, filed_by=self.user_name, volume_no=volume_no
            )
            dlg.on_accept = lambda v: self.service(states.change_state, self.case_id, t.target, **v)
            dlg.draft = FormDraft(dlg, self.ctx, f"mediation_step_{t.target}", self.case_id)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return False
            self.after_change()
            return True
        return bool(self.run(states.change_state, self.case_id, t.target, **values))

    # -- printing ---------------------------------------------------------------------------------
    def _fill_print_menu(self) -> None:
        self.print_menu.clear()
        self.print_menu.setToolTipsVisible(True)
        masked = not accounts.can(self.ctx.user, "reveal_resident_id")
        for key in printable.available(self.cf):
            act = self.print_menu.addAction(printable.DOCUMENTS[key])
            act.triggered.connect(lambda _=False, key=key: self.ask_print(key))
            if key in printable.FULL_ID_DOCUMENTS:
                act.setToolTip(
                    "身份证号将遮蔽打印：打印完整号码需要“查看完整身份证号”权限（管理员、乡镇工作人员）"
                    if masked
                    else "打印当事人完整身份证号（用于签名和司法确认），打印记入审计日志"
                )

    def ask_print(self, kind: str) -> None:
        name = (
            f"{self.cf.case.case_number}-{printable.DOCUMENTS[kind]}.pdf".replace("（", "")
            .replace("）", "-")
            .replace(" ", "")
        )
        path, _ = ask_save_file_name(self, "保存 PDF", name, "PDF 文件 (*.pdf)")
        if path:
            self.print_to(kind, Path(path))

    def print_to(self, kind: str, target: Path, *, open_after: bool = True):
        ws, user, case_id = self.ctx.workspace, self.ctx.user, self.case_id

        def work(progress):
            progress(0, 1, f"正在生成{printable.DOCUMENTS[kind]}…")
            from app.mediation import documents  # fpdf2 loads when something is printed

            with ws.work(user) as w:
                return documents.print_document(w, case_id, kind, target)

        def done(printed: printable.PrintedDocument) -> None:
            self.last_printed = printed
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(printed.path)))

        return run_in_background(self, "打印", work, done)
