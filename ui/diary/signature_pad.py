"""签字板: the resident signs with a mouse, a pen or a finger; the strokes become a PNG."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QTabletEvent, QTouchEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class SignaturePad(QWidget):
    """Strokes are kept as point lists (so a resize never blurs them); ``to_png`` renders them."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.strokes: list[list[QPointF]] = []
        self._drawing = False
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents, True)
        self.setMinimumSize(360, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("签字板")
        self.setToolTip("请群众在框内签名；按 Delete 清除重签")

    def sizeHint(self) -> QSize:
        return QSize(480, 180)

    # -- input ------------------------------------------------------------------------------------
    def begin_stroke(self, point: QPointF) -> None:
        self.strokes.append([QPointF(point)])
        self._drawing = True
        self.update()

    def extend_stroke(self, point: QPointF) -> None:
        if self._drawing and self.strokes:
            self.strokes[-1].append(QPointF(point))
            self.update()

    def end_stroke(self) -> None:
        if self._drawing:
            self._drawing = False
            self.changed.emit()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.begin_stroke(event.position())

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())
            self.end_stroke()

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self.begin_stroke(event.position())
        elif kind == QEvent.Type.TabletMove:
            self.extend_stroke(event.position())
        elif kind == QEvent.Type.TabletRelease:
            self.end_stroke()
        event.accept()

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QTouchEvent) and event.type() in (
            QEvent.Type.TouchBegin,
            QEvent.Type.TouchUpdate,
            QEvent.Type.TouchEnd,
        ):
            points = event.points()
            if points:
                pos = points[0].position()
                if event.type() == QEvent.Type.TouchBegin:
                    self.begin_stroke(pos)
                elif event.type() == QEvent.Type.TouchUpdate:
                    self.extend_stroke(pos)
                else:
                    self.extend_stroke(pos)
                    self.end_stroke()
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.clear()
        else:
            super().keyPressEvent(event)

    # -- state ------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.strokes.clear()
        self.update()
        self.changed.emit()

    def is_empty(self) -> bool:
        return not self.strokes

    def _path(self, scale: float = 1.0, offset: QPointF | None = None) -> QPainterPath:
        path = QPainterPath()
        offset = offset or QPointF(0, 0)
        for stroke in self.strokes:
            path.moveTo((stroke[0] - offset) * scale)
            if len(stroke) == 1:
                path.lineTo((stroke[0] - offset) * scale + QPointF(0.5, 0.5))
            for p in stroke[1:]:
                path.lineTo((p - offset) * scale)
        return path

    def _pen(self, width: float = 2.6) -> QPen:
        pen = QPen(QColor("#111111"), width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        return pen

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        p.setPen(QPen(QColor("#9aa5b1"), 1, Qt.PenStyle.DashLine))
        p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        base = self.height() - 30
        p.drawLine(20, base, self.width() - 20, base)
        if self.is_empty():
            p.setPen(QColor("#9aa5b1"))
            p.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, "请在此处签名")
        p.setPen(self._pen())
        p.drawPath(self._path())
        p.end()

    def to_png(self, height: int = 160) -> bytes:
        """The signature cropped to its strokes, black on transparent; empty bytes when nothing is drawn."""
        if self.is_empty():
            return b""
        bounds = self._path().boundingRect().adjusted(-8, -8, 8, 8)
        scale = height / max(bounds.height(), 40.0)
        image = QImage(max(1, int(bounds.width() * scale)), height, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(self._pen(2.6 * scale))
        p.drawPath(self._path(scale, bounds.topLeft()))
        p.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buf, "PNG")
        buf.close()
        return bytes(data)
