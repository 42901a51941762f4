"""The month chart on screen: :func:`app.charts.layout` painted with QPainter.

One widget for every chart of the program (统计报表's 走访 / 诉求 / 调解, 人民调解月报's 受理与结案);
the PDFs draw the same layout with fpdf2 (:func:`app.charts.draw_pdf`). As many panels to a line as the
width holds; the height follows (``heightForWidth``, and a minimum height for layouts that ignore it).
At a larger 字号 (大, 特大) the whole chart is drawn larger by the same factor, its text with it: the
layout is made for the width divided by the factor and painted scaled.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QLineF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import charts

_ALIGN = {
    "L": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "R": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
    "C": Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
}


def paint(p: QPainter, chart: charts.MonthChart, width: float, font: QFont, zoom: float = 1.0) -> None:
    """Paint ``chart`` from the painter's origin, ``width`` wide (layout unit = one pixel at ``zoom`` 1)."""
    if zoom != 1.0:
        p.scale(zoom, zoom)
        width /= zoom
    text_font = QFont(font)
    text_font.setPixelSize(int(charts.TEXT_SIZE))
    p.setFont(text_font)
    for s in charts.layout(chart, width):
        if isinstance(s, charts.Rect):
            if s.fill is None:
                p.setPen(QPen(QColor(charts.GRID_COLOR)))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(s.x, s.y, s.w, s.h))
            else:
                p.fillRect(QRectF(s.x, s.y, s.w, s.h), QColor(s.fill))
        elif isinstance(s, charts.Line):
            p.setPen(QPen(QColor(s.color)))
            p.drawLine(QLineF(s.x1, s.y1, s.x2, s.y2))
        else:
            p.setPen(QColor(s.color))
            p.drawText(QRectF(s.x, s.y, s.w, s.h), int(_ALIGN[s.align]), s.text)


class MonthChartView(QWidget):
    """Small multiples of a :class:`app.charts.MonthChart` (no chart: an empty white box)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chart: charts.MonthChart | None = None
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_chart(self, chart: charts.MonthChart | None) -> None:
        self.chart = chart
        self._fit()
        self.updateGeometry()
        self.update()

    @property
    def panels(self) -> list[str]:
        """The panels' names in the order drawn (for tests and the selftest)."""
        return [p.name for p in self.chart.panels] if self.chart else []

    @staticmethod
    def zoom() -> float:
        """How much larger than at 标准 the chart is drawn (the 字号's factor, never smaller)."""
        from ui.app import font_factor

        return max(1.0, font_factor())

    def _needed(self, width: int) -> int:
        if not self.chart:
            return 60
        zoom = self.zoom()
        return int(charts.height_for(self.chart, width / zoom) * zoom) + 4

    def _fit(self) -> None:
        smallest = int((charts.CELL_W + charts.MARGIN) * self.zoom())
        self.setMinimumHeight(self._needed(max(self.width(), smallest)))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # the 字号 changed: the chart grows or shrinks with it
            self._fit()
            self.updateGeometry()
            self.update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        needed = self._needed(self.width())
        if needed != self.minimumHeight():
            self.setMinimumHeight(needed)

    def sizeHint(self) -> QSize:
        width = int((charts.CELL_W * 4 + charts.MARGIN) * self.zoom())
        return QSize(width, self._needed(width))

    def minimumSizeHint(self) -> QSize:
        width = int((charts.CELL_W + charts.MARGIN) * self.zoom())
        return QSize(width, 60)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._needed(width)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        if self.chart is not None:
            paint(p, self.chart, self.width(), self.font(), self.zoom())
        p.end()

    def grab_image(self, width: int = 1000) -> QPixmap:
        """The chart drawn ``width`` pixels wide, whatever the widget's size (for tests and screenshots)."""
        pix = QPixmap(width, self._needed(width))
        pix.fill(QColor("white"))
        if self.chart is not None:
            p = QPainter(pix)
            paint(p, self.chart, width, self.font(), self.zoom())
            p.end()
        return pix
