"""恢复码打印页: the recovery code on an A4 sheet, to be kept in the station's safe (docs/security.md).

The code is the only way into the database when every administrator has forgotten the password. The
sheet says what it is, where to keep it and how to use it; it is printed once, at setup or when an
administrator makes a new code, and never stored by the program.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.dates import cn_date
from app.paths import CJK_FAMILY

FONT = CJK_FAMILY


def write_sheet(out: Path, *, station: str, code: str, made_on: dt.date | None = None) -> Path:
    """Write the sheet for ``code`` of ``station`` to ``out`` (a PDF); returns the path."""
    from app.pdf_fonts import CjkPdf  # loads when a sheet is written, not with the settings screen

    made_on = made_on or dt.date.today()
    pdf = CjkPdf(orientation="P", unit="mm", format="A4")
    pdf.set_margins(22, 22, 22)
    pdf.set_title("民情簿数据库恢复码")
    pdf.set_creator("民情簿")
    pdf.add_page()
    pdf.set_font(FONT, size=20)
    pdf.cell(0, 12, "民情簿数据库恢复码", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(
        0,
        8,
        f"{station}　　{cn_date(made_on)}生成",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(10)
    pdf.set_font(FONT, size=26)
    pdf.set_draw_color(0)
    pdf.set_line_width(0.6)
    pdf.cell(0, 24, code, border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(FONT, size=12)
    for line in (
        "这是什么：本工作站的数据库已加密。恢复码和管理员的密码一样，能打开数据库。",
        "什么时候用：所有管理员都忘记了密码时，在登录窗口点“忘记密码”，输入这个恢复码，"
        "再为管理员设新密码。每次使用都记入操作记录。",
        "怎样保管：放进工作站的保险柜，不要拍照、不要存在电脑或手机里、不要交给无关的人。"
        "丢了或被人看到时，请管理员在“设置”页的“备份与恢复”里点“生成新的恢复码”，旧的随即作废。",
        "字母不分大小写；0 和 O、1 和 I 不会出现在恢复码中。",
    ):
        pdf.multi_cell(0, 8, line, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(12)
    pdf.cell(
        0, 8, "保管人签字：________________　　　　日期：________________", new_x="LMARGIN", new_y="NEXT"
    )
    return pdf.save(out, private=True)  # 0600 whatever the umask: the code opens the whole database
