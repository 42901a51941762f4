"""A dialog's typed values kept as a draft (app.drafts) while it is open: what a mediator typed into a
调解记录 survives a crash, a power cut or a 取消 pressed by mistake, and is offered back the next time the
same dialog opens for the same record.

The fields are the dialog's editors in the order they were made (text boxes, drop-downs, dates, numbers,
check boxes); a draft is put back only into a dialog with the same fields in the same order, so a draft
of an older form is never spread over the wrong boxes. The draft is written 0.8 s after the last change,
and at once when the dialog is closed without saving; it is removed when the dialog's work is saved, or
when what it holds is what the dialog opened with."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDateTime, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTextEdit,
    QWidget,
)

from app import drafts
from app.dates import cn_month_day
from app.errors import environment_failure

from ui.context import AppContext

SAVE_AFTER_MS = 800
CLOSE_KEEPS_DRAFT = "关闭（草稿会保留）"
log = logging.getLogger("minqing.drafts")


def draft_failure(save: Callable[[], object]) -> str | None:
    """Run a draft's ``save``; what to tell the user when the computer would not keep it (a full disk or
    stick, a read-only folder), else None. A draft is kept while a person types: the failure is said
    beside the form, not in a box at every pause, and the form's own save still works (it writes the
    database, not the drafts folder). A bug is raised as ever."""
    try:
        save()
    except OSError as exc:
        failure = environment_failure(exc)
        if failure is None:
            raise
        log.warning("草稿无法保存：%s", failure.message)
        return f"草稿无法自动保存：{failure.message}。写完请直接保存。"
    return None


def editors(root: QWidget) -> list[QWidget]:
    """The widgets whose values make the form, in the order they were made (the line edit inside a
    drop-down or a date or number box belongs to that box)."""
    out: list[QWidget] = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QLineEdit) and isinstance(w.parent(), QComboBox | QAbstractSpinBox):
            continue
        if isinstance(
            w,
            QLineEdit | QPlainTextEdit | QTextEdit | QComboBox | QAbstractSpinBox | QCheckBox | QRadioButton,
        ):
            out.append(w)
    return out


def value_of(w: QWidget) -> Any:
    if isinstance(w, QLineEdit):
        return w.text()
    if isinstance(w, QPlainTextEdit | QTextEdit):
        return w.toPlainText()
    if isinstance(w, QComboBox):
        return w.currentText()
    if isinstance(w, QDateTimeEdit):
        return w.dateTime().toString(Qt.DateFormat.ISODate)
    if isinstance(w, QSpinBox | QDoubleSpinBox):
        return w.value()
    if isinstance(w, QCheckBox | QRadioButton):
        return w.isChecked()
    return None


def set_value(w: QWidget, value: Any) -> None:
    """Put a draft's value back (a value of the wrong kind, from a tampered or older file, is left out)."""
    if isinstance(w, QLineEdit) and isinstance(value, str):
        w.setText(value)
    elif isinstance(w, QPlainTextEdit | QTextEdit) and isinstance(value, str):
        w.setPlainText(value)
    elif isinstance(w, QComboBox) and isinstance(value, str):
        i = w.findText(value)
        if i >= 0:
            w.setCurrentIndex(i)
        elif w.isEditable():
            w.setEditText(value)
    elif isinstance(w, QDateTimeEdit) and isinstance(value, str):
        when = QDateTime.fromString(value, Qt.DateFormat.ISODate)
        if when.isValid():
            w.setDateTime(when)
    elif isinstance(w, QSpinBox) and isinstance(value, int) and not isinstance(value, bool):
        w.setValue(value)
    elif isinstance(w, QDoubleSpinBox) and isinstance(value, int | float) and not isinstance(value, bool):
        w.setValue(float(value))
    elif isinstance(w, QCheckBox | QRadioButton) and isinstance(value, bool):
        w.setChecked(value)  # (a radio button of a group is unchecked by checking another)


def _state(fields: list[QWidget]) -> list[list[Any]]:
    return [[type(w).__name__, value_of(w)] for w in fields]


def _kinds(data: Any) -> list[str] | None:
    """The field kinds a draft was saved from; None when it is not a list of [kind, value] pairs."""
    if not isinstance(data, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str) for pair in data
    ):
        return None
    return [pair[0] for pair in data]


class DraftBanner(QFrame):
    """The yellow line at the top of a form that offers a draft: 发现…没有保存的草稿，要接着写吗？
    [恢复草稿] [放弃草稿]. Hidden until :meth:`offer`."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setStyleSheet("QFrame { background: #fff4ce; border-radius: 4px; }")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.restore_button = QPushButton("恢复草稿(&R)", self)  # Alt+R, Alt+F: the keyboard's way to choose
        self.discard_button = QPushButton("放弃草稿(&F)", self)
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.restore_button)
        row.addWidget(self.discard_button)
        self.hide()
        self.warning = False  # showing a draft that could not be kept (:meth:`warn`), not an offer

    def offer(self, saved_at: dt.datetime) -> None:
        self.warning = False
        self.setStyleSheet("QFrame { background: #fff4ce; border-radius: 4px; }")
        self.label.setText(
            f"发现 {cn_month_day(saved_at)} {saved_at:%H:%M} 没有保存的草稿，要接着写吗？"
            "（选定之前，它一直保留，这里新写的不会顶替它）"
        )
        self.restore_button.show()
        self.discard_button.show()
        self.show()

    def warn(self, text: str) -> None:
        """Say that what is typed could not be kept as a draft (no buttons: there is nothing to choose)."""
        self.warning = True
        self.setStyleSheet("QFrame { background: #fde2e1; border-radius: 4px; }")
        self.label.setText(text)
        self.restore_button.hide()
        self.discard_button.hide()
        self.show()


@dataclass(frozen=True)
class KeptPart:
    """A part of a form that is not one of its editors (the members listed in a household's form, the
    tags ticked): ``kind`` names it in the draft, ``get`` gives its value as JSON values, ``put`` puts a
    kept value back (it must leave out a value of the wrong shape: a draft file is read as hostile), and
    ``changed`` are the signals that say it changed."""

    kind: str
    get: Callable[[], Any]
    put: Callable[[Any], None]
    changed: Sequence[Any] = ()


class _KeptFields(QObject):
    """What a dialog's draft and a tab's draft share: the fields under ``root`` (and ``parts``) and what
    they held when last filled, the timer that keeps them 0.8 s after the last change, the banner that
    offers a kept draft (placed by the caller), and the draft's file (``form``: which form, ``key``: the
    record)."""

    def __init__(
        self,
        owner: QWidget,
        ctx: AppContext,
        form: str,
        key: str,
        root: QWidget,
        parts: Sequence[KeptPart] = (),
    ) -> None:
        super().__init__(owner)
        self.ctx, self.form, self.key = ctx, form, key
        self.save_key = key  # the offered draft's, or one of its own beside it (:meth:`save_now`)
        self.fields = editors(root)
        self.parts = list(parts)
        self.opened_with = self._state()
        self.draft: drafts.Draft | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SAVE_AFTER_MS)
        self.timer.timeout.connect(self.save_now)
        for w in self.fields:
            for signal in _change_signals(w):
                # a slot of our own: connected to QTimer.start, a number box's value would be its interval
                signal.connect(self._changed)
        for part in self.parts:
            for signal in part.changed:
                signal.connect(self._changed)
        self.banner = DraftBanner(owner)
        self.label = self.banner.label
        self.banner.restore_button.clicked.connect(self.restore)
        self.banner.discard_button.clicked.connect(self.discard)

    def _changed(self, *_args: Any) -> None:
        self.timer.start()

    def _state(self) -> list[list[Any]]:
        return _state(self.fields) + [[part.kind, part.get()] for part in self.parts]

    def _put_back(self, values: list[list[Any]]) -> None:
        """Put kept values back into the fields and parts (the caller checked their kinds)."""
        n = len(self.fields)
        _put_back(self.fields, values[:n])
        for part, (_kind, value) in zip(self.parts, values[n:], strict=True):
            part.put(value)

    def _offer(self) -> None:
        """Offer the kept draft, if there is one for these same fields."""
        with self.ctx.work() as w:
            self.draft = drafts.load_form_draft(w, self.form, self.key)
        if self.draft is not None and _kinds(self.draft.data) == [kind for kind, _v in self.opened_with]:
            self.save_key = self.draft.key
            self.banner.offer(self.draft.saved_at)
        else:
            self.draft = None

    def _offered_only(self) -> bool:
        """A draft is on offer and nothing typed since was kept beside it."""
        return self.draft is not None and self.save_key == self.draft.key

    def save_now(self) -> None:
        self.timer.stop()
        state = self._state()
        if self._offered_only():
            if state == self.opened_with:
                return
            # a draft is offered and neither restored nor discarded: what is typed meanwhile never replaces
            # it, and is kept beside it under a key of its own (offered next time, being the newer)
            self.save_key = drafts.side_key(self.key)
        key = self.save_key

        def save() -> None:
            with self.ctx.work() as w:
                if state == self.opened_with:
                    drafts.discard_form_draft(w, self.form, key)
                else:
                    drafts.save_form_draft(w, self.form, key, state)

        failed = draft_failure(save)
        if failed is not None:
            self.draft = None  # (an offer the warning replaces)
            self.banner.warn(failed)
        elif self.banner.warning:  # kept again: the warning is over
            self.banner.warning = False
            self.banner.hide()

    def restore(self) -> None:
        if self.draft is not None:
            self._put_back(self.draft.data)
            if not self._offered_only():  # what was typed meanwhile is replaced, on screen and on disk
                with self.ctx.work() as w:
                    drafts.discard_form_draft(w, self.form, self.save_key)
                self.save_key = self.draft.key
        self.draft = None
        self.banner.hide()

    def discard(self) -> None:
        self.timer.stop()
        if self.draft is not None:
            with self.ctx.work() as w:
                drafts.discard_form_draft(w, self.form, self.draft.key)
        self.draft = None
        self.banner.hide()
        if self._state() != self.opened_with:  # what was typed meanwhile is kept from now on
            self.timer.start()

    def settled(self, kind: str, value: Any) -> None:
        """The part ``kind`` was saved elsewhere (a member moved to another household at once): what the
        form opened with is now ``value``, so that only what is typed and not saved makes a draft."""
        n = len(self.fields)
        for i, part in enumerate(self.parts):
            if part.kind == kind:
                self.opened_with[n + i] = [kind, value]

    def saved(self) -> None:
        """The form's work is saved: its draft is no longer needed (unless it was offered and neither
        restored nor discarded: that one holds other work, and is offered again next time)."""
        self.timer.stop()
        if self._offered_only():
            return
        with self.ctx.work() as w:
            drafts.discard_form_draft(w, self.form, self.save_key)

    def _closed(self) -> None:
        if self.timer.isActive():
            self.save_now()


def _put_back(fields: list[QWidget], values: list[list[Any]]) -> None:
    for w, (_kind, value) in zip(fields, values, strict=True):
        set_value(w, value)


class FormDraft(_KeptFields):
    """Attach to a dialog once its fields hold what it opens with (``form``: which dialog, ``key``: the
    record it is for, e.g. the case id). A banner at the top of the dialog offers a draft found. The
    fields are the dialog's editors, or those under ``root`` (a dialog whose other tabs save as they go),
    and ``parts``."""

    def __init__(
        self,
        dialog: QDialog,
        ctx: AppContext,
        form: str,
        key: str,
        *,
        root: QWidget | None = None,
        parts: Sequence[KeptPart] = (),
    ) -> None:
        super().__init__(dialog, ctx, form, key, root or dialog, parts)
        dialog.accepted.connect(self.saved)
        dialog.rejected.connect(self._closed)
        for box in dialog.findChildren(QDialogButtonBox):  # as the diary's form says it: closing keeps it
            cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
            if cancel is not None:
                cancel.setText(CLOSE_KEEPS_DRAFT)
        layout = dialog.layout()
        if isinstance(layout, QBoxLayout):
            layout.insertWidget(0, self.banner)
        elif isinstance(layout, QFormLayout):
            layout.insertRow(0, self.banner)
        self._offer()


class KeepsDraft:
    """For a dialog class (before QDialog among its bases): a dialog that called :meth:`keep_draft` in
    its ``__init__`` keeps a draft of its editors from its first showing, when its fields hold what it
    opens with (the form's base class sets up the buttons, its subclass the fields, and which record)."""

    ctx: AppContext
    draft: FormDraft | None = None
    _draft_of: tuple[str, str] | None = None

    def keep_draft(self, form: str, key: str) -> None:
        self._draft_of = (form, key)

    def draft_parts(self) -> Sequence[KeptPart]:
        """What the draft keeps beside the editors (a list of rows, the records picked)."""
        return ()

    def showEvent(self, event: Any) -> None:
        if self.draft is None and self._draft_of is not None:
            assert isinstance(self, QDialog), "KeepsDraft is for dialogs"
            self.draft = FormDraft(self, self.ctx, *self._draft_of, parts=self.draft_parts())
        super().showEvent(event)  # type: ignore[misc]


class TabDraft(_KeptFields):
    """The draft of a form that lives in a tab of a screen which fills all its tabs again after every
    change (the case screen's 登记 and 协议 tabs, :class:`ui.mediation.case.dialog.CaseDialog`).

    The tab calls :meth:`before_fill` and :meth:`after_fill` around its filling. What was typed and not
    yet saved is put back after a fill (a party added in another tab no longer wipes the agreement being
    written), and kept as a draft while the screen is open and when it is closed (``closed``: the
    screen's ``finished`` signal); the first fill offers a kept draft. The tab's save runs inside
    :meth:`saving` and calls :meth:`saved` when it worked. A form that cannot be changed (an archived
    case, a village's case read at the town) keeps and offers nothing."""

    def __init__(
        self, tab: QWidget, ctx: AppContext, form: str, key: str, root: QWidget, closed: Any
    ) -> None:
        super().__init__(tab, ctx, form, key, root)
        self.editable = False
        self._filling = self._saving = self._offered = False
        self._typed: list[list[Any]] | None = None
        closed.connect(self._closed)

    def _changed(self, *_args: Any) -> None:
        if self.editable and not self._filling:
            self.timer.start()

    def before_fill(self) -> None:
        state = self._state()
        self._typed = state if self.editable and not self._saving and state != self.opened_with else None
        self._filling = True

    def after_fill(self, editable: bool) -> None:
        self.opened_with = self._state()
        self.editable = editable
        try:
            if not editable:
                self.timer.stop()
                self.banner.hide()
                self.draft = None
            elif self._typed is not None:
                self._put_back(self._typed)
        finally:
            self._filling = False
            self._typed = None
        if editable and not self._offered:
            self._offered = True
            self._offer()

    @contextlib.contextmanager
    def saving(self) -> Iterator[None]:
        """Around the tab's save: the fill that follows a save shows what was saved, not what was typed."""
        self._saving = True
        try:
            yield
        finally:
            self._saving = False


def _change_signals(w: QWidget) -> list[Any]:
    if isinstance(w, QLineEdit):
        return [w.textEdited]
    if isinstance(w, QPlainTextEdit | QTextEdit):
        return [w.textChanged]
    if isinstance(w, QComboBox):
        return [w.currentTextChanged]
    if isinstance(w, QDateTimeEdit):
        return [w.dateTimeChanged]
    if isinstance(w, QSpinBox | QDoubleSpinBox):
        return [w.valueChanged]
    if isinstance(w, QCheckBox | QRadioButton):
        return [w.toggled]
    return []
