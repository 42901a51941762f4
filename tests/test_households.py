"""户籍 service, roster search and privacy rules."""

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from db import vocab
from db.models import AuditLog, CadreAssignment, Household, Person
from db.queries.households import (
    NO_CONTACT_CADRE,
    RosterFilter,
    roster_count,
    roster_ids,
    roster_keys,
    roster_rows,
)

from app.errors import UserError
from app.households import cadres, checks, roster, tags

from tests.households_helpers import add_user, household, rid


def _ids(ws, text="", **kw):
    with ws.session() as s:
        return roster_ids(s, RosterFilter(text=text, **kw))


def test_search_finds_any_member_by_name_pinyin_every_reading_id_suffix_phone_and_address(
    village_ws, village_admin
):
    a = household(village_ws, village_admin, "张三丰", "张小宝", group="三组", address="三组东头12号")
    b = household(
        village_ws,
        village_admin,
        "曾国藩",
        checks.MemberInput("单田芳", "配偶", id_number="11010519491231002X", phone="138 0000 1234"),
        group="一组",
    )
    c = household(village_ws, village_admin, "王五", group="二组", phones="0535-6611234")
    assert _ids(village_ws, "zsf") == [a.id]
    assert _ids(village_ws, "zhangsanfeng") == [a.id]
    assert _ids(village_ws, "zhangsan") == [a.id]
    assert _ids(village_ws, "zgf") == [b.id] == _ids(village_ws, "cgf")  # 曾: zeng and ceng
    assert _ids(village_ws, "stf") == [b.id] == _ids(village_ws, "dtf")  # 单: shan and dan
    assert _ids(village_ws, "小宝") == [a.id]  # a member, not the head
    assert _ids(village_ws, "三丰") == [a.id]  # the given name
    assert _ids(village_ws, "曾") == [b.id]  # one character: the surname
    assert _ids(village_ws, "002X") == [b.id] == _ids(village_ws, "002x") == _ids(village_ws, "２X")
    assert _ids(village_ws, "11010519491231002X") == [b.id]
    assert _ids(village_ws, "00001234") == [b.id]  # any phone, member's too
    assert _ids(village_ws, "6611234") == [c.id]
    # as the 电话 column shows it, with its dash (or the area code in brackets)
    assert _ids(village_ws, "0535-6611234") == [c.id] == _ids(village_ws, "（0535）6611234")
    assert _ids(village_ws, "138-0000-1234") == [b.id]
    assert _ids(village_ws, "东头12") == [a.id]
    assert _ids(village_ws, "三组 zs") == [a.id]  # words are ANDed
    assert _ids(village_ws, "qqq") == []
    assert sorted(_ids(village_ws, "z")) == sorted([a.id, b.id, c.id])  # one letter does not filter yet
    # pasted control characters part words; quotes and the index's operators are text
    assert _ids(village_ws, "三组\x00zs") == [a.id] == _ids(village_ws, "三组\x1fzs")
    for text in ('"', '"张', "张*", "NEAR(张 三)", "text:张", "张 OR 王", "^", "\x00"):
        with village_ws.session() as s:
            assert roster_count(s, RosterFilter(text=text)) == len(_ids(village_ws, text)), text
    assert _ids(village_ws, "张*") == [] == _ids(village_ws, "NEAR(张 三)")  # looked for as they are


def test_search_text_follows_edits_moves_and_is_kept_for_the_roster(village_ws, village_admin):
    a = household(village_ws, village_admin, "李四", "李小花")
    b = household(village_ws, village_admin, "赵六", group="二组")
    member = next(m for m in a.members if m.name == "李小花")
    with village_ws.work(village_admin) as w:
        roster.move_person(w, member.id, b.id, relation="女")
    assert _ids(village_ws, "lxh") == [b.id]
    with village_ws.work(village_admin) as w:
        data = checks.HouseholdInput(
            group_name="五组", address="五组8号", members=[checks.MemberInput("李四", "户主", id=a.head_id)]
        )
        roster.update_household(w, a.id, data)
    assert _ids(village_ws, "五组8") == [a.id]


def test_filters_by_group_tag_contact_cadre_none_and_card_not_delivered(village_ws, village_admin):
    cadre = add_user(village_ws, "liu", ["cadre"], phone="13900001111")
    a = household(village_ws, village_admin, "甲一", group="一组")
    b = household(village_ws, village_admin, "乙二", group="二组")
    today = dt.date(2026, 3, 1)
    with village_ws.work(village_admin) as w:
        tags.set_tags(w, a.id, ["低保", "残疾"])
        cadres.assign_cadre(w, a.id, vocab.CONTACT_CADRE, cadre.id, on=today)
        cadres.mark_cards_delivered(w, [b.id], today)
    assert _ids(village_ws, group_name="二组") == [b.id]
    assert _ids(village_ws, tag="低保") == [a.id]
    assert _ids(village_ws, contact_cadre_id=cadre.id) == [a.id]
    assert _ids(village_ws, contact_cadre_id=NO_CONTACT_CADRE) == [b.id]
    assert _ids(village_ws, card_not_delivered=True) == [a.id]
    with village_ws.session() as s:
        for key in (
            "head_name",
            "members",
            "contact_cadre",
            "area_cadre",
            "tags",
            "card_delivered_on",
            "address",
            "phones",
            "household_no",
        ):
            asc = roster_ids(s, sort=key)
            assert sorted(asc) == sorted([a.id, b.id])
        assert roster_ids(s, sort="head_name") == [b.id, a.id]  # 乙 (U+4E59) before 甲 (U+7532)
        assert roster_ids(s, sort="head_name", descending=True) == [a.id, b.id]
        assert roster_ids(s, sort="card_delivered_on") == [a.id, b.id]  # not delivered (NULL) first


def test_contact_cadre_change_keeps_history(village_ws, village_admin):
    c1 = add_user(village_ws, "c1", ["cadre"])
    c2 = add_user(village_ws, "c2", ["cadre"])
    h = household(village_ws, village_admin, "钱七")
    with village_ws.work(village_admin) as w:
        cadres.assign_cadre(w, h.id, vocab.CONTACT_CADRE, c1.id, on=dt.date(2025, 1, 1))
        assert not cadres.assign_cadre(w, h.id, vocab.CONTACT_CADRE, c1.id, on=dt.date(2025, 2, 1))
        cadres.assign_cadre(w, h.id, vocab.CONTACT_CADRE, c2.id, on=dt.date(2025, 6, 1))
        view = roster.get_household(w, h.id)
        rows = w.session.scalars(select(CadreAssignment).where(CadreAssignment.household_id == h.id)).all()
    assert view.contact_cadre.cadre_id == c2.id
    assert [(c.name, c.start_on, c.end_on) for c in view.cadre_history] == [
        ("C1", dt.date(2025, 1, 1), dt.date(2025, 6, 1)),
        ("C2", dt.date(2025, 6, 1), None),
    ]
    assert len(rows) == 2


def test_one_households_card_delivery_is_checked_and_audited_and_refused_at_the_town(
    village_ws, village_admin, town_ws
):
    from app import accounts

    from tests.conftest import ADMIN_PASSWORD

    h = household(village_ws, village_admin, "周十")
    viewer = add_user(village_ws, "kan", ["mediator"])  # may not edit households
    with village_ws.work(village_admin) as w:
        assert cadres.set_card_delivered(w, h.id, dt.date(2026, 3, 1))
        assert not cadres.set_card_delivered(w, h.id, dt.date(2026, 3, 1))
        assert cadres.set_card_delivered(w, h.id, None)  # marked by mistake: taken back
    with pytest.raises(UserError), village_ws.work(viewer) as w:
        cadres.set_card_delivered(w, h.id, dt.date(2026, 3, 2))
    with village_ws.session() as s:
        assert s.get(Household, h.id).card_delivered_on is None
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "household.card_delivered")).all()
    assert sorted((r.record_id, r.username, r.fields, r.detail or "") for r in rows) == [
        (h.id, "admin", "card_delivered_on", ""),  # delivered
        (h.id, "admin", "card_delivered_on", "撤销送达"),  # taken back; the refused attempt left nothing
    ]
    with town_ws.work(None) as w:
        clerk = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(clerk)
    with town_ws.work(clerk) as w:
        with pytest.raises(UserError, match="乡镇工作站只能查看"):
            cadres.set_card_delivered(w, h.id, None)
        assert not w.session.scalars(
            select(AuditLog).where(AuditLog.action == "household.card_delivered")
        ).all()


def test_deceased_and_moved_away_are_statuses_never_deletions(village_ws, village_admin):
    h = household(village_ws, village_admin, "孙八", "孙九")
    member = next(m for m in h.members if m.name == "孙九")
    with village_ws.work(village_admin) as w:
        with pytest.raises(UserError, match="日期"):
            roster.set_person_status(w, member.id, "已故")
        roster.set_person_status(w, member.id, "已故", dt.date(2026, 1, 5))
    with village_ws.session() as s:
        p = s.get(Person, member.id)
        assert (p.status, p.status_date, p.deleted_at) == ("已故", dt.date(2026, 1, 5), None)
        rows = roster_rows(s, roster_keys(s))
    assert [r.members for r in rows.values()] == [1]


def test_validation_names_the_field_in_chinese(village_ws, village_admin):
    def create(**member):
        with village_ws.work(village_admin) as w:
            roster.create_household(
                w,
                checks.HouseholdInput(
                    group_name="一组", members=[checks.MemberInput("周一", "户主", **member)]
                ),
            )

    with pytest.raises(UserError, match="身份证号.*校验位") as exc:
        create(id_number="110105194912310021")
    assert exc.value.field == "id_number"
    with pytest.raises(UserError, match="出生日期.*不一致") as exc:
        create(id_number="11010519491231002X", birth_date=dt.date(1950, 1, 1))
    assert exc.value.field == "birth_date"
    with pytest.raises(UserError, match="性别") as exc:
        create(id_number="11010519491231002X", sex="男")
    with pytest.raises(UserError, match="联系电话.*格式不对") as exc:
        create(phone="12345")
    assert exc.value.field == "phone"
    with pytest.raises(UserError, match="组"), village_ws.work(village_admin) as w:
        roster.create_household(w, checks.HouseholdInput(members=[checks.MemberInput("周一", "户主")]))
    with pytest.raises(UserError, match="户主"), village_ws.work(village_admin) as w:
        roster.create_household(
            w,
            checks.HouseholdInput(group_name="一组", members=[checks.MemberInput("周一", "子")]),
        )


def test_fifteen_digit_id_is_accepted_but_flagged_and_phones_are_normalised():
    clean, problems = checks.check_member(
        checks.MemberInput("吴二", "户主", id_number="110105491231002", phone="138-0000 1234")
    )
    assert clean.id_number == "110105491231002"
    assert [(p.field, p.level) for p in problems] == [("id_number", "warning")]
    assert clean.phone == "13800001234"
    assert clean.sex == "女" and clean.birth_date == dt.date(1949, 12, 31)
    assert (
        checks.normalize_phones("0535 6611234、+86 139 0000 1111；13900001111") == "0535-6611234,13900001111"
    )
    assert checks.normalize_phones("（010）12345678") == "010-12345678"
    with pytest.raises(UserError, match="区号"):
        checks.normalize_phones("6611234")
    assert checks.clean_name(" 张  三 ") == "张三"


def test_same_resident_id_in_two_households_is_refused_naming_the_other(village_ws, village_admin):
    number = rid(dt.date(1970, 5, 1), 12, "男")
    first = household(village_ws, village_admin, "郑大", group="四组", head_id=number)
    with pytest.raises(roster.DuplicateResidentId, match="四组 郑大 户") as exc:
        household(village_ws, village_admin, "郑小", head_id=number.lower())
    assert exc.value.household_id == first.id
    with village_ws.session() as s:
        assert s.scalar(select(Household.id).where(Household.head_name == "郑小")) is None


def test_a_households_number_typed_for_a_second_household_is_refused_naming_the_first(
    village_ws, village_admin
):
    """户编号 names one household on the roster and its contact card: typing another's is a slip."""
    first = household(village_ws, village_admin, "郑大", group="五组", household_no="050031")
    with pytest.raises(roster.DuplicateHouseholdNo, match="050031 已是五组 郑大 户的户编号") as exc:
        household(village_ws, village_admin, "郑小", group="五组", household_no=" 050031 ")
    assert exc.value.field == "household_no" and exc.value.household_id == first.id
    with village_ws.session() as s:
        assert s.scalar(select(Household.id).where(Household.head_name == "郑小")) is None
    # a village that numbers each group from 1 has the number in another group
    assert (
        household(village_ws, village_admin, "郑六", group="六组", household_no="050031").household_no
        == "050031"
    )
    second = household(village_ws, village_admin, "郑小", group="五组", household_no="050032")
    edit = checks.HouseholdInput(
        group_name="五组",
        household_no="050031",
        members=[checks.MemberInput("郑小", "户主", id=second.head_id)],
    )
    with pytest.raises(roster.DuplicateHouseholdNo, match="郑大"), village_ws.work(village_admin) as w:
        roster.update_household(w, second.id, edit)
    with village_ws.session() as s:
        assert s.get(Household, second.id).household_no == "050032"
    # a household keeps its own number when saved; two that already share one (imported so) stay editable
    with village_ws.work(village_admin) as w:
        roster.update_household(w, first.id, replace(edit, members=[], address="五组31号"))
        w.session.get(Household, second.id).household_no = "050031"
    with village_ws.work(village_admin) as w:
        assert roster.update_household(w, second.id, replace(edit, address="五组32号")).address == "五组32号"
    # a deleted household's number is free again
    with village_ws.work(village_admin) as w:
        roster.delete_household(w, second.id)
        roster.delete_household(w, first.id)
    assert (
        household(village_ws, village_admin, "郑三", group="五组", household_no="050031").household_no
        == "050031"
    )


def test_ids_are_masked_and_reveal_needs_the_role_and_is_audited(village_ws, village_admin):
    number = rid(dt.date(1980, 2, 3), 7, "女")
    cadre = add_user(village_ws, "cadre1", ["cadre"])
    h = household(village_ws, village_admin, "冯三", head_id=number)
    with village_ws.work(cadre) as w:
        view = roster.get_household(w, h.id)
        assert view.members[0].id_masked == number[:6] + "********" + number[-4:]
        assert number not in repr(view)
        with pytest.raises(UserError, match="权限"):
            roster.reveal_resident_id(w, view.head_id)
    with village_ws.work(village_admin) as w:
        assert roster.reveal_resident_id(w, view.head_id) == number
    with village_ws.session() as s:
        log = s.scalars(select(AuditLog).where(AuditLog.action == "person.reveal_id")).all()
    assert [(a.user_id, a.record_id, a.fields) for a in log] == [
        (village_admin.id, view.head_id, "id_number")
    ]
    assert number not in (log[0].detail or "")


def test_sensitive_tags_are_hidden_from_roles_that_may_not_see_them(village_ws, village_admin):
    mediator = add_user(village_ws, "med", ["mediator"])
    h = household(village_ws, village_admin, "褚四")
    with village_ws.work(village_admin) as w:
        tags.add_tag_definition(w, "精神障碍", sensitive=True)
    with village_ws.work(village_admin) as w:
        tags.set_tags(w, h.id, ["低保", "社区矫正", "精神障碍"])
    with village_ws.work(village_admin) as w:
        assert roster.get_household(w, h.id).tags == ("低保", "社区矫正", "精神障碍")
    with village_ws.work(mediator) as w:
        s = w.session
        assert roster.get_household(w, h.id).tags == ("低保",)
        names = {t.name for t in tags.all_tags(w)}
        assert "低保" in names and not names & {"残疾", "留守儿童", "社区矫正", "精神障碍"}
        hidden = tags.hidden_tags(w)
        rows = roster_rows(s, roster_keys(s), hidden_tags=hidden)
        assert [r.tags for r in rows.values()] == [("低保",)]
        # Filtering by a hidden tag shows nothing extra: the filter is ignored for that viewer.
        assert roster_ids(s, RosterFilter(tag="社区矫正", hidden_tags=hidden)) == [h.id]
    mediator_editor = add_user(village_ws, "med2", ["mediator", "town_staff"])
    with village_ws.work(mediator_editor) as w:  # a cadre who may not see them cannot remove them either
        tags.set_tags(w, h.id, [])
    with village_ws.work(village_admin) as w:
        assert roster.get_household(w, h.id).tags == ()


def test_roster_search_stays_in_step_with_the_fts_index_after_soft_delete(village_ws, village_admin):
    h = household(village_ws, village_admin, "卫五")
    with village_ws.work(village_admin) as w:
        roster.delete_household(w, h.id)
    assert _ids(village_ws, "卫五") == []
    with village_ws.session() as s:
        assert s.get(Household, h.id).deleted_at is not None


def test_a_bulk_write_puts_the_per_row_index_triggers_aside_and_back_and_a_rollback_keeps_them(
    village_ws, village_admin
):
    """Bulk writers (bundle and workbook imports) drop the insert and update triggers of the search
    index for their transaction (a statement on a table with a trigger copies every page it changes
    first); afterwards, and after a rollback, households written one by one are indexed again."""
    from db.queries.households import bulk_search_index

    def triggers(conn) -> set[str]:
        return set(
            conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fts_household_%'"
            ).scalars()
        )

    everything = {"fts_household_ai", "fts_household_au", "fts_household_ad"}
    with village_ws.engine.connect() as conn:
        with conn.begin():
            assert triggers(conn) == everything
            with bulk_search_index(conn):
                assert triggers(conn) == {"fts_household_ad"}
            assert triggers(conn) == everything
            # the larger in-memory term buffer of the bulk insert is given back in the same transaction
            assert conn.exec_driver_sql(
                "SELECT v FROM fts_household_config WHERE k = 'hashsize'"
            ).scalar() in (None, 1024 * 1024)
        with conn.begin() as tx:
            with bulk_search_index(conn):
                pass
            tx.rollback()
        with conn.begin():
            assert triggers(conn) == everything
    a = household(village_ws, village_admin, "欧阳修")
    assert _ids(village_ws, "oyx") == [a.id]
    with village_ws.work(village_admin) as w:
        data = checks.HouseholdInput(
            group_name="一组",
            address="醉翁亭1号",
            members=[checks.MemberInput("欧阳修", "户主", id=a.head_id)],
        )
        roster.update_household(w, a.id, data)
    assert _ids(village_ws, "醉翁亭") == [a.id]


def test_search_by_surname_alone_and_by_any_run_of_an_id_s_digits(village_ws, village_admin):
    one = rid(dt.date(1965, 3, 4), 123, "男")
    two = next(n for s in range(1, 999) if (n := rid(dt.date(1990, 1, 1), s, "女")).endswith("X"))
    a = household(village_ws, village_admin, "张三丰", checks.MemberInput("李明", "配偶", id_number=one))
    b = household(village_ws, village_admin, "王张", checks.MemberInput("赵四", "子", id_number=two))
    assert _ids(village_ws, "张") == [a.id]  # a name starting with 张, not one holding it
    assert sorted(_ids(village_ws, "李")) == [a.id]  # any member's surname
    for typed in (one[:12], one[:16], one[6:12], one[-4:], one[-2:]):
        assert _ids(village_ws, typed) == [a.id], typed  # typed from the start, the middle or the end
    assert sorted(_ids(village_ws, one[:6])) == sorted([a.id, b.id])
    assert _ids(village_ws, two[-2:]) == [b.id] == _ids(village_ws, two[-8:].lower())
    assert _ids(village_ws, one[-4:-2]) == []  # two digits: the end of an ID only
    assert _ids(village_ws, "明") == []  # one character is a surname


@pytest.mark.parametrize("dense", [False, True])
def test_a_common_word_shows_its_first_screen_in_order_and_the_rest_on_demand(
    village_ws, village_admin, monkeypatch, dense
):
    from db.queries import households as q
    from db.queries.households import roster_window

    if dense:  # the walk asks the index about each household instead of listing the hits once
        monkeypatch.setattr(q, "DENSE", 1)

    made = [
        household(village_ws, village_admin, f"张{c}{c}", group=f"{i % 3 + 1}组")
        for i, c in enumerate("甲乙丙丁戊己庚辛")
    ]
    household(village_ws, village_admin, "李四")
    with village_ws.session() as s:
        for sort, descending in (
            ("group_name", False),
            ("head_name", True),
            ("village_code", False),  # (a town's first column)
            ("village_code", True),
            ("members", False),
        ):
            whole = roster_keys(s, RosterFilter(text="张"), sort=sort, descending=descending)
            assert len(whole) == len(made)
            # few matches: the whole list at once
            few = roster_window(
                s, RosterFilter(text="张"), sort=sort, descending=descending, limit=3, few=100
            )
            assert few.complete and few.keys == whole
            # "many" matches (the threshold lowered): walked in order, a window at a time
            walked, offset = [], 0
            while True:
                w = roster_window(
                    s,
                    RosterFilter(text="张"),
                    sort=sort,
                    descending=descending,
                    offset=offset,
                    limit=3,
                    few=2,
                )
                walked += w.keys
                offset += len(w.keys)
                if w.complete:
                    break
                assert sort != "members" and len(w.keys) == 3  # a computed sort has no index: listed whole
            assert walked == whole
        both = roster_window(s, RosterFilter(text="张 1组"), limit=50, few=1)
        assert both.complete and both.keys == roster_keys(s, RosterFilter(text="张 1组"))


def test_roster_model_fetches_more_as_the_list_is_scrolled(qtbot, village_ws, village_admin, monkeypatch):
    from db.queries import households as q

    from ui.households.model import RosterModel

    for n in range(7):
        household(village_ws, village_admin, f"张{'一二三四五六七'[n]}")
    model = RosterModel(village_ws.session)
    model.WINDOW = 3
    monkeypatch.setattr(q, "few_hits", lambda session, limit: 2)  # seven matches count as many here
    model.set_filter(RosterFilter(text="张"))
    assert model.rowCount() == 3 and model.canFetchMore()
    assert model.count_text().startswith("约 7 户")
    model.fetchMore()
    assert model.rowCount() == 6 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 7 and not model.canFetchMore()
    names = [model.row_data(r).head_name for r in range(7)]
    assert names == sorted(names)
    model.set_filter(RosterFilter())
    assert model.count_text() == "共 7 户"
