"""The case screen's 当事人 tab (issue 16): a mediator enters the 法定代理人 of a minor (typed in, or a
person of the roster), sees the warning while the minor has none, and records a party's 回避 request
and the committee's decision with the replacement."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from db.models import CaseParty
from db.queries.people import find_persons

from app.codes import make_resident_id
from app.households import checks, roster
from app.mediation import registration

from ui.context import AppContext
from ui.mediation import forms
from ui.mediation.case.dialog import CaseDialog

from tests.mediation_helpers import make_mediator, new_case

D = dt.date
ACCEPTED = D(2026, 8, 24)
CHILD_ID = make_resident_id("370681", D(2020, 5, 1), 7, "男")
FATHER_ID = make_resident_id("370681", D(1990, 2, 3), 8, "男")
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


@pytest.fixture
def admin(village_ws):
    return make_mediator(village_ws, "guanli", roles=("admin", "mediator"))


def _in_modal(qtbot, kind, act):
    """Run ``act(dialog)`` on the modal dialog of type ``kind`` once it is shown."""
    done = []

    def run():
        d = QApplication.activeModalWidget()
        if not isinstance(d, kind):
            QTimer.singleShot(10, run)
            return
        act(d)
        done.append(d)

    QTimer.singleShot(0, run)
    return done


def _close_next_warning(seen):
    def close():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(10, close)

    QTimer.singleShot(0, close)


def test_a_mediator_enters_the_legal_representative_of_a_minor(qtbot, village_ws, admin):
    with village_ws.work(admin) as w:
        c = new_case(w, accepted_on=ACCEPTED, parties=False)
        registration.add_party(w, c.id, role="申请人", name="赵桂兰")
    dlg = CaseDialog(AppContext(village_ws, admin), c.id, today=ACCEPTED)
    qtbot.addWidget(dlg)
    tab = dlg.parties_tab
    seen, shown = [], {}

    def fill(d: forms.PartyDialog):
        d.role.setCurrentText("被申请人")
        d.name.setText("王小明")
        d.id_number.setText(CHILD_ID)
        shown["warning"] = d.minor_warning.text() if d.minor_warning.isVisibleTo(d) else ""
        _close_next_warning(seen)
        d.accept()  # refused: no 法定代理人; the message names it and the dialog stays open
        shown["still_open"] = d.isVisible()
        d.guardian.name.setText("王大明")
        d.guardian.relation.setCurrentText("父亲")
        d.guardian.id_number.setText(FATHER_ID)
        d.guardian.phone.setText("139 0535 1111")
        d.accept()

    done = _in_modal(qtbot, forms.PartyDialog, fill)
    tab.add_outside_party()
    assert done and shown["still_open"]
    assert "受理时未满十八周岁（6 岁）" in shown["warning"]
    assert seen and "法定代理人" in seen[0]
    child = next(p for p in dlg.cf.parties if p.name == "王小明")
    assert (child.guardian_name, child.guardian_relation, child.guardian_id_number, child.guardian_phone) == (
        "王大明",
        "父亲",
        FATHER_ID,
        "13905351111",
    )
    texts = [tab.party_list.item(i).text() for i in range(tab.party_list.count())]
    assert any("法定代理人：王大明（父亲）" in t and "6岁" in t for t in texts)
    assert not tab.capacity_warning.isVisibleTo(tab)


def test_a_minor_without_a_representative_is_flagged_and_given_one_from_the_roster(qtbot, village_ws, admin):
    with village_ws.work(admin) as w:
        roster.create_household(
            w,
            checks.HouseholdInput(
                group_name="二组",
                members=[
                    checks.MemberInput("王大明", "户主", sex="男", id_number=FATHER_ID, phone="13905351111")
                ],
            ),
        )
        c = new_case(w, accepted_on=ACCEPTED)
        minor = w.session.query(CaseParty).filter_by(case_id=c.id, name="李四").one()
        minor.id_number = CHILD_ID  # as an older program left it
        minor_id = minor.id
    dlg = CaseDialog(AppContext(village_ws, admin), c.id, today=ACCEPTED)
    qtbot.addWidget(dlg)
    tab = dlg.parties_tab
    dlg.show()
    assert tab.capacity_warning.isVisibleTo(tab) and "李四受理时未满十八周岁" in tab.capacity_warning.text()
    assert "⚠ 未成年" in tab.party_list.item(1).text()
    tab.party_list.setCurrentRow(1)
    with village_ws.session() as s:
        (father,) = find_persons(s, "王大明")

    def fill(d: forms.GuardianDialog):
        d.guardian.choose(father)  # picked in the roster search
        d.guardian.relation.setCurrentText("父亲")
        d.accept()

    done = _in_modal(qtbot, forms.GuardianDialog, fill)
    tab.edit_guardian()
    assert done
    p = next(p for p in dlg.cf.parties if p.id == minor_id)
    assert (p.guardian_person_id, p.guardian_name, p.guardian_id_number) == (father.id, "王大明", FATHER_ID)
    assert not tab.capacity_warning.isVisibleTo(tab)
    assert "⚠" not in tab.party_list.item(1).text()


def test_a_mediator_records_a_recusal_request_and_the_decision(qtbot, village_ws, admin):
    with village_ws.work(admin) as w:
        c = new_case(w, accepted_on=ACCEPTED)
    dlg = CaseDialog(AppContext(village_ws, admin), c.id, today=ACCEPTED)
    qtbot.addWidget(dlg)
    tab = dlg.parties_tab
    assert not tab.recusal_decide.isEnabled()
    tips = {a.text(): a.toolTip() for a in dlg.print_menu.actions()}
    assert "完整身份证号" in tips["受理登记表"] and "身份证号" not in tips["当事人权利义务告知书"]

    def ask(d: forms.RecusalRequestDialog):
        d.party.setCurrentIndex(1)  # 被申请人李四
        d.reason.setPlainText("调解员与申请人是亲戚")
        d.accept()

    assert _in_modal(qtbot, forms.RecusalRequestDialog, ask) is not None
    tab.request_recusal()
    assert "李四申请李调解回避：调解员与申请人是亲戚　【待决定】" in tab.recusal_list.item(0).text()
    assert tab.recusal_decide.isEnabled()
    seen = []

    def decide(d: forms.RecusalDecisionDialog):
        d.decision.setCurrentText("不同意回避")
        d.note.setPlainText("理由不足")
        _close_next_warning(seen)
        d.accept()  # refused: the lead mediator is always replaced
        d.decision.setCurrentText("同意回避")
        d.replacement_name.setText("赵老支书")
        d.accept()

    done = _in_modal(qtbot, forms.RecusalDecisionDialog, decide)
    tab.decide_recusal()
    assert done and seen and "调解主持人" in seen[0]
    assert [tab.mediator_list.item(i).text() for i in range(tab.mediator_list.count())] == [
        "赵老支书（主持）（外聘）"
    ]
    assert "【同意回避，由赵老支书接替，2026-08-24】" in tab.recusal_list.item(0).text()
    assert not tab.recusal_decide.isEnabled()
