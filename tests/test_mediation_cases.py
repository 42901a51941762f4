"""The mediation case: numbering, parties, the rights notice, the state machine, the agreement's
effective date, follow-ups, archiving and the town's handling of an escalated case."""

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import AuditLog, CaseTransition, MediationCase

from app import accounts
from app.errors import UserError
from app.mediation import agreement, casefile, meetings, registration, rules, screening, states
from app.mediation.info import link_id

from tests.conftest import VILLAGE_CODE
from tests.mediation_helpers import PATHS, case_in_state, make_mediator, new_case, sign_all, step
from tests.sync_support import without_town_rule

D = dt.date

EXPECTED_LEGAL = {
    "受理": {"调解中", "不予受理", "上报"},  # a refusal before mediation is 不予受理 (Art. 17), never 终止
    "调解中": {"调解成功", "调解不成", "终止", "上报"},
    "调解成功": {"履行中", "履行完毕"},
    "调解不成": {"上报", "已归档"},
    "终止": {"已归档"},
    "不予受理": {"已归档"},
    "履行中": {"履行完毕", "上报"},
    "履行完毕": {"已回访"},
    "已回访": {"已归档"},
    "已归档": set(),
    "上报": {"调解中", "已归档"},
}


@pytest.fixture
def mediator(village_ws):
    return make_mediator(village_ws)


def test_the_transition_table_is_exactly_the_issues_state_machine():
    for source in rules.STATES:
        assert {t for t in rules.STATES if rules.is_legal(source, t)} == EXPECTED_LEGAL[source], source


@pytest.mark.parametrize("source", rules.STATES)
def test_every_illegal_transition_is_refused_with_a_chinese_message_and_changes_nothing(
    village_ws, mediator, source
):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, source)
        assert info.state == source
        history = w.session.scalar(
            select(CaseTransition.id).where(CaseTransition.case_id == info.id).limit(1)
        )
        assert history
        for target in rules.STATES:
            if rules.is_legal(source, target):
                continue
            with pytest.raises(UserError, match="状态") as err:
                states.change_state(
                    w,
                    info.id,
                    target,
                    on_date=D(2026, 3, 2),
                    reasons="理由",
                    routes=["诉讼"],
                    escalate_to="乡镇",
                    volume_no="1",
                    filed_by="李",
                    retention="长期",
                )
            assert source in err.value.message
            assert w.session.get(MediationCase, info.id).state == source


@pytest.mark.parametrize("transition", rules.TRANSITIONS, ids=lambda t: f"{t.source}->{t.target}")
def test_every_legal_transition_is_taken_and_kept_with_who_and_when(village_ws, mediator, transition):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, transition.source)
        after = step(w, info.id, transition.target, D(2026, 3, 3))
        assert after.state == transition.target
        last = w.session.scalars(
            select(CaseTransition)
            .where(CaseTransition.case_id == info.id)
            .order_by(CaseTransition.at.desc(), CaseTransition.version.desc())
        ).first()
        assert (last.from_state, last.to_state) == (transition.source, transition.target)
        assert last.by_user_id == mediator.id and last.by_name == "李调解"
        assert last.on_date == D(2026, 3, 3) and last.at is not None
        assert last.village_code == VILLAGE_CODE


def test_case_numbers_run_per_year_and_restart_in_a_new_year(village_ws, mediator):
    with village_ws.work(mediator) as w:
        a = new_case(w, accepted_on=D(2025, 12, 30), parties=False)
        b = new_case(w, accepted_on=D(2025, 12, 31), parties=False)
        c = new_case(w, accepted_on=D(2026, 1, 1), parties=False)
        registration.set_case_prefix(w, "张村")
        d = new_case(w, accepted_on=D(2026, 1, 5), parties=False)
        e = new_case(w, accepted_on=D(2025, 6, 1), parties=False)  # registered late, still 2025
    assert a.case_number == "（2025）张家人调字第 1 号"
    assert b.case_number == "（2025）张家人调字第 2 号"
    assert c.case_number == "（2026）张家人调字第 1 号"
    assert d.case_number == "（2026）张村人调字第 2 号"
    assert e.case_number == "（2025）张村人调字第 3 号"


def test_a_deleted_case_keeps_its_number(village_ws, mediator):
    with village_ws.work(mediator) as w:
        a = new_case(w, parties=False)
        w.session.get(MediationCase, a.id).deleted_at = dt.datetime(2026, 3, 3)
        b = new_case(w, parties=False)
    assert (a.case_seq, b.case_seq) == (1, 2)


def test_registration_refuses_unknown_source_type_and_bad_amount(village_ws, mediator):
    with village_ws.work(mediator) as w:
        with pytest.raises(UserError, match="纠纷来源"):
            new_case(w, source="网上举报", parties=False)
        with pytest.raises(UserError, match="纠纷类型"):
            new_case(w, dispute_type="宠物", parties=False)
        with pytest.raises(UserError, match="不是数字"):
            new_case(w, amount="一千", parties=False)
        local = new_case(
            w,
            dispute_type="村务管理",
            source="民情日记",
            source_record_id="diary-1",
            amount="12,000.5",
            risk_petition_people=12,
            parties=False,
        )
    assert local.amount_fen == 1200050 and local.risk_petition and not local.risk_criminal
    assert len(rules.NATIONAL_TYPES) == 15


def test_a_found_dispute_becomes_a_case_in_one_step(village_ws, mediator):
    with village_ws.work(mediator) as w:
        r = screening.record_screening(
            w,
            round_date=D(2026, 4, 10),
            screeners="李调解、王组长",
            place="全村一至六组",
            found_count=1,
            findings="三组王家与赵家因排水沟起争执",
        )
        c = registration.case_from_screening(w, r.id, title="王家与赵家排水纠纷", dispute_type="邻里")
        zero = screening.record_screening(
            w, round_date=D(2026, 5, 10), screeners="李调解", place="全村", found_count=0
        )
        with pytest.raises(UserError, match="零报告"):
            registration.case_from_screening(w, zero.id, title="x", dispute_type="邻里")
    assert (c.source, c.source_record_id, c.accepted_on) == ("排查发现", r.id, D(2026, 4, 10))
    assert c.facts == "三组王家与赵家因排水沟起争执"
    assert zero.is_zero_report and zero.findings.startswith("本期未发现")


def test_second_screening_in_the_same_half_month_is_refused(village_ws, mediator):
    with village_ws.work(mediator) as w:
        screening.set_screening_period(w, "半月")
        screening.record_screening(w, round_date=D(2026, 4, 3), screeners="李", place="全村", found_count=0)
        late = screening.record_screening(
            w, round_date=D(2026, 4, 16), screeners="李", place="全村", found_count=0
        )
        with pytest.raises(UserError, match="上半月已经有一次定期排查"):
            screening.record_screening(
                w, round_date=D(2026, 4, 15), screeners="李", place="全村", found_count=0
            )
    assert late.period_label == "2026年4月下半月"


def test_no_session_record_before_the_rights_notice(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = new_case(w)
        states.change_state(w, info.id, "调解中", on_date=D(2026, 3, 3))
        with pytest.raises(UserError, match="权利义务"):
            meetings.add_meeting(w, info.id, held_at=dt.datetime(2026, 3, 4, 9), place="调解室")
        registration.record_rights_notice(w, info.id, given_on=D(2026, 3, 5))
        with pytest.raises(UserError, match="早于权利义务告知"):
            meetings.add_meeting(w, info.id, held_at=dt.datetime(2026, 3, 4, 9), place="调解室")
        rec = meetings.add_meeting(w, info.id, held_at=dt.datetime(2026, 3, 5, 9), place="调解室")
        second = meetings.add_meeting(w, info.id, held_at=dt.datetime(2026, 3, 6, 9), place="调解室")
    assert (rec.seq, second.seq) == (1, 2)


def test_mediation_needs_two_parties_and_a_mediator(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = new_case(w, parties=False)
        registration.add_party(w, info.id, role="申请人", name="张三")
        with pytest.raises(UserError, match="两方当事人"):
            states.change_state(w, info.id, "调解中", on_date=D(2026, 3, 3))
        registration.add_party(
            w,
            info.id,
            role="被申请人",
            kind="单位",
            name="东城建筑公司",
            representative="王经理",
            representative_title="项目经理",
        )
        with pytest.raises(UserError, match="调解员"):
            states.change_state(w, info.id, "调解中", on_date=D(2026, 3, 3))
        registration.add_mediator(w, info.id, name="赵乡贤")
        assert states.change_state(w, info.id, "调解中", on_date=D(2026, 3, 3)).state == "调解中"
        with pytest.raises(UserError, match="代表人"):
            registration.add_party(w, info.id, role="第三人", kind="单位", name="农机合作社")


def test_a_typed_name_loses_what_shows_nothing_before_it_goes_on_a_paper(village_ws, mediator):
    """A right-to-left override typed or pasted into a party's name would print it backwards on the
    agreement; a zero-width space would make another name of it."""
    with village_ws.work(mediator) as w:
        info = new_case(w, parties=False)
        party = registration.add_party(w, info.id, role="申请人", name="\u202e张三\u200b")
        helper = registration.add_mediator(w, info.id, name="赵\u2066乡贤")
        with pytest.raises(UserError, match="请填写当事人姓名"):
            registration.add_party(w, info.id, role="被申请人", name="\u200b\u200e")
    assert party.name == "张三" and helper.name == "赵乡贤"


def test_roster_person_becomes_a_party_once_with_their_fields(village_ws, mediator):
    from db.models import Household, Person

    with village_ws.work(mediator) as w:
        h = Household(head_name="王五", group_name="三组", address="张家村三组 12 号")
        w.session.add(h)
        w.session.flush()
        p = Person(
            household_id=h.id,
            name="王五",
            relation="户主",
            sex="男",
            id_number="11010519491231002X",
            birth_date=D(1949, 12, 31),
            ethnicity="汉族",
        )
        w.session.add(p)
        w.session.flush()
        info = new_case(w, parties=False)
        party = registration.add_party(w, info.id, role="申请人", person_id=p.id)
        with pytest.raises(UserError, match="已经是本案当事人"):
            registration.add_party(w, info.id, role="申请人", person_id=p.id)
    assert party.id == link_id("party", info.id, p.id)
    assert (party.name, party.address, party.ethnicity) == ("王五", "张家村三组 12 号", "汉族")
    assert party.age_on(D(2026, 3, 2)) == 76


def test_written_agreement_takes_effect_on_the_last_required_signature(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "调解中")
        ag = agreement.save_agreement(
            w,
            info.id,
            kind="书面",
            reached_on=D(2026, 3, 10),
            facts="界址争议",
            issues="围墙",
            terms="拆除越界部分",
            amount="3000",
        )
        ps = registration.parties(w, info.id)
        doc = dict(document_table="mediation_agreement", document_id=ag.id)
        agreement.sign(
            w,
            **doc,
            signer_role="当事人",
            signer_name="",
            party_id=ps[0].id,
            signed_on=D(2026, 3, 10),
        )
        agreement.sign(w, **doc, signer_role="调解员", signer_name="李调解", signed_on=D(2026, 3, 10))
        agreement.sign(w, **doc, signer_role="委员会", signer_name="", signed_on=D(2026, 3, 11))
        assert casefile.open_case(w, info.id).agreement.effective_on is None
        assert agreement.agreement_missing_signatures(w, info.id) == ["当事人李四"]
        with pytest.raises(UserError, match="现在只能改为.*“调解成功”"):
            states.change_state(w, info.id, "履行中", on_date=D(2026, 3, 12))
        states.change_state(w, info.id, "调解成功", on_date=D(2026, 3, 12))
        with pytest.raises(UserError, match="尚未生效.*李四"):
            states.change_state(w, info.id, "履行中", on_date=D(2026, 3, 12))
        agreement.sign(
            w,
            **doc,
            signer_role="当事人",
            signer_name="",
            party_id=ps[1].id,
            signed_on=D(2026, 3, 14),
            method="签名板",
            png=b"\x89PNG-fake",
        )
        assert casefile.open_case(w, info.id).agreement.effective_on == D(2026, 3, 14)
        # Signing again on a later day moves the last signature, so the date follows it.
        agreement.sign(w, **doc, signer_role="委员会", signer_name="", signed_on=D(2026, 3, 16))
        assert casefile.open_case(w, info.id).agreement.effective_on == D(2026, 3, 16)
        # Changing the text voids the signatures: the new text has to be signed again.
        agreement.save_agreement(
            w,
            info.id,
            kind="书面",
            reached_on=D(2026, 3, 10),
            facts="界址争议",
            issues="围墙",
            terms="拆除越界部分并赔偿 500 元",
            amount="3500",
        )
        assert casefile.open_case(w, info.id).agreement.effective_on is None


def test_oral_agreement_takes_effect_the_day_it_is_reached(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "调解中")
        ag = agreement.save_agreement(
            w,
            info.id,
            kind="口头",
            reached_on=D(2026, 3, 9),
            terms="李四当场赔偿张三鸡苗损失 200 元",
            amount=200,
        )
        states.change_state(w, info.id, "调解成功", on_date=D(2026, 3, 9))
        done = states.change_state(w, info.id, "履行完毕", on_date=D(2026, 3, 9))
        f = casefile.open_case(w, info.id).follow_ups
    assert ag.effective_on == D(2026, 3, 9)
    assert done.agreement_kind == "口头"
    assert [(x.due_on, x.agreement_number) for x in f] == [(D(2026, 4, 8), info.case_number)]


def test_failure_needs_reasons_and_the_routes_explained(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "调解中")
        with pytest.raises(UserError, match="途径"):
            states.change_state(w, info.id, "调解不成", on_date=D(2026, 3, 9), reasons="分歧大")
        with pytest.raises(UserError, match="原因"):
            states.change_state(w, info.id, "调解不成", on_date=D(2026, 3, 9), routes=["诉讼"])
        done = states.change_state(
            w, info.id, "调解不成", on_date=D(2026, 3, 9), reasons="分歧大", routes=["仲裁", "诉讼"]
        )
    assert (done.outcome, done.failure_routes) == ("不成", "诉讼,仲裁")


def test_archiving_needs_the_required_file_items_and_sets_the_cover(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "已回访")
        with pytest.raises(UserError, match="当事人身份证明、封底"):
            states.change_state(
                w,
                info.id,
                "已归档",
                on_date=D(2026, 5, 1),
                volume_no="2026-007",
                filed_by="李调解",
                retention="长期",
            )
        casefile.set_file_item(w, info.id, "identity", present=True, pages=2)
        casefile.set_file_item(w, info.id, "back_cover", present=True, pages=1)
        with pytest.raises(UserError, match="保管期限"):
            states.change_state(
                w,
                info.id,
                "已归档",
                on_date=D(2026, 5, 1),
                volume_no="2026-007",
                filed_by="李调解",
                retention="十年",
            )
        done = states.change_state(
            w,
            info.id,
            "已归档",
            on_date=D(2026, 5, 1),
            volume_no="2026-007",
            filed_by="李调解",
            retention="长期",
        )
        items = {i.key: i for i in casefile.checklist(w, info.id)}
        with pytest.raises(UserError, match="已归档"):
            casefile.set_file_item(w, info.id, "evidence", present=True)
    assert (done.volume_no, done.filed_by, done.filed_on, done.retention) == (
        "2026-007",
        "李调解",
        D(2026, 5, 1),
        "长期",
    )
    assert done.outcome == "成功"
    assert len(items) == 13 and items["agreement"].auto and items["follow_up"].present


def test_escalated_case_gets_the_towns_outcome_on_the_same_record(town_ws):
    town_staff = make_mediator(town_ws, "zhenli", roles=("town_staff",))
    with without_town_rule(), town_ws.work(town_staff) as w:  # as the village's bundle brings it
        row = MediationCase(
            village_code=VILLAGE_CODE,
            case_year=2026,
            case_seq=4,
            case_number="（2026）张家人调字第 4 号",
            title="三户排水纠纷",
            accepted_on=D(2026, 3, 2),
            source="排查发现",
            dispute_type="邻里",
            state="上报",
            state_on=D(2026, 3, 20),
            outcome="上报",
            escalated_to="乡镇",
            escalated_on=D(2026, 3, 20),
            escalation_reason="涉及三户",
        )
        w.session.add(row)
        w.session.flush()
        case_id = row.id
    with town_ws.work(town_staff) as w:
        row = w.session.get(MediationCase, case_id)
        with pytest.raises(UserError, match="处理结果请选择"):
            states.record_town_handling(
                w, row.id, handling="镇司法所调解", outcome="好了", handled_on=D(2026, 3, 25)
            )
        info = states.record_town_handling(
            w,
            row.id,
            handling="镇司法所组织三户调解",
            outcome="调解成功",
            handled_on=D(2026, 3, 25),
            agreement_kind="书面",
        )
        assert w.session.get(MediationCase, row.id).village_code == VILLAGE_CODE
    assert (info.town_outcome, info.town_handler, info.town_handled_on) == (
        "调解成功",
        "李调解",
        D(2026, 3, 25),
    )


def test_a_village_cannot_write_the_towns_outcome(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "上报")
        with pytest.raises(UserError, match="乡镇工作站"):
            states.record_town_handling(
                w, info.id, handling="x", outcome="调解成功", handled_on=D(2026, 3, 5)
            )
        with pytest.raises(UserError, match="乡镇尚未反馈"):
            states.change_state(
                w,
                info.id,
                "已归档",
                on_date=D(2026, 3, 5),
                volume_no="1",
                filed_by="李",
                retention="长期",
            )


def test_only_mediators_admins_and_town_staff_see_cases_and_opening_is_audited(
    village_ws, mediator, village_admin
):
    cadre = make_mediator(village_ws, "ganbu", roles=("cadre",))
    with village_ws.work(mediator) as w:
        info = new_case(w)
    with village_ws.work(cadre) as w:
        with pytest.raises(UserError, match="权限"):
            casefile.open_case(w, info.id)
        with pytest.raises(UserError, match="权限"):
            new_case(w, parties=False)
    assert accounts.can(village_admin, "see_cases")
    with village_ws.work(village_admin) as w:
        assert casefile.open_case(w, info.id).case.title == "张三与李四宅基地纠纷"
    with village_ws.session() as s:
        opened = s.scalars(select(AuditLog).where(AuditLog.action == "case.open")).all()
    assert [(a.username, a.record_id) for a in opened] == [("admin", info.id)]


def test_paths_reach_every_state():
    assert set(PATHS) == set(rules.STATES)


def test_agreement_signatures_are_one_row_per_signer(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "调解中")
        ag = agreement.save_agreement(
            w, info.id, kind="书面", reached_on=D(2026, 3, 10), facts="f", issues="i", terms="t"
        )
        sign_all(w, ag.id, info.id, D(2026, 3, 10))
        sign_all(w, ag.id, info.id, D(2026, 3, 11))
        assert len(casefile.open_case(w, info.id, audit_open=False).signatures) == 4


def test_evidence_scans_are_attached_to_the_case_file(village_ws, mediator, tmp_path):
    scan = tmp_path / "现场照片.jpg"
    scan.write_bytes(b"\xff\xd8jpeg" * 50)
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "不予受理")
        casefile.attach_to_case(w, info.id, scan, note="证据材料")
        assert [a.filename for a in casefile.case_attachments(w, info.id)] == ["现场照片.jpg"]
        step(w, info.id, "已归档", D(2026, 3, 9))
        with pytest.raises(UserError, match="已归档"):
            casefile.attach_to_case(w, info.id, scan)
