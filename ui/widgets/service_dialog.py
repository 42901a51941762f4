"""The small forms that do one thing through a service (答复, 帮扶, 节点完成, 点评会决定 …): 确定 runs the
subclass's ``apply(work)`` in one unit of work; a refusal (a :class:`UserError`) is said in red in the form,
which stays open with what was typed; on success the pages showing ``changes`` are told, and the form closes.
A subclass that calls ``keep_draft`` keeps what is typed as a draft (:class:`ui.widgets.form_draft.KeepsDraft`)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QVBoxLayout, QWidget

from app.errors import UserError
from app.work import Work

from ui.context import AppContext
from ui.widgets.fit import FitsScreen
from ui.widgets.form_draft import KeepsDraft
from ui.widgets.inline_error import error_label, show_error


class ServiceDialog(FitsScreen, KeepsDraft, QDialog):
    """``changes``: what ``ctx.data_changed`` says after a save. With ``laid_out`` the form is a
    ``QFormLayout`` (``self.form``) above the error line and the buttons, in ``self.body``; without it the
    subclass lays out ``self.error`` and ``self.buttons`` itself."""

    changes = ""

    def __init__(
        self, ctx: AppContext, title: str, parent: QWidget | None = None, *, laid_out: bool = True
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        if laid_out:
            self.form = QFormLayout()
            self.body = QVBoxLayout(self)
            self.body.addLayout(self.form)
            self.body.addWidget(self.error)
            self.body.addWidget(self.buttons)

    def apply(self, work: Work) -> None:
        raise NotImplementedError

    def save(self) -> bool:
        """Run ``apply``; False (and the reason said in the form) when it was refused."""
        try:
            with self.ctx.work() as w:
                self.apply(w)
        except UserError as exc:
            show_error(self.error, exc.message)
            return False
        self.ctx.data_changed.emit(self.changes)
        self.accept()
        return True

    def _ok(self) -> None:
        self.save()
