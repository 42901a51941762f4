"""Dialogs that fit the screen they open on, with their buttons on it.

The smallest screen the program must fit is 1366×768 (docs/design.md); a laptop of 1920×1080 that
Windows scales by 150 % (its setting out of the box on many 14- and 15-inch ones) gives the program
1280×720, and at 特大 a form is taller again. A dialog that opened taller than the screen's work area
put its 确定 under the taskbar, where a cadre cannot reach it.

Every dialog of the program is a :class:`FitsScreen`: before it first shows, it is made no larger than
the work area of its screen with a title bar, and kept inside it. A dialog that cannot shrink that far
(its layout's minimum is taller) holds its long part in a :class:`FittingScroll`, which is as tall as
what it holds when there is room and scrolls when there is not (``tests/test_fits_screen.py`` opens
every dialog at every 字号 against both screens).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QFrame,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QStyle,
    QTextEdit,
    QWidget,
)

# What the window manager adds above a window before it is framed (a Windows title bar at 100 %; at
# 150 % it is the same in the logical pixels Qt counts in).
TITLE_BAR = 32


def work_area(window: QWidget) -> QRect | None:
    """The screen's area without its taskbar, for the screen ``window`` opens on (its parent's)."""
    parent = window.parentWidget()
    screen = (parent.window().screen() if parent is not None else None) or window.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def fit_size(window: QWidget, area: QRect) -> None:
    """Make ``window`` (a top-level window about to show, or shown) no larger than ``area`` with its
    frame, and move it inside ``area`` when it is shown. Never below its layout's minimum: a dialog
    that needs more room than that holds a :class:`FittingScroll`."""
    frame, inner = window.frameGeometry(), window.geometry()
    extra_w = max(frame.width() - inner.width(), 0)
    extra_h = max(frame.height() - inner.height(), TITLE_BAR if not window.isVisible() else 0)
    width = min(window.width(), area.width() - extra_w)
    height = min(window.height(), area.height() - extra_h)
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    if window.isVisible():
        frame = window.frameGeometry()
        x = max(area.left(), min(frame.left(), area.right() + 1 - frame.width()))
        y = max(area.top(), min(frame.top(), area.bottom() + 1 - frame.height()))
        if (x, y) != (frame.left(), frame.top()):
            window.move(x, y)


def room_for_hints(root: QWidget) -> None:
    """Each empty box of ``root`` wide enough for its hint (“输入姓名、拼音首字母或身份证后几位”), at the
    字号 now: a hint cut to “输入姓名、拼音首字…” no longer says what to type. A box never narrower than
    it was made; the window's width stays capped by the screen's (:func:`fit_size`)."""
    for edit in root.findChildren(QLineEdit):
        hint = edit.placeholderText()
        if not hint or edit.isReadOnly():
            continue
        m = edit.textMargins()
        need = edit.fontMetrics().horizontalAdvance(hint) + m.left() + m.right() + 16  # frame and padding
        holder = edit.parentWidget()
        if isinstance(holder, QComboBox) and holder.lineEdit() is edit:  # an editable drop-down's box
            arrow = holder.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            holder.setMinimumWidth(max(holder.minimumWidth(), need + arrow + 8))
        else:
            edit.setMinimumWidth(max(edit.minimumWidth(), need))


def fit_first_showing(window: QWidget, area: QRect | None) -> None:
    """The size of a window about to show for the first time, on a screen whose work area is ``area``:
    its hints whole (:func:`room_for_hints`); as large as what it holds, not Qt's two thirds of the
    screen, with a wrapped text as tall as it needs at that width; a size given for 标准 made taller when
    the 字号 needs it; then no larger than ``area`` (:func:`fit_size`)."""
    window.ensurePolished()
    room_for_hints(window)
    layout = window.layout()
    if window.testAttribute(Qt.WidgetAttribute.WA_Resized):
        needed = window.sizeHint().height()
        if layout is not None and layout.hasHeightForWidth():
            needed = max(needed, layout.totalHeightForWidth(window.width()))
        if needed > window.height():
            window.resize(window.width(), needed)
    else:
        size = window.sizeHint()
        if area is not None:
            size.setWidth(min(size.width(), area.width()))
        if layout is not None and layout.hasHeightForWidth():
            size.setHeight(layout.totalHeightForWidth(size.width()))
        window.resize(size.expandedTo(window.minimumSizeHint()))
    if area is not None:
        fit_size(window, area)


class FitsScreen:
    """A dialog no larger than its screen's work area (mixed in before ``QDialog``): its size is checked
    when it is first shown, before Qt centres it over its parent, so it is centred at the size it has."""

    _fitted = False

    def setVisible(self, visible: bool) -> None:
        window: QWidget = self  # type: ignore[assignment]
        first = visible and not self._fitted and window.isWindow()
        if first:
            self._fitted = True
            fit_first_showing(window, work_area(window))
        super().setVisible(visible)  # type: ignore[misc]
        if first:
            focus_first_field(window)


_FIELDS = (QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox)


def typeable_field(w: QWidget) -> bool:
    """A field a person types into or picks in (not read-only, shown, enabled)."""
    if isinstance(w, QLineEdit) and isinstance(w.parent(), QComboBox | QAbstractSpinBox):
        return False  # (the box's own line)
    if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit | QAbstractSpinBox) and w.isReadOnly():
        return False
    return (
        isinstance(w, _FIELDS)
        and w.isVisibleTo(w.window())
        and w.isEnabled()
        and w.focusPolicy() != Qt.FocusPolicy.NoFocus
    )


def focus_first_field(window: QWidget) -> None:
    """A form opens with the cursor in its first field, so that what is typed at once goes there (not into
    a scroll area or a tab bar, where it was lost); a form that put it elsewhere on purpose keeps that."""
    current = window.focusWidget()
    if current is not None and typeable_field(current):
        return
    first = first_field(window)
    if first is not None:
        first.setFocus(Qt.FocusReason.OtherFocusReason)


def first_field(root: QWidget) -> QWidget | None:
    """The first field under ``root`` a person types into, in the order the form made them."""
    return next((w for w in root.findChildren(QWidget) if typeable_field(w) and w.isVisibleTo(root)), None)


class FittedDialog(FitsScreen, QDialog):
    """A dialog put together where it is used (a photo shown whole): it fits its screen as the others do."""


class FittingScroll(QScrollArea):
    """A scroll area as large as what it holds when the dialog has room (Qt's own stops at 24 lines),
    and scrolling up and down when the dialog is made smaller to fit the screen. Never across: it is
    always as wide as what it holds, with room for the bar."""

    def __init__(self, inner: QWidget, parent: QWidget | None = None, *, min_lines: int = 4) -> None:
        super().__init__(parent)
        self.min_lines = min_lines
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(True)
        self.setWidget(inner)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # what it holds grew or shrank: the dialog's layout asks again
        return super().eventFilter(watched, event)

    def _bar(self) -> int:
        return self.verticalScrollBar().sizeHint().width()

    def sizeHint(self) -> QSize:
        inner = self.widget().sizeHint().expandedTo(self.widget().minimumSize())
        return QSize(inner.width() + self._bar(), inner.height())

    def minimumSizeHint(self) -> QSize:
        inner = self.widget().minimumSizeHint()
        lines = self.fontMetrics().height() * self.min_lines
        return QSize(inner.width() + self._bar(), min(inner.height(), lines))
