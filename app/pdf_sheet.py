"""A4 landscape report pages shared by the printed reports (统计报表's 各村汇总, the 人民调解月报): the
project's Chinese font, margins, title and a page number in the footer."""

from __future__ import annotations

from app.pdf_fonts import FAMILY, CjkPdf

FONT = FAMILY


class LandscapeSheet(CjkPdf):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(True, margin=12)
        self.set_title(title)
        self.set_creator("民情簿")

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"第 {self.page_no()} 页", align="C")
        self.set_text_color(0)
