"""Mediation papers that hold up in court (issue 16, legal validity): a minor acts through a 法定代理人,
a party may ask for another mediator (回避), a refusal before mediation is 不予受理 (never a failed 受理),
the law is quoted right and from one place, full resident IDs only on the 协议书 and 登记表 and only for
an account that may reveal them, and the printed details (dates, labels, 履行地点, 卷内目录)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import AuditLog, CaseParty

from app.codes import make_resident_id
from app.errors import UserError
from app.households import checks, roster
from app.mediation import agreement, casefile, law, meetings, recusal, registration, rules, states, stats
from app.mediation import documents as docs

from tests.mediation_helpers import case_in_state, make_mediator, new_case, sign_all

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = D(2026, 8, 24)
CHILD_ID = make_resident_id("370681", D(2020, 5, 1), 7, "男")  # 6 years old on ACCEPTED
FATHER_ID = make_resident_id("370681", D(1990, 2, 3), 8, "男")
NEIGHBOUR_ID = make_resident_id("370681", D(1975, 9, 9), 9, "女")


@pytest.fixture
def mediator(village_ws):
    return make_mediator(village_ws)


@pytest.fixture
def admin(village_ws):
    """An account that may reveal full resident IDs (and edit the roster)."""
    return make_mediator(village_ws, "guanli", roles=("admin", "mediator"))


def _family(ws, admin):
    """王大明 (father), 王小明 (born 2020) in one household; 赵桂兰 in another."""
    with ws.work(admin) as w:
        wang = roster.create_household(
            w,
            checks.HouseholdInput(
                group_name="二组",
                address="二组 5 号",
                members=[
                    checks.MemberInput("王大明", "户主", sex="男", id_number=FATHER_ID, phone="13905351111"),
                    checks.MemberInput("王小明", "子", sex="男", id_number=CHILD_ID),
                ],
            ),
        )
        zhao = roster.create_household(
            w,
            checks.HouseholdInput(
                group_name="三组",
                address="三组 2 号",
                members=[checks.MemberInput("赵桂兰", "户主", sex="女", id_number=NEIGHBOUR_ID)],
            ),
        )
    ids = {m.name: m.id for h in (wang, zhao) for m in h.members}
    return ids


def _bare_case(w, **kw):
    return registration.register_case(
        w,
        title="赵桂兰与王小明损害赔偿纠纷",
        accepted_on=ACCEPTED,
        source="当事人申请",
        dispute_type="损害赔偿",
        **kw,
    )


# -- capacity: 法定代理人 --------------------------------------------------------------------------------
def test_a_minor_is_refused_as_a_party_without_a_legal_representative(village_ws, mediator):
    with village_ws.work(mediator) as w:
        c = _bare_case(w)
        with pytest.raises(UserError, match="未满十八周岁（6 岁）.*法定代理人") as err:
            registration.add_party(w, c.id, role="被申请人", name="王小明", id_number=CHILD_ID)
        assert err.value.field == "guardian_name"
        # the birth date alone shows it as well; an adult birth date typed beside a minor's ID does not hide it
        with pytest.raises(UserError, match="未满十八周岁"):
            registration.add_party(w, c.id, role="被申请人", name="王小明", birth_date=D(2012, 9, 1))
        with pytest.raises(UserError, match="未满十八周岁"):
            registration.add_party(
                w, c.id, role="被申请人", name="王小明", id_number=CHILD_ID, birth_date=D(1980, 1, 1)
            )
        # 18 on the very day: an adult
        registration.add_party(w, c.id, role="申请人", name="李成年", birth_date=D(2008, 8, 24))
        assert [p.name for p in registration.parties(w, c.id)] == ["李成年"]


def test_a_minor_from_the_roster_is_added_with_a_representative_from_the_roster(village_ws, admin):
    ids = _family(village_ws, admin)
    with village_ws.work(admin) as w:
        c = _bare_case(w)
        with pytest.raises(UserError, match="法定代理人"):
            registration.add_party(w, c.id, role="被申请人", person_id=ids["王小明"])
        with pytest.raises(UserError, match="关系") as err:
            registration.add_party(
                w, c.id, role="被申请人", person_id=ids["王小明"], guardian_person_id=ids["王大明"]
            )
        assert err.value.field == "guardian_relation"
        p = registration.add_party(
            w,
            c.id,
            role="被申请人",
            person_id=ids["王小明"],
            guardian_person_id=ids["王大明"],
            guardian_relation="父亲",
        )
        assert (p.guardian_name, p.guardian_id_number, p.guardian_phone) == (
            "王大明",
            FATHER_ID,
            "13905351111",
        )
        assert p.signer == "王大明（王小明的法定代理人）"


@pytest.mark.parametrize(
    ("guardian", "message", "field"),
    [
        (
            {"guardian_name": "王二小", "guardian_relation": "兄", "guardian_id_number": CHILD_ID},
            "本人",
            None,
        ),
        (
            {
                "guardian_name": "王三小",
                "guardian_relation": "兄",
                "guardian_id_number": make_resident_id("370681", D(2011, 1, 1), 3, "男"),
            },
            "须是成年人",
            "guardian_name",
        ),
        (
            {"guardian_name": "王大明", "guardian_relation": "父亲", "guardian_id_number": "123"},
            "身份证号",
            None,
        ),
        ({"guardian_name": "王大明", "guardian_relation": "父亲", "guardian_phone": "12345"}, "电话", None),
    ],
)
def test_a_representative_must_be_an_adult_other_than_the_party(
    village_ws, mediator, guardian, message, field
):
    with village_ws.work(mediator) as w:
        c = _bare_case(w)
        with pytest.raises(UserError, match=message) as err:
            registration.add_party(w, c.id, role="被申请人", name="王小明", id_number=CHILD_ID, **guardian)
        assert err.value.field.startswith("guardian")
        if field:
            assert err.value.field == field


def test_a_minor_without_a_representative_from_an_older_record_blocks_mediation_until_given(
    village_ws, mediator
):
    with village_ws.work(mediator) as w:
        c = new_case(w, accepted_on=ACCEPTED)
        # as an older program left it: a six-year-old respondent, nobody acting for him
        minor = w.session.scalars(select(CaseParty).where(CaseParty.name == "李四")).one()
        minor.id_number = CHILD_ID
        registration.record_rights_notice(w, c.id, given_on=ACCEPTED)
        with pytest.raises(UserError, match="李四受理时未满十八周岁.*再开始调解"):
            states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)
        with pytest.raises(UserError, match="不能去掉"):
            registration.set_guardian(w, minor.id, name="")
        registration.set_guardian(w, minor.id, name="李大", relation="父亲", phone="13905352222")
        states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)


def test_the_representative_signs_where_the_party_would_and_is_printed(village_ws, admin, tmp_path):
    with village_ws.work(admin) as w:
        c = _bare_case(w)
        registration.add_party(w, c.id, role="申请人", name="赵桂兰", id_number=NEIGHBOUR_ID)
        child = registration.add_party(
            w,
            c.id,
            role="被申请人",
            name="王小明",
            id_number=CHILD_ID,
            guardian_name="王大明",
            guardian_relation="父亲",
            guardian_id_number=FATHER_ID,
        )
        registration.add_mediator(w, c.id, user_id=admin.id, is_lead=True)
        registration.record_rights_notice(w, c.id, given_on=ACCEPTED)
        states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)
        ag = agreement.save_agreement(
            w,
            c.id,
            kind="书面",
            reached_on=ACCEPTED,
            facts="王小明踢球打碎赵家窗玻璃。",
            issues="赔偿数额。",
            terms="王大明代王小明赔偿赵桂兰玻璃款 550 元。",
            performance_manner="现金",
            performance_place="村委会调解室",
            amount=550,
        )
        assert "当事人王小明的法定代理人王大明" in agreement.agreement_missing_signatures(w, c.id)
        sig = agreement.sign(
            w,
            document_table="mediation_agreement",
            document_id=ag.id,
            signer_role="当事人",
            signer_name="王小明",
            party_id=child.id,
            signed_on=ACCEPTED,
            method="按指印",
        )
        assert sig.signer_name == "王大明"
        text = _print(w, c.id, "agreement", tmp_path)
        registration_text = _print(w, c.id, "registration", tmp_path)
    for t in (text, registration_text):
        assert "法定代理人" in t and "王大明（父亲）" in t and FATHER_ID in t
    assert "被申请人王小明的法定代理人（签名、盖章或按指印）" in text
    assert (
        "履行地点：村委会调解室" in text and "履行期限：未约定" in text
    )  # a blank one is said, not left out


def test_a_printed_line_never_starts_with_closing_punctuation():
    """fpdf breaks Chinese anywhere; "）。" alone at a line's start (seen on the 协议书's last paragraph) is
    avoided by taking the character before down with it (app/pdf_fonts.py, 避头尾)."""
    from app.pdf_fonts import NO_LINE_START

    form = docs._Form("协议书")
    form.add_page()
    form.set_font(docs.FONT, size=11)
    width = form.get_string_width("字" * 20)
    for n in range(15, 25):
        text = "字" * n + "（第三十三条）。" + "后文" * 20
        lines = form.kinsoku(text, width).split("\n")
        assert "".join(lines) == text
        assert all(line and line[0] not in NO_LINE_START for line in lines[1:]), lines
        assert all(form.get_string_width(line) <= width for line in lines)
    form.output()  # (closes the font file)


# -- 回避 ------------------------------------------------------------------------------------------------
def test_a_party_asks_for_another_mediator_and_the_replacement_takes_the_lead(village_ws, mediator):
    with village_ws.work(mediator) as w:
        c = new_case(w, accepted_on=ACCEPTED)
        lead = registration.parties(w, c.id)
        (m,) = casefile.open_case(w, c.id).mediators
        req = recusal.request_recusal(
            w,
            c.id,
            party_id=lead[1].id,
            mediator_id=m.id,
            requested_on=ACCEPTED,
            reason="调解员与申请人是亲戚，担心不公正",
        )
        registration.record_rights_notice(w, c.id, given_on=ACCEPTED)
        with pytest.raises(UserError, match="李四对调解员李调解提出的回避申请还没有决定"):
            states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)
        with pytest.raises(UserError, match="调解主持人.*应当予以调换"):
            recusal.decide_recusal(w, req.id, decision=recusal.REFUSED, decided_on=ACCEPTED, note="理由不足")
        with pytest.raises(UserError, match="接替的调解员"):
            recusal.decide_recusal(w, req.id, decision=recusal.GRANTED, decided_on=ACCEPTED)
        done = recusal.decide_recusal(
            w, req.id, decision=recusal.GRANTED, decided_on=ACCEPTED, replacement_name="赵老支书"
        )
        cf = casefile.open_case(w, c.id)
        assert [(x.name, x.is_lead) for x in cf.mediators] == [("赵老支书", True)]
        assert (done.decision, done.replacement_name, done.decided_by) == ("同意回避", "赵老支书", "李调解")
        assert [r.id for r in cf.recusals] == [req.id]
        with pytest.raises(UserError, match="已因当事人申请回避退出本案调解"):
            registration.add_mediator(w, c.id, user_id=mediator.id)
        with pytest.raises(UserError, match="已经作出决定|已于"):
            recusal.decide_recusal(
                w, req.id, decision=recusal.GRANTED, decided_on=ACCEPTED, replacement_name="x"
            )
        states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)
        actions = set(
            w.session.scalars(select(AuditLog.action).where(AuditLog.table_name == "mediation_recusal"))
        )
    assert actions == {"case.recusal.request", "case.recusal.decide"}


def test_a_request_about_a_mediator_who_does_not_lead_may_be_refused_with_a_reason(village_ws, mediator):
    with village_ws.work(mediator) as w:
        c = new_case(w, accepted_on=ACCEPTED)
        helper = registration.add_mediator(w, c.id, name="周律师")
        party = registration.parties(w, c.id)[0]
        req = recusal.request_recusal(
            w, c.id, party_id=party.id, mediator_id=helper.id, requested_on=ACCEPTED, reason="不认识"
        )
        with pytest.raises(UserError, match="不同意回避的理由"):
            recusal.decide_recusal(w, req.id, decision=recusal.REFUSED, decided_on=ACCEPTED)
        recusal.decide_recusal(w, req.id, decision=recusal.REFUSED, decided_on=ACCEPTED, note="无法定事由")
        assert {m.name for m in casefile.open_case(w, c.id).mediators} == {"李调解", "周律师"}


def test_a_mediator_who_is_a_party_or_of_a_partys_household_is_refused(village_ws, admin):
    ids = _family(village_ws, admin)
    with village_ws.work(admin) as w:
        c = _bare_case(w)
        registration.add_party(w, c.id, role="申请人", person_id=ids["赵桂兰"])
        registration.add_party(
            w,
            c.id,
            role="被申请人",
            person_id=ids["王小明"],
            guardian_name="刘梅",
            guardian_relation="母亲",
        )
        with pytest.raises(UserError, match="赵桂兰是本案当事人，不能担任本案的调解员"):
            registration.add_mediator(w, c.id, name="赵桂兰", person_id=ids["赵桂兰"])
        with pytest.raises(UserError, match="王大明与当事人王小明同住一户.*应当回避"):
            registration.add_mediator(w, c.id, name="王大明", person_id=ids["王大明"])
        assert casefile.open_case(w, c.id).mediators == []
    # an account of the station is known by its name and phone in the roster
    with village_ws.work(None) as w:
        from app import accounts

        father = accounts.add_user(
            w,
            username="wdm",
            display_name="王大明",
            password="pass-word-1",
            roles=["mediator"],
            phone="13905351111",
        )
        w.session.flush()
        father_id = father.id
    with village_ws.work(admin) as w, pytest.raises(UserError, match="同住一户"):
        registration.add_mediator(w, c.id, user_id=father_id)


def test_a_party_of_a_mediators_household_is_refused_until_the_mediator_is_replaced(village_ws, admin):
    ids = _family(village_ws, admin)
    with village_ws.work(admin) as w:
        c = _bare_case(w)
        registration.add_party(w, c.id, role="申请人", person_id=ids["赵桂兰"])
        registration.add_mediator(w, c.id, name="王大明", person_id=ids["王大明"], is_lead=True)
        with pytest.raises(UserError, match="同住一户.*办理回避"):
            registration.add_party(
                w,
                c.id,
                role="被申请人",
                person_id=ids["王小明"],
                guardian_name="刘梅",
                guardian_relation="母亲",
            )


def test_a_typed_in_party_is_known_by_resident_id_for_the_mediators_household(village_ws, admin):
    """A party typed in (not picked from the roster) with the resident ID of a roster resident: the
    mediator of that resident's household is refused, both ways; the same resident by ID is refused
    whatever name was typed; a mere namesake is not (a name is no identity)."""
    ids = _family(village_ws, admin)
    with village_ws.work(admin) as w:
        c = _bare_case(w)
        registration.add_party(w, c.id, role="申请人", person_id=ids["赵桂兰"])
        registration.add_party(
            w,
            c.id,
            role="被申请人",
            name="王小明",
            id_number=CHILD_ID.lower(),  # typed, not picked
            guardian_name="刘梅",
            guardian_relation="母亲",
        )
        with pytest.raises(UserError, match="王大明与当事人王小明同住一户.*应当回避"):
            registration.add_mediator(w, c.id, name="王大明", person_id=ids["王大明"])
        assert casefile.open_case(w, c.id).mediators == []
    with village_ws.work(admin) as w:
        other = _bare_case(w)
        registration.add_mediator(w, other.id, name="王大明", person_id=ids["王大明"], is_lead=True)
        with pytest.raises(UserError, match="调解员王大明与当事人王小明同住一户.*办理回避"):
            registration.add_party(
                w,
                other.id,
                role="被申请人",
                name="王小明",
                id_number=CHILD_ID,
                guardian_name="刘梅",
                guardian_relation="母亲",
            )
        # the mediator's own resident ID typed in under another spelling of the name: the same person
        with pytest.raises(UserError, match="王大明是本案当事人赵大明（身份证号相同）"):
            registration.add_party(w, other.id, role="申请人", name="赵大明", id_number=FATHER_ID)
        # a namesake with no ID is someone else
        registration.add_party(w, other.id, role="申请人", name="王大明", address="邻村")
        assert [p.name for p in casefile.open_case(w, other.id).parties] == ["王大明"]


# -- 不予受理 vs 终止 ------------------------------------------------------------------------------------
def test_a_refusal_before_mediation_is_not_accepted_and_ending_needs_a_mediation_under_way(
    village_ws, mediator
):
    with village_ws.work(mediator) as w:
        refused = new_case(w, accepted_on=D(2026, 8, 3))
        with pytest.raises(UserError, match="不能直接改为“终止”"):
            states.change_state(w, refused.id, rules.TERMINATED, on_date=D(2026, 8, 4), reasons="拒绝调解")
        states.change_state(w, refused.id, rules.REJECTED, on_date=D(2026, 8, 4), reasons=law.REJECT_REASON)
        ended = case_in_state(w, rules.TERMINATED, accepted_on=D(2026, 8, 5))
        figures = stats.compute(w, D(2026, 8, 1), D(2026, 8, 31))
    assert (figures.accepted, figures.rejected, figures.failed, figures.terminated) == (
        1,
        1,
        0,
        1,
    )  # 终止 apart
    assert ended.end_reason == "一方当事人明确拒绝调解"  # the helper's reason, on a case that was mediated
    assert "第十七条" in law.REJECT_REASON and "第十七条" not in law.TERMINATE_REASON
    assert "第二十三条" in law.TERMINATE_REASON


# -- the law, quoted right and from one place --------------------------------------------------------------
ARTICLE = re.compile(r"第[一二三四五六七八九十百]+条")


def test_no_module_but_the_law_module_writes_an_article_number():
    offenders = []
    for folder in ("app", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "app" / "mediation" / "law.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if ARTICLE.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


def test_every_quotation_is_in_the_projects_law_document():
    doc = (ROOT / "docs" / "mediation-law.md").read_text(encoding="utf-8")
    for p in law.ALL:
        assert p.text in doc, p.citation
        assert p.law in doc and p.article in doc, p.citation
    for item in law.RIGHTS_ITEMS + law.DUTIES_ITEMS:
        assert item in doc


def test_the_rights_notice_cites_article_4_for_free_mediation_and_the_duties_as_the_law_says(
    village_ws, mediator, tmp_path
):
    with village_ws.work(mediator) as w:
        c = new_case(w, accepted_on=ACCEPTED)
        text = _print(w, c.id, "rights_notice", tmp_path).replace("\n", "")
    assert "第四条规定：“人民调解委员会调解民间纠纷，不收取任何费用。”" in text
    assert "第二十三条、第二十四条的规定，人民调解委员会调解民间纠纷，不收取任何费用" not in text
    assert "（一）如实陈述纠纷事实；" in text and "虚假证明材料" not in text


# -- full resident IDs -------------------------------------------------------------------------------
def _agreed_case(w, **party):
    c = _bare_case(w)
    registration.add_party(w, c.id, role="申请人", name="赵桂兰", id_number=NEIGHBOUR_ID)
    registration.add_party(w, c.id, role="被申请人", name="王大明", id_number=FATHER_ID, **party)
    registration.add_mediator(w, c.id, name="李调解", is_lead=True)
    registration.record_rights_notice(w, c.id, given_on=ACCEPTED)
    states.change_state(w, c.id, rules.IN_MEDIATION, on_date=ACCEPTED)
    meetings.add_meeting(
        w, c.id, held_at=dt.datetime(2026, 8, 24, 9), place="村委会调解室", recorder_name="刘文书"
    )
    ag = agreement.save_agreement(
        w, c.id, kind="书面", reached_on=ACCEPTED, facts="事实", issues="争议", terms="赔偿 550 元。"
    )
    sign_all(w, ag.id, c.id, ACCEPTED)
    return c


def _print(w, case_id, kind, tmp_path) -> str:
    printed = docs.print_document(w, case_id, kind, tmp_path / f"{kind}.pdf")
    return "\n".join(p.extract_text() for p in PdfReader(printed.path).pages).replace("\x00", "")


def test_full_ids_only_on_the_agreement_and_registration_and_only_for_an_account_that_may_reveal(
    village_ws, mediator, admin, tmp_path
):
    with village_ws.work(admin) as w:
        c = _agreed_case(w)
    masked = NEIGHBOUR_ID[:6] + "********" + NEIGHBOUR_ID[-4:]
    with village_ws.work(admin) as w:
        for kind in ("agreement", "registration"):
            t = _print(w, c.id, kind, tmp_path)
            assert NEIGHBOUR_ID in t and FATHER_ID in t, kind
        for kind in ("rights_notice", "session_record", "cover", "contents"):
            assert NEIGHBOUR_ID not in _print(w, c.id, kind, tmp_path), kind
        prints = w.session.execute(
            select(AuditLog.fields, AuditLog.detail)
            .where(AuditLog.action == "case.print")
            .order_by(AuditLog.id)
        ).all()
    assert prints[:2] == [
        ("id_number", "人民调解协议书（完整身份证号）"),
        ("id_number", "受理登记表（完整身份证号）"),
    ]
    assert all(f is None for f, _d in prints[2:])
    with village_ws.work(mediator) as w:  # a mediator may not reveal IDs: the same papers come masked
        assert docs.full_ids_refused(w, "agreement")
        t = _print(w, c.id, "agreement", tmp_path)
        assert masked in t and NEIGHBOUR_ID not in t
        (f, d) = w.session.execute(
            select(AuditLog.fields, AuditLog.detail)
            .where(AuditLog.action == "case.print")
            .order_by(AuditLog.id.desc())
        ).first()
    assert (f, d) == (None, "人民调解协议书")


# -- print details -----------------------------------------------------------------------------------
def test_dates_have_no_leading_zeros_labels_never_break_and_the_contents_note_is_the_clerks(
    village_ws, admin, tmp_path
):
    with village_ws.work(admin) as w:
        c = _agreed_case(w, guardian_name="王老汉", guardian_relation="其他监护人")
        casefile.set_file_item(w, c.id, "evidence", present=True, pages=2, note="照片两张")
        texts = {
            k: _print(w, c.id, k, tmp_path)
            for k in ("registration", "agreement", "session_record", "contents")
        }
    lines = {k: t.splitlines() for k, t in texts.items()}
    assert "2026年8月24日" in texts["registration"] and "08月" not in "".join(texts.values())
    assert any("职业或职务" in line for line in lines["registration"])
    assert any("法定代理人" in line for line in lines["agreement"])
    assert any("到场当事人" in line for line in lines["session_record"])
    assert "照片两张" in texts["contents"]
    assert "必备" not in texts["contents"] and "已入卷" not in texts["contents"]
