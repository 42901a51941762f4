"""A removal asked for in a sentence, then done: the question (否 is the default), then the work, and the
service's refusal said in a box (a signed diary entry, a household with people 在册)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from app.errors import UserError


def confirmed_removal(parent: QWidget, title: str, question: str, remove: Callable[[], object]) -> bool:
    """Ask ``question``; on 是 run ``remove``. True when it was removed."""
    answer = QMessageBox.question(
        parent,
        title,
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    try:
        remove()
    except UserError as exc:
        QMessageBox.warning(parent, "不能删除", exc.message)
        return False
    return True
