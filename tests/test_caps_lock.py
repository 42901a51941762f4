"""大写锁定已打开 under the password boxes: seen from what is typed (a capital without Shift, a small letter
with it), gone when typing shows it off; in the sign-in box, the lock screen's, the password dialogs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ui.signin import SignInDialog
from ui.widgets.caps_lock import HINT

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_the_sign_in_box_says_caps_lock_is_on_from_what_is_typed(qtbot, village_ws):
    village_ws.close(daily_backup=False)
    from app.workspace import Workspace

    ws = Workspace.open(village_ws.root, create=False)  # locked: the sign-in box's own workspace
    box = SignInDialog(ws)
    qtbot.addWidget(box)
    box.show()
    hint = box.caps_lock
    assert hint is not None and hint.label.text() == HINT and hint.label.isHidden()
    qtbot.keyClicks(box.password, "MIMA")  # capitals, no Shift: Caps Lock is on
    assert hint.label.isVisible()
    qtbot.keyClick(box.password, Qt.Key.Key_CapsLock)  # turned off
    assert hint.label.isHidden()
    qtbot.keyClicks(box.password, "m", Qt.KeyboardModifier.ShiftModifier)  # small with Shift: on
    assert hint.label.isVisible()
    qtbot.keyClicks(box.password, "ima1")  # small without Shift: off (the digit says nothing)
    assert hint.label.isHidden()
    assert box.username.text() == ""  # the login name box is not watched: it is typed in the open
    ws.close(daily_backup=False)


def test_the_change_password_dialog_watches_its_three_boxes(qtbot, village_ws):
    from app.accounts import authenticate

    from ui.context import AppContext
    from ui.settings import ChangeOwnPasswordDialog

    from tests.conftest import ADMIN

    with village_ws.work(None) as w:
        admin = authenticate(w, *ADMIN)
        w.session.expunge(admin)
    dlg = ChangeOwnPasswordDialog(AppContext(village_ws, admin))
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.caps_lock is not None and len(dlg.caps_lock.edits) == 3
    qtbot.keyClicks(dlg.confirm, "X")
    assert dlg.caps_lock.label.isVisible()
