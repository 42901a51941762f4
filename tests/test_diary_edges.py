"""民情日记 at its edges, as an outside review found them: a must-visit closed by a visit that is deleted or
moved, an answered demand rewritten by an edit, a moved entry's demands left on the old household."""

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Demand, MustVisitEvent

from app.diary import demands, entries, visits
from app.errors import UserError

from tests.diary_helpers import add_cadre, add_household, entry_input

EVENT_DAY = dt.date(2024, 3, 8)
TODAY = dt.datetime(2024, 3, 20, 18, 0)


@pytest.fixture
def cadre(village_ws):
    return add_cadre(village_ws)


def _save(ws, user, data, entry_id=None):
    with ws.work(user) as w:
        return entries.save_entry(w, data, entry_id=entry_id, now=TODAY)


def _event(ws, event_id):
    with ws.session() as s:
        ev = s.get(MustVisitEvent, event_id)
        return ev.closed_by_entry_id, ev.closed_on


def _open_events(ws, cadre):
    with ws.work(cadre) as w:
        return [e.household_id for e in visits.open_must_visits(w, cadre_id=cadre.id)]


def _hospital(ws, cadre, hid):
    with ws.work(cadre) as w:
        return visits.record_must_visit(w, hid, "住院", EVENT_DAY, today=EVENT_DAY).id


def test_a_deleted_visit_no_longer_closes_the_must_visit_and_a_later_one_takes_its_place(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "己测试", cadre_id=cadre.id)
    event = _hospital(village_ws, cadre, hid)
    first = _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 10, 9)))
    later = _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 12, 9)))
    assert _event(village_ws, event) == (first.id, dt.date(2024, 3, 10))
    with village_ws.work(cadre) as w:
        entries.delete_entry(w, first.id)
    assert _event(village_ws, event) == (later.id, dt.date(2024, 3, 12))  # the next home visit closes it
    with village_ws.work(cadre) as w:
        entries.delete_entry(w, later.id)
    assert _event(village_ws, event) == (None, None)
    assert _open_events(village_ws, cadre) == [hid]  # back on 今日待办
    with village_ws.work(cadre) as w:
        (item,) = visits.household_must_visits(w, hid)
    assert item.closed_on is None


def test_a_visit_moved_to_another_household_or_made_a_phone_call_reopens_the_must_visit(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "庚测试", cadre_id=cadre.id)
    other, other_pid, _ = add_household(village_ws, "辛测试", cadre_id=cadre.id)
    event = _hospital(village_ws, cadre, hid)
    visit = _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 10, 9)))
    assert _event(village_ws, event)[0] == visit.id
    _save(village_ws, cadre, entry_input(other, other_pid, when=dt.datetime(2024, 3, 10, 9)), visit.id)
    assert _event(village_ws, event) == (None, None) and _open_events(village_ws, cadre) == [hid]
    _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 10, 9)), visit.id)
    assert _event(village_ws, event)[0] == visit.id  # back to the household: closes it again
    call = entry_input(hid, pid, when=dt.datetime(2024, 3, 10, 9), kind="电话联系")
    _save(village_ws, cadre, call, visit.id)
    assert _event(village_ws, event) == (None, None)
    _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 7, 9)), visit.id)
    assert _event(village_ws, event) == (None, None)  # a home visit before the event does not close it


def _answered(ws, cadre, hid, pid):
    e = _save(
        ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 1, 9), demands=[("医疗", "办慢病卡")])
    )
    with ws.work(cadre) as w:
        demands.reply_demand(
            w,
            e.demands[0].id,
            reply="已联系卫生院",
            replied_on=dt.date(2024, 3, 3),
            replied_by="王建国",
            today=dt.date(2024, 3, 3),
        )
    return e


def _as_edited(e, **changes):
    """The entry as the edit form sends it back, with ``changes`` to it and to its one demand."""
    d = e.demands[0]
    demand = entries.DemandInput(
        changes.pop("category", d.category),
        changes.pop("content", d.content),
        d.responsible_id,
        changes.pop("due_on", d.due_on),
        d.household_id,
        d.id,
    )
    return dataclasses.replace(
        entry_input(e.participants[0].household_id, e.participants[0].person_id, when=e.occurred_at),
        demands=[demand],
        **changes,
    )


def test_an_answered_demand_keeps_what_was_asked_through_an_edit_of_its_entry(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "张三丰", cadre_id=cadre.id)
    e = _answered(village_ws, cadre, hid, pid)
    for change in ({"category": "教育"}, {"content": "孩子转学"}, {"due_on": dt.date(2024, 4, 30)}):
        with pytest.raises(UserError, match="已经答复，它的内容、类别、期限和所在的户不能再改") as err:
            _save(village_ws, cadre, _as_edited(e, **change), e.id)
        assert err.value.field == "demands:0"
    with pytest.raises(UserError, match="2024-03-03 已经答复") as err:
        _save(village_ws, cadre, _as_edited(e, occurred_at=dt.datetime(2024, 3, 6, 9)), e.id)
    assert err.value.field == "occurred_at"
    # the rest of the entry can still be corrected, and the demand is as it was
    _save(village_ws, cadre, _as_edited(e, situation="老人住院回家了"), e.id)
    with village_ws.session() as s:
        d = s.scalars(select(Demand)).one()
    assert (d.category, d.content, d.status, d.replied_on) == (
        "医疗",
        "办慢病卡",
        "已答复",
        dt.date(2024, 3, 3),
    )
    with (
        village_ws.work(cadre) as w,
        pytest.raises(UserError, match="已经答复，这篇日记不能删除；如果日记记错了"),
    ):
        entries.delete_entry(w, e.id)


def test_an_entry_moved_to_another_household_takes_its_open_demands_not_its_answered_ones(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "边界户", cadre_id=cadre.id)
    other, other_pid, _ = add_household(village_ws, "搜索户", cadre_id=cadre.id)
    e = _save(
        village_ws,
        cadre,
        entry_input(hid, pid, demands=[("住房", "修屋顶")], when=dt.datetime(2024, 3, 1, 9)),
    )
    moved = _as_edited(e)
    moved.participants = [entries.ParticipantInput(other, other_pid)]
    _save(village_ws, cadre, moved, e.id)
    with village_ws.session() as s:
        assert s.scalars(select(Demand.household_id)).one() == other
    answered = _answered(village_ws, cadre, hid, pid)
    moved = _as_edited(answered)
    moved.participants = [entries.ParticipantInput(other, other_pid)]
    with pytest.raises(UserError, match="所在的户不能再改"):
        _save(village_ws, cadre, moved, answered.id)


def test_the_town_answers_beyond_the_first_fifteen_are_counted_not_dropped(village_ws, cadre):
    from sqlalchemy import update

    from app import todo
    from app.diary.todo import MAX_OVERDUE_ITEMS

    hid, pid, _ = add_household(village_ws, "张三丰", cadre_id=cadre.id)
    asked = [("民生保障", f"第 {n} 件事") for n in range(MAX_OVERDUE_ITEMS + 6)]
    _save(village_ws, cadre, entry_input(hid, pid, demands=asked))
    with village_ws.session() as s:  # as the town's answers arrive in its bundle
        s.execute(update(Demand).values(status="乡镇已答复", town_replied_on=dt.date(2024, 3, 18)))
    with village_ws.work(cadre) as w:
        items = [i for i in todo.collect(w, TODAY.date()) if i.kind == "demand_town_replied"]
    assert len(items) == MAX_OVERDUE_ITEMS + 1
    assert items[-1].title == "另有 6 条乡镇已答复的诉求等着答复群众" and items[-1].count == 6
