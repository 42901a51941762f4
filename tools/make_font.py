"""Rebuild resources/fonts/NotoSerifSC-Regular.otf from Debian's fonts-noto-cjk.

The SC face of Noto Serif CJK (SIL Open Font License 1.1), subset to ASCII, Latin-1, general and
CJK punctuation, full-width forms, CJK Unified Ideographs and extension A, so it stays small enough
to embed quickly while covering uncommon name characters.
Usage: python tools/make_font.py [/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc]
"""
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
out = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "NotoSerifSC-Regular.otf"
collection = TTCollection(src)
font = next(f for f in collection.fonts if f["name"].getDebugName(4).endswith(" SC"))
ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x218F), (0x2190, 0x21FF),
          (0x2460, 0x24FF), (0x2500, 0x257F), (0x25A0, 0x25FF), (0x2600, 0x26FF), (0x3000, 0x303F),
          (0x3200, 0x32FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF)]
unicodes = [u for a, b in ranges for u in range(a, b + 1)]
options = subset.Options()
options.layout_features = ["*"]
options.name_IDs = ["*"]
options.notdef_outline = True
subsetter = subset.Subsetter(options)
subsetter.populate(unicodes=unicodes)
subsetter.subset(font)
font.save(str(out))
print(out, out.stat().st_size)
