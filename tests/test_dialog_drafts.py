"""The forms of 帮扶, 为民实事, the demands' answers and the review meetings keep what is typed as a draft
(ui.widgets.form_draft.KeepsDraft), as the diary and the mediation forms do: a power cut or a 取消 pressed
by mistake loses nothing; the draft is offered back for the same record, put back, and gone once saved."""

from __future__ import annotations

import datetime as dt

import pytest

from app import drafts
from app.diary import demands as demand_svc

from ui.context import AppContext
from ui.widgets.form_draft import CLOSE_KEEPS_DRAFT, SAVE_AFTER_MS

from tests.sync_support import add_demand, add_household

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
TODAY = dt.date.today()


@pytest.fixture
def ctx(village_ws, village_admin):
    return AppContext(village_ws, village_admin)


def _typed(box, text: str) -> None:
    box.setText(text)
    box.textEdited.emit(text)  # (setText is not an edit; a person's typing is)


def _open(qtbot, dlg):
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _kept(ws) -> int:
    return len(list(ws.drafts_dir.glob("form-*.json")))


def test_an_aid_record_keeps_who_gave_it_a_radio_button_and_is_saved_once(qtbot, ctx, village_ws):
    from app.aid import records

    from ui.aid.forms import AidForm

    hid = add_household(village_ws, "王一")
    form = _open(qtbot, AidForm(ctx, hid, "王一户"))
    assert form.draft is not None and not form.draft.banner.isVisible()
    form.kind.setCurrentText("物资")
    form.goods.setPlainText("大米 2 袋、食用油 1 桶")
    form.by_unit.setChecked(True)
    _typed(form.unit, "县残联")
    qtbot.wait(SAVE_AFTER_MS + 400)
    assert _kept(village_ws) == 1
    form.reject()

    again = _open(qtbot, AidForm(ctx, hid, "王一户"))
    assert again.draft.banner.isVisible() and again.goods.toPlainText() == ""
    again.draft.restore()
    assert again.by_unit.isChecked() and not again.by_cadre.isChecked()
    assert (again.kind.currentText(), again.unit.text()) == ("物资", "县残联")
    again.save()
    assert again.result() == again.DialogCode.Accepted and _kept(village_ws) == 0
    with ctx.work() as w:
        (saved,) = records.household_aid(w, hid)
    assert (saved.goods, saved.giver_unit) == ("大米 2 袋、食用油 1 桶", "县残联")
    other = _open(qtbot, AidForm(ctx, add_household(village_ws, "陈二"), "陈二户"))
    assert not other.draft.banner.isVisible()  # another household's form offers nothing


def test_a_project_keeps_its_milestones_and_the_demands_it_answers(qtbot, ctx, village_ws):
    from ui.projects.dialogs import ProjectDialog

    road = add_demand(village_ws, add_household(village_ws, "张大山"), "门前道路硬化")
    dlg = _open(qtbot, ProjectDialog(ctx, None, year=TODAY.year))
    assert dlg.buttons.button(dlg.buttons.StandardButton.Cancel).text() == CLOSE_KEEPS_DRAFT
    _typed(dlg.title, "三组道路硬化")
    _typed(dlg.budget, "120000")
    dlg.source.setCurrentText("一事一议")
    dlg.responsible.setCurrentText("张建国")
    dlg._add_step("开工", TODAY, None, None)
    dlg._add_step("完工", None, None, None)
    dlg.steps.item(1, 1).setText("2026/9/1")  # typed wrong: kept as typed, said at 确定
    dlg._set_demands([(road, _pick(ctx, road))])
    qtbot.wait(SAVE_AFTER_MS + 400)
    dlg.reject()

    again = _open(qtbot, ProjectDialog(ctx, None, year=TODAY.year))
    assert again.draft.banner.isVisible() and again.steps.rowCount() == 0
    again.draft.restore()
    assert (again.title.text(), again.budget.text(), again.responsible.currentText()) == (
        "三组道路硬化",
        "120000",
        "张建国",
    )
    assert again._kept_steps() == [["开工", TODAY.isoformat(), "", None], ["完工", "2026/9/1", "", None]]
    assert again._demand_ids == [road] and "门前道路硬化" in again.demands.item(0).text()
    again._ok()
    assert "格式不对" in again.error.text() and _kept(village_ws) == 1  # refused: the draft stays
    again.steps.item(1, 1).setText("2026-09-01")
    again._ok()
    assert again.result() == 1, again.error.text()
    assert _kept(village_ws) == 0


def test_an_altered_project_draft_names_no_other_record(qtbot, ctx, village_ws):
    from ui.projects.dialogs import ProjectDialog

    dlg = _open(qtbot, ProjectDialog(ctx, None, year=TODAY.year))
    state = dlg.draft._state()
    n = len(dlg.draft.fields)
    values = state[:n] + [
        ["steps", [["开工", "", "", "a-milestone-of-another-project"], ["x", 1, "", None]]],
        ["demands", ["no-such-demand"]],
    ]
    with ctx.work() as w:
        drafts.save_form_draft(w, "project", "new", values)
    dlg.reject()
    again = _open(qtbot, ProjectDialog(ctx, None, year=TODAY.year))
    again.draft.restore()
    assert again.steps.rowCount() == 0  # a row of the wrong shape: nothing put back
    assert again._demand_ids == []  # a demand not found in this village is left out
    values[n] = ["steps", [["开工", "", "", "a-milestone-of-another-project"]]]
    with ctx.work() as w:
        drafts.save_form_draft(w, "project", "new", values)
    third = _open(qtbot, ProjectDialog(ctx, None, year=TODAY.year))
    third.draft.restore()
    assert third._kept_steps() == [["开工", "", "", None]]  # another project's milestone: a new one here


def test_an_answer_to_a_demand_is_kept_for_that_demand(qtbot, ctx, village_ws):
    from ui.diary.dialogs import ReplyDialog

    did = add_demand(village_ws, add_household(village_ws, "李秀英"), "希望安装路灯")
    with ctx.work() as w:
        info = demand_svc.demand_info(w, did)
    dlg = _open(qtbot, ReplyDialog(ctx, info))
    dlg.reply.setPlainText("已报镇里，路灯下月安装")
    qtbot.wait(SAVE_AFTER_MS + 400)
    dlg.reject()
    again = _open(qtbot, ReplyDialog(ctx, info))
    assert again.draft.banner.isVisible()
    again.draft.restore()
    assert again.reply.toPlainText() == "已报镇里，路灯下月安装"


def _pick(ctx, demand_id):
    from db.queries.projects import demand_picks

    with ctx.session() as s:
        (pick,) = demand_picks(s, ctx.station.code, ids=[demand_id], limit=1)
    return pick
