"""Make the program's icon: a red square seal (印章) with 民 cut in white, as a committee's seal stamps its
papers. Writes resources/icon/minqing.png (256 px, the window's icon, set by ui.app.make_application)
and resources/icon/minqing.ico (16–256 px, the frozen program's file icon, build.spec).

Run from the checkout: ``python -m tools.make_icon`` (Qt offscreen draws the character with the font the
program ships; Pillow, which the PDF library already brings, packs the sizes into the .ico)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (16, 24, 32, 48, 64, 128, 256)
RED = "#c8102e"


def draw(size: int = 256) -> bytes:
    """The icon as PNG bytes at ``size`` pixels."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter, QPen
    from PySide6.QtWidgets import QApplication

    from app.paths import cjk_font_path

    _app = QApplication.instance() or QApplication([])
    family = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(cjk_font_path())))[0]
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    margin = size * 0.04
    seal = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(RED))
    p.drawRoundedRect(seal, size * 0.12, size * 0.12)
    # the seal's white inner border
    inner = seal.adjusted(size * 0.07, size * 0.07, -size * 0.07, -size * 0.07)
    p.setPen(QPen(QColor("white"), max(1.0, size * 0.025)))
    p.setBrush(Qt.BrushStyle.NoBrush)
    if size >= 32:  # at 16 and 24 px a border only blurs the character
        p.drawRoundedRect(inner, size * 0.06, size * 0.06)
    font = QFont(family)
    font.setPixelSize(int(size * (0.62 if size >= 32 else 0.78)))
    font.setWeight(QFont.Weight.Black)
    p.setFont(font)
    p.setPen(QColor("white"))
    p.drawText(seal, Qt.AlignmentFlag.AlignCenter, "民")
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return bytes(data.data())


def main() -> None:
    from PIL import Image

    out = ROOT / "resources" / "icon"
    out.mkdir(parents=True, exist_ok=True)
    (out / "minqing.png").write_bytes(draw(256))
    images = [Image.open(io.BytesIO(draw(s))) for s in SIZES]
    images[-1].save(out / "minqing.ico", sizes=[(s, s) for s in SIZES], append_images=images[:-1])
    print(f"已写出 {out / 'minqing.png'} 和 {out / 'minqing.ico'}")


if __name__ == "__main__":
    main()
