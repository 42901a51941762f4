"""五联 (issue 18): a cadre's five pairings come from the tags and contact assignments the roster already
has, each with its last 入户走访 (the diary's derived data); a category without a pairing says so; a
cadre sees only their own page, an administrator one cadre at a time; sensitive tags stay hidden from
roles that may not see them."""

from __future__ import annotations

import datetime as dt

import pytest

from db import vocab
from db.models import CadreAssignment

from app.diary import entries
from app.errors import UserError
from app.households import wulian

from tests.diary_helpers import add_cadre, add_household, entry_input
from tests.households_helpers import add_user

NOW = dt.datetime(2024, 3, 15, 16, 30)


def _village(ws):
    me = add_cadre(ws, "王建国", "wjg")
    other = add_cadre(ws, "李红", "lh")
    poor, poor_pid, _ = add_household(ws, "张困难", group="二组", tags=("低保", "残疾"), cadre_id=me.id)
    old, _, _ = add_household(ws, "刘老兵", group="一组", tags=("老党员/老干部",), cadre_id=me.id)
    child, _, _ = add_household(ws, "陈留守", group="三组", tags=("留守儿童",), cadre_id=me.id)
    empty_nest, _, _ = add_household(ws, "孙空巢", group="三组", tags=("空巢老人",), cadre_id=me.id)
    add_household(ws, "赵能人", group="一组", tags=("经济能人",), cadre_id=other.id)  # another cadre's
    add_household(ws, "周普通", group="一组", cadre_id=me.id)  # no tag of the five
    ended, _, _ = add_household(ws, "吴上访", group="二组", tags=("上访户",), cadre_id=me.id)
    with ws.session() as s:  # the pairing with the petitioner ended: history, not a current pairing
        a = s.query(CadreAssignment).filter_by(household_id=ended).one()
        a.end_on = dt.date(2024, 1, 1)
    return me, other, {"poor": (poor, poor_pid), "old": old, "child": child, "nest": empty_nest}


def test_the_five_pairings_come_from_tags_and_contact_assignments_with_the_last_home_visit(village_ws):
    me, _other, hh = _village(village_ws)
    with village_ws.work(me) as w:
        entries.save_entry(
            w, entry_input(hh["poor"][0], hh["poor"][1], when=NOW - dt.timedelta(days=10)), now=NOW
        )
        phone = entry_input(hh["old"], when=NOW - dt.timedelta(days=2), kind="电话联系")
        entries.save_entry(w, phone, now=NOW)  # a phone call is not a home visit
        view = wulian.wulian(w)
    assert view.own and view.cadre_name == "王建国"
    assert [c.title for c in view.categories] == [
        "一个困难家庭",
        "一名老党员老干部",
        "一名留守儿童或空巢老人",
        "一名经济能人",
        "一个上访户",
    ]
    got = {c.category.key: [(p.head_name, p.tags, p.last_visit) for p in c.pairings] for c in view.categories}
    assert got == {
        "poor_family": [("张困难", ("低保",), dt.date(2024, 3, 5))],
        "old_member": [("刘老兵", ("老党员/老干部",), None)],
        "left_behind": [("孙空巢", ("空巢老人",), None), ("陈留守", ("留守儿童",), None)],
        "capable": [],  # 赵能人 is 李红's
        "petitioner": [],  # the pairing ended
    }
    capable = view.categories[3]
    assert capable.empty_text("您") == "还没有结对：您联系的户里没有标为“经济能人”的户"
    assert not hasattr(view, "percent") and not any(isinstance(v, float) for v in vars(view).values())


def test_a_cadre_sees_only_their_own_page_and_an_administrator_one_cadre_at_a_time(village_ws, village_admin):
    me, other, _hh = _village(village_ws)
    with pytest.raises(UserError) as err, village_ws.work(me) as w:
        wulian.wulian(w, other.id)
    assert err.value.field == "cadre" and "只能看自己的" in err.value.message
    with village_ws.work(me) as w:
        assert not wulian.may_choose_cadre(w)
    with village_ws.work(village_admin) as w:
        assert wulian.may_choose_cadre(w)
        assert {"王建国", "李红"} <= {name for _id, name in wulian.cadre_choices(w)}
        theirs = wulian.wulian(w, other.id)
        assert not theirs.own and theirs.cadre_name == "李红"
        assert [p.head_name for p in theirs.categories[3].pairings] == ["赵能人"]
        assert all(not c.pairings for c in wulian.wulian(w).categories)  # the administrator's own: none
        with pytest.raises(UserError, match="找不到"):
            wulian.wulian(w, "no-such-user")


def test_a_role_that_may_not_see_sensitive_tags_is_told_what_is_left_out(village_ws):
    _me, _other, hh = _village(village_ws)
    mediator = add_user(village_ws, "tiaojie", ["mediator"])
    with village_ws.session() as s:
        s.add(
            CadreAssignment(
                household_id=hh["child"],
                cadre_id=mediator.id,
                role=vocab.CONTACT_CADRE,
                start_on=dt.date(2024, 1, 1),
            )
        )
    with village_ws.work(mediator) as w:
        view = wulian.wulian(w)
    left_behind = view.categories[2]
    assert left_behind.pairings == () and left_behind.hidden_tags == ("留守儿童",)
    assert left_behind.tags_used == ("空巢老人",)
