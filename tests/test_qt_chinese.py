"""Qt's own words (the buttons of its message boxes, a text box's right-click menu, the file dialog)
are Chinese in the window: make_application loads Qt's translation."""

from __future__ import annotations

from PySide6.QtCore import QDate, QFileInfo
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDialogButtonBox,
    QFileDialog,
    QFileIconProvider,
    QLabel,
    QLineEdit,
    QMessageBox,
)

from ui.app import make_application, qt_speaks_chinese


def test_qts_own_buttons_menus_and_file_dialog_speak_chinese(qtbot, tmp_path):
    make_application()
    assert qt_speaks_chinese()
    row = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok
        | QDialogButtonBox.StandardButton.Cancel
        | QDialogButtonBox.StandardButton.Yes
        | QDialogButtonBox.StandardButton.No
    )
    qtbot.addWidget(row)
    assert sorted(b.text() for b in row.buttons()) == sorted(["确定", "取消", "是(&Y)", "否(&N)"])
    box = QMessageBox(QMessageBox.Icon.Question, "从备份恢复", "确认恢复吗？")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    qtbot.addWidget(box)
    assert {b.text() for b in box.buttons()} == {"是(&Y)", "否(&N)"}
    field = QLineEdit()
    qtbot.addWidget(field)
    menu = field.createStandardContextMenu()
    words = [a.text().split("\t")[0] for a in menu.actions() if a.text()]
    assert "复制(&C)" in words and "粘贴(&P)" in words and not any(w.isascii() for w in words), words
    dialog = QFileDialog(None, "备份到")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(dialog)
    labels = {label.text() for label in dialog.findChildren(QLabel) if label.text()}
    assert labels == {"查找范围(&L)：", "文件名称(&N)：", "文件类型(&T)："}, labels
    assert QFileIconProvider().type(QFileInfo(str(tmp_path))) == "文件夹"  # its type column
    calendar = QCalendarWidget()  # a date field's popup, on a computer of any language
    qtbot.addWidget(calendar)
    assert calendar.locale().name() == "zh_CN"
    assert calendar.locale().standaloneMonthName(12) == "十二月"
    assert calendar.locale().toString(QDate(2026, 12, 7), "dddd") == "星期一"


def test_every_window_has_the_programs_icon_the_red_seal(qtbot):
    """The title bars and the task bar show the program's icon (resources/icon, tools/make_icon.py), not
    the system's blank one; the frozen program's file has it too (build.spec), at every size Windows asks."""
    from pathlib import Path

    from PIL import Image
    from PySide6.QtWidgets import QApplication, QWidget

    from app.paths import icon_path

    make_application()
    icon = QApplication.windowIcon()
    assert not icon.isNull()
    window = QWidget()
    qtbot.addWidget(window)
    assert window.windowIcon().cacheKey() == icon.cacheKey()
    corner = icon.pixmap(64, 64).toImage().pixelColor(4, 32)  # the seal's red, left of its white border
    assert (corner.red(), corner.green(), corner.blue()) == (0xC8, 0x10, 0x2E)
    with Image.open(Path(icon_path()).with_suffix(".ico")) as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
