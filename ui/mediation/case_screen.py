"""The case screen (卷宗): registration, parties, sessions, agreement, follow-ups, case file, history.

State actions appear as buttons only when the step is legal from the current state (Alt+1, Alt+2 …);
print buttons write the case's documents as PDF. Every change goes through ``app.mediation.cases``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import accounts
from app.documents import mediation as docs
from app.errors import UserError
from app.mediation import cases, rules

from ui.context import AppContext
from ui.mediation import forms
from ui.tasks import run_in_background
from ui.widgets.person_picker import PersonPicker


def _d(day: dt.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "—"


class CaseDialog(QDialog):
    """One case file. ``reload()`` reads it again (opening is audited once, on construction)."""

    def __init__(
        self, ctx: AppContext, case_id: str, parent: QWidget | None = None, *, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.case_id = ctx, case_id
        self.today = today or dt.date.today()
        self.cf: cases.CaseFile | None = None
        self.last_printed: docs.PrintedDocument | None = None
        self.resize(1180, 690)
        self.setMinimumSize(900, 560)

        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.header.setFont(font)
        self.actions_row = QHBoxLayout()
        self.print_button = QToolButton()
        self.print_button.setText("打印(Ctrl+P)")
        self.print_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.print_menu = QMenu(self.print_button)
        self.print_button.setMenu(self.print_menu)
        QShortcut(QKeySequence("Ctrl+P"), self, self.print_button.showMenu)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addLayout(self.actions_row)
        top.addWidget(self.print_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._registration_tab(), "登记")
        self.tabs.addTab(self._parties_tab(), "当事人")
        self.tabs.addTab(self._sessions_tab(), "调解记录")
        self.tabs.addTab(self._agreement_tab(), "协议")
        self.tabs.addTab(self._follow_up_tab(), "回访")
        self.tabs.addTab(self._file_tab(), "卷宗")
        self.tabs.addTab(self._history_tab(), "历程")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.action_buttons: dict[str, QPushButton] = {}
        self._shortcuts: list[QShortcut] = []
        self.reload(audit_open=True)

    # -- helpers ---------------------------------------------------------------------------------
    def _run(self, fn, *args, fields: dict | None = None, **kwargs):
        """Run a service in one unit of work; a UserError is shown and nothing is saved."""
        try:
            with self.ctx.session() as s:
                result = fn(s, self.ctx.user, *args, **kwargs)
        except UserError as exc:
            forms.show_error(self, exc, fields)
            return None
        self.ctx.data_changed.emit("mediation")
        self.reload()
        return result if result is not None else True

    @property
    def user_name(self) -> str:
        return self.ctx.user.display_name if self.ctx.user else ""

    def reload(self, *, audit_open: bool = False) -> None:
        with self.ctx.session() as s:
            self.cf = cases.open_case(s, self.ctx.user, self.case_id, audit_open=audit_open)
            self.missing = cases.agreement_missing_signatures(s, self.case_id)
        c = self.cf.case
        self.setWindowTitle(f"调解案件 {c.case_number}")
        self.header.setText(f"{c.case_number}　{c.title}　受理于 {_d(c.accepted_on)}　【{c.state}】")
        self._fill_actions()
        self._fill_print_menu()
        self._fill_registration()
        self._fill_parties()
        self._fill_sessions()
        self._fill_agreement()
        self._fill_follow_ups()
        self._fill_file()
        self._fill_history()
        self._apply_ownership()

    def _apply_ownership(self) -> None:
        """At the town a village's case is read-only: only the town's handling of an escalated case is
        written here (the services refuse the rest as well)."""
        c = self.cf.case
        station = self.ctx.station
        if c.village_code == station.code:
            return
        self.header.setText(self.header.text() + "　（村调委会的案件：乡镇只读，可填写乡镇处理结果）")
        for b in self.tabs.findChildren(QPushButton) + [
            self.actions_row.itemAt(i).widget() for i in range(self.actions_row.count())
        ]:
            if b is not None and b is not self.town_save:
                b.setEnabled(False)
        self.reg.setEnabled(False)

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
        for n, t in enumerate(cases.legal_actions(self.cf.case.state), start=1):
            b = QPushButton(f"{t.action}(Alt+{n})")
            b.setToolTip(f"{t.source} → {t.target}")
            b.clicked.connect(lambda _=False, t=t: self.do_transition(t))
            self.actions_row.addWidget(b)
            self.action_buttons[t.target] = b
            self._shortcuts.append(QShortcut(QKeySequence(f"Alt+{n}"), self, b.click))

    def do_transition(self, t: rules.Transition, values: dict | None = None) -> bool:
        if values is None:
            dlg = forms.TransitionDialog(t, self, today=self.today, filed_by=self.user_name)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return False
            values = dlg.values()
        return bool(self._run(cases.change_state, self.case_id, t.target, **values))

    # -- printing ---------------------------------------------------------------------------------
    def _fill_print_menu(self) -> None:
        self.print_menu.clear()
        for key in docs.available(self.cf):
            act = self.print_menu.addAction(docs.DOCUMENTS[key])
            act.triggered.connect(lambda _=False, key=key: self.ask_print(key))

    def ask_print(self, kind: str) -> None:
        name = (
            f"{self.cf.case.case_number}-{docs.DOCUMENTS[kind]}.pdf".replace("（", "")
            .replace("）", "-")
            .replace(" ", "")
        )
        path, _ = QFileDialog.getSaveFileName(self, "保存 PDF", str(Path.home() / name), "PDF 文件 (*.pdf)")
        if path:
            self.print_to(kind, Path(path))

    def print_to(self, kind: str, target: Path, *, open_after: bool = True):
        ws, user, case_id = self.ctx.workspace, self.ctx.user, self.case_id

        def work(progress):
            progress(0, 1, f"正在生成{docs.DOCUMENTS[kind]}…")
            with ws.session(user.id if user else None) as s:
                return docs.print_document(s, user, case_id, kind, target, attachments_dir=ws.attachments_dir)

        def done(printed: docs.PrintedDocument) -> None:
            self.last_printed = printed
            if open_after:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(printed.path)))

        return run_in_background(self, "打印", work, done)

    # -- 登记 -------------------------------------------------------------------------------------------
    def _registration_tab(self) -> QWidget:
        w = QWidget()
        with self.ctx.session() as s:
            types = cases.dispute_types(s)
        self.reg = forms.RegistrationForm(types, w, with_date=False)
        self.reg_save = QPushButton("保存登记(Ctrl+S)")
        self.reg_save.clicked.connect(self.save_registration)
        QShortcut(
            QKeySequence("Ctrl+S"),
            w,
            self.save_registration,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.notice_label = QLabel()
        self.notice_button = QPushButton("记录已告知权利义务")
        self.notice_button.clicked.connect(self.record_notice)
        self.town_box = QGroupBox("上报与乡镇处理")
        tf = QFormLayout(self.town_box)
        self.town_info = forms.align_top(QLabel())
        self.town_handling = QLineEdit()
        self.town_outcome = forms.combo(rules.TOWN_OUTCOMES)
        self.town_note = QLineEdit()
        self.town_save = QPushButton("保存乡镇处理结果")
        self.town_save.clicked.connect(self.save_town_handling)
        tf.addRow(self.town_info)
        tf.addRow("处理情况", self.town_handling)
        tf.addRow("处理结果", self.town_outcome)
        tf.addRow("说明", self.town_note)
        tf.addRow(self.town_save)
        notice = QHBoxLayout()
        notice.addWidget(QLabel("权利义务告知："))
        notice.addWidget(self.notice_label, 1)
        notice.addWidget(self.notice_button)
        lay = QVBoxLayout(w)
        lay.addWidget(self.reg)
        bottom = QHBoxLayout()
        bottom.addLayout(notice, 1)
        bottom.addWidget(self.reg_save)
        lay.addLayout(bottom)
        lay.addWidget(self.town_box)
        return w

    def _fill_registration(self) -> None:
        c = self.cf.case
        self.reg.set_values(c)
        archived = c.state == rules.ARCHIVED
        self.reg.setEnabled(not archived)
        self.reg_save.setEnabled(not archived)
        self.notice_label.setText(
            f"已于 {_d(c.rights_notice_on)} 由{c.rights_notice_by}{c.rights_notice_method}"
            if c.rights_notice_on
            else "尚未告知（告知后才能记录调解）"
        )
        self.notice_button.setEnabled(c.state in rules.OPEN_STATES)
        is_town = self.ctx.is_town
        self.town_box.setVisible(bool(c.escalated_to) or is_town)
        info = (
            f"上报{c.escalated_to}（{_d(c.escalated_on)}）：{c.escalation_reason}"
            if c.escalated_to
            else "未上报"
        )
        if c.town_outcome:
            info += f"\n乡镇处理：{c.town_handling}；结果：{c.town_outcome} {c.town_outcome_note}（{c.town_handler}，{_d(c.town_handled_on)}）"
        self.town_info.setText(info)
        can_edit_town = is_town and c.state == rules.ESCALATED
        for wdg in (self.town_handling, self.town_outcome, self.town_note, self.town_save):
            wdg.setVisible(can_edit_town)

    def save_registration(self) -> None:
        v = self.reg.values()
        v.pop("accepted_on")  # the number depends on it: fixed at registration
        v["registrar"] = v["registrar"] or ""
        self._run(cases.update_case, self.case_id, fields=self.reg.fields, **v)

    def record_notice(self) -> None:
        self._run(cases.record_rights_notice, self.case_id, given_on=self.today, given_by=self.user_name)

    def save_town_handling(self) -> None:
        self._run(
            cases.record_town_handling,
            self.case_id,
            handling=self.town_handling.text(),
            outcome=self.town_outcome.currentText(),
            handled_on=self.today,
            note=self.town_note.text(),
        )

    # -- 当事人 ------------------------------------------------------------------------------------------
    def _parties_tab(self) -> QWidget:
        w = QWidget()
        self.party_role = forms.combo(rules.PARTY_ROLES)
        self.party_picker = PersonPicker(
            self.ctx.session, w, placeholder="从名册添加：输入姓名、拼音首字母或身份证后几位"
        )
        self.party_picker.person_chosen.connect(self.add_roster_party)
        self.outside_button = QPushButton("添加名册外当事人/单位…")
        self.outside_button.clicked.connect(self.add_outside_party)
        self.party_list = QListWidget()
        self.party_remove = QPushButton("移除当事人")
        self.party_remove.clicked.connect(self.remove_party)
        self.mediator_list = QListWidget()
        self.mediator_user = QComboBox()
        self.mediator_add = QPushButton("添加为调解员")
        self.mediator_add.clicked.connect(self.add_user_mediator)
        self.mediator_name = QLineEdit()
        self.mediator_name.setPlaceholderText("外聘调解员姓名（乡贤、律师等）")
        self.mediator_name.returnPressed.connect(self.add_named_mediator)
        self.mediator_remove = QPushButton("移除调解员")
        self.mediator_remove.clicked.connect(self.remove_mediator)
        with self.ctx.session() as s:
            for u in accounts.local_users(s, include_inactive=False):
                self.mediator_user.addItem(u.display_name, u.id)
        add = QHBoxLayout()
        add.addWidget(QLabel("身份"))
        add.addWidget(self.party_role)
        add.addWidget(self.party_picker, 1)
        add.addWidget(self.outside_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("当事人"))
        left.addLayout(add)
        left.addWidget(self.party_list, 1)
        left.addWidget(self.party_remove)
        right = QVBoxLayout()
        right.addWidget(QLabel("调解员"))
        row = QHBoxLayout()
        row.addWidget(self.mediator_user, 1)
        row.addWidget(self.mediator_add)
        right.addLayout(row)
        right.addWidget(self.mediator_name)
        right.addWidget(self.mediator_list, 1)
        right.addWidget(self.mediator_remove)
        lay = QHBoxLayout(w)
        lay.addLayout(left, 3)
        lay.addLayout(right, 2)
        return w

    def _fill_parties(self) -> None:
        from app.codes import mask_resident_id

        self.party_list.clear()
        for p in self.cf.parties:
            bits = [f"{p.role}：{p.name}"]
            if p.kind == "单位":
                bits.append(f"（单位，代表人 {p.representative or ''}）")
            else:
                bits.append(
                    " ".join(x for x in (p.sex or "", p.ethnicity or "", mask_resident_id(p.id_number)) if x)
                )
            bits.append(" ".join(x for x in (p.phone or "", p.address) if x))
            if p.person_id:
                bits.append("［名册］")
            item = QListWidgetItem("　".join(b for b in bits if b))
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.party_list.addItem(item)
        self.mediator_list.clear()
        for m in self.cf.mediators:
            item = QListWidgetItem(
                m.name + ("（主持）" if m.is_lead else "") + ("" if m.user_id else "（外聘）")
            )
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.mediator_list.addItem(item)

    def add_roster_party(self, hit) -> None:
        self._run(cases.add_party, self.case_id, role=self.party_role.currentText(), person_id=hit.id)

    def add_outside_party(self) -> None:
        dlg = forms.PartyDialog(self)
        dlg.on_accept = lambda v: self._service(cases.add_party, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._after_change()

    def _service(self, fn, *args, **kwargs):
        """For dialogs: run the service; a UserError propagates so the dialog stays open."""
        with self.ctx.session() as s:
            return fn(s, self.ctx.user, *args, **kwargs)

    def _after_change(self) -> None:
        self.ctx.data_changed.emit("mediation")
        self.reload()

    def remove_party(self) -> None:
        item = self.party_list.currentItem()
        if item is not None:
            self._run(cases.remove_party, item.data(Qt.ItemDataRole.UserRole))

    def add_user_mediator(self) -> None:
        user_id = self.mediator_user.currentData()
        if user_id:
            self._run(cases.add_mediator, self.case_id, user_id=user_id, is_lead=not self.cf.mediators)

    def add_named_mediator(self) -> None:
        if self._run(
            cases.add_mediator, self.case_id, name=self.mediator_name.text(), is_lead=not self.cf.mediators
        ):
            self.mediator_name.clear()

    def remove_mediator(self) -> None:
        item = self.mediator_list.currentItem()
        if item is not None:
            self._run(cases.remove_mediator, item.data(Qt.ItemDataRole.UserRole))

    # -- 调解记录 ----------------------------------------------------------------------------------------
    def _sessions_tab(self) -> QWidget:
        w = QWidget()
        self.session_list = QListWidget()
        self.session_list.currentRowChanged.connect(self._show_session)
        self.session_detail = forms.align_top(QLabel())
        self.session_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_add = QPushButton("新增调解记录(Ctrl+N)")
        self.session_add.clicked.connect(self.add_session)
        QShortcut(
            QKeySequence("Ctrl+N"), w, self.add_session, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        self.session_sign = QPushButton("登记签名…")
        self.session_sign.clicked.connect(self.sign_session)
        left = QVBoxLayout()
        left.addWidget(self.session_list, 1)
        left.addWidget(self.session_add)
        left.addWidget(self.session_sign)
        lay = QHBoxLayout(w)
        lay.addLayout(left, 1)
        lay.addWidget(self.session_detail, 2)
        return w

    def _fill_sessions(self) -> None:
        self.session_list.clear()
        for rec in self.cf.sessions:
            self.session_list.addItem(
                f"第 {rec.seq} 次　{rec.held_at:%Y-%m-%d %H:%M}　{rec.place}　{rec.result}"
            )
        if self.cf.sessions:
            self.session_list.setCurrentRow(len(self.cf.sessions) - 1)
        else:
            self.session_detail.setText("还没有调解记录。先在“登记”页记录已告知权利义务，再点“开始调解”。")
        self.session_add.setEnabled(self.cf.case.state == rules.IN_MEDIATION)
        self.session_sign.setEnabled(bool(self.cf.sessions) and self.cf.case.state != rules.ARCHIVED)

    def _show_session(self, row: int) -> None:
        if not 0 <= row < len(self.cf.sessions):
            return
        rec = self.cf.sessions[row]
        sigs = [s for s in self.cf.signatures if s.document_id == rec.id]
        self.session_detail.setText(
            "\n".join(
                [
                    f"时间：{rec.held_at:%Y-%m-%d %H:%M}　地点：{rec.place}",
                    f"调解事项：{rec.subject}",
                    f"参加人：{rec.participants}",
                    f"到场当事人：{rec.parties_present}",
                    f"当事人陈述：{rec.statements}",
                    f"调查核实：{rec.verification}",
                    f"风险告知：{rec.risk_notice}",
                    f"调解结果：{rec.result} {rec.result_detail}",
                    f"调解员：{rec.mediator_name}　记录人：{rec.recorder_name}",
                    "签名：" + ("、".join(f"{s.signer_name}（{s.method}）" for s in sigs) or "尚未登记"),
                ]
            )
        )

    def add_session(self) -> None:
        if self.cf.case.state != rules.IN_MEDIATION:
            return
        dlg = forms.SessionDialog(
            self, mediator=self.user_name, parties="、".join(p.name for p in self.cf.parties)
        )
        dlg.on_accept = lambda v: self._service(cases.add_session, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._after_change()

    def _signers(self, with_seal: bool) -> list[tuple[str, str | None, str]]:
        signers = [("当事人", p.id, p.name) for p in self.cf.parties]
        signers.append(("调解员", None, self.cf.mediators[0].name if self.cf.mediators else self.user_name))
        signers.append(("记录人", None, ""))
        if with_seal:
            signers.append(("委员会", None, self.cf.committee_name))
        return signers

    def _sign(self, table: str, document_id: str, with_seal: bool, day: dt.date) -> None:
        dlg = forms.SignatureDialog(self._signers(with_seal), self, day=day)
        dlg.on_accept = lambda v: self._service(
            cases.sign,
            document_table=table,
            document_id=document_id,
            attachments_dir=self.ctx.workspace.attachments_dir,
            **v,
        )
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._after_change()

    def sign_session(self) -> None:
        row = self.session_list.currentRow()
        if 0 <= row < len(self.cf.sessions):
            rec = self.cf.sessions[row]
            self._sign("mediation_session", rec.id, False, rec.held_at.date())

    # -- 协议 ------------------------------------------------------------------------------------------
    def _agreement_tab(self) -> QWidget:
        w = QWidget()
        f = QFormLayout()
        self.ag_kind = forms.combo(("书面", "口头"))
        self.ag_reached = forms.date_edit(self.today)
        self.ag_facts = forms.text_box(40)
        self.ag_issues = forms.text_box(40)
        self.ag_resp = forms.text_box(40)
        self.ag_terms = forms.text_box(60)
        self.ag_manner = QLineEdit()
        self.ag_has_deadline = QCheckBox("有履行期限")
        self.ag_deadline = forms.date_edit(self.today + dt.timedelta(days=15))
        self.ag_amount = QLineEdit()
        self.ag_recorder = QLineEdit()
        row = QHBoxLayout()
        row.addWidget(self.ag_kind)
        row.addWidget(QLabel("达成日期"))
        row.addWidget(self.ag_reached)
        row.addWidget(QLabel("金额（元）"))
        row.addWidget(self.ag_amount)
        row.addWidget(QLabel("记录人"))
        row.addWidget(self.ag_recorder)
        row.addStretch(1)
        f.addRow("协议形式", row)
        f.addRow("纠纷主要事实", self.ag_facts)
        f.addRow("争议事项", self.ag_issues)
        f.addRow("各方责任", self.ag_resp)
        f.addRow("协议内容", self.ag_terms)
        dl = QHBoxLayout()
        dl.addWidget(self.ag_manner, 1)
        dl.addWidget(self.ag_has_deadline)
        dl.addWidget(self.ag_deadline)
        f.addRow("履行方式", dl)
        self.ag_save = QPushButton("保存协议")
        self.ag_save.clicked.connect(self.save_agreement)
        self.ag_status = forms.align_top(QLabel())
        self.ag_sign = QPushButton("登记签名/盖章…")
        self.ag_sign.clicked.connect(self.sign_agreement)
        self.ag_judicial = QPushButton("当事人已申请司法确认")
        self.ag_judicial.clicked.connect(self.apply_judicial)
        bottom = QHBoxLayout()
        bottom.addWidget(self.ag_status, 1)
        bottom.addWidget(self.ag_save)
        bottom.addWidget(self.ag_sign)
        bottom.addWidget(self.ag_judicial)
        self.ag_fields = {
            "kind": self.ag_kind,
            "reached_on": self.ag_reached,
            "facts": self.ag_facts,
            "issues": self.ag_issues,
            "terms": self.ag_terms,
            "amount": self.ag_amount,
            "performance_deadline": self.ag_deadline,
        }
        lay = QVBoxLayout(w)
        lay.addLayout(f)
        lay.addLayout(bottom)
        return w

    def _fill_agreement(self) -> None:
        from PySide6.QtCore import QDate

        ag, c = self.cf.agreement, self.cf.case
        if ag is not None:
            self.ag_kind.setCurrentText(ag.kind)
            self.ag_reached.setDate(QDate(ag.reached_on.year, ag.reached_on.month, ag.reached_on.day))
            self.ag_facts.setPlainText(ag.facts)
            self.ag_issues.setPlainText(ag.issues)
            self.ag_resp.setPlainText(ag.responsibilities)
            self.ag_terms.setPlainText(ag.terms)
            self.ag_manner.setText(ag.performance_manner)
            self.ag_has_deadline.setChecked(ag.performance_deadline is not None)
            if ag.performance_deadline:
                d = ag.performance_deadline
                self.ag_deadline.setDate(QDate(d.year, d.month, d.day))
            self.ag_amount.setText(f"{cases.fen_to_yuan(ag.amount_fen)}")
            self.ag_recorder.setText(ag.recorder)
            lines = [f"协议编号 {ag.number}"]
            if ag.effective_on:
                lines.append(f"已于 {_d(ag.effective_on)} 生效")
                if ag.kind == "书面":
                    deadline = rules.judicial_deadline(ag.effective_on)
                    left = (deadline - self.today).days
                    lines.append(
                        f"司法确认申请期限 {_d(deadline)}"
                        + (f"（还剩 {left} 天）" if left >= 0 else "（已过）")
                        if not c.judicial_applied_on
                        else f"已于 {_d(c.judicial_applied_on)} 申请司法确认"
                    )
            else:
                lines.append("尚未生效，还缺：" + "、".join(self.missing))
            self.ag_status.setText("；".join(lines))
        else:
            self.ag_facts.setPlainText(c.facts)
            self.ag_status.setText(
                "尚无协议。调解达成一致后在此填写，书面协议需各方签名、调解员签名并加盖调委会印章后生效。"
            )
        editable = c.state in (rules.IN_MEDIATION, rules.SUCCEEDED)
        self.ag_save.setEnabled(editable)
        self.ag_sign.setEnabled(ag is not None and ag.kind == "书面" and c.state != rules.ARCHIVED)
        self.ag_judicial.setEnabled(
            ag is not None and ag.kind == "书面" and ag.effective_on is not None and not c.judicial_applied_on
        )

    def save_agreement(self) -> None:
        self._run(
            cases.save_agreement,
            self.case_id,
            fields=self.ag_fields,
            kind=self.ag_kind.currentText(),
            reached_on=forms.date_of(self.ag_reached),
            terms=self.ag_terms.toPlainText(),
            facts=self.ag_facts.toPlainText(),
            issues=self.ag_issues.toPlainText(),
            responsibilities=self.ag_resp.toPlainText(),
            performance_manner=self.ag_manner.text(),
            performance_deadline=forms.date_of(self.ag_deadline)
            if self.ag_has_deadline.isChecked()
            else None,
            amount=self.ag_amount.text() or 0,
            recorder=self.ag_recorder.text(),
        )

    def sign_agreement(self) -> None:
        ag = self.cf.agreement
        if ag is not None:
            self._sign("mediation_agreement", ag.id, True, ag.reached_on)

    def apply_judicial(self) -> None:
        self._run(cases.apply_judicial_confirmation, self.case_id, applied_on=self.today)

    # -- 回访 ------------------------------------------------------------------------------------------
    def _follow_up_tab(self) -> QWidget:
        w = QWidget()
        self.follow_list = QListWidget()
        self.follow_add = QPushButton("填写回访记录…")
        self.follow_add.clicked.connect(self.add_follow_up)
        lay = QVBoxLayout(w)
        lay.addWidget(self.follow_list, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.follow_add)
        lay.addLayout(row)
        return w

    def _fill_follow_ups(self) -> None:
        self.follow_list.clear()
        for f in self.cf.follow_ups:
            if f.visited_on:
                self.follow_list.addItem(
                    f"{_d(f.visited_on)} 回访（协议 {f.agreement_number}）：{f.performance}；"
                    f"{f.satisfaction}；回访人 {f.visitor}"
                )
            else:
                self.follow_list.addItem(f"计划 {_d(f.due_on)} 回访（协议 {f.agreement_number}）")
        self.follow_add.setEnabled(self.cf.agreement is not None and self.cf.case.state != rules.ARCHIVED)

    def add_follow_up(self) -> None:
        dlg = forms.FollowUpDialog(self, visitor=self.user_name)
        dlg.on_accept = lambda v: self._service(cases.record_follow_up, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._after_change()

    # -- 卷宗 ------------------------------------------------------------------------------------------
    def _file_tab(self) -> QWidget:
        w = QWidget()
        self.items_table = QTableWidget(0, 4)
        self.items_table.setHorizontalHeaderLabels(["材料", "必备", "已入卷", "页数"])
        self.items_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.items_table.setColumnWidth(1, 60)
        self.items_table.setColumnWidth(2, 60)
        self.items_table.setColumnWidth(3, 90)
        self.items_save = QPushButton("保存卷内目录")
        self.items_save.clicked.connect(self.save_items)
        self.cover_label = forms.align_top(QLabel())
        self.attach_list = QListWidget()
        self.attach_add = QPushButton("添加附件（扫描件、证据）…")
        self.attach_add.clicked.connect(self.add_attachment)
        left = QVBoxLayout()
        left.addWidget(self.items_table, 1)
        left.addWidget(self.items_save)
        right = QVBoxLayout()
        right.addWidget(self.cover_label)
        right.addWidget(QLabel("附件"))
        right.addWidget(self.attach_list, 1)
        right.addWidget(self.attach_add)
        lay = QHBoxLayout(w)
        lay.addLayout(left, 3)
        lay.addLayout(right, 2)
        return w

    def _fill_file(self) -> None:
        items = self.cf.items
        self.items_table.setRowCount(len(items))
        archived = self.cf.case.state == rules.ARCHIVED
        self.item_widgets = []
        for r, it in enumerate(items):
            name = QTableWidgetItem(it.title + ("（系统已有）" if it.auto else ""))
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.items_table.setItem(r, 0, name)
            req = QTableWidgetItem("必备" if it.required else "")
            req.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.items_table.setItem(r, 1, req)
            cb = QCheckBox()
            cb.setChecked(it.present)
            cb.setEnabled(not archived and not it.auto)
            pages = QSpinBox()
            pages.setRange(0, 999)
            pages.setValue(it.pages)
            pages.setEnabled(not archived)
            self.items_table.setCellWidget(r, 2, cb)
            self.items_table.setCellWidget(r, 3, pages)
            self.item_widgets.append((it, cb, pages))
        self.items_save.setEnabled(not archived)
        c = self.cf.case
        self.cover_label.setText(
            f"卷号：{c.volume_no or '（归档时填写）'}\n立卷人：{c.filed_by or ''}\n立卷日期：{_d(c.filed_on)}\n"
            f"保管期限：{c.retention or ''}"
        )
        self.attach_list.clear()
        with self.ctx.session() as s:
            for a in cases.case_attachments(s, self.ctx.user, self.case_id):
                self.attach_list.addItem(f"{a.filename}（{a.size // 1024} KB）{a.note or ''}")

    def save_items(self) -> None:
        def save(s, user, case_id):
            for it, cb, pages in self.item_widgets:
                if (cb.isChecked() and not it.auto) != (
                    it.present and not it.auto
                ) or pages.value() != it.pages:
                    cases.set_file_item(
                        s,
                        user,
                        case_id,
                        it.key,
                        present=cb.isChecked() or it.auto,
                        pages=pages.value(),
                        note=it.note,
                    )
            return True

        self._run(save, self.case_id)

    def add_attachment(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "选择附件", "", "扫描件或照片 (*.pdf *.jpg *.jpeg *.png);;所有文件 (*)"
        )
        if path:
            self.attach(Path(path))

    def attach(self, path: Path) -> None:
        self._run(
            lambda s, user, case_id: cases.attach_to_case(
                s, user, self.ctx.workspace.attachments_dir, case_id, path
            ),
            self.case_id,
        )

    # -- 历程 ------------------------------------------------------------------------------------------
    def _history_tab(self) -> QWidget:
        w = QWidget()
        self.history_list = QListWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(self.history_list)
        return w

    def _fill_history(self) -> None:
        self.history_list.clear()
        for t in self.cf.transitions:
            step = f"{t.from_state} → {t.to_state}" if t.from_state else t.to_state
            self.history_list.addItem(
                f"{_d(t.on_date)}　{step}　{t.by_name}（记录于 {t.at:%Y-%m-%d %H:%M} UTC）"
                + (f"　{t.note}" if t.note else "")
            )
