"""调解文书: the printed forms of a mediation case file, A4, bundled CJK font, laid out like the paper
forms (boxed tables, signature lines) so they can be signed and filed.

受理登记表, 当事人权利义务告知书, 调解记录, 人民调解协议书 (one copy per party plus one for the committee,
each marked with its holder), 口头协议登记表, 回访记录, 卷宗封面, 卷内目录.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from db.models import Attachment

from app import accounts, audit
from app.attachments import load_blob
from app.codes import mask_resident_id
from app.dates import cn_date, cn_time
from app.errors import UserError
from app.mediation import casefile, law, rules
from app.mediation.info import CaseFile, PartyInfo, SignatureInfo, fen_to_yuan
from app.mediation.printable import DOCUMENTS, FULL_ID_DOCUMENTS, PrintedDocument
from app.pdf_fonts import FAMILY, CjkPdf
from app.work import Work

FONT = FAMILY
LABEL = FontFace(fill_color=(238, 238, 238))


class _Form(CjkPdf):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator("民情簿")
        self.mark = ""  # the copy's holder, printed at the top right of each page

    def header(self) -> None:
        if self.mark:
            self.set_font(FONT, size=9)
            self.cell(0, 5, self.mark, align="R", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"第 {self.page_no()} 页", align="C")
        self.set_text_color(0)

    # -- building blocks --------------------------------------------------------------------
    def heading(self, committee: str, title: str, number: str = "") -> None:
        self.set_font(FONT, size=12)
        self.cell(0, 7, committee, align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=20)
        self.cell(0, 13, title, align="C", new_x="LMARGIN", new_y="NEXT")
        if number:
            self.set_font(FONT, size=11)
            self.cell(0, 7, number, align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def grid(
        self,
        rows: list[list[tuple[str, str, int]]],
        columns: int = 8,
        size: float = 10.5,
        label_width: float = 23,
    ) -> None:
        """Boxed table: each row a list of (label, value, span of value cells). Labels sit in the even
        columns, ``label_width`` mm wide, on one line (a longer label is set smaller, never broken:
        "职业或职务", not "职业或职/务"); values wrap at any character."""
        self.set_font(FONT, size=size)
        pairs = columns // 2
        value_width = (self.epw - label_width * pairs) / pairs
        padding = 1.5
        with self.table(
            col_widths=[label_width, value_width] * pairs,
            text_align="LEFT",
            line_height=6.5,
            first_row_as_headings=False,
            padding=padding,
            wrapmode="CHAR",
        ) as table:
            for row in rows:
                r = table.row()
                for label, value, span in row:
                    if label:
                        r.cell(label, style=self._label_face(label, size, label_width - 2 * padding - 0.5))
                    r.cell(value or "", colspan=span)
        self.ln(3)

    def _label_face(self, label: str, size: float, room: float) -> FontFace:
        """The label's style: grey, at ``size`` or smaller so that it fits ``room`` mm on one line."""
        self.set_font(FONT, size=size)
        fit = size
        while fit > 6 and self.get_string_width(label) > room:
            fit -= 0.5
            self.set_font(FONT, size=fit)
        self.set_font(FONT, size=size)
        return FontFace(fill_color=LABEL.fill_color, size_pt=fit) if fit != size else LABEL

    def para(self, text: str, size: float = 11, indent: bool = True) -> None:
        """A paragraph per line of ``text``; Chinese wraps at any character, not at spaces, and as Chinese
        is set (a line never starts with "）。": :meth:`app.pdf_fonts.CjkPdf.kinsoku`)."""
        self.set_font(FONT, size=size)
        for line in text.splitlines() or [""]:
            self.multi_cell(
                0,
                7,
                ("\u3000\u3000" if indent else "") + line,
                new_x="LMARGIN",
                new_y="NEXT",
                wrapmode=WrapMode.CHAR,
                align="L",
            )

    def section(self, label: str, text: str) -> None:
        self.set_font(FONT, size=11.5)
        self.cell(0, 8, label, new_x="LMARGIN", new_y="NEXT")
        self.para(text or "（无）", size=11)
        self.ln(1)

    def sign_line(self, role: str, name: str = "", note: str = "", image: bytes | None = None) -> None:
        """``role（签名）：name ______  ____年__月__日``; a recorded signature is noted, its image drawn."""
        self.set_font(FONT, size=11)
        label = f"{role}：{name}"
        size = 11.0
        while size > 9 and self.get_string_width(label) > 92:
            size -= 0.5
            self.set_font(FONT, size=size)
        long = self.get_string_width(label) > 92  # a company's long name: a line of its own, whole
        if self.will_page_break(26 if long else 14):
            self.add_page()
        if long:
            self.multi_cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
            label = ""
        y = self.get_y()
        self.cell(94, 10, label)
        self.set_font(FONT, size=11)
        x = self.get_x()
        self.line(x, y + 8, x + 34, y + 8)
        if image is not None:
            self.picture(image, x=x + 2, y=y - 1, h=9)
        self.set_x(x + 36)
        if note:
            self.set_font(FONT, size=9)
        self.cell(0, 10, note or "　　年　　月　　日", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


def _age(p: PartyInfo, on: dt.date) -> str:
    age = p.age_on(on)
    return f"{age}" if age is not None else ""


def _id(number: str | None, full: bool) -> str:
    return (number or "") if full else mask_resident_id(number)


def _party_rows(
    parties: list[PartyInfo], on: dt.date, *, full_ids: bool = False
) -> list[list[tuple[str, str, int]]]:
    rows = []
    for p in parties:
        if p.kind == "单位":
            rows.append(
                [
                    (p.role, f"{p.name}（单位）", 3),
                    ("代表人", f"{p.representative or ''} {p.representative_title or ''}".strip(), 3),
                ]
            )
            rows.append([("联系方式", p.phone or "", 3), ("地址", p.address, 3)])
        else:
            rows.append(
                [
                    (p.role, p.name, 1),
                    ("性别", p.sex or "", 1),
                    ("民族", p.ethnicity or "", 1),
                    ("年龄", _age(p, on), 1),
                ]
            )
            rows.append([("身份证号", _id(p.id_number, full_ids), 3), ("职业或职务", p.occupation or "", 3)])
            rows.append([("联系方式", p.phone or "", 3), ("住址", p.address, 3)])
            if p.guardian_name:
                rows.append(
                    [
                        ("法定代理人", f"{p.guardian_name}（{p.guardian_relation or ''}）", 3),
                        ("身份证号", _id(p.guardian_id_number, full_ids), 3),
                    ]
                )
                rows.append([("代理人电话", p.guardian_phone or "", 7)])
    return rows


def _sig_note(sig: SignatureInfo | None) -> str:
    if sig is None:
        return ""
    return f"{sig.method}　{cn_date(sig.signed_on)}"


class _Signatures:
    """The recorded signatures of one document, by signer, with their images if stored here."""

    def __init__(self, cf: CaseFile, document_id: str, images: dict[str, bytes]) -> None:
        self.by_key = {
            (s.signer_role, s.party_id or s.signer_name): s
            for s in cf.signatures
            if s.document_id == document_id
        }
        self.images = images

    def party(self, p: PartyInfo) -> tuple[SignatureInfo | None, bytes | None]:
        sig = self.by_key.get(("当事人", p.id))
        return sig, self.images.get(sig.id) if sig else None

    def role(self, role: str, name: str = "") -> tuple[SignatureInfo | None, bytes | None]:
        """The signature of ``role`` by ``name`` (any of that role when no name is given, or none by it)."""
        sig = self.by_key.get((role, name)) if name else None
        if sig is None and not (name and role == "调解员"):
            sig = next((s for (r, _k), s in self.by_key.items() if r == role), None)
        return sig, self.images.get(sig.id) if sig else None


def _sign_block(
    pdf: _Form,
    cf: CaseFile,
    document_id: str | None,
    images: dict[str, bytes],
    *,
    party_suffix: str = "签名、盖章或按指印",
    roles: tuple[tuple[str, str, str], ...] = (),
    seal: bool = False,
) -> None:
    """A line for each party, named (several 申请人 are told apart), then one for each of ``roles``:
    (the line's label, the signer's role as recorded, the name printed when nobody has signed yet)."""
    sigs = _Signatures(cf, document_id or "", images)
    pdf.ln(3)
    for p in cf.parties:
        sig, img = sigs.party(p)
        if p.guardian_name:  # the 法定代理人 signs where the party would
            pdf.sign_line(
                f"{p.role}{p.name}的法定代理人（{party_suffix}）", p.guardian_name, _sig_note(sig), img
            )
        else:
            pdf.sign_line(f"{p.role}（{party_suffix}）", p.name, _sig_note(sig), img)
    printed = set()
    for label, key, name in roles:
        sig, img = sigs.role(key, name)
        printed.add(sig.id if sig else "")
        pdf.sign_line(label, sig.signer_name if sig else name, _sig_note(sig), img)
    for (role, _name), sig in sigs.by_key.items():  # a mediator who signed under a name not on the case
        if role == "调解员" and sig.id not in printed:
            pdf.sign_line("人民调解员（签名）", sig.signer_name, _sig_note(sig), sigs.images.get(sig.id))
    if seal:
        sig, _img = sigs.role("委员会")
        pdf.ln(4)
        pdf.set_font(FONT, size=11.5)
        pdf.cell(0, 8, f"{cf.committee_name}（印章）", align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(
            0,
            8,
            cn_date(sig.signed_on) if sig else "　　年　　月　　日",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )


def _mediator_lines(cf: CaseFile) -> tuple[tuple[str, str, str], ...]:
    """A 调解员 line for each mediator of the case, the 调解主持人 first (one blank line when none is named)."""
    named = sorted(cf.mediators, key=lambda m: not m.is_lead)
    return tuple(("人民调解员（签名）", "调解员", m.name) for m in named) or (
        ("人民调解员（签名）", "调解员", ""),
    )


def _both(cf: CaseFile) -> str:
    """双方 for two parties, 各方 for more (a 第三人 makes three)."""
    return "双方" if len(cf.parties) <= 2 else "各方"


def _write(pdf: _Form, target: Path, copies: int = 1, *, full_ids: bool = False) -> PrintedDocument:
    return PrintedDocument(pdf.save(target), pdf.pages_count, copies, full_ids)


# -- the documents ----------------------------------------------------------------------------------
def registration_form(
    cf: CaseFile, target: Path, images: dict[str, bytes] | None = None, *, full_ids: bool = False
) -> PrintedDocument:
    c = cf.case
    pdf = _Form("人民调解受理登记表")
    pdf.add_page()
    pdf.heading(cf.committee_name, "人民调解受理登记表", c.case_number)
    risks = [
        f"可能{n}（{k} 人）"
        for n, f, k in (
            ("民转刑", c.risk_criminal, c.risk_criminal_people),
            ("群体性上访", c.risk_petition, c.risk_petition_people),
            ("引起自杀", c.risk_suicide, c.risk_suicide_people),
            ("群体性械斗", c.risk_fight, c.risk_fight_people),
        )
        if f
    ]
    rows = [
        [("纠纷名称", c.title, 7)],
        [("受理日期", cn_date(c.accepted_on), 3), ("纠纷来源", c.source, 3)],
        [("纠纷类型", c.dispute_type, 3), ("难易程度", c.complexity, 3)],
        [("涉及人数", f"{c.people_count} 人", 3), ("涉及金额", f"{c.amount_yuan:,.2f} 元", 3)],
        *_party_rows(cf.parties, c.accepted_on, full_ids=full_ids),
        [("简要案情", c.facts, 7)],
        [("当事人请求", c.requests, 7)],
        [("风险情况", "、".join(risks) or "无", 7)],
        [("调解员", "、".join(m.name for m in cf.mediators), 3), ("登记人", c.registrar, 3)],
    ]
    pdf.grid(rows)
    pdf.sign_line("登记人（签名）", c.registrar)
    pdf.ln(6)
    pdf.set_font(FONT, size=11.5)
    pdf.cell(0, 8, f"{cf.committee_name}（印章）", align="R", new_x="LMARGIN", new_y="NEXT")
    return _write(pdf, target, full_ids=full_ids)


def rights_notice(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    c = cf.case
    pdf = _Form("人民调解当事人权利义务告知书")
    pdf.add_page()
    pdf.heading(cf.committee_name, "人民调解当事人权利义务告知书", c.case_number)
    names = "、".join(p.signer for p in cf.parties) or "当事人"
    pdf.para(f"{names}：", indent=False)
    pdf.para(
        f"你（们）与对方因“{c.title}”申请（或同意）本委员会调解。{law.FREE_OF_CHARGE.citation}规定："
        f"“{law.FREE_OF_CHARGE.text}”现依照{law.RIGHTS.citation}、{law.DUTIES.article}的规定，将你们在调解活动中"
        "享有的权利和承担的义务告知如下："
    )
    pdf.section(law.RIGHTS.text, "\n".join(law.RIGHTS_ITEMS))
    pdf.section(law.DUTIES.text, "\n".join(law.DUTIES_ITEMS))
    pdf.para(
        f"{law.JUDICIAL_CONFIRMATION.text}（{law.JUDICIAL_CONFIRMATION.article}）"
        f"{law.FAILED_ROUTES_TEXT}（{law.END_WHEN_FAILED.article}）"
    )
    if any(p.guardian_name for p in cf.parties):
        pdf.para(
            "未成年人等不具有完全民事行为能力的当事人，由其法定代理人代为参加调解、行使上述权利、"
            f"履行上述义务并签名（{law.CAPACITY.citation}）。"
        )
    given = (
        f"告知方式：{c.rights_notice_method or '书面告知'}　告知人：{c.rights_notice_by or ''}　"
        f"告知日期：{cn_date(c.rights_notice_on)}"
        if c.rights_notice_on
        else ""
    )
    if given:
        pdf.para(given, size=10.5, indent=False)
    pdf.ln(2)
    pdf.para("以上内容我已知悉。", indent=False)
    _sign_block(
        pdf,
        cf,
        None,
        images or {},
        party_suffix="签名",
        roles=(("告知人（签名）", "告知人", c.rights_notice_by or ""),),
    )
    return _write(pdf, target)


def session_records(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    c = cf.case
    if not cf.sessions:
        raise UserError("本案还没有调解记录可打印")
    pdf = _Form("人民调解记录")
    for rec in cf.sessions:
        pdf.add_page()
        pdf.heading(cf.committee_name, "人民调解记录", f"{c.case_number}　第 {rec.seq} 次")
        pdf.grid(
            [
                [("调解时间", cn_time(rec.held_at), 3), ("调解地点", rec.place, 3)],
                [("调解事项", rec.subject or c.title, 7)],
                [("参加人", rec.participants, 7)],
                [("到场当事人", rec.parties_present or "、".join(p.signer for p in cf.parties), 7)],
                [("调解员", rec.mediator_name, 3), ("记录人", rec.recorder_name, 3)],
            ]
        )
        notice = (
            f"已于 {cn_date(c.rights_notice_on)} 向当事人{c.rights_notice_method or '书面告知'}权利义务。"
            if c.rights_notice_on
            else ""
        )
        pdf.section("权利义务告知：", notice)
        pdf.section("当事人陈述：", rec.statements)
        pdf.section("调查核实情况：", rec.verification)
        pdf.section("风险告知：", rec.risk_notice)
        pdf.section(f"调解结果：{rec.result}", rec.result_detail)
        _sign_block(
            pdf,
            cf,
            rec.id,
            images or {},
            party_suffix="签名",
            roles=(
                ("调解员（签名）", "调解员", rec.mediator_name),
                ("记录人（签名）", "记录人", rec.recorder_name),
            ),
        )
    return _write(pdf, target)


def agreement(
    cf: CaseFile, target: Path, images: dict[str, bytes] | None = None, *, full_ids: bool = False
) -> PrintedDocument:
    """人民调解协议书: copies = parties + 1 (Art. 29), each starting on a new page and marked with its holder."""
    ag = cf.agreement
    if ag is None or ag.kind != "书面":
        raise UserError("本案没有书面调解协议；口头协议请打印“口头协议登记表”")
    holders = [f"{p.role}{p.name}执" for p in cf.parties] + [f"{cf.committee_name}存档"]
    pdf = _Form("人民调解协议书")
    for i, holder in enumerate(holders, start=1):
        pdf.mark = f"第 {i} 份（共 {len(holders)} 份）　{holder}"
        pdf.add_page()
        pdf.heading(cf.committee_name, "人民调解协议书", ag.number)
        pdf.grid(_party_rows(cf.parties, ag.reached_on, full_ids=full_ids))
        pdf.section("纠纷主要事实、争议事项：", "\n".join(x for x in (ag.facts, ag.issues) if x))
        pdf.section("各方当事人责任：", ag.responsibilities)
        pdf.para(f"经本委员会调解，{_both(cf)}当事人自愿达成如下协议：", indent=False)
        pdf.para(ag.terms)
        # each of the three named, a blank one as such (the paper goes to court: nothing left to guess)
        deadline = f"{cn_date(ag.performance_deadline)}前" if ag.performance_deadline else "未约定"
        pdf.section(
            "履行方式、地点、期限：",
            f"履行方式：{ag.performance_manner or '按上述协议履行'}；"
            f"履行地点：{ag.performance_place or '未约定'}；履行期限：{deadline}。"
            + (f"协议涉及金额 {fen_to_yuan(ag.amount_fen):,.2f} 元。" if ag.amount_fen else ""),
        )
        pdf.para(
            f"本协议一式 {len(holders)} 份，当事人各执一份，人民调解委员会留存一份。本协议自各方当事人"
            "（无民事行为能力或者限制民事行为能力的当事人由其法定代理人）签名、盖章或者按指印，人民调解员"
            f"签名并加盖人民调解委员会印章之日起生效（{law.AGREEMENT_EFFECT.citation}）。{_both(cf)}当事人认为有必要的，"
            f"可以自本协议生效之日起三十日内共同向人民法院申请司法确认（{law.JUDICIAL_CONFIRMATION.article}）。"
        )
        _sign_block(pdf, cf, ag.id, images or {}, roles=_mediator_lines(cf), seal=True)
        pdf.set_font(FONT, size=10)
        pdf.cell(0, 7, f"记录人：{ag.recorder}", new_x="LMARGIN", new_y="NEXT")
    return _write(pdf, target, copies=len(holders), full_ids=full_ids)


def oral_agreement(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    c, ag = cf.case, cf.agreement
    if ag is None or ag.kind != "口头":
        raise UserError("本案没有口头协议")
    pdf = _Form("口头调解协议登记表")
    pdf.add_page()
    pdf.heading(cf.committee_name, "口头调解协议登记表", ag.number)
    pdf.grid(
        [
            [("纠纷名称", c.title, 7)],
            *_party_rows(cf.parties, ag.reached_on),
            [("纠纷简要情况", ag.facts or c.facts, 7)],
            [("口头协议内容", ag.terms, 7)],
            [("履行方式", ag.performance_manner, 3), ("履行期限", cn_date(ag.performance_deadline), 3)],
            [("履行地点", ag.performance_place, 7)],
            [("达成日期", f"{cn_date(ag.reached_on)}（自达成之日起生效，{law.ORAL_EFFECT.article}）", 7)],
            [("涉及金额", f"{fen_to_yuan(ag.amount_fen):,.2f} 元", 3), ("登记人", ag.recorder, 3)],
        ]
    )
    _sign_block(pdf, cf, ag.id, images or {}, party_suffix="签名", roles=_mediator_lines(cf))
    return _write(pdf, target)


def follow_up_records(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    done = [f for f in cf.follow_ups if f.visited_on is not None]
    if not done:
        raise UserError("本案还没有回访记录可打印")
    pdf = _Form("人民调解回访记录")
    for f in done:
        pdf.add_page()
        pdf.heading(cf.committee_name, "人民调解回访记录", f"协议编号：{f.agreement_number}")
        pdf.grid(
            [
                [("当事人", f.parties, 3)],
                [("回访事由", f.subject, 3)],
                [("回访时间", cn_date(f.visited_on), 1), ("回访人", f.visitor, 1)],
                [("协议履行情况", f.performance, 3)],
                [("当事人满意度", f.satisfaction or "", 3)],
                [("当事人思想变化", f.attitude_changes or "无", 3)],
                [("有无新的纠纷苗头", f.new_dispute_signs or "无", 3)],
                [("采取的措施", f.measures or "无", 3)],
            ],
            columns=4,
            label_width=36,
        )
        pdf.sign_line("回访人（签名）", f.visitor)
        pdf.sign_line("被回访人（签名）")
    return _write(pdf, target)


def _closed_on(cf: CaseFile) -> dt.date | None:
    """结案日期 as the 台账 gives it: the last step to 调解成功, 调解不成 or 终止 (上报 is not 结案)."""
    ends = [t.on_date for t in cf.transitions if t.to_state in rules.CONCLUDED]
    return ends[-1] if ends else None


def cover(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    c = cf.case
    pdf = _Form("人民调解卷宗")
    pdf.add_page()
    pdf.set_font(FONT, size=14)
    pdf.ln(18)
    pdf.cell(0, 10, cf.committee_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=30)
    pdf.ln(8)
    pdf.cell(0, 20, "人 民 调 解 卷 宗", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(16)
    closed = _closed_on(cf)
    result = {
        "成功": "调解成功",
        "不成": "调解不成",
        "终止": "终止调解",
        "不予受理": "不予受理",
        "上报": f"上报{c.escalated_to or ''}",
    }.get(c.outcome or "", "调解中")
    rows = [
        ("卷　　号", c.volume_no or ""),
        ("案件编号", c.case_number),
        ("纠纷名称", c.title),
        ("当 事 人", "、".join(p.name for p in cf.parties)),
        ("调 解 员", "、".join(m.name for m in cf.mediators)),
        ("受理日期", cn_date(c.accepted_on)),
        ("结案日期", cn_date(closed)),
        ("调解结果", result),
        ("立 卷 人", c.filed_by or ""),
        ("立卷日期", cn_date(c.filed_on)),
        ("保管期限", c.retention or ""),
    ]
    x0 = pdf.l_margin + 25
    size, pitch, line, counts = _cover_layout(pdf, [value for _label, value in rows])
    for (label, value), count in zip(rows, counts, strict=True):
        pdf.set_font(FONT, size=size)
        y = pdf.get_y()
        pdf.set_x(x0)
        pdf.cell(32, pitch, label + "：")
        # a value of several lines: set closer, its first line level with the label
        pdf.set_xy(x0 + 32, y + (pitch - line) / 2)
        pdf.multi_cell(88, line, value, new_x="LMARGIN", new_y="NEXT")
        bottom = y + count * line + (pitch - line)
        pdf.line(x0 + 32, bottom - 2, x0 + 120, bottom - 2)
        pdf.set_y(bottom)
    return _write(pdf, target)


# The cover's rows, tightest last: (font size, the row's height, a wrapped line's height). A cover is one
# page, the front of the file's folder: a long 纠纷名称 or many parties set it closer, then smaller.
_COVER_STEPS = ((13, 12.0, 7.0), (12, 10.0, 6.2), (11, 9.0, 5.6), (10, 8.0, 5.0))


def _cover_layout(pdf: _Form, values: list[str]) -> tuple[float, float, float, list[int]]:
    """The first step of :data:`_COVER_STEPS` at which the rows fit what is left of the page, and how
    many lines each value takes at it (the tightest step when none fits: the rest goes on a second page
    rather than being cut)."""
    room = pdf.h - pdf.b_margin - pdf.get_y()
    for size, pitch, line in _COVER_STEPS:
        pdf.set_font(FONT, size=size)
        counts = []
        for value in values:
            lines = pdf.multi_cell(88, line, value, dry_run=True, output="LINES")
            assert isinstance(lines, list), "output=LINES gives the lines"
            counts.append(max(1, len(lines)))
        if sum(n * line + pitch - line for n in counts) <= room:
            break
    return size, pitch, line, counts


def contents(cf: CaseFile, target: Path, images: dict[str, bytes] | None = None) -> PrintedDocument:
    pdf = _Form("卷内目录")
    pdf.add_page()
    pdf.heading(
        cf.committee_name, "卷 内 目 录", f"卷号：{cf.case.volume_no or '　　　　'}　{cf.case.case_number}"
    )
    pdf.set_font(FONT, size=11)
    page = 1
    with pdf.table(
        col_widths=(12, 88, 20, 20, 30),
        text_align=("CENTER", "LEFT", "CENTER", "CENTER", "LEFT"),
        line_height=8,
        headings_style=FontFace(fill_color=(238, 238, 238)),
        wrapmode="CHAR",
    ) as table:
        table.row(("序号", "材料名称", "页号", "页数", "备注"))
        for n, item in enumerate(cf.items, start=1):
            pages = (item.pages or 1) if item.present else 0
            span = f"{page}" if pages == 1 else (f"{page}-{page + pages - 1}" if pages else "")
            # 备注 is the clerk's own column: only what the clerk wrote there.
            table.row((str(n), item.title, span, str(pages) if pages else "", item.note))
            page += pages
    return _write(pdf, target)


RENDERERS: dict[str, Callable[..., PrintedDocument]] = {
    "registration": registration_form,
    "rights_notice": rights_notice,
    "session_record": session_records,
    "agreement": agreement,
    "oral_agreement": oral_agreement,
    "follow_up": follow_up_records,
    "cover": cover,
    "contents": contents,
}


def signature_images(work: Work, cf: CaseFile) -> dict[str, bytes]:
    """Signature id → the stored PNG of a signature-pad signature (when its content is on this station)."""
    out = {}
    for sig in cf.signatures:
        if sig.attachment_id:
            att = work.session.get(Attachment, sig.attachment_id)
            data = (
                load_blob(work.session.connection(), work.paths.attachments, att.sha256)
                if att is not None
                else None
            )
            if data is not None:
                out[sig.id] = data
    return out


def print_document(
    work: Work,
    case_id: str,
    kind: str,
    target: Path,
) -> PrintedDocument:
    """Open the case (permission checked, audited) and write one document to ``target``.

    The 协议书 and the 受理登记表 show the parties' (and their 法定代理人's) full resident IDs when the
    account may reveal them (``reveal_resident_id``), masked otherwise; every print is audited, and
    one with full IDs says so (``id_number`` among the fields)."""
    if kind not in RENDERERS:
        raise ValueError(kind)
    cf = casefile.open_case(work, case_id)
    images = signature_images(work, cf)
    full = kind in FULL_ID_DOCUMENTS and accounts.can(work.actor, "reveal_resident_id")
    printed = (
        RENDERERS[kind](cf, target, images, full_ids=True) if full else RENDERERS[kind](cf, target, images)
    )
    audit.record(
        work.session,
        work.actor,
        "case.print",
        table="mediation_case",
        record_id=case_id,
        fields=["id_number"] if full else [],
        detail=DOCUMENTS[kind] + ("（完整身份证号）" if full else ""),
    )
    return printed


def full_ids_refused(work: Work, kind: str) -> bool:
    """This document would show full IDs, but the account may not reveal them (printed masked)."""
    return kind in FULL_ID_DOCUMENTS and not accounts.can(work.actor, "reveal_resident_id")
