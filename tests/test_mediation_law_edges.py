"""The edges of the law an outside review found (docs/mediation-law.md, docs/mediation-statistics.md):
the parties of an agreement already signed, signing while a 回避 request waits, the 30 days of 司法确认,
a 不予受理 in the month after the 受理, a case the town sent back, and what the papers print."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader

from db.models import Agreement, CaseMediator, CaseParty, MediationCase

from app.errors import UserError
from app.mediation import agreement, monthly, recusal, registration, rules, states
from app.mediation import documents as docs

from tests.mediation_helpers import make_mediator, new_case, sign_all, sign_party, step

D = dt.date


def _agreed(w, day=D(2026, 5, 6), *, kind="书面", signed=True):
    """A case in 调解中 with its agreement (signed by all when written and ``signed``)."""
    accepted = day - dt.timedelta(days=2)
    c = new_case(w, accepted_on=accepted)
    registration.record_rights_notice(w, c.id, given_on=accepted)
    states.change_state(w, c.id, rules.IN_MEDIATION, on_date=accepted)
    ag = agreement.save_agreement(
        w, c.id, kind=kind, reached_on=day, facts="界址", issues="围墙", terms="拆除"
    )
    if kind == "书面" and signed:
        sign_all(w, ag.id, c.id, day)
    return c, ag


def _parties(w, case_id):
    return [p.name for p in registration.parties(w, case_id)]


def test_no_party_joins_or_leaves_an_agreement_once_signed_or_in_effect(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c, ag = _agreed(w)
        assert w.session.get(Agreement, ag.id).effective_on == D(2026, 5, 6)
        with pytest.raises(UserError, match="调解协议书已生效，当事人不能再追加"):
            registration.add_party(w, c.id, role="第三人", name="丙", sex="男", address="三组")
        zhang = next(p for p in registration.parties(w, c.id) if p.name == "张三")
        with pytest.raises(UserError, match="调解协议书已生效，当事人不能再移除"):
            registration.remove_party(w, zhang.id)
        assert _parties(w, c.id) == ["张三", "李四"]
        # the way on: the text changed to state the third party's part voids the signatures ...
        agreement.save_agreement(
            w, c.id, kind="书面", reached_on=D(2026, 5, 8), facts="界址", issues="围墙", terms="拆除；丙出工"
        )
        assert w.session.get(Agreement, ag.id).effective_on is None
        registration.add_party(w, c.id, role="第三人", name="丙", sex="男", address="三组")
        # ... and the agreement is in effect again only when 丙 has signed too
        sign_all(w, ag.id, c.id, D(2026, 5, 9))
        assert w.session.get(Agreement, ag.id).effective_on == D(2026, 5, 9)


def test_one_signature_is_enough_to_fix_the_parties_and_an_unsigned_draft_is_not(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c, ag = _agreed(w, signed=False)
        registration.add_party(w, c.id, role="第三人", name="丙", sex="男", address="三组")  # a draft: fine
        li = next(p for p in registration.parties(w, c.id) if p.name == "李四")
        sign_party(w, ag.id, li.id, D(2026, 5, 6))
        with pytest.raises(UserError, match="调解协议书已有人签名，当事人不能再追加"):
            registration.add_party(w, c.id, role="第三人", name="丁", sex="男", address="四组")
        c2, _oral = _agreed(w, kind="口头")
        with pytest.raises(UserError, match="口头协议已于 2026-05-06 达成"):
            registration.add_party(w, c2.id, role="第三人", name="丁", sex="男", address="四组")
        assert _parties(w, c.id) == ["张三", "李四", "丙"] and _parties(w, c2.id) == ["张三", "李四"]


def test_nobody_signs_the_agreement_while_a_recusal_request_waits(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c, ag = _agreed(w, signed=False)
        zhang = next(p for p in registration.parties(w, c.id) if p.name == "张三")
        (lead,) = registration.live_rows(w.session, CaseMediator, c.id)
        req = recusal.request_recusal(
            w, c.id, party_id=zhang.id, mediator_id=lead.id, requested_on=D(2026, 5, 6), reason="是对方亲戚"
        )
        for role, party in (("调解员", None), ("当事人", zhang.id)):
            with pytest.raises(UserError, match="回避申请还没有决定") as refused:
                agreement.sign(
                    w,
                    document_table="mediation_agreement",
                    document_id=ag.id,
                    signer_role=role,
                    signer_name="李调解",
                    party_id=party,
                    signed_on=D(2026, 5, 7),
                )
            assert refused.value.field == "recusal"
        assert agreement.signatures(w.session, ag.id) == []
        recusal.decide_recusal(
            w, req.id, decision="同意回避", decided_on=D(2026, 5, 7), replacement_name="赵乡贤"
        )
        sign_all(w, ag.id, c.id, D(2026, 5, 8))
        assert w.session.get(Agreement, ag.id).effective_on == D(2026, 5, 8)


def test_judicial_confirmation_is_applied_for_within_thirty_days_of_the_effective_day(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c, _ag = _agreed(w, D(2026, 1, 10))  # in effect 2026-01-10: the 30th day is 02-09
        with pytest.raises(UserError, match="2026-02-09 是最后一天") as refused:
            agreement.apply_judicial_confirmation(w, c.id, applied_on=D(2026, 2, 10))
        assert refused.value.field == "applied_on"
        assert w.session.get(MediationCase, c.id).judicial_applied_on is None
        agreement.apply_judicial_confirmation(w, c.id, applied_on=D(2026, 2, 9))
        assert w.session.get(MediationCase, c.id).judicial_applied_on == D(2026, 2, 9)


def test_a_refusal_in_the_next_month_leaves_the_month_of_the_acceptance_as_it_was(village_ws):
    user = make_mediator(village_ws)
    october, november = (D(2026, 10, 1), D(2026, 10, 31)), (D(2026, 11, 1), D(2026, 11, 30))
    with village_ws.work(user) as w:
        late = new_case(w, accepted_on=D(2026, 10, 30), people_count=4)
        same = new_case(w, accepted_on=D(2026, 10, 5), title="王五与赵六排水沟纠纷")
        step(w, same.id, rules.REJECTED, D(2026, 10, 6))  # refused within its month: never a 受理
        code = w.unit_code
        before = monthly.compute(w.session, *october).row(code)
        step(w, late.id, rules.REJECTED, D(2026, 11, 2))
        after = monthly.compute(w.session, *october).row(code)
        nov = monthly.compute(w.session, *november).row(code)
        year = monthly.compute(w.session, D(2026, 1, 1), D(2026, 11, 30)).row(code)
    assert before == after  # October's figures do not change with November's handling
    assert (after["accepted"], after["rejected"], after["people"], after["in_progress"]) == (1, 1, 4, 1)
    assert (nov["accepted"], nov["rejected"], nov["in_progress"]) == (0, 1, 0)
    assert (year["accepted"], year["rejected"]) == (1, 2)  # the year is the sum of its months


def test_a_case_the_town_sent_back_is_the_villages_in_progress_until_taken_up_again(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c = new_case(w, accepted_on=D(2026, 11, 3))
        step(w, c.id, rules.ESCALATED, D(2026, 11, 10))
        row = w.session.get(MediationCase, c.id)
        code = w.unit_code
        waiting = monthly.compute(w.session, D(2026, 11, 1), D(2026, 11, 30)).row(code)["in_progress"]
        row.town_outcome, row.town_handled_on = (
            rules.SENT_BACK,
            D(2026, 11, 15),
        )  # as the town's bundle brings it
        w.session.flush()
        back = monthly.compute(w.session, D(2026, 11, 1), D(2026, 11, 30)).row(code)["in_progress"]
        before_sent = monthly.compute(w.session, D(2026, 11, 1), D(2026, 11, 12)).row(code)["in_progress"]
    assert (waiting, back, before_sent) == (0, 1, 0)  # at the town, then back in the village


def _text(path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\x00", "").replace("\n", "")


def test_the_papers_name_each_signer_print_every_risk_and_no_closing_day_for_an_escalation(
    village_ws, tmp_path
):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c = new_case(w, accepted_on=D(2026, 5, 4), risk_criminal_people=2, risk_fight_people=12)
        registration.add_party(w, c.id, role="申请人", name="王五", sex="男", address="四组")
        registration.add_mediator(w, c.id, name="赵乡贤")
        registration.record_rights_notice(w, c.id, given_on=D(2026, 5, 4), given_by="孙告知")
        states.change_state(w, c.id, rules.IN_MEDIATION, on_date=D(2026, 5, 4))
        ag = agreement.save_agreement(
            w, c.id, kind="书面", reached_on=D(2026, 5, 6), facts="界址", issues="围墙", terms="拆除"
        )
        sign_all(w, ag.id, c.id, D(2026, 5, 6))
        escalated = new_case(w, accepted_on=D(2026, 6, 1), title="孙七与周八土地纠纷")
        step(w, escalated.id, rules.IN_MEDIATION, D(2026, 6, 2))
        step(w, escalated.id, rules.FAILED, D(2026, 6, 5))
        step(w, escalated.id, rules.ESCALATED, D(2026, 7, 3))
        printed = {}
        for case_id, kind in (
            (c.id, "registration"),
            (c.id, "agreement"),
            (c.id, "rights_notice"),
            (escalated.id, "cover"),
        ):
            docs.print_document(w, case_id, kind, tmp_path / f"{kind}.pdf")
            printed[kind] = _text(tmp_path / f"{kind}.pdf")
        parties = w.session.query(CaseParty).filter_by(case_id=c.id).count()
    assert "可能民转刑（2 人）、可能群体性械斗（12 人）" in printed["registration"]
    paper = printed["agreement"]
    for line in (
        "申请人（签名、盖章或按指印）：张三",
        "申请人（签名、盖章或按指印）：王五",
        "被申请人（签名、盖章或按指印）：李四",
    ):
        assert paper.count(line) == parties + 1, line  # on every copy
    assert "人民调解员（签名）：李调解" in paper and "人民调解员（签名）：赵乡贤" in paper
    assert "各方当事人自愿达成如下协议" in paper and "双方当事人自愿" not in paper
    assert "告知人（签名）：孙告知" in printed["rights_notice"]
    cover = printed["cover"]
    assert "结案日期：2026年6月5日" in cover and "7月3日" not in cover  # 上报 is not 结案
