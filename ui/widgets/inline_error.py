"""The red line in a form that says why it was refused (a wrong password, a full disk, a field left
empty), and a window that grows to show it whole.

A word-wrapped label shown in a window already on the screen makes Qt raise the window's minimum
size, but not by the height the wrapped lines need at the window's width: a message of three lines was
cut off at its top and bottom in the sign-in box (a full disk's). :func:`show_error` makes the window
as tall as its layout needs at its width (never narrower, never shorter, never beyond the screen)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

ERROR_STYLE = "color: #b3261e;"


def error_label(parent: QWidget | None = None) -> QLabel:
    """A hidden, word-wrapped red label for a form's refusal."""
    label = QLabel(parent)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    """Say ``message`` in ``label`` and let its window grow until every line of it shows."""
    label.setText(message)
    label.show()
    fit_height(label.window())


def fit_height(window: QWidget) -> None:
    """A window on the screen whose content grew: as tall as its layout needs at its present width."""
    layout = window.layout()
    if layout is None or not window.isVisible():
        return  # (a window not shown yet is sized by its layout when it shows)
    layout.activate()
    width = window.width()
    need = (
        layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
    )
    screen = window.screen()
    if screen is not None:
        need = min(need, screen.availableGeometry().height() - 40)  # (its title bar)
    if need > window.height():
        window.resize(width, need)
