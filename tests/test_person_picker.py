from PySide6.QtCore import Qt

from db.models import Household, Person

from ui.widgets.person_picker import PersonListPicker, PersonPicker


def _seed(ws):
    with ws.session() as s:
        for head in ("张三丰", "曾国藩", "单田芳"):
            h = Household(head_name=head, group_name="二组")
            s.add(h)
            s.flush()
            s.add(Person(household_id=h.id, name=head, relation="户主"))


def test_typing_pinyin_initials_and_enter_picks_the_person(qtbot, village_ws):
    _seed(village_ws)
    picker = PersonPicker(village_ws.session)
    qtbot.addWidget(picker)
    chosen = []
    picker.person_chosen.connect(chosen.append)
    qtbot.keyClicks(picker.edit, "cgf")
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)
    assert [p.name for p in chosen] == ["曾国藩"]
    assert picker.edit.text() == ""


def test_list_picker_keeps_several_without_duplicates_and_removes(qtbot, village_ws, qtmodeltester):
    _seed(village_ws)
    w = PersonListPicker(village_ws.session)
    qtbot.addWidget(w)
    for q in ("zsf", "stf", "zsf"):
        qtbot.keyClicks(w.picker.edit, q)
        w.picker.search_now()
        qtmodeltester.check(w.picker.model)
        qtbot.keyClick(w.picker.edit, Qt.Key.Key_Return)
    assert [p.name for p in w.persons()] == ["张三丰", "单田芳"]
    w.chosen.setCurrentRow(0)
    qtbot.keyClick(w.chosen, Qt.Key.Key_Delete)
    assert [p.name for p in w.persons()] == ["单田芳"]
