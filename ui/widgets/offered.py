"""A box whose text the program offers (the diary's 地点, a new household's 户编号) until the person
types their own: what is written the same way every time is not typed every time."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit


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
