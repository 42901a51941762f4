"""What a cadre typed into a household's form and did not save survives a crash, a power cut or a 取消
pressed by mistake (ui.households.editor over ui.widgets.form_draft): the 户籍信息 fields, the members
listed (added, or changed, not yet saved) and the tags ticked; offered back the next time the same
household's form opens, removed once it is saved. A member's own form keeps its draft too."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app import drafts
from app.households import checks, roster

from ui.context import AppContext
from ui.households.editor import HouseholdDialog, MemberDialog
from ui.widgets.form_draft import SAVE_AFTER_MS

from tests.conftest import ADMIN
from tests.households_helpers import household, rid

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
NEW_ID = rid(dt.date(1988, 3, 9), 41, "女")


@pytest.fixture
def ctx(village_ws, village_admin):
    return AppContext(village_ws, village_admin)


def _form(qtbot, ctx, household_id):
    dlg = HouseholdDialog(ctx, household_id)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _typed(box, text: str) -> None:
    box.setText(text)
    box.textEdited.emit(text)  # (setText is not an edit; a person's typing is)


def _tick(dlg, tag: str) -> None:
    for i in range(dlg.tags.count()):
        if dlg.tags.item(i).data(Qt.ItemDataRole.UserRole) == tag:
            dlg.tags.item(i).setCheckState(Qt.CheckState.Checked)
            return
    raise AssertionError(f"no tag {tag}")


def _ticked(dlg) -> list[str]:
    return dlg._ticked_tags()


def _kept(ws) -> list:
    return sorted(p.name for p in ws.drafts_dir.glob("form-*.json"))


def test_a_new_household_half_typed_is_kept_sealed_offered_back_and_gone_once_saved(qtbot, ctx, village_ws):
    dlg = _form(qtbot, ctx, None)
    assert not dlg.draft.banner.isVisible()
    dlg.group.setCurrentText("七组")
    _typed(dlg.address, "七组18号")
    head = checks.MemberInput("欧阳秀兰", "户主", sex="女", id_number=NEW_ID)
    dlg.members_model.set_members([head, checks.MemberInput("欧阳小明", "子")], {})  # as 添加成员 does
    tag = dlg.tags.item(0).data(Qt.ItemDataRole.UserRole)
    _tick(dlg, tag)
    qtbot.wait(SAVE_AFTER_MS + 400)
    (kept,) = village_ws.drafts_dir.glob("form-*.json")
    body = kept.read_bytes()
    assert "欧阳秀兰".encode() not in body and NEW_ID.encode() not in body  # sealed: no name, no ID in clear
    dlg.reject()  # 关闭（草稿会保留）, a crash or a power cut

    again = _form(qtbot, ctx, None)
    assert again.draft.banner.isVisible() and "没有保存的草稿" in again.draft.label.text()
    assert again.address.text() == "" and again.members_model.members == []  # offered, not forced
    again.draft.restore()
    assert again.address.text() == "七组18号" and again.group.currentText() == "七组"
    assert [m.name for m in again.members_model.members] == ["欧阳秀兰", "欧阳小明"]
    assert again.members_model.members[0].id_number == NEW_ID and again.members_model.members[0].sex == "女"
    assert _ticked(again) == [tag]
    again.save()
    assert again.result() == 1 and _kept(village_ws) == []  # saved: the draft is gone
    with village_ws.work(ctx.user) as w:
        view = roster.get_household(w, again.saved_id)
    assert [m.name for m in view.members] == ["欧阳秀兰", "欧阳小明"] and list(view.tags) == [tag]
    assert not _form(qtbot, ctx, None).draft.banner.isVisible()


def test_an_existing_household_keeps_a_changed_member_and_one_added_and_not_one_moved_away(
    qtbot, ctx, village_ws, village_admin
):
    h = household(village_ws, village_admin, "孙大勇", "孙小勇", "孙小红")
    other = household(village_ws, village_admin, "钱一")
    dlg = _form(qtbot, ctx, h.id)
    members = list(dlg.members_model.members)
    ids = [m.id for m in members]
    members[1] = checks.MemberInput("孙晓勇", "子", phone="13905351234", id=members[1].id)  # 修改成员
    members.append(checks.MemberInput("孙新生", "孙子"))  # 添加成员
    dlg.members_model.set_members(members, dlg.members_model.status)
    qtbot.wait(SAVE_AFTER_MS + 400)
    dlg.reject()
    with village_ws.work(village_admin) as w:  # since: 孙小红 moved to another household
        roster.move_person(w, ids[2], other.id, relation="女")

    again = _form(qtbot, ctx, h.id)
    assert again.draft.banner.isVisible()
    again.draft.restore()
    names = [(m.name, m.id) for m in again.members_model.members]
    assert names == [("孙大勇", ids[0]), ("孙晓勇", ids[1]), ("孙新生", None)]
    assert again.members_model.members[1].phone == "13905351234"
    again.save()
    assert again.result() == 1
    with village_ws.work(village_admin) as w:
        view = roster.get_household(w, h.id)
        moved = roster.get_household(w, other.id)
    assert sorted(m.name for m in view.members) == ["孙大勇", "孙新生", "孙晓勇"]
    assert "孙小红" in [m.name for m in moved.members]  # not taken back by the old draft
    assert _kept(village_ws) == []


def test_a_move_or_a_mark_saved_at_once_is_not_kept_as_a_draft(
    qtbot, ctx, village_ws, village_admin, monkeypatch
):
    h = household(village_ws, village_admin, "周大", "周二")
    other = household(village_ws, village_admin, "吴一")
    dlg = _form(qtbot, ctx, h.id)
    moving = dlg.members_model.members[1]
    dlg.members_view.selectRow(1)
    monkeypatch.setattr("ui.households.pick.pick_household", lambda *a, **k: other.id)
    monkeypatch.setattr(
        "ui.households.editor.QInputDialog.getItem", lambda *a, **k: ("子", True)
    )  # the relation asked
    dlg.move_member()
    assert moving.id not in [m.id for m in dlg.members_model.members]
    qtbot.wait(SAVE_AFTER_MS + 400)
    assert _kept(village_ws) == []  # the move is saved; nothing typed is waiting
    _typed(dlg.notes, "门前有狗")
    qtbot.wait(SAVE_AFTER_MS + 400)
    assert len(_kept(village_ws)) == 1


def test_a_damaged_or_altered_draft_puts_back_nothing_it_cannot_trust(qtbot, ctx, village_ws, village_admin):
    h = household(village_ws, village_admin, "郑一", "郑二")
    stranger = household(village_ws, village_admin, "王外")
    dlg = _form(qtbot, ctx, h.id)
    state = dlg.draft._state()
    kinds = [k for k, _v in state]
    members = state[-2][1]
    members[0]["name"] = "郑一改"
    altered = members + [
        {"name": "王外", "id": stranger.members[0].id},  # another household's person: left out
        {"name": 7},  # not a member this program wrote
        "郑三",
        {"name": "郑四", "birth_date": "2024-02-30", "phone": None},  # no such day: the date left out
    ]
    values = [[k, v] for k, v in state[:-2]] + [["members", altered], ["tags", ["低保户", 3]]]
    with village_ws.work(village_admin) as w:
        drafts.save_form_draft(w, "household", h.id, values)
    dlg.reject()
    again = _form(qtbot, ctx, h.id)
    assert [k for k, _v in again.draft.draft.data] == kinds
    again.draft.restore()
    assert [(m.name, m.birth_date) for m in again.members_model.members] == [
        ("郑一改", None),
        ("郑二", None),
        ("郑四", None),
    ]
    assert _ticked(again) == []  # a tags value of the wrong shape puts nothing back
    with village_ws.work(village_admin) as w:
        drafts.save_form_draft(
            w, "household", h.id, [[k, v] for k, v in state[:-2]] + [["members", {}], ["tags", []]]
        )
    third = _form(qtbot, ctx, h.id)
    third.draft.restore()
    assert [m.name for m in third.members_model.members] == ["郑一", "郑二"]


def test_a_member_being_added_is_kept_in_its_own_form(qtbot, ctx, village_ws, monkeypatch):
    dlg = _form(qtbot, ctx, None)
    opened: list[MemberDialog] = []

    def typed_then_closed(member_dialog):
        opened.append(member_dialog)
        assert member_dialog.draft is not None and member_dialog.draft.key == "new-new"
        _typed(member_dialog.name, "欧阳秀兰")
        _typed(member_dialog.id_number, NEW_ID)
        member_dialog.draft.save_now()  # (0.8 s after the last key)
        return 0  # the power cut

    monkeypatch.setattr(MemberDialog, "exec", typed_then_closed)
    dlg.add_member()
    assert dlg.members_model.members == []
    member = MemberDialog(ctx, checks.MemberInput(name="", relation="户主"), dlg)
    qtbot.addWidget(member)
    member.keep_draft("new-new")
    member.show()
    assert member.draft.banner.isVisible() and member.name.text() == ""
    member.draft.restore()
    assert member.name.text() == "欧阳秀兰" and member.id_number.text() == NEW_ID
    member._accept()
    assert member.result() == 1 and _kept(village_ws) == []


def test_the_town_reads_a_village_household_and_keeps_no_draft(qtbot, town_ws):
    from app.accounts import authenticate

    with town_ws.work(None) as w:
        admin = authenticate(w, *ADMIN)
        w.session.expunge(admin)
    ctx = AppContext(town_ws, admin)
    assert ctx.is_town
    dlg = _form(qtbot, ctx, None)
    assert dlg.read_only and dlg.draft is None
