"""A box whose text the program offers (the diary's 地点, a new household's 户编号) until the person
types their own: what is written the same way every time is not typed every time."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCompleter, QLineEdit


class OfferedText:
    """``edit``'s text as offered by :meth:`offer`, while it is empty or still what was last offered."""

    def __init__(self, edit: QLineEdit) -> None:
        self.edit = edit
        self.offered = ""

    def open(self) -> bool:
        """May an offer still replace the text (nothing typed over the last offer)?"""
        current = self.edit.text().strip()
        return not current or current == self.offered

    def offer(self, text: str) -> None:
        if not self.open():
            return
        self.offered = text
        if text != self.edit.text().strip():
            self.edit.setText(text)


def list_as_typed(edit: QLineEdit, texts: Sequence[str]) -> None:
    """``texts`` (written before: 帮扶单位, invited mediators, 责任部门 …) listed under ``edit`` as its first
    characters are typed, matching anywhere in the text; nothing when there are none."""
    if not texts:
        return
    offered = QCompleter(list(texts), edit)
    offered.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    offered.setFilterMode(Qt.MatchFlag.MatchContains)
    edit.setCompleter(offered)
