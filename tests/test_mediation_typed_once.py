"""A 调解记录's place, those taking part, 风险告知 and 记录人 are typed once: a mediator held the third
meeting of a case in the same room, with the same people and the same clerk, and typed them all again;
the agreement's 记录人 too."""

import datetime as dt

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.mediation import meetings, registration, rules

from ui.context import AppContext
from ui.mediation import forms
from ui.mediation.case.dialog import CaseDialog

from tests.mediation_helpers import D, make_mediator, new_case, step

RISK = "告知双方不得采取过激行为，调解不成可依法通过诉讼等途径解决。"


def _mediating(w, title="张三与李四宅基地纠纷"):
    info = new_case(w, title=title)
    registration.record_rights_notice(w, info.id, given_on=D(2026, 3, 2))
    step(w, info.id, rules.IN_MEDIATION, D(2026, 3, 2))
    return info


def test_a_new_meeting_starts_with_what_the_last_one_said(village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        first = _mediating(w)
        assert meetings.meeting_defaults(w, first.id) == {
            "place": meetings.DEFAULT_PLACE,
            "participants": "",
            "risk_notice": "",
            "recorder_name": "",
        }
        meetings.add_meeting(
            w,
            first.id,
            held_at=dt.datetime(2026, 3, 3, 9),
            place="纠纷现场",
            participants="调解员、张三、李四、二组组长",
            risk_notice=RISK,
            recorder_name="刘文书",
        )
        meetings.add_meeting(
            w, first.id, held_at=dt.datetime(2026, 3, 6, 14), place="村委会调解室", recorder_name="王会计"
        )
        # the case's last meeting, whatever it left empty
        assert meetings.meeting_defaults(w, first.id) == {
            "place": "村委会调解室",
            "participants": "",
            "risk_notice": "",
            "recorder_name": "王会计",
        }
        other = _mediating(w, title="王五与赵六排水沟纠纷")
        # another case's first: the committee's room, words and clerk, not the other case's people
        assert meetings.meeting_defaults(w, other.id) == {
            "place": "村委会调解室",
            "participants": "",
            "risk_notice": "",
            "recorder_name": "王会计",
        }
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


def test_the_forms_open_with_them(qtbot, village_ws):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        info = _mediating(w)
        meetings.add_meeting(
            w,
            info.id,
            held_at=dt.datetime(2026, 3, 3, 9),
            place="纠纷现场",
            participants="调解员、张三、李四",
            risk_notice=RISK,
            recorder_name="刘文书",
        )
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
