"""What every tab of the case screen shares: the dialog it belongs to (the case file it shows, the
services it runs through the dialog, which reloads every tab after a change), and signing a document
(a meeting record or the agreement)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QDialog, QWidget

from app.mediation import agreement

from ui.context import AppContext
from ui.mediation import forms


def day_text(day: dt.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else "—"


class CaseTab(QWidget):
    """One tab of the case screen. ``fill()`` shows the dialog's case file (called on every reload)."""

    def __init__(self, dialog) -> None:
        super().__init__()
        self.dialog = dialog

    @property
    def ctx(self) -> AppContext:
        return self.dialog.ctx

    @property
    def case_id(self) -> str:
        return self.dialog.case_id

    @property
    def cf(self):
        return self.dialog.cf

    @property
    def today(self) -> dt.date:
        return self.dialog.today

    @property
    def user_name(self) -> str:
        return self.dialog.user_name

    def fill(self) -> None:
        raise NotImplementedError

    def _signers(self, with_seal: bool) -> list[tuple[str, str | None, str]]:
        signers = [("当事人", p.id, p.signer) for p in self.cf.parties]  # a 法定代理人 signs for the party
        # each mediator of the case, the 调解主持人 first (a paper has a line for each)
        named = sorted(self.cf.mediators, key=lambda m: not m.is_lead)
        signers += [("调解员", None, m.name) for m in named] or [("调解员", None, self.user_name)]
        signers.append(("记录人", None, ""))
        if with_seal:
            signers.append(("委员会", None, self.cf.committee_name))
        return signers

    def sign_document(self, table: str, document_id: str, with_seal: bool, day: dt.date) -> None:
        dlg = forms.SignatureDialog(self._signers(with_seal), self.dialog, day=day)
        dlg.on_accept = lambda v: self.dialog.service(
            agreement.sign,
            document_table=table,
            document_id=document_id,
            **v,
        )
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()
