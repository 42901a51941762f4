"""Each printed mediation document: text extractable, font embedded, pages and agreement copies."""

import datetime as dt
import io

import pytest
from PIL import Image
from pypdf import PdfReader

from app.errors import UserError
from app.mediation import agreement, casefile, meetings, registration, states
from app.mediation import documents as docs

from tests.mediation_helpers import make_mediator

D = dt.date


def _png() -> bytes:
    img = Image.new("RGB", (120, 40), "white")
    for x in range(10, 110):
        img.putpixel((x, 20 + (x % 7) - 3), (0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def build_full_case(ws, *, third_party: bool = True, oral: bool = False):
    """A case from registration to the archive, with three parties (one an organisation)."""
    user = make_mediator(ws)
    with ws.work(user) as w:
        c = registration.register_case(
            w,
            title="张三丰与曾国藩宅基地纠纷",
            accepted_on=D(2026, 3, 2),
            source="排查发现",
            dispute_type="房屋宅基地",
            complexity="一般",
            people_count=5,
            amount="8000",
            facts="两家相邻，曾家翻建院墙越过界址约 0.5 米，张家不满，双方多次争吵。",
            requests="申请人要求被申请人拆除越界院墙并赔偿损失。",
            risk_criminal_people=2,
        )
        registration.add_party(
            w,
            c.id,
            role="申请人",
            name="张三丰",
            sex="男",
            ethnicity="汉族",
            id_number="11010519491231002X",
            occupation="农民",
            phone="13905351234",
            address="张家村二组 8 号",
        )
        registration.add_party(
            w,
            c.id,
            role="被申请人",
            name="曾国藩",
            sex="男",
            ethnicity="汉族",
            occupation="个体",
            address="张家村二组 9 号",
        )
        if third_party:
            registration.add_party(
                w,
                c.id,
                role="第三人",
                kind="单位",
                name="东城镇鑫达建筑队",
                representative="单田芳",
                representative_title="负责人",
                phone="0535-6611234",
            )
        registration.add_mediator(w, c.id, user_id=user.id, is_lead=True)
        registration.add_mediator(w, c.id, name="赵乡贤")
        registration.record_rights_notice(w, c.id, given_on=D(2026, 3, 3))
        states.change_state(w, c.id, "调解中", on_date=D(2026, 3, 3))
        rec = meetings.add_meeting(
            w,
            c.id,
            held_at=dt.datetime(2026, 3, 5, 9, 30),
            place="村委会调解室",
            participants="李调解、赵乡贤、张三丰、曾国藩、单田芳",
            statements="张三丰称……；曾国藩称……",
            verification="现场丈量，院墙越界 0.48 米。",
            risk_notice="告知双方不得采取过激行为。",
            result="达成协议",
            result_detail="双方同意拆除越界部分，赔偿 800 元。",
            recorder_name="王文书",
        )
        agreement.sign(
            w,
            document_table="mediation_session",
            document_id=rec.id,
            signer_role="记录人",
            signer_name="王文书",
            signed_on=D(2026, 3, 5),
        )
        ag = agreement.save_agreement(
            w,
            c.id,
            kind="口头" if oral else "书面",
            reached_on=D(2026, 3, 5),
            facts="曾家翻建院墙越过界址 0.48 米。",
            issues="院墙位置及损失赔偿。",
            responsibilities="被申请人负主要责任。",
            terms="一、曾国藩于 2026 年 3 月 20 日前拆除越界院墙；二、曾国藩赔偿张三丰损失 800 元。",
            performance_manner="自行拆除，现金支付",
            performance_deadline=D(2026, 3, 20),
            amount=800,
            recorder="王文书",
        )
        if not oral:
            for p in registration.parties(w, c.id):
                agreement.sign(
                    w,
                    document_table="mediation_agreement",
                    document_id=ag.id,
                    signer_role="当事人",
                    signer_name="",
                    party_id=p.id,
                    signed_on=D(2026, 3, 5),
                    method="签名板",
                    png=_png(),
                )
            agreement.sign(
                w,
                document_table="mediation_agreement",
                document_id=ag.id,
                signer_role="调解员",
                signer_name="李调解",
                signed_on=D(2026, 3, 5),
            )
            agreement.sign(
                w,
                document_table="mediation_agreement",
                document_id=ag.id,
                signer_role="委员会",
                signer_name="",
                signed_on=D(2026, 3, 6),
            )
        states.change_state(w, c.id, "调解成功", on_date=D(2026, 3, 6))
        states.change_state(w, c.id, "履行完毕", on_date=D(2026, 3, 20))
        casefile.record_follow_up(
            w,
            c.id,
            visited_on=D(2026, 4, 10),
            visitor="李调解",
            performance="院墙已拆除，款已付清",
            satisfaction="满意",
            attitude_changes="两家恢复往来",
            new_dispute_signs="无",
        )
        states.change_state(w, c.id, "已回访", on_date=D(2026, 4, 10))
        for key in ("identity", "back_cover", "evidence"):
            casefile.set_file_item(w, c.id, key, present=True, pages=2)
        states.change_state(
            w,
            c.id,
            "已归档",
            on_date=D(2026, 4, 15),
            volume_no="2026-调-012",
            filed_by="李调解",
            retention="长期",
        )
    return user, c


@pytest.fixture
def full_case(village_ws):
    return build_full_case(village_ws)


def _text(path) -> tuple[str, PdfReader]:
    reader = PdfReader(path)
    # pypdf reads fpdf2's CFF ToUnicode map with a NUL before each character; drop them.
    return "\n".join(p.extract_text() for p in reader.pages).replace("\x00", ""), reader


def _font_embedded(reader: PdfReader) -> bool:
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc in font.get("/DescendantFonts", []):
                fd = desc.get_object()["/FontDescriptor"].get_object()
                if "NotoSerif" in str(fd["/FontName"]) and any(k in fd for k in ("/FontFile2", "/FontFile3")):
                    return True
    return False


EXPECTED = {
    "registration": (
        "人民调解受理登记表",
        "（2026）张家人调字第 1 号",
        "可能民转刑（2 人）",
        "110105********002X",
    ),
    "rights_notice": (
        "权利义务告知书",
        "接受调解、拒绝调解或者要求终止调解",
        "张三丰、曾国藩、东城镇鑫达建筑队",
    ),
    "session_record": ("人民调解记录", "现场丈量", "记录人（签名）：王文书"),
    "follow_up": ("回访记录", "协议编号：（2026）张家人调字第 1 号", "院墙已拆除"),
    "cover": ("人 民 调 解 卷 宗", "2026-调-012", "长期", "2026年4月15日"),
    "contents": ("卷 内 目 录", "当事人身份证明", "封底", "司法确认材料"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_document_prints_with_its_text_and_the_embedded_font(village_ws, full_case, tmp_path, kind):
    user, c = full_case
    target = tmp_path / f"{kind}.pdf"
    with village_ws.work(user) as w:
        printed = docs.print_document(w, c.id, kind, target)
    text, reader = _text(target)
    for phrase in EXPECTED[kind]:
        assert phrase in text.replace("\n", ""), phrase
    assert _font_embedded(reader)
    assert printed.pages == len(reader.pages) >= 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4


def test_agreement_has_one_copy_per_party_plus_the_committees_each_marked(village_ws, full_case, tmp_path):
    user, c = full_case
    target = tmp_path / "协议书.pdf"
    with village_ws.work(user) as w:
        printed = docs.print_document(w, c.id, "agreement", target)
    assert printed.copies == 4
    reader = PdfReader(target)
    pages = [p.extract_text().replace("\x00", "") for p in reader.pages]
    firsts = [t for t in pages if "人民调解协议书" in t]
    assert len(firsts) == 4
    marks = [t for t in pages if "份（共 4 份）" in t]
    joined = "".join(marks)
    for holder in (
        "申请人张三丰执",
        "被申请人曾国藩执",
        "第三人东城镇鑫达建筑队执",
        "张家村人民调解委员会存档",
    ):
        assert holder in joined
    assert "本协议一式 4 份" in firsts[0].replace("\n", "")
    assert "签名板" in joined and "2026年3月6日" in joined
    assert _font_embedded(reader)
    assert any(page.images for page in reader.pages)  # the signature-pad images are drawn


def test_oral_agreement_prints_its_registration_form_not_an_agreement(village_ws, tmp_path):
    user, c = build_full_case(village_ws, third_party=False, oral=True)
    with village_ws.work(user) as w:
        printed = docs.print_document(w, c.id, "oral_agreement", tmp_path / "oral.pdf")
        with pytest.raises(UserError, match="口头协议登记表"):
            docs.print_document(w, c.id, "agreement", tmp_path / "x.pdf")
    text, reader = _text(printed.path)
    assert "口头调解协议登记表" in text and "自达成之日起生效" in text and _font_embedded(reader)


def test_printing_needs_the_case_permission(village_ws, full_case, tmp_path):
    _user, c = full_case
    cadre = make_mediator(village_ws, "ganbu", roles=("cadre",))
    with pytest.raises(UserError, match="权限"), village_ws.work(cadre) as w:
        docs.print_document(w, c.id, "registration", tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_a_cover_with_a_long_title_and_long_party_names_stays_one_page(village_ws, full_case, tmp_path):
    """The 卷宗封面 is the front of the file's folder: a 纠纷名称 at its 200 characters and parties named
    as units are (100 characters) put its last rows on a second page. They are set closer now, then
    smaller, and every word is still on the one page."""
    from sqlalchemy import select

    from db.models import CaseParty, MediationCase

    user, c = full_case
    title = ("某某村第三村民小组与村民张某某李某某王某某等十二户因河道治理工程占用承包地补偿款分配纠纷" * 5)[
        :200
    ]
    unit = ("山东省烟台市莱州市某某镇某某村股份经济合作社第三村民小组" * 4)[:100]
    with village_ws.work(user) as w:
        w.session.get(MediationCase, c.id).title = title
        for p in w.session.execute(select(CaseParty).where(CaseParty.case_id == c.id)).scalars():
            p.name = unit
    with village_ws.work(user) as w:
        printed = docs.print_document(w, c.id, "cover", tmp_path / "cover.pdf")
    text, _reader = _text(printed.path)
    flat = text.replace("\n", "")
    assert printed.pages == 1
    assert title in flat and flat.count(unit) == 3
    assert "保管期限" in flat and "长期" in flat  # the last row, on the same page
