"""The PDFs' Chinese font, and what becomes of a character it does not have; and pictures placed safely.

Noto Serif SC (``resources/fonts``) has the common characters and CJK Extension A, not Extension B and
after, where some people's names and places are written (王𪚥, 九组𠀀号). fpdf2 left such a character out
without a word: a name or an address printed one character short is read as another one, on a contact
card or on a mediation agreement that has legal force. Now:

- a character from Extension B on is drawn with the computer's own font for them, when it has one
  (Windows: SimSun-ExtG or SimSun-ExtB; Linux: HanaMinB or BabelStone Han), added only to a document
  that needs it (loading one takes a quarter of a second);
- a character no font here has is printed as □, the sign for a character the printer lacks, so that the
  gap shows and is filled in by hand; the characters are noted in the log and in
  :attr:`CjkPdf.missing_characters`.

Every PDF the program writes is a :class:`CjkPdf` (docs/security.md, "Names beyond the font"), and is
written by :meth:`CjkPdf.save`, whole or not at all.

Chinese text wraps at any character, and as Chinese papers are set (避头尾): a line never starts with
closing punctuation (，。、）》” …) and never ends with opening punctuation (（《“): fpdf2 breaks where the
width ends, which left a 。 or a ） alone at the start of a line of a mediation agreement. Every
:meth:`CjkPdf.multi_cell` (a table's cells too) breaks such a text itself first (:meth:`CjkPdf.kinsoku`):
the character before the punctuation goes down with it.

A signature or a photo placed on a paper (:meth:`CjkPdf.picture`) may have come from another station in a
bundle, checked only against its hash: it is looked at before it is read, and one that cannot be read, or
that would unpack to more than :data:`MAX_PICTURE_PIXELS`, is left out (the line stays blank for a hand
signature) instead of stopping the paper.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.util import Padding

from db.files import private_file

from app.errors import folder_gone
from app.paths import CJK_FAMILY, cjk_font_path

FAMILY = CJK_FAMILY
MISSING_MARK = "□"
# Extension B and every later block (and the compatibility supplement): none in the bundled font
_BEYOND = re.compile("[\U00020000-\U0003ffff]")

# 避头尾: what never starts a line, and what never ends one
NO_LINE_START = frozenset("，。、；：？！）》」』”’…—〉】〕〗｝］%,.;:?!)]}")
NO_LINE_END = frozenset("（《「『“‘〈【〔〖｛［([{")
_KINSOKU_PULL = 3  # at most this many characters go down to the next line with its first
_BREAKING = frozenset(" \u3000")  # a space where a line breaks is dropped, as fpdf2 drops it

log = logging.getLogger("minqing.pdf")
# A signature is a few hundred thousand pixels, a phone photo 12 million, an A4 page scanned at 600 dpi 35
# million; a picture of more is refused before it is unpacked (a small PNG can unpack to gigabytes).
MAX_PICTURE_PIXELS = 40_000_000


def rare_font_paths() -> list[Path]:
    """The computer's fonts for characters beyond the bundled one, best first (those present)."""
    fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
    candidates = [
        fonts / "SimsunExtG.ttf",  # Windows 11: Extensions B to H
        fonts / "simsunb.ttf",  # Windows (Chinese editions since XP): SimSun-ExtB
        Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),  # Debian, Ubuntu: fonts-hanazono
        Path("/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf"),  # fonts-babelstone-han
    ]
    return [p for p in candidates if p.is_file()]


class CjkPdf(FPDF):
    """An FPDF with the bundled Chinese font as :data:`FAMILY` (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_font(FAMILY, "", str(cjk_font_path()))
        self.missing_characters: set[str] = set()
        self._rare_fonts: list[str] | None = None  # None: not looked for yet
        self._kinsoku_done: str | None = None  # the text multi_cell last broke into lines

    def multi_cell(self, w: float, h: float | None = None, text: str = "", *args: Any, **kwargs: Any) -> Any:
        """fpdf2's ``multi_cell``, its text broken into lines as Chinese is set (:meth:`kinsoku`) when it
        wraps at any character: ``wrapmode=CHAR``, or a text without spaces (where fpdf2 breaks at any
        character too). A text with spaces in word mode, or with markdown, is fpdf2's to break."""
        wrapmode = WrapMode.coerce(kwargs.get("wrapmode", WrapMode.WORD))
        if (
            text
            and text is not self._kinsoku_done  # (fpdf2's dry run calls this again with the broken text)
            and not args
            and not kwargs.get("markdown")
            and (wrapmode == WrapMode.CHAR or " " not in text)
        ):
            padding = Padding.new(kwargs.get("padding", 0))
            width = (w or self.w - self.r_margin - self.x) - padding.left - padding.right
            width -= (0 if padding.left else self.c_margin) + (0 if padding.right else self.c_margin)
            text = self._kinsoku_done = self.kinsoku(text, width)
        return super().multi_cell(w, h, text, *args, **kwargs)

    def kinsoku(self, text: str, width: float) -> str:
        """``text`` with a line break wherever a line of ``width`` (in the current font) must end, each
        line no wider than fpdf2 allows, none starting with closing punctuation or ending with opening
        punctuation; the lines of a text already broken so are left as they are."""
        widths: dict[str, float] = {}
        em = self.font_size
        out: list[str] = []
        limit = width - 1e-6  # (fpdf2 breaks only beyond its width: a line at the very width stays)
        for paragraph in text.split("\n"):
            line: list[str] = []
            used = 0.0
            for ch in paragraph:
                cw = widths.get(ch)
                if cw is None:
                    cw = widths[ch] = em if _BEYOND.match(ch) else self.get_string_width(ch)
                if line and used + cw > limit:
                    if ch in _BREAKING:  # dropped at the break
                        out.append("".join(line))
                        line, used = [], 0.0
                        continue
                    pull = 0
                    if ch in NO_LINE_START:
                        pull = 1
                        while pull < min(_KINSOKU_PULL, len(line) - 1) and line[-pull] in NO_LINE_START:
                            pull += 1
                    while pull < min(_KINSOKU_PULL, len(line) - 1) and line[-pull - 1] in NO_LINE_END:
                        pull += 1
                    # nothing better to do than to break here: a run of punctuation, a narrow cell
                    if (
                        pull >= len(line)
                        or (pull and line[-pull] in NO_LINE_START)
                        or sum(widths[c] for c in line[len(line) - pull :]) + cw > limit
                    ):
                        pull = 0
                    moved = line[len(line) - pull :] if pull else []
                    out.append("".join(line[: len(line) - pull]))
                    line = moved
                    used = sum(widths[c] for c in line)
                line.append(ch)
                used += cw
            out.append("".join(line))
        return "\n".join(out)

    def normalize_text(self, text: str) -> str:
        """Every text fpdf2 draws or measures passes here first."""
        if _BEYOND.search(text):
            text = self._beyond_the_font(text)
        return super().normalize_text(text)

    def _beyond_the_font(self, text: str) -> str:
        if self._rare_fonts is None:
            self._rare_fonts = []
            for n, path in enumerate(rare_font_paths()):
                try:
                    self.add_font(f"rare{n}", "", str(path))
                except Exception as exc:  # a damaged or unreadable system font: the next one, or □
                    log.warning("字体 %s 无法使用：%s", path, exc)
                    continue
                self._rare_fonts.append(f"rare{n}")
            if self._rare_fonts:
                self.set_fallback_fonts(self._rare_fonts, exact_match=False)
        cmaps = [self.fonts[FAMILY.lower()].cmap, *(self.fonts[f].cmap for f in self._rare_fonts)]  # type: ignore[union-attr]
        out = []
        for ch in text:
            if ord(ch) >= 0x20000 and not any(ord(ch) in cmap for cmap in cmaps):
                if ch not in self.missing_characters:
                    log.warning(
                        "PDF 里有本机字体都没有的字 U+%X，已印成 %s，请手写补上", ord(ch), MISSING_MARK
                    )
                self.missing_characters.add(ch)
                ch = MISSING_MARK
            out.append(ch)
        return "".join(out)

    def save(self, target: Path | str, *, private: bool = False) -> Path:
        """Write the document to ``target`` whole or not at all: into a hidden file beside it, which then
        takes its place. A failure (a full or unplugged stick) leaves ``target`` as it was, an earlier
        paper of the same name included, and no part of a file behind. ``private``: readable by its
        owner only (0600) whatever the umask, before it takes the name."""
        target = Path(target)
        tmp = target.with_name(f".{target.name}.part")
        try:
            self.output(str(tmp))
            if private:
                private_file(tmp)
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):  # the stick is gone: nothing is left to remove either
                tmp.unlink(missing_ok=True)
            if isinstance(exc, FileNotFoundError | NotADirectoryError):
                raise folder_gone(target) from None
            raise
        return target

    def discard(self) -> None:
        """A document given up before it was saved: its font files are closed (fpdf2 closes them only
        while saving)."""
        for font in self.fonts.values():
            ttfont = getattr(font, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def picture(self, data: bytes, **placement: Any) -> Any:
        """``FPDF.image`` of ``data`` at ``placement`` (x, y, w, h); None, and nothing drawn, when the
        picture cannot be read or is larger than :data:`MAX_PICTURE_PIXELS`."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as probe:  # the header only: nothing is unpacked yet
                width, height = probe.size
            if width * height > MAX_PICTURE_PIXELS:
                log.warning("图片 %d×%d 像素，太大，未放进 PDF", width, height)
                return None
            return self.image(io.BytesIO(data), **placement)
        except (
            UnidentifiedImageError,
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombError,
        ) as exc:
            log.warning("图片无法读取，未放进 PDF：%s", exc)
            return None
