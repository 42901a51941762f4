"""Small dialogs of the diary: acknowledgement, amendment, demand reply/close, 上报乡镇 and the town's
reply (交办), the resident's 点评, must-visit event, print month."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db import vocab

from app.dates import cn_time
from app.diary import acknowledgement, demands, entries, referral, visits
from app.errors import UserError
from app.work import Work

from ui.app import at_font_size, font_factor, scaled_font
from ui.context import AppContext
from ui.dates import date_edit, pydate
from ui.diary.signature_pad import SignaturePad
from ui.file_dialogs import ask_open_file_name, ask_save_file_name
from ui.widgets.fit import FitsScreen
from ui.widgets.person_picker import PersonPicker, describe
from ui.widgets.service_dialog import ServiceDialog


class _ServiceDialog(ServiceDialog):
    changes = "diary"


class AcknowledgeDialog(_ServiceDialog):
    """群众签字认可: the text being acknowledged in large type (scrollable), then sign on the pad, attach
    a photo of the paper signature, or record a refusal. "打印本条" prints the entry with a signature
    line for a paper signature."""

    def __init__(
        self,
        ctx: AppContext,
        entry_id: str,
        default_signer: str = "",
        parent: QWidget | None = None,
        *,
        offered: bool = False,
    ) -> None:
        super().__init__(ctx, "请群众签字认可", parent)
        self.entry_id = entry_id
        self.photo_path: Path | None = None
        self.printed: Path | None = None
        with ctx.work() as w:
            detail = entries.entry_detail(w, entry_id)
        if not default_signer:
            default_signer = next((p.person_name or p.head_name for p in detail.participants), "")
        intro = QLabel("请群众核对下面记下的内容，确认无误后签字：", self)
        scaled_font(intro, 1.2)
        self.text = QTextBrowser(self)
        self.text.setObjectName("acknowledged_text")
        self.text.setHtml(acknowledged_html(detail))
        self.text.setMinimumHeight(120)  # it scrolls; the dialog opens taller when the screen has room
        self.tabs = QTabWidget(self)
        sign = QWidget(self.tabs)
        self.pad = SignaturePad(sign)
        clear = QPushButton("清除重签", sign)
        clear.clicked.connect(self.pad.clear)
        v = QVBoxLayout(sign)
        v.addWidget(QLabel("请群众在下框内签名（可用鼠标、手写笔或手指）："))
        v.addWidget(self.pad, 1)
        v.addWidget(clear, 0, Qt.AlignmentFlag.AlignRight)
        self.pad.setMaximumHeight(at_font_size(170))  # the text being signed gets the room
        paper = QWidget(self.tabs)
        self.photo_label = QLabel("还没有选择照片", paper)
        choose = QPushButton("选择纸质签字的照片或扫描件…", paper)
        choose.clicked.connect(self._choose_photo)
        pv = QVBoxLayout(paper)
        pv.addWidget(QLabel("群众已在打印的民情日记上签字（“打印本条…”）：拍照或扫描后附上。"))
        pv.addWidget(choose, 0, Qt.AlignmentFlag.AlignLeft)
        pv.addWidget(self.photo_label)
        pv.addStretch(1)
        refuse = QWidget(self.tabs)
        self.reason = QPlainTextEdit(refuse)
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("群众不愿签字的原因，如实记录")
        rv = QVBoxLayout(refuse)
        rv.addWidget(QLabel("拒签原因："))
        rv.addWidget(self.reason)
        self.tabs.addTab(sign, "当场签字")
        self.tabs.addTab(paper, "纸质签字照片")
        self.tabs.addTab(refuse, "拒签")
        self.signer = QLineEdit(default_signer, self)
        self.relation = QComboBox(self)
        self.relation.setEditable(True)
        self.relation.addItems(["本人", "配偶", "子女", "父母", "其他家属"])
        self.body.insertWidget(0, intro)
        self.body.insertWidget(1, self.text, 3)
        self.form.addRow(self.tabs)
        self.form.addRow("签字人(&N)", self.signer)
        self.form.addRow("与走访对象关系", self.relation)
        self.print_button = self.buttons.addButton("打印本条(&P)…", QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setToolTip("打印这一篇日记（A4，带签字栏），请群众在纸上签字")
        self.print_button.clicked.connect(self.print_entry)
        if offered:  # right after saving: signing later stays possible from the diary list
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("稍后再签")
        self.resize(820, 660)

    def print_entry(self) -> None:
        self.printed = print_entry_pdf(self.ctx, self.entry_id, self)
        if self.printed is not None:
            self.tabs.setCurrentIndex(1)  # next: the photo of the signed sheet

    def _choose_photo(self) -> None:
        path, _ = ask_open_file_name(self, "选择照片或扫描件", "", "图片 (*.jpg *.jpeg *.png);;所有文件 (*)")
        if path:
            self.photo_path = Path(path)
            self.photo_label.setText(self.photo_path.name)

    def method(self) -> str:
        return acknowledgement.ACK_METHODS[self.tabs.currentIndex()]  # the tabs in the same order

    def apply(self, work: Work) -> None:
        acknowledgement.acknowledge(
            work,
            self.entry_id,
            method=self.method(),
            signer_name=self.signer.text(),
            signer_relation=self.relation.currentText(),
            signature_png=self.pad.to_png(),
            photo_path=self.photo_path,
            refusal_reason=self.reason.toPlainText(),
        )


def acknowledged_html(detail: entries.EntryDetail) -> str:
    """The text being acknowledged, in large type (larger at a larger 字号): the same sections as the
    printed sheet."""
    head = f"{cn_time(detail.occurred_at)}　{detail.kind_label}　{detail.place}".rstrip("　")
    rows = "".join(
        f"<p style='margin: 6px 0'><b>{html.escape(label)}：</b>{html.escape(text)}</p>"
        for label, text in entries.entry_sections(detail)
    )
    return (
        f"<div style='font-size: {16 * font_factor():.0f}pt; line-height: 150%'>"
        f"<p style='color:#444'>{html.escape(head)}"
        f"　记录干部：{html.escape(detail.cadre_name)}</p>{rows}</div>"
    )


def print_entry_pdf(ctx: AppContext, entry_id: str, parent: QWidget) -> Path | None:
    """打印本条: save the single-entry PDF where the user chooses, then open it to print."""
    from app.diary import documents  # the PDF library loads when something is printed (docs/architecture.md)

    with ctx.work() as w:
        detail = entries.entry_detail(w, entry_id)
    who = next((p.head_name for p in detail.participants), "")
    path, _ = ask_save_file_name(
        parent, "保存 PDF", f"民情日记-{who}-{detail.occurred_at:%Y%m%d}.pdf", "PDF (*.pdf)"
    )
    if not path:
        return None
    try:
        with ctx.work() as w:
            printed = documents.print_entry(w, Path(path), entry_id, village_name=ctx.station.name)
    except UserError as exc:
        QMessageBox.warning(parent, "打印本条", exc.message)
        return None
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(printed.path)))
    return printed.path


class AmendDialog(_ServiceDialog):
    """补记 to a signed entry: the original stays as signed."""

    def __init__(self, ctx: AppContext, entry_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "补记（签字后的更正或补充）", parent)
        self.keep_draft("diary_amend", entry_id)
        self.entry_id = entry_id
        self.field = QComboBox(self)
        self.field.addItem("整篇", "")
        for key in (
            "situation",
            "difficulties",
            "demands",
            "actions",
            "follow_up",
            "participants",
            "occurred_at",
        ):
            self.field.addItem(entries.FIELD_LABELS[key], key)
        self.text = QPlainTextEdit(self)
        self.text.setTabChangesFocus(True)
        self.reason = QLineEdit(self)
        self.form.addRow(QLabel("原文保持群众签字时的样子，补记写在原文旁边。"))
        self.form.addRow("针对", self.field)
        self.form.addRow("补记内容(&T)", self.text)
        self.form.addRow("原因", self.reason)
        self.resize(520, 320)

    def apply(self, work: Work) -> None:
        entries.add_amendment(
            work,
            self.entry_id,
            self.text.toPlainText(),
            reason=self.reason.text(),
            field_name=self.field.currentData(),
        )


class _DemandDialog(_ServiceDialog):
    """A form about one demand (答复, 办结, 点评, 上报, 乡镇答复): what is typed is kept as a draft of
    ``form`` for that demand."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        title: str,
        form: str,
        parent: QWidget | None,
        today: dt.date | None,
    ) -> None:
        super().__init__(ctx, title, parent)
        self.keep_draft(form, demand.id)
        self.demand, self.today = demand, today or dt.date.today()


class ReplyDialog(_DemandDialog):
    """待办 → 已答复."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        parent: QWidget | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(ctx, demand, "答复群众诉求", "demand_reply", parent, today)
        self.handling = QPlainTextEdit(demand.handling, self)
        self.handling.setTabChangesFocus(True)
        self.reply = QPlainTextEdit(self)
        self.reply.setTabChangesFocus(True)
        self.replied_on = date_edit(self.today, self)
        self.replied_by = QLineEdit(ctx.user.display_name if ctx.user else "", self)
        self.form.addRow("诉求", QLabel(f"［{demand.category}］{demand.content}"))
        self.form.addRow("办理情况", self.handling)
        self.form.addRow("答复内容(&R)", self.reply)
        self.form.addRow("答复日期", self.replied_on)
        self.form.addRow("答复人", self.replied_by)
        self.resize(520, 360)

    def apply(self, work: Work) -> None:
        demands.reply_demand(
            work,
            self.demand.id,
            reply=self.reply.toPlainText(),
            replied_on=pydate(self.replied_on.date()),
            replied_by=self.replied_by.text(),
            handling=self.handling.toPlainText(),
            today=self.today,
        )


def _demand_label(demand: demands.DemandInfo, parent: QWidget) -> QLabel:
    label = QLabel(f"［{demand.category}］{demand.content}", parent)
    label.setWordWrap(True)
    return label


def _radios(values: tuple[str, ...], parent: QWidget, name: str) -> tuple[QWidget, QButtonGroup]:
    box = QWidget(parent)
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    group = QButtonGroup(box)
    for n, value in enumerate(values):
        b = QRadioButton(value, box)
        b.setAccessibleName(f"{name}：{value}")
        group.addButton(b, n)
        row.addWidget(b)
    row.addStretch(1)
    return box, group


def _checked(group: QButtonGroup, values: tuple[str, ...]) -> str:
    n = group.checkedId()
    return values[n] if 0 <= n < len(values) else ""


class FeedbackBox(QGroupBox):
    """群众点评: the verdict (满意 / 基本满意 / 不满意), the resident's words, how it was given, the day."""

    def __init__(self, title: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.verdict_box, self.verdict = _radios(vocab.FEEDBACK_VERDICTS, self, "群众点评")
        self.method_box, self.method = _radios(vocab.FEEDBACK_METHODS, self, "点评方式")
        self.method.button(0).setChecked(True)
        self.words = QPlainTextEdit(self)
        self.words.setTabChangesFocus(True)
        self.words.setPlaceholderText("群众的原话；不满意时必填")
        self.words.setFixedHeight(at_font_size(64))
        self.given_on = date_edit(today, self)
        form = QFormLayout(self)
        form.addRow("群众评价(&V)", self.verdict_box)
        form.addRow("群众原话", self.words)
        form.addRow("点评方式", self.method_box)
        form.addRow("点评日期", self.given_on)
        note = QLabel("这是群众对这件事办理情况的评价，只按村、镇汇总计数，不作干部考核打分。", self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #5f6b7a;")
        form.addRow(note)

    def value(self) -> demands.FeedbackInput:
        return demands.FeedbackInput(
            _checked(self.verdict, vocab.FEEDBACK_VERDICTS),
            self.words.toPlainText(),
            _checked(self.method, vocab.FEEDBACK_METHODS),
            pydate(self.given_on.date()),
        )


class CloseDialog(_DemandDialog):
    """已答复 → 已办结, with the resident's 点评 when it is given at the closing itself."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        parent: QWidget | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(ctx, demand, "诉求办结", "demand_close", parent, today)
        self.handling = QPlainTextEdit(demand.handling, self)
        self.handling.setTabChangesFocus(True)
        self.closed_on = date_edit(self.today, self)
        self.form.addRow("诉求", _demand_label(demand, self))
        reply = QLabel(demand.reply, self)
        reply.setWordWrap(True)
        self.form.addRow("答复", reply)
        self.form.addRow("办理情况(&H)", self.handling)
        self.form.addRow("办结日期", self.closed_on)
        self.feedback = FeedbackBox("群众当场点评（没有当场点评的，下次走访时再记）", self.today, self)
        self.feedback.setCheckable(True)
        self.feedback.setChecked(False)
        self.body.insertWidget(1, self.feedback)
        self.resize(600, 560)

    def apply(self, work: Work) -> None:
        demands.close_demand(
            work,
            self.demand.id,
            closed_on=pydate(self.closed_on.date()),
            handling=self.handling.toPlainText(),
            feedback=self.feedback.value() if self.feedback.isChecked() else None,
            today=self.today,
        )


class FeedbackDialog(_DemandDialog):
    """群众点评 of a closed demand, given after the closing (the next visit, a call, a paper signature)."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        parent: QWidget | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(ctx, demand, "群众点评", "demand_feedback", parent, today)
        self.form.addRow("诉求", _demand_label(demand, self))
        done = QLabel(f"{demand.closed_on}办结。{demand.handling}", self)
        done.setWordWrap(True)
        self.form.addRow("办理情况", done)
        self.feedback = FeedbackBox("群众点评", self.today, self)
        self.body.insertWidget(1, self.feedback)
        self.resize(600, 460)

    def apply(self, work: Work) -> None:
        demands.record_feedback(work, self.demand.id, self.feedback.value(), today=self.today)


class ReferDialog(_DemandDialog):
    """上报乡镇: 待办 → 已上报乡镇, naming the town's office and what the village asks of it."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        parent: QWidget | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(ctx, demand, "上报乡镇（交办）", "demand_refer", parent, today)
        self.office = QComboBox(self)
        self.office.addItem("（请选择乡镇科室）", None)
        for office in referral.OFFICES:
            self.office.addItem(office, office)
        self.office.setAccessibleName("乡镇科室")
        self.note = QPlainTextEdit(self)
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText("需要乡镇做什么、村里已经做了什么；选“其他”时写明科室")
        self.referred_on = date_edit(self.today, self)
        self.form.addRow("诉求", _demand_label(demand, self))
        self.form.addRow("上报到(&O)", self.office)
        self.form.addRow("上报说明(&N)", self.note)
        self.form.addRow("上报日期", self.referred_on)
        hint = QLabel(
            "随下一次上报包送到乡镇；乡镇的答复随下发包回来，在今日待办和这条诉求上都能看到。", self
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #5f6b7a;")
        self.form.addRow(hint)
        self.resize(560, 380)

    def apply(self, work: Work) -> None:
        referral.refer_demand(
            work,
            self.demand.id,
            office=self.office.currentData() or "",
            note=self.note.toPlainText(),
            referred_on=pydate(self.referred_on.date()),
            today=self.today,
        )


class TownReplyDialog(_DemandDialog):
    """乡镇答复 of a demand a village referred: the answer, or its forwarding to a county department."""

    def __init__(
        self,
        ctx: AppContext,
        demand: demands.DemandInfo,
        village_name: str,
        parent: QWidget | None = None,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(ctx, demand, "乡镇答复村里上报的诉求", "demand_town_reply", parent, today)
        self.kind_box, self.kind = _radios(referral.REPLY_KINDS, self, "答复方式")
        self.kind.button(0).setChecked(True)
        self.forwarded_to = QLineEdit(demand.town_forwarded_to, self)
        self.forwarded_to.setPlaceholderText("如：县民政局")
        self.reply = QPlainTextEdit(demand.town_reply, self)
        self.reply.setTabChangesFocus(True)
        self.replied_on = date_edit(self.today, self)
        default_by = demand.town_replied_by or (
            f"{demand.referred_office} {ctx.user.display_name}" if ctx.user else demand.referred_office or ""
        )
        self.replied_by = QLineEdit(default_by, self)
        referred = QLabel(
            f"{village_name}　{demand.referred_on} 由 {demand.referred_by or ''} 上报{demand.referred_office}："
            f"{demand.referral_note}",
            self,
        )
        referred.setWordWrap(True)
        self.form.addRow("诉求", _demand_label(demand, self))
        self.form.addRow("村里上报", referred)
        self.form.addRow("处理方式", self.kind_box)
        self.form.addRow("转报到", self.forwarded_to)
        self.form.addRow("答复内容(&R)", self.reply)
        self.form.addRow("答复日期", self.replied_on)
        self.form.addRow("答复人", self.replied_by)
        self.kind.idToggled.connect(lambda *_: self._kind_changed())
        if demand.town_reply_kind == vocab.TOWN_FORWARDED:
            self.kind.button(1).setChecked(True)
        self._kind_changed()
        self.resize(600, 460)

    def _kind_changed(self) -> None:
        self.forwarded_to.setEnabled(self.kind.checkedId() == 1)

    def apply(self, work: Work) -> None:
        referral.town_reply(
            work,
            self.demand.id,
            kind=_checked(self.kind, referral.REPLY_KINDS),
            reply=self.reply.toPlainText(),
            forwarded_to=self.forwarded_to.text(),
            replied_on=pydate(self.replied_on.date()),
            replied_by=self.replied_by.text(),
            today=self.today,
        )


class MustVisitDialog(_ServiceDialog):
    """登记必访事件 on a household, found through any of its members."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, today: dt.date | None = None) -> None:
        super().__init__(ctx, "登记必访事件", parent)
        self.keep_draft("diary_must_visit", "new")
        self.today = today or dt.date.today()
        self.household_id: str | None = None
        self.picker = PersonPicker(ctx.workspace.session, self)
        self.chosen = QLabel("（还没有选择）", self)
        self.picker.person_chosen.connect(self._chosen)
        self.kind = QComboBox(self)
        for kind in visits.MUST_VISIT_KINDS:
            self.kind.addItem(kind, kind)
        self.occurred_on = date_edit(self.today, self)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText("简要说明，如：老人脑梗住院")
        self.form.addRow("哪一户(&H)", self.picker)
        self.form.addRow("", self.chosen)
        self.form.addRow("事件", self.kind)
        self.form.addRow("发生日期", self.occurred_on)
        self.form.addRow("说明", self.note)
        self.resize(520, 360)

    def _chosen(self, hit) -> None:
        self.household_id = hit.household_id
        self.chosen.setText(f"{hit.head_name}户（{describe(hit)}）")

    def apply(self, work: Work) -> None:
        if not self.household_id:
            raise UserError("请先查找并选中这一户的任一家庭成员", field="household")
        visits.record_must_visit(
            work,
            self.household_id,
            self.kind.currentData(),
            pydate(self.occurred_on.date()),
            note=self.note.text(),
            today=self.today,
        )


class PrintMonthDialog(FitsScreen, QDialog):
    """Choose a cadre and a month for the printed diary."""

    def __init__(
        self, cadres: list[tuple[str, str]], current: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("打印民情日记")
        self.cadre = QComboBox(self)
        for cid, name in cadres:
            self.cadre.addItem(name, cid)
        i = self.cadre.findData(current)
        if i >= 0:
            self.cadre.setCurrentIndex(i)
        today = dt.date.today()
        self.month = date_edit(today, self, "yyyy年M月")
        form = QFormLayout(self)
        form.addRow("干部", self.cadre)
        form.addRow("月份", self.month)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("生成 PDF")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(buttons)
        form.addRow(row)
