"""What a mediator typed into a dialog and did not save survives (ui.widgets.form_draft over app.drafts):
kept while typing, sealed with the workspace key, offered back the next time the same dialog opens for
the same case, put back only into the same fields, removed once the dialog's work is saved."""

from __future__ import annotations

import datetime as dt
import os
import sys

import pytest
from PySide6.QtCore import Qt

from app import drafts
from app.mediation import meetings

from ui.context import AppContext
from ui.mediation import forms
from ui.widgets.form_draft import SAVE_AFTER_MS, FormDraft

from tests.mediation_helpers import case_in_state, make_mediator

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
SAID = "申请人张三称：去年秋天修排水沟时，李四家占了他家两尺宅基地。"


@pytest.fixture
def mediator(village_ws):
    return make_mediator(village_ws)


@pytest.fixture
def ctx(village_ws, mediator):
    return AppContext(village_ws, mediator)


def _session_dialog(qtbot, ctx, case_id):
    """As the case screen's 新增调解记录 opens it (ui/mediation/case/meetings.py)."""
    dlg = forms.SessionDialog(mediator="李调解", parties="张三、李四")
    qtbot.addWidget(dlg)
    dlg.draft = FormDraft(dlg, ctx, "mediation_session", case_id)
    dlg.show()
    return dlg


def test_a_half_typed_mediation_record_is_kept_offered_back_and_removed_once_saved(
    qtbot, ctx, village_ws, mediator
):
    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
    dlg = _session_dialog(qtbot, ctx, case.id)
    assert not dlg.draft.banner.isVisible()  # nothing kept yet
    assert dlg.buttons.button(dlg.buttons.StandardButton.Cancel).text() == "关闭（草稿会保留）"
    dlg.statements.setPlainText(SAID)
    dlg.place.setText("三组活动室")
    dlg.place.textEdited.emit("三组活动室")  # (setText is not an edit; a person's typing is)
    qtbot.wait(SAVE_AFTER_MS + 400)
    (kept,) = village_ws.drafts_dir.glob("form-*.json")
    assert SAID.encode() not in kept.read_bytes()  # sealed: the parties' words are not on the disk in clear
    dlg.close()  # a crash, or 取消 pressed by mistake: the draft stays

    again = _session_dialog(qtbot, ctx, case.id)
    assert again.draft.banner.isVisible() and "没有保存的草稿" in again.draft.label.text()
    assert again.statements.toPlainText() == ""  # offered, not forced
    again.draft.restore()
    assert again.statements.toPlainText() == SAID and again.place.text() == "三组活动室"
    assert again.mediator_name.text() == "李调解"

    def save(values):
        with ctx.work() as w:
            return meetings.add_meeting(w, case.id, **values)

    again.on_accept = save
    again.accept()
    assert again.result_value is not None
    assert not list(village_ws.drafts_dir.glob("form-*.json"))  # saved: the draft is gone
    third = _session_dialog(qtbot, ctx, case.id)
    assert not third.draft.banner.isVisible()
    other_case = _session_dialog(qtbot, ctx, "another-case")
    assert not other_case.draft.banner.isVisible()


def test_an_offered_draft_outlives_typing_closing_and_saving_until_it_is_chosen(
    qtbot, ctx, village_ws, mediator
):
    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
    dlg = _session_dialog(qtbot, ctx, case.id)
    dlg.statements.setPlainText(SAID)
    qtbot.wait(SAVE_AFTER_MS + 400)
    dlg.close()
    (kept,) = village_ws.drafts_dir.glob("form-*.json")
    first = kept.read_bytes()

    again = _session_dialog(qtbot, ctx, case.id)
    assert again.draft.banner.isVisible()
    again.statements.setPlainText("另一次调解")
    qtbot.wait(SAVE_AFTER_MS + 400)
    files = sorted(village_ws.drafts_dir.glob("form-*.json"))
    assert len(files) == 2 and kept.read_bytes() == first  # kept beside the offer, which is not replaced
    again.close()

    third = _session_dialog(qtbot, ctx, case.id)
    third.statements.setPlainText("第三次")
    third.place.setText("村委会")

    def save(values):
        with ctx.work() as w:
            return meetings.add_meeting(w, case.id, **values)

    third.on_accept = save
    third.accept()
    assert third.result_value is not None  # saved without choosing: both drafts are offered again
    assert sorted(village_ws.drafts_dir.glob("form-*.json")) == files and kept.read_bytes() == first
    fourth = _session_dialog(qtbot, ctx, case.id)
    fourth.draft.restore()
    assert fourth.statements.toPlainText() == "另一次调解"  # the newer first
    fourth.close()
    fifth = _session_dialog(qtbot, ctx, case.id)
    fifth.statements.setPlainText("又一次")
    fifth.draft.discard()  # drops the offered one only
    qtbot.wait(SAVE_AFTER_MS + 400)
    assert len(list(village_ws.drafts_dir.glob("form-*.json"))) == 2 and kept.read_bytes() == first
    fifth.close()
    sixth = _session_dialog(qtbot, ctx, case.id)
    sixth.draft.restore()
    assert sixth.statements.toPlainText() == "又一次"


def test_a_draft_is_put_back_only_into_the_same_fields_and_an_untouched_dialog_keeps_none(
    qtbot, ctx, village_ws
):
    with ctx.work() as w:  # a draft of another form's fields (an older version's, or a file tampered with)
        drafts.save_form_draft(w, "mediation_session", "c1", [["QLineEdit", "x"], ["QPlainTextEdit", SAID]])
    dlg = _session_dialog(qtbot, ctx, "c1")
    assert not dlg.draft.banner.isVisible() and dlg.statements.toPlainText() == ""
    with ctx.work() as w:
        drafts.discard_form_draft(w, "mediation_session", "c1")
    dlg.place.textEdited.emit(dlg.place.text())  # a change that changes nothing
    qtbot.wait(SAVE_AFTER_MS + 400)
    dlg.reject()
    assert not list(village_ws.drafts_dir.glob("form-*.json"))


def test_a_draft_of_another_user_or_a_damaged_file_is_not_offered(qtbot, ctx, village_ws, mediator):
    dlg = _session_dialog(qtbot, ctx, "c2")
    dlg.statements.setPlainText(SAID)
    dlg.draft.save_now()
    (kept,) = village_ws.drafts_dir.glob("form-*.json")
    other = AppContext(village_ws, make_mediator(village_ws, "other"))
    assert not _session_dialog(qtbot, other, "c2").draft.banner.isVisible()
    kept.write_bytes(kept.read_bytes()[:-5] + b"xxxxx")  # damaged
    assert not _session_dialog(qtbot, ctx, "c2").draft.banner.isVisible()
    assert kept.exists()  # skipped, never deleted
    with ctx.work() as w:
        assert drafts.load_form_draft(w, "mediation_session", "c2") is None
        when = dt.datetime(2026, 12, 1, 18, 5)
        drafts.save_form_draft(w, "mediation_session", "c2", [], now=when)
        assert drafts.load_form_draft(w, "mediation_session", "c2").saved_at == when


def test_the_case_screen_keeps_a_draft_of_the_mediation_record_it_opens(qtbot, ctx, village_ws, mediator):
    """新增调解记录 on the case screen: typed, closed unsaved, opened again: the draft is offered."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui.mediation.case.dialog import CaseDialog

    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
    screen = CaseDialog(ctx, case.id)
    qtbot.addWidget(screen)
    seen: list[object] = []

    def drive() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, forms.SessionDialog):
            QTimer.singleShot(20, drive)
            return
        if getattr(box, "draft", None) is None:  # a dialog that keeps no draft
            seen.append("no draft")
        elif not seen:
            seen.append(box.draft.banner.isVisible())
            box.statements.setPlainText(SAID)
        else:
            seen.append(box.draft.banner.isVisible())
            box.draft.restore()
            seen.append(box.statements.toPlainText())
        box.reject()

    for _ in range(2):
        QTimer.singleShot(0, drive)
        screen.session_add.click()
    assert seen == [False, True, SAID]


def test_a_refused_step_keeps_its_dialog_open_with_what_was_typed_and_a_draft(
    qtbot, ctx, village_ws, mediator
):
    """上报 with a reason typed and a date before the case was accepted: refused; the dialog stays open
    with the reason (it closed and lost it before); closed, the reason is offered the next time."""
    from PySide6.QtCore import QDate, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.mediation import rules

    from ui.mediation.case.dialog import CaseDialog

    with village_ws.work(mediator) as w:
        case = case_in_state(w, "受理")
    screen = CaseDialog(ctx, case.id, today=dt.date(2026, 3, 5))
    qtbot.addWidget(screen)
    step = next(t for t in rules.TRANSITIONS if t.source == "受理" and t.target == rules.ESCALATED)
    reason = "宅基地界址涉及两个村，村调委会调不了，请镇里协调。"
    seen: list[object] = []

    def drive() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):  # the refusal, said over the dialog
            seen.append(box.text())
            box.accept()
            QTimer.singleShot(20, drive)
            return
        if not isinstance(box, forms.TransitionDialog):
            QTimer.singleShot(20, drive)
            return
        if not seen:
            box.reasons.setPlainText(reason)
            box.on_date.setDate(QDate(2020, 1, 1))  # before the case was accepted
            seen.append("typed")
            QTimer.singleShot(20, drive)
            box.buttons.accepted.emit()  # 确定
            return
        if len(seen) == 2:  # back in the dialog after the refusal
            seen.append(box.isVisible() and box.reasons.toPlainText())
            box.reject()
            return
        seen.append(box.draft.banner.isVisible())
        box.reject()

    QTimer.singleShot(0, drive)
    assert not screen.do_transition(step)
    assert seen[0] == "typed" and "日期不能早于" in str(seen[1]) and seen[2] == reason, seen
    QTimer.singleShot(0, drive)
    assert not screen.do_transition(step)
    assert seen[3] is True, seen
    assert "【受理】" in screen.header.text()  # nothing was changed by the refused step


def _case_screen(qtbot, ctx, case_id, **kw):
    from ui.mediation.case.dialog import CaseDialog

    screen = CaseDialog(ctx, case_id, today=dt.date(2026, 3, 20), **kw)
    qtbot.addWidget(screen)
    return screen


def _typed(box, text: str) -> None:
    """As a person types into a text box (its textChanged is what a keystroke sends)."""
    box.setPlainText(text)


TERMS = "李四于三月底前拆除占用张三宅基地的围墙，退回两尺，张三不再追究。"


def test_the_agreement_being_written_survives_a_change_in_another_tab_a_close_and_is_saved_once(
    qtbot, ctx, village_ws, mediator
):
    """协议 tab: the agreement's text typed, then a change elsewhere refills every tab (it wiped what was
    typed before); the screen closed unsaved and opened again offers it; 保存协议 stores it and ends the
    draft."""
    from app.mediation import agreement

    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
    screen = _case_screen(qtbot, ctx, case.id)
    tab = screen.agreement_tab
    assert tab.draft.banner.isHidden()
    _typed(tab.ag_facts, "张三、李四两家宅基地相邻，李四砌墙时占了张三家两尺。")
    _typed(tab.ag_issues, "围墙是否越界，越界部分如何处理。")
    _typed(tab.ag_terms, TERMS)
    screen.after_change()  # as a party added, a meeting recorded or a step taken does
    assert tab.ag_terms.toPlainText() == TERMS
    assert tab.ag_issues.toPlainText() == "围墙是否越界，越界部分如何处理。"
    qtbot.wait(SAVE_AFTER_MS + 400)
    (kept,) = village_ws.drafts_dir.glob("form-*.json")
    assert TERMS.encode() not in kept.read_bytes()  # sealed
    screen.reject()  # the screen closed, the agreement not saved

    again = _case_screen(qtbot, ctx, case.id)
    tab = again.agreement_tab
    assert not tab.draft.banner.isHidden() and "没有保存的草稿" in tab.draft.label.text()
    assert tab.ag_terms.toPlainText() == ""  # offered, not forced
    tab.draft.restore()
    assert tab.ag_terms.toPlainText() == TERMS
    again.show()
    again.tabs.setCurrentWidget(tab)
    again.activateWindow()
    tab.ag_terms.setFocus()
    qtbot.waitUntil(tab.ag_terms.hasFocus)
    qtbot.keyClick(tab.ag_terms, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # as on the 登记 tab
    with village_ws.work(mediator) as w:
        assert agreement.agreement_missing_signatures(w, case.id)  # stored (still to be signed)
    assert again.cf.agreement is not None and again.cf.agreement.terms == TERMS
    assert not list(village_ws.drafts_dir.glob("form-*.json"))  # saved: the draft is gone
    assert tab.ag_terms.toPlainText() == TERMS  # the fill after the save shows what was saved
    third = _case_screen(qtbot, ctx, case.id)
    assert third.agreement_tab.draft.banner.isHidden()
    changed = TERMS.replace("三月底", "四月十日")
    # a stored agreement being changed: every refill put the stored text back over it
    _typed(third.agreement_tab.ag_terms, changed)
    third.after_change()
    assert third.agreement_tab.ag_terms.toPlainText() == changed
    third.reject()


def test_a_refused_agreement_keeps_what_was_typed_and_its_draft(qtbot, ctx, village_ws, mediator):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
    screen = _case_screen(qtbot, ctx, case.id)
    tab = screen.agreement_tab
    _typed(tab.ag_terms, TERMS)  # 书面 without the facts: refused
    said: list[str] = []

    def close_the_refusal() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, close_the_refusal)
            return
        said.append(box.text())
        box.accept()

    QTimer.singleShot(0, close_the_refusal)
    tab.save_agreement()
    assert said and "纠纷主要事实" in said[0]
    assert tab.ag_terms.toPlainText() == TERMS and screen.cf.agreement is None
    tab.draft.save_now()
    assert list(village_ws.drafts_dir.glob("form-*.json"))  # still kept


def test_the_registration_tab_keeps_what_was_typed_across_refills_and_an_archived_case_offers_nothing(
    qtbot, ctx, village_ws, mediator
):
    with village_ws.work(mediator) as w:
        case = case_in_state(w, "调解中")
        archived = case_in_state(w, "已归档")
    screen = _case_screen(qtbot, ctx, case.id)
    reg = screen.registration_tab
    facts = "补充：双方在三月十日又因排水沟发生口角。"
    reg.reg.facts.setPlainText(facts)
    screen.after_change()
    assert reg.reg.facts.toPlainText() == facts
    screen.reject()  # closed within the 0.8 s: kept at the close
    again = _case_screen(qtbot, ctx, case.id)
    assert not again.registration_tab.draft.banner.isHidden()
    assert again.agreement_tab.draft.banner.isHidden()  # each tab its own draft
    again.registration_tab.draft.restore()
    assert again.registration_tab.reg.facts.toPlainText() == facts

    with ctx.work() as w:  # a draft left for a case since archived is not offered on its read-only form
        drafts.save_form_draft(
            w,
            "mediation_case_registration",
            archived.id,
            drafts.load_form_draft(w, "mediation_case_registration", case.id).data,
        )
    old = _case_screen(qtbot, ctx, archived.id)
    assert old.registration_tab.draft.banner.isHidden()
    old.registration_tab.reg.facts.setPlainText("不应保存")  # (a read-only box; a program could)
    assert not old.registration_tab.draft.timer.isActive()  # nothing kept of a form that cannot change


_DRAFT_ON_A_FULL_DRIVE = """
import resource, sys
from app.accounts import authenticate
from app.workspace import Workspace
from ui.app import make_application
from ui.context import AppContext
from ui.mediation import forms
from ui.widgets.form_draft import FormDraft

app = make_application()
ws = Workspace.open(sys.argv[1], create=False, credentials=("admin", sys.argv[2]))
with ws.work(None) as w:
    admin = authenticate(w, "admin", sys.argv[2])
    w.session.expunge(admin)
dlg = forms.SessionDialog(mediator="李调解", parties="张三、李四")
dlg.draft = FormDraft(dlg, AppContext(ws, admin), "mediation_session", "c9")
dlg.statements.setPlainText("申请人张三称：去年秋天修排水沟时，李四家占了他家两尺宅基地。" * 3)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))  # no file may pass 64 bytes: as a full FAT32 stick
try:
    dlg.draft.save_now()  # the system refuses the draft's file
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
print("WARNED", dlg.draft.banner.warning, dlg.draft.label.text(), flush=True)
print("KEPT", len(list(ws.drafts_dir.glob("form-*.json"))), len(list(ws.drafts_dir.glob(".tmp-*"))), flush=True)
dlg.draft.save_now()  # room again
print("AGAIN", dlg.draft.banner.isHidden(), len(list(ws.drafts_dir.glob("form-*.json"))), flush=True)
from ui.diary.entry_form import EntryDialog
entry = EntryDialog(AppContext(ws, admin))
entry.difficulties.setPlainText("屋顶漏雨，墙面开裂。" * 10)
resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
try:
    entry.save_draft_now()
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
print("DIARY", entry.status.text(), flush=True)
ws.close(daily_backup=False)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX's (Windows has no such limit)")
def test_a_draft_the_drive_will_not_take_is_said_beside_the_form_not_in_a_box_at_every_pause(village_ws):
    """A full disk or stick while a mediator types: the system refuses the draft's file (a real refusal:
    the file-size limit the system enforces, in a process of its own). Said in the form's banner, in
    Chinese, no box and no crash; nothing half-written is left; kept again once there is room."""
    import subprocess
    from pathlib import Path

    from tests.conftest import ADMIN_PASSWORD

    r = subprocess.run(
        [sys.executable, "-c", _DRAFT_ON_A_FULL_DRIVE, str(village_ws.root), ADMIN_PASSWORD],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in r.stdout.splitlines() if " " in line}
    assert (
        lines["WARNED"].startswith("True 草稿无法自动保存：文件太大") and "写完请直接保存" in lines["WARNED"]
    )
    assert lines["KEPT"] == "0 0"  # nothing half-written in the drafts folder
    assert lines["AGAIN"] == "True 1"
    assert lines["DIARY"].startswith(
        "草稿无法自动保存：文件太大"
    )  # the diary's form says it on its status line
    assert "Traceback" not in r.stderr
