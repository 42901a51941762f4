"""Rebuild the bundled fonts in resources/fonts/ from Debian's fonts-noto-cjk.

- ``NotoSerifSC-Regular.otf``: the SC face of Noto Serif CJK (SIL Open Font License 1.1), subset to
  ASCII, Latin-1, general and CJK punctuation, full-width forms, CJK Unified Ideographs and extension A,
  so it stays small enough to embed quickly while covering uncommon name characters. The PDFs embed it,
  and the window falls back to it for a character the common face lacks.
- ``NotoSerifSC-Common.otf``: the same outlines cut down to the same non-Han ranges and the 3 755
  characters of GB 2312's first level (一级汉字, rows 16–55), under a family name of its own
  (``COMMON_FAMILY``). The window draws with it first: the glyphs a screen needs then lie in a 2.7 MB
  file instead of being spread over 19 MB, and fewer pages of the font stay in memory (measured
  in ui/app.py's ``apply_ui_font``).

Usage: python tools/make_font.py [/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc]
       python tools/make_font.py --common-only   (the common face from the bundled full one)
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
FULL = FONTS / "NotoSerifSC-Regular.otf"
COMMON = FONTS / "NotoSerifSC-Common.otf"
FULL_FAMILY, COMMON_FAMILY = "Noto Serif CJK SC", "Noto Serif CJK SC Common"
NON_HAN = [
    (0x20, 0x7E),
    (0xA0, 0xFF),
    (0x2000, 0x206F),
    (0x2100, 0x218F),
    (0x2190, 0x21FF),
    (0x2460, 0x24FF),
    (0x2500, 0x257F),
    (0x25A0, 0x25FF),
    (0x2600, 0x26FF),
    (0x3000, 0x303F),
    (0x3200, 0x32FF),
    (0xFF00, 0xFFEF),
]
HAN = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF)]


def gb2312_level_one() -> list[int]:
    """The 3 755 characters of GB 2312 rows 16–55 (一级汉字), from Python's own GB 2312 codec."""
    out = []
    for row in range(16, 56):
        for cell in range(1, 90 if row == 55 else 95):  # row 55 ends at cell 89
            out.append(ord(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312")))
    return out


def _subset(font: TTFont, unicodes: list[int]) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)


def make_full(src: str) -> None:
    collection = TTCollection(src)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4).endswith(" SC"))
    _subset(font, [u for a, b in NON_HAN + HAN for u in range(a, b + 1)])
    font.save(str(FULL))
    print(FULL, FULL.stat().st_size)


def make_common() -> None:
    font = TTFont(str(FULL))
    _subset(font, [u for a, b in NON_HAN for u in range(a, b + 1)] + gb2312_level_one())
    for record in font["name"].names:  # a family of its own: Qt falls back from it to the full face
        if record.nameID in (1, 3, 4, 6, 16):
            text = record.toUnicode()
            text = text.replace(FULL_FAMILY, COMMON_FAMILY).replace("NotoSerifCJKsc", "NotoSerifCJKscCommon")
            record.string = text
    font["CFF "].cff.fontNames = ["NotoSerifCJKscCommon-Regular"]
    font.save(str(COMMON))
    print(COMMON, COMMON.stat().st_size)


if __name__ == "__main__":
    if sys.argv[1:] != ["--common-only"]:
        make_full(
            sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
        )
    make_common()
