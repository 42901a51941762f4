"""大写锁定已打开: said under the password boxes of a form while Caps Lock is on. Passwords are typed blind,
and five wrong ones lock an account for a while (app.workspace): a cadre with Caps Lock on learns why before
the fifth.

Qt has no portable way to ask the keyboard, so it is read from what is typed: a capital letter typed
without Shift, or a small one with it, means Caps Lock is on; the other way round, off; the Caps Lock key
itself turns the hint over. On Windows the key's state is asked as well whenever a password box gets the
focus (``GetKeyState``), so the hint is there before the first letter."""

from __future__ import annotations

import sys

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit

HINT = "大写锁定（Caps Lock）已打开：密码区分大小写"


def _windows_caps_lock() -> bool | None:
    """Caps Lock's state as Windows keeps it (None elsewhere)."""
    if sys.platform != "win32":
        return None
    import ctypes

    return bool(ctypes.windll.user32.GetKeyState(0x14) & 1)  # VK_CAPITAL, toggled bit


class CapsLockHint(QObject):
    """One hint under a form's password boxes (every ``QLineEdit`` in password mode inside ``form``'s
    widget when this is made): a row added at the end of the form, hidden until Caps Lock is seen on."""

    def __init__(self, form: QFormLayout) -> None:
        owner = form.parentWidget()
        super().__init__(owner)
        self.label = QLabel(HINT)
        self.label.setStyleSheet("color: #b35c00;")
        self.label.setWordWrap(True)
        self.label.hide()
        form.addRow(self.label)
        self.edits = [
            w
            for w in (owner.findChildren(QLineEdit) if owner is not None else [])
            if w.echoMode() == QLineEdit.EchoMode.Password
        ]
        for edit in self.edits:
            edit.installEventFilter(self)

    @property
    def on(self) -> bool:
        return not self.label.isHidden()

    def _show(self, on: bool) -> None:
        self.label.setVisible(on)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            text = event.text()
            if event.key() == Qt.Key.Key_CapsLock:
                state = _windows_caps_lock()
                self._show(not self.on if state is None else state)
            elif len(text) == 1 and text.isascii() and text.isalpha():
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self._show(text.isupper() != shift)
        elif event.type() == QEvent.Type.FocusIn:
            state = _windows_caps_lock()
            if state is not None:
                self._show(state)
        return False


def caps_lock_hint(form: QFormLayout) -> CapsLockHint | None:
    """Watch the password boxes of ``form`` (None when it has none)."""
    hint = CapsLockHint(form)
    if not hint.edits:
        form.removeRow(form.rowCount() - 1)
        return None
    return hint
