"""The window's bundled font: the common characters from a small face, every other one from the whole font."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter, QRawFont

from app.paths import cjk_common_font_path, cjk_font_path

from tools.make_font import gb2312_level_one


def _raw(path: Path) -> QRawFont:
    raw = QRawFont(str(path), 24)
    assert raw.isValid(), path
    return raw


def _has(raw: QRawFont, ch: str) -> bool:
    """(QRawFont.supportsCharacter answers False for many characters the font has; the glyph index
    is what drawing uses.)"""
    return raw.glyphIndexesForString(ch)[0] != 0


def test_the_common_face_holds_gb2312_level_one_and_the_whole_font_the_rest(qapp):
    common, whole = _raw(cjk_common_font_path()), _raw(cjk_font_path())
    level_one = gb2312_level_one()
    assert len(level_one) == 3755
    assert [chr(u) for u in level_one[:3]] == ["啊", "阿", "埃"]  # GB 2312 row 16 starts 啊阿埃
    missing = [chr(u) for u in level_one if not _has(common, chr(u))]
    assert missing == []
    for ch in "0Aa，。（）：、—·①":  # the non-Han ranges stay in the common face
        assert _has(common, ch), ch
    # second-level and rarer name characters: not in the common face, all in the whole one
    for ch in "喆堃昇䶮珺":
        assert not _has(common, ch), ch
        assert _has(whole, ch), ch


def _drawn(text: str, font: QFont) -> QImage:
    image = QImage(400, 60, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
    painter.end()
    return image


def test_the_window_draws_common_and_rare_characters_as_the_whole_font_would(qapp, monkeypatch):
    import ui.app

    monkeypatch.setattr(ui.app, "UI_FONTS", ())  # as on a computer with no Chinese font of its own
    before = qapp.font()
    try:
        first = ui.app.apply_ui_font(qapp)
        families = qapp.font().families()
        assert first == ui.app.COMMON_FAMILY
        assert families[:2] == [ui.app.COMMON_FAMILY, ui.app.BUNDLED_FAMILY]
        installed = QFontDatabase.families()
        assert ui.app.COMMON_FAMILY in installed and ui.app.BUNDLED_FAMILY in installed
        whole = QFont(ui.app.BUNDLED_FAMILY)
        whole.setPointSizeF(qapp.font().pointSizeF() * 2)
        window = QFont(qapp.font())
        window.setPointSizeF(whole.pointSizeF())
        # a name of common characters, and one with a character only the whole font has
        for text in ("张三丰 民情日记 0123", "李喆 王堃"):
            drawn = _drawn(text, window)
            assert drawn == _drawn(text, whole), text
            assert drawn != _drawn("", whole), text  # something was drawn
        # the rare character is not a blank or a box: it differs from another rare character
        assert _drawn("喆", window) != _drawn("堃", window)
        assert ui.app.apply_ui_font(qapp) == ui.app.COMMON_FAMILY  # a second call keeps the pair
    finally:
        qapp.setFont(before)
