"""A 调解记录's place, those taking part, 风险告知 and 记录人 are typed once: a mediator held the third
meeting of a case in the same room, with the same people and the same clerk, and typed them all again;
the agreement's 记录人 too."""

import datetime as dt

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from db.models import MediationCase

from app.errors import UserError
from app.mediation import meetings, recusal, registration, rules, states

from ui.context import AppContext
from ui.mediation import forms
from ui.mediation.case.dialog import CaseDialog

from tests.mediation_helpers import D, case_in_state, make_mediator, new_case, step, tick_required

RISK = "告知双方不得采取过激行为，调解不成可依法通过诉讼等途径解决。"


def _mediating(w, title="张三与李四宅基地纠纷"):
    info = new_case(w, title=title)
    registration.record_rights_notice(w, info.id, given_on=D(2026, 3, 2))
    step(w, info.id, rules.IN_MEDIATION, D(2026, 3, 2))
    return info


def _held_on_the_spot(w, case_id: str, participants: str) -> None:
    meetings.add_meeting(
        w,
        case_id,
        held_at=dt.datetime(2026, 3, 3, 9),
        place="纠纷现场",
        participants=participants,
        risk_notice=RISK,
        recorder_name="刘文书",
    )


def _said(place: str, *, participants: str = "", risk: str = "", recorder: str = "") -> dict[str, str]:
    return {"place": place, "participants": participants, "risk_notice": risk, "recorder_name": recorder}


def test_a_new_meeting_starts_with_what_the_last_one_said(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        first = _mediating(w)
        assert meetings.meeting_defaults(w, first.id) == _said(meetings.DEFAULT_PLACE)
        _held_on_the_spot(w, first.id, "调解员、张三、李四、二组组长")
        meetings.add_meeting(
            w, first.id, held_at=dt.datetime(2026, 3, 6, 14), place="村委会调解室", recorder_name="王会计"
        )
        # the case's last meeting, whatever it left empty
        assert meetings.meeting_defaults(w, first.id) == _said("村委会调解室", recorder="王会计")
        other = _mediating(w, title="王五与赵六排水沟纠纷")
        # another case's first: the committee's room, words and clerk, not the other case's people
        assert meetings.meeting_defaults(w, other.id) == _said("村委会调解室", recorder="王会计")
        meetings.add_meeting(
            w,
            first.id,
            held_at=dt.datetime(2026, 3, 2, 16),
            place="老地方",
            risk_notice=RISK,
            recorder_name="旧",
        )
        # the committee's last is the latest held, not the latest typed
        assert meetings.meeting_defaults(w, other.id)["recorder_name"] == "王会计"


def test_a_first_meeting_starts_in_the_committees_usual_room_not_the_last_place(village_ws):
    """The committee meets in its room, and once at a party's home: another case's first meeting starts
    in the room, not at 村民马斌宇家中 (another case's party)."""
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        first = _mediating(w)
        for day, place in ((3, "村委会调解室"), (5, "村委会调解室"), (8, "村民马斌宇家中")):
            meetings.add_meeting(w, first.id, held_at=dt.datetime(2026, 3, day, 9), place=place)
        assert meetings.meeting_defaults(w, first.id)["place"] == "村民马斌宇家中"  # its own case: the last
        other = _mediating(w, title="王五与赵六排水沟纠纷")
        assert meetings.meeting_defaults(w, other.id)["place"] == "村委会调解室"


def test_the_forms_open_with_them(qtbot, village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        info = _mediating(w)
        _held_on_the_spot(w, info.id, "调解员、张三、李四")
    dlg = CaseDialog(AppContext(village_ws, user), info.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    assert dlg.agreement_tab.ag_recorder.text() == "刘文书"  # no agreement yet: the meetings' clerk
    seen = {}

    def look_and_close() -> None:
        form = QApplication.activeModalWidget()
        assert isinstance(form, forms.SessionDialog)
        seen.update(
            place=form.place.text(),
            participants=form.participants.text(),
            risk=form.risk_notice.toPlainText(),
            recorder=form.recorder_name.text(),
            parties=form.parties_present.text(),
        )
        form.reject()

    QTimer.singleShot(0, look_and_close)
    dlg.meetings_tab.add_meeting()
    assert seen == {
        "place": "纠纷现场",
        "participants": "调解员、张三、李四",
        "risk": RISK,
        "recorder": "刘文书",
        "parties": "张三、李四",
    }


def _archived(w, title, volume_no, day):
    info = case_in_state(w, rules.REJECTED, title=title, accepted_on=day)
    tick_required(w, info.id)
    return states.change_state(
        w, info.id, rules.ARCHIVED, on_date=day, volume_no=volume_no, filed_by="李调解", retention="长期"
    )


def test_archiving_offers_the_next_volume_number_and_refuses_one_used(village_ws):
    """卷号 was typed for every folder, and nothing stopped two folders with one number."""
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        waiting = case_in_state(w, rules.REJECTED, title="王五与赵六排水沟纠纷")
        assert states.next_volume_no(w, waiting.id, 2026) == "2026-001"  # the committee's first
        _archived(w, "甲与乙纠纷", "张调卷〔2025〕31号", D(2025, 12, 20))
        assert states.next_volume_no(w, waiting.id, 2025) == "张调卷〔2025〕32号"
        assert states.next_volume_no(w, waiting.id, 2026) == "张调卷〔2026〕1号"  # a new year's first
        _archived(w, "丙与丁纠纷", "张调卷〔2026〕1号", D(2026, 1, 5))
        _archived(w, "戊与己纠纷", "张调卷〔2026〕3号", D(2026, 1, 4))  # typed ahead, filed a day before
        assert states.next_volume_no(w, waiting.id, 2026) == "张调卷〔2026〕2号"
        tick_required(w, waiting.id)
        try:
            states.change_state(
                w,
                waiting.id,
                rules.ARCHIVED,
                on_date=D(2026, 3, 6),
                volume_no=" 张调卷〔2026〕1号 ",
                filed_by="李调解",
                retention="长期",
            )
        except UserError as exc:
            refusal = exc
        else:
            raise AssertionError("a 卷号 already on another folder was taken")
        assert refusal.field == "volume_no" and "丙与丁纠纷" in refusal.message
        assert w.session.get(MediationCase, waiting.id).state == rules.REJECTED  # nothing changed
        for last, then in (("2026-014", "2026-015"), ("卷15", "卷16"), ("2025-031", "2026-001")):
            row = w.session.get(MediationCase, _archived(w, f"{last}案", last, D(2026, 2, 1)).id)
            assert states.next_volume_no(w, waiting.id, 2026) == then, last
            row.deleted_at = row.updated_at  # (out of the way of the next)
            w.session.flush()


def test_the_archive_form_opens_with_it(qtbot, village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        _archived(w, "甲与乙纠纷", "2026-007", D(2026, 3, 1))
        info = case_in_state(w, rules.REJECTED, title="王五与赵六排水沟纠纷")
        tick_required(w, info.id)
    dlg = CaseDialog(AppContext(village_ws, user), info.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    seen = {}

    def look_and_close() -> None:
        form = QApplication.activeModalWidget()
        assert isinstance(form, forms.TransitionDialog)
        seen["volume_no"] = form.volume_no.text()
        form.reject()

    QTimer.singleShot(0, look_and_close)
    archive = next(t for t in rules.TRANSITIONS if t.source == rules.REJECTED and t.target == rules.ARCHIVED)
    dlg.do_transition(archive)
    assert seen == {"volume_no": "2026-008"}


def test_a_screening_round_starts_with_who_went_round_and_where_last_time(village_ws, qtbot):
    from app.mediation import screening

    from ui.mediation.page import MediationPage

    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        assert screening.round_defaults(w, "李调解") == {"screeners": "李调解", "place": "全村各村民小组"}
        screening.record_screening(
            w, round_date=D(2026, 2, 3), screeners="村调委会主任、各组调解信息员", place="全村一至六组"
        )
        screening.record_screening(
            w, round_date=D(2026, 2, 20), screeners="驻村工作队", place="三组、五组", round_kind="不定期"
        )
        # the special round before a festival is not the month's round: the last 定期 one is
        assert screening.round_defaults(w, "李调解") == {
            "screeners": "村调委会主任、各组调解信息员",
            "place": "全村一至六组",
        }
    page = MediationPage(AppContext(village_ws, user))
    qtbot.addWidget(page)
    seen = {}

    def look_and_close() -> None:
        form = QApplication.activeModalWidget()
        assert isinstance(form, forms.ScreeningDialog)
        seen.update(screeners=form.screeners.text(), place=form.place.text())
        form.reject()

    QTimer.singleShot(0, look_and_close)
    page.add_screening()
    assert seen == {"screeners": "村调委会主任、各组调解信息员", "place": "全村一至六组"}


def _wang_wu(w, case_id: str, number: str):
    """王五 of 李家庄, a party from outside the roster with his ID and phone."""
    return registration.add_party(
        w, case_id, role="第三人", name="王五", id_number=number, phone="13900001111", address="李家庄3组"
    )


def test_an_outside_party_of_an_earlier_case_is_offered_and_keeps_its_whole_id(village_ws, village_admin):
    """A party from outside the roster (a neighbouring village's resident, a company) was typed again, ID
    and all, for every case they were in."""
    from app.codes import make_resident_id, mask_resident_id

    from tests.households_helpers import household

    number = make_resident_id("370681", D(1975, 6, 1), 12, "男")
    user = make_mediator(village_ws)
    resident = household(village_ws, village_admin, "周名册")
    with village_ws.work(user) as w:
        first = new_case(w, title="张三与王五借款纠纷")
        wang = _wang_wu(w, first.id, number)
        registration.add_party(
            w,
            first.id,
            role="第三人",
            kind="单位",
            name="鲁东建筑公司",
            representative="赵经理",
            address="县城",
        )
        registration.add_party(w, first.id, role="第三人", person_id=resident.head_id)  # the roster's own
        gone_number = make_resident_id("370681", D(1980, 2, 2), 7, "女")
        gone = registration.add_party(w, first.id, role="第三人", name="错录的人", id_number=gone_number)
        registration.remove_party(w, gone.id)
        second = new_case(w, title="王五与李四排水纠纷")  # 张三 and 李四 again, newer
        known = registration.known_outside_parties(w)
        names = [k.name for k in known]
        assert names[:2] == ["李四", "张三"] and sorted(names[2:]) == [
            "王五",
            "鲁东建筑公司",
        ]  # newest first, once each
        wang_known = next(k for k in known if k.name == "王五")
        assert wang_known.id_masked == mask_resident_id(number) and number not in repr(wang_known)
        assert "李家庄3组" in wang_known.label and "张三与王五" not in wang_known.label
        # the form sends the mask back with the earlier party: the whole ID is that party's
        again = registration.add_party(
            w,
            second.id,
            role="申请人",
            name="王五",
            id_number=wang_known.id_masked,
            same_as=wang_known.party_id,
        )
        assert again.id_number == number and again.birth_date == D(1975, 6, 1) and again.sex == "男"
        # a mask is not a number: without the earlier party, or with another's, it is refused at the field
        zhang = next(k for k in known if k.name == "张三")
        wang_mask, gone_mask = wang_known.id_masked, mask_resident_id(gone_number)
        tries = [(m, wang_mask, "王五") for m in (None, zhang.party_id, wang.id + "x", resident.head_id)]
        tries.append((gone.id, gone_mask, "错录的人"))  # a removed party's number is not offered
        tries.append((wang.id, wang_mask, "王六"))  # filled from 王五, then another name typed
        for same_as, masked, name in tries:
            try:
                registration.add_party(
                    w, second.id, role="第三人", name=name, id_number=masked, same_as=same_as
                )
            except UserError as exc:
                assert exc.field == "id_number", same_as
            else:
                raise AssertionError(f"a masked ID was taken with same_as={same_as}")
        # a number typed over the mask is the one typed
        other = make_resident_id("370681", D(1980, 1, 2), 3, "女")
        typed = registration.add_party(
            w, second.id, role="第三人", name="王五之妻", id_number=other, same_as=wang_known.party_id
        )
        assert typed.id_number == other
        parties = registration.party_rows(w.session, second.id)
        assert [p.name for p in parties] == ["张三", "李四", "王五", "王五之妻"]  # nothing of the refusals


# the offscreen platform cannot raise the completer's list or let it take the keys (a desktop's can)
@pytest.mark.qt_log_ignore("does not support (propagateSizeHints|raise|grabbing the keyboard)")
def test_the_outside_party_form_fills_from_the_one_chosen(qtbot, village_ws):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QInputMethodEvent

    from app.codes import make_resident_id, mask_resident_id

    number = make_resident_id("370681", D(1975, 6, 1), 12, "男")
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        first = new_case(w, title="张三与王五借款纠纷")
        _wang_wu(w, first.id, number)
        second = new_case(w, title="王五与李四排水纠纷", parties=False)
        registration.add_mediator(w, second.id, user_id=user.id, is_lead=True)
    dlg = CaseDialog(AppContext(village_ws, user), second.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    seen = {}

    def choose_and_save() -> None:
        form = QApplication.activeModalWidget()
        try:
            choose(form)
        except BaseException:
            form.reject()  # (a failed look must not leave the test waiting on the form)
            raise

    def choose(form) -> None:
        assert isinstance(form, forms.PartyDialog)
        typed = QInputMethodEvent()  # 王, as a Chinese input method gives it
        typed.setCommitString("王")
        QApplication.sendEvent(form.name, typed)  # the first character typed lists the earlier 王五
        popup = form.name.completer().popup()
        qtbot.waitUntil(popup.isVisible, timeout=2000)
        seen["offered"] = [popup.model().index(i, 0).data() for i in range(popup.model().rowCount())]
        popup.setCurrentIndex(popup.model().index(0, 0))
        qtbot.keyClick(popup, Qt.Key.Key_Return)
        seen.update(
            name=form.name.text(),
            id=form.id_number.text(),
            phone=form.phone.text(),
            address=form.address.text(),
        )
        form.name.end(False)
        more = QInputMethodEvent()
        more.setCommitString("妻")  # 王五妻: another name typed over it, the mask stands for no one now
        QApplication.sendEvent(form.name, more)
        seen["id_after_another_name"] = form.id_number.text()
        form.name.setText("王五")
        form.fill_from(0)  # (chosen again)
        form.role.setCurrentText("申请人")
        form.accept()

    QTimer.singleShot(0, choose_and_save)
    dlg.parties_tab.add_outside_party()
    assert seen["offered"] == [
        f"王五　李家庄3组　13900001111　{mask_resident_id(number)}　案号{first.case_number}"
    ]
    assert seen["name"] == "王五" and seen["id"] == mask_resident_id(number)
    assert seen["id_after_another_name"] == ""
    assert (seen["phone"], seen["address"]) == ("13900001111", "李家庄3组")
    with village_ws.work(user) as w:
        (party,) = registration.party_rows(w.session, second.id)
    assert (party.name, party.role, party.id_number) == ("王五", "申请人", number)


def test_an_invited_mediator_is_offered_in_the_next_case(qtbot, village_ws):
    """The committee invites the same 乡贤 and lawyer again; their names were typed at every case."""
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        first = new_case(w, title="甲与乙纠纷")
        registration.add_mediator(w, first.id, name="老支书王德厚")
        registration.add_mediator(w, first.id, name="刘律师")
        wrong = registration.add_mediator(w, first.id, name="错字的人")
        registration.remove_mediator(w, wrong.id)
        second = new_case(w, title="丙与丁纠纷")
        registration.add_mediator(w, second.id, name="老支书王德厚")  # invited again: now the newest
        assert registration.named_mediators(w) == ["老支书王德厚", "刘律师"]  # not the users, not the removed
        third = new_case(w, title="戊与己纠纷")
    dlg = CaseDialog(AppContext(village_ws, user), third.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    completer = dlg.parties_tab.mediator_name.completer()
    offered = completer.model()
    assert [offered.index(i, 0).data() for i in range(offered.rowCount())] == ["老支书王德厚", "刘律师"]
    completer.setCompletionPrefix("律师")  # anywhere in the name
    assert completer.currentCompletion() == "刘律师"
    # and as the one who takes over from a mediator a party asked to step aside (not that one)
    with village_ws.work(user) as w:
        lawyer = registration.add_mediator(w, third.id, name="刘律师")
        party = registration.parties(w, third.id)[0]
        recusal.request_recusal(
            w, third.id, party_id=party.id, mediator_id=lawyer.id, requested_on=D(2026, 3, 3), reason="是亲戚"
        )
    dlg.reload()
    seen = []

    def look_and_close() -> None:
        form = QApplication.activeModalWidget()
        try:  # (closed whatever it shows: a failed look must not leave the test waiting on the form)
            assert isinstance(form, forms.RecusalDecisionDialog)
            completer = form.replacement_name.completer()
            model = completer.model() if completer is not None else None
            seen.extend(model.index(i, 0).data() for i in range(model.rowCount())) if model else None
        finally:
            form.reject()

    QTimer.singleShot(0, look_and_close)
    dlg.parties_tab.decide_recusal()
    assert seen == ["老支书王德厚"]
