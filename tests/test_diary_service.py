"""民情日记 services: entries, demands' status flow, acknowledgement, amendments, must-visits, rhythm, FTS."""

import datetime as dt

import pytest
from sqlalchemy import select, text

from db.models import Demand, DiaryEntry, Person
from db.queries.diary import DiaryFilter, diary_entry_ids, diary_rows

from app.diary import acknowledgement, demands, entries, todo, visits
from app.diary import drafts as diary_drafts
from app.errors import UserError

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


@pytest.fixture
def cadre(village_ws):
    return add_cadre(village_ws)


def _save(ws, user, data, entry_id=None, now=NOW):
    with ws.work(user) as w:
        return entries.save_entry(w, data, entry_id=entry_id, now=now)


def _search(ws, text_):
    with ws.session() as s:
        return diary_entry_ids(s, DiaryFilter(text=text_))


def test_entry_with_persons_and_demands_is_saved_and_listed(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "张三丰")
    e = _save(
        village_ws, cadre, entry_input(hid, pid, demands=[("医疗", "申请大病医疗救助"), ("住房", "危房改造")])
    )
    assert e.kind_label == "入户走访"
    assert [p.person_name for p in e.participants] == ["张三丰"]
    assert [(d.category, d.status_label) for d in e.demands] == [("医疗", "待办"), ("住房", "待办")]
    with village_ws.session() as s:
        ids = diary_entry_ids(s, DiaryFilter(cadre_id=cadre.id, demand_status="待办"))
        row = diary_rows(s, ids)[e.id]
    assert ids == [e.id]
    assert (row.households, row.demands_open, row.ack_method) == ("张三丰", 2, None)


def test_validation_names_the_field(village_ws, cadre):
    hid, pid, _ = add_household(village_ws)
    bad = entry_input(hid, pid)
    bad.participants = []
    with village_ws.work(cadre) as w, pytest.raises(UserError) as err:
        entries.save_entry(w, bad, now=NOW)
    assert err.value.field == "participants"
    future = entry_input(hid, pid, when=NOW + dt.timedelta(days=1))
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="不能晚于现在") as err:
        entries.save_entry(w, future, now=NOW)
    assert err.value.field == "occurred_at"
    empty_demand = entry_input(hid, pid, demands=[("医疗", "  ")])
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="第 1 条诉求") as err:
        entries.save_entry(w, empty_demand, now=NOW)
    assert err.value.field == "demands:0"


def test_demand_goes_open_replied_closed_and_refuses_other_steps(village_ws, cadre):
    hid, pid, _ = add_household(village_ws)
    e = _save(village_ws, cadre, entry_input(hid, pid, demands=[("民生保障", "申请低保")]))
    demand_id = e.demands[0].id
    today = NOW.date() + dt.timedelta(days=5)
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="不能直接改为“已办结”"):
        demands.close_demand(w, demand_id, closed_on=today, handling="已办", today=today)
    with village_ws.work(cadre) as w, pytest.raises(UserError) as err:
        demands.reply_demand(w, demand_id, reply="", replied_on=today, replied_by="王建国", today=today)
    assert err.value.field == "reply"
    with village_ws.work(cadre) as w:
        d = demands.reply_demand(
            w,
            demand_id,
            reply="已报镇民政办审核",
            replied_on=today,
            replied_by="王建国",
            handling="协助准备材料",
            today=today,
        )
    assert (d.status_label, d.replied_by, d.replied_on) == ("已答复", "王建国", today)
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="不能直接改为“已答复”"):
        demands.reply_demand(w, demand_id, reply="again", replied_on=today, replied_by="x", today=today)
    with village_ws.work(cadre) as w:
        d = demands.close_demand(w, demand_id, closed_on=today, today=today)
    assert d.status == "已办结" and d.closed_on == today
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="下一步只能是：无"):
        demands.change_demand_status(w, demand_id, "待办")


def test_acknowledgement_stores_content_hash_and_makes_entry_read_only(village_ws, cadre):
    hid, pid, _ = add_household(village_ws)
    e = _save(village_ws, cadre, entry_input(hid, pid, demands=[("医疗", "报销慢")]))
    with village_ws.work(cadre) as w:
        expected = acknowledgement.content_hash(w, e.id)
        with pytest.raises(UserError, match="还没有签名"):
            acknowledgement.acknowledge(w, e.id, method="当场签字", signer_name="张三丰", signature_png=b"")
    with village_ws.work(cadre) as w:
        ack = acknowledgement.acknowledge(
            w,
            e.id,
            method="当场签字",
            signer_name="张三丰",
            signer_relation="本人",
            signature_png=b"\x89PNG fake but non-empty",
            signed_at=NOW,
        )
    assert ack.content_hash == expected and len(expected) == 64 and ack.matches_content
    changed = entry_input(hid, pid, situation="改过的情况")
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="补记"):
        entries.save_entry(w, changed, entry_id=e.id, now=NOW)
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="签字认可过"):
        acknowledgement.acknowledge(w, e.id, method="拒签", refusal_reason="x")
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="不能删除"):
        entries.delete_entry(w, e.id)
    # A change behind the service's back (a bad import, a hand edit) no longer matches the signature.
    with village_ws.session(cadre.id) as s:
        s.get(DiaryEntry, e.id).situation = "篡改"
    with village_ws.work() as w:
        assert not entries.entry_detail(w, e.id).acknowledgement.matches_content


def test_refusal_keeps_entry_editable_and_a_later_signature_replaces_it(village_ws, cadre):
    hid, pid, _ = add_household(village_ws)
    e = _save(village_ws, cadre, entry_input(hid, pid))
    with village_ws.work(cadre) as w, pytest.raises(UserError) as err:
        acknowledgement.acknowledge(w, e.id, method="拒签")
    assert err.value.field == "refusal_reason"
    with village_ws.work(cadre) as w:
        ack = acknowledgement.acknowledge(w, e.id, method="拒签", refusal_reason="对低保评定有意见，不愿签字")
    assert ack.method_label == "拒签" and not ack.signed
    e2 = _save(village_ws, cadre, entry_input(hid, pid, situation="补充了评定过程的说明"), entry_id=e.id)
    assert not e2.read_only
    with village_ws.work(cadre) as w:
        ack = acknowledgement.acknowledge(
            w, e.id, method="当场签字", signer_name="张三丰", signature_png=b"png"
        )
    assert ack.signed and ack.id == e2.acknowledgement.id


def test_amendment_keeps_original_and_list_shows_changed_after_signing(village_ws, cadre):
    hid, pid, _ = add_household(village_ws)
    e = _save(village_ws, cadre, entry_input(hid, pid))
    with village_ws.work(cadre) as w:
        acknowledgement.acknowledge(w, e.id, method="当场签字", signer_name="张三丰", signature_png=b"png")
    with village_ws.work(cadre) as w, pytest.raises(UserError):
        entries.add_amendment(w, e.id, "   ")
    with village_ws.work(cadre) as w:
        entries.add_amendment(
            w,
            e.id,
            "取暖补贴已于三月发放",
            reason="补充办理结果",
            field_name="actions",
            now=NOW + dt.timedelta(days=3),
        )
    with village_ws.work() as w:
        detail = entries.entry_detail(w, e.id)
        row = diary_rows(w.session, [e.id])[e.id]
    assert detail.situation == "老人腿脚不便，独自居住"  # the original, as signed
    assert detail.changed_after_signing and detail.acknowledgement.matches_content
    assert [a.text for a in detail.amendments] == ["取暖补贴已于三月发放"]
    assert row.amended and row.ack_method == "当场签字"
    assert _search(village_ws, "取暖补贴") == [e.id]


def test_must_visit_event_is_on_the_contact_cadres_todo_until_a_home_visit(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "李四", cadre_id=cadre.id)
    today = dt.date(2024, 3, 10)
    with village_ws.work(cadre) as w:
        ev = visits.record_must_visit(w, hid, "住院", dt.date(2024, 3, 8), note="突发脑梗住院", today=today)
    assert ev.cadre_id == cadre.id and ev.due_on == dt.date(2024, 3, 15)
    with village_ws.work(cadre) as w:
        items = [i for i in todo.todo_items(w, today) if i.kind == "must_visit"]
    assert [i.title for i in items] == ["必访：李四家（住院）"] and items[0].severity == "warning"
    with village_ws.work(cadre) as w:
        late = [i for i in todo.todo_items(w, dt.date(2024, 3, 16)) if i.kind == "must_visit"]
    assert late[0].severity == "overdue"
    # A phone call does not close it; a home visit does.
    _save(village_ws, cadre, entry_input(hid, pid, kind="电话联系", when=dt.datetime(2024, 3, 9, 9)))
    with village_ws.work() as w:
        assert len(visits.open_must_visits(w, cadre_id=cadre.id)) == 1
    visit = _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 11, 10)))
    with village_ws.work(cadre) as w:
        assert visits.open_must_visits(w, cadre_id=cadre.id) == []
        closed = visits.household_must_visits(w, hid)[0]
        assert not [i for i in todo.todo_items(w, today) if i.kind == "must_visit"]
    assert (closed.closed_by_entry_id, closed.closed_on) == (visit.id, dt.date(2024, 3, 11))


def test_a_visit_before_the_event_does_not_close_it(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, cadre_id=cadre.id)
    _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 3, 1, 10)))
    with village_ws.work(cadre) as w:
        ev = visits.record_must_visit(w, hid, "老人去世", dt.date(2024, 3, 5), today=dt.date(2024, 3, 6))
    assert ev.closed_by_entry_id is None and ev.due_on == dt.date(2024, 3, 8)


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (dt.date(2023, 11, 30), 3, dt.date(2024, 2, 29)),  # leap year
        (dt.date(2022, 11, 30), 3, dt.date(2023, 2, 28)),
        (dt.date(2024, 8, 31), 6, dt.date(2025, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 12, 15), 3, dt.date(2025, 3, 15)),
    ],
)
def test_months_are_added_with_month_end_clamped(start, months, due):
    assert visits.add_months(start, months) == due


def test_overdue_households_follow_the_rhythm_by_tag_on_a_fixed_clock(village_ws, cadre, village_admin):
    poor, poor_p, _ = add_household(village_ws, "赵低保", tags=["低保"], cadre_id=cadre.id)
    plain, plain_p, _ = add_household(village_ws, "钱普通", cadre_id=cadre.id)
    never, _, _ = add_household(village_ws, "孙从未", cadre_id=cadre.id, created=dt.datetime(2023, 6, 1))
    _save(village_ws, cadre, entry_input(poor, poor_p, when=dt.datetime(2023, 11, 30, 9)), now=NOW)
    _save(village_ws, cadre, entry_input(plain, plain_p, when=dt.datetime(2023, 11, 30, 9)), now=NOW)
    with village_ws.work() as w:
        on_due_day = visits.overdue_households(w, dt.date(2024, 2, 29), cadre_id=cadre.id)
        next_day = visits.overdue_households(w, dt.date(2024, 3, 1), cadre_id=cadre.id)
    assert [o.head_name for o in on_due_day] == ["孙从未"]  # due 2023-12-01
    assert [o.head_name for o in next_day] == ["孙从未", "赵低保"]
    assert next_day[1].due_on == dt.date(2024, 2, 29) and next_day[1].days_overdue(dt.date(2024, 3, 1)) == 1
    with village_ws.work() as w:
        later = visits.overdue_households(w, dt.date(2024, 6, 1), cadre_id=cadre.id)
    assert [o.head_name for o in later] == ["孙从未", "赵低保", "钱普通"]  # ordinary: due 2024-05-30
    # The administrator makes ordinary households quarterly too.
    with village_ws.work(village_admin) as w:
        visits.set_visit_rhythm(w, {"tags": {"低保": 1}, "ordinary": 3})
        with pytest.raises(UserError, match="1 到 24"):
            visits.set_visit_rhythm(w, {"tags": {}, "ordinary": 0})
    with village_ws.work(cadre) as w:
        assert [o.head_name for o in visits.overdue_households(w, dt.date(2024, 3, 1))] == [
            "孙从未",
            "赵低保",
            "钱普通",
        ]
        items = todo.todo_items(w, dt.date(2024, 3, 1))
    with village_ws.work(village_admin) as w:
        admin_items = todo.todo_items(w, dt.date(2024, 3, 1))
    assert sum(i.kind == "overdue_visit" for i in items) == 3
    assert [i.title for i in admin_items if i.kind == "overdue_visit"] == ["王建国 联系的 3 户到了走访时间"]


def test_overdue_list_counts_only_live_home_visits_by_anyone_and_each_cadre_sees_their_own(
    village_ws, cadre, village_admin
):
    other = add_cadre(village_ws, "李秀英", "lxy")
    by_phone, p1, _ = add_household(village_ws, "周电话", cadre_id=cadre.id, created=dt.datetime(2023, 1, 1))
    deleted, p2, _ = add_household(village_ws, "吴删除", cadre_id=cadre.id, created=dt.datetime(2023, 1, 1))
    by_other, p3, _ = add_household(
        village_ws, "郑他访", tags=["五保"], cadre_id=cadre.id, created=dt.datetime(2023, 1, 1)
    )
    twice, p4, _ = add_household(village_ws, "冯两次", cadre_id=other.id, created=dt.datetime(2023, 1, 1))
    nobody, _, _ = add_household(village_ws, "陈无人", created=dt.datetime(2023, 1, 1))
    _save(village_ws, cadre, entry_input(by_phone, p1, kind="电话联系", when=dt.datetime(2024, 2, 1, 9)))
    gone = _save(village_ws, cadre, entry_input(deleted, p2, when=dt.datetime(2024, 2, 1, 9)))
    with village_ws.work(cadre) as w:
        entries.delete_entry(w, gone.id)
    _save(village_ws, other, entry_input(by_other, p3, when=dt.datetime(2024, 1, 10, 9)))
    _save(village_ws, other, entry_input(twice, p4, when=dt.datetime(2023, 5, 2, 9)))
    _save(village_ws, other, entry_input(twice, p4, when=dt.datetime(2023, 10, 2, 9)))
    today = dt.date(2024, 3, 15)
    with village_ws.work(cadre) as w:
        everyone = visits.overdue_households(w, today)
        mine = visits.overdue_households(w, today, cadre_id=cadre.id)
        theirs = visits.overdue_households(w, today, cadre_id=other.id)
        items = todo.todo_items(w, today)
    with village_ws.work(village_admin) as w:
        admin_items = todo.todo_items(w, today)
    # Never visited (a phone call or a deleted entry is no visit): due six months after being entered.
    assert [(o.head_name, o.last_visit, o.due_on, o.cadre_name) for o in everyone] == [
        ("吴删除", None, dt.date(2023, 7, 1), "王建国"),
        ("周电话", None, dt.date(2023, 7, 1), "王建国"),
        ("陈无人", None, dt.date(2023, 7, 1), ""),
    ]
    assert [o.head_name for o in mine] == ["吴删除", "周电话"]  # 郑他访 visited by 李秀英 on 01-10: due 04-10
    assert theirs == []  # 冯两次: the later of the two visits counts
    assert [i.title for i in items if i.kind == "overdue_visit"] == [
        "该走访了：吴删除家（二组）",
        "该走访了：周电话家（二组）",
    ]
    assert [i.title for i in admin_items if i.kind == "overdue_visit"] == [
        "王建国 联系的 2 户到了走访时间",
        "（未分配联系干部） 联系的 1 户到了走访时间",
    ]


def test_cadre_cannot_change_the_rhythm(village_ws, cadre):
    with village_ws.work(cadre) as w, pytest.raises(UserError, match="权限"):
        visits.set_visit_rhythm(w, {"tags": {}, "ordinary": 3})


def test_household_timeline_and_last_visited(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, cadre_id=cadre.id)
    _save(village_ws, cadre, entry_input(hid, pid, when=dt.datetime(2024, 1, 5, 9)))
    _save(village_ws, cadre, entry_input(hid, pid, kind="电话联系", when=dt.datetime(2024, 2, 5, 9)))
    with village_ws.work(cadre) as w:
        visits.record_must_visit(
            w, hid, "意外灾害", dt.date(2024, 3, 1), note="房屋漏雨", today=dt.date(2024, 3, 2)
        )
    with village_ws.work() as w:
        assert visits.last_visited(w, hid) == dt.datetime(2024, 1, 5, 9)
        timeline = visits.household_timeline(w, hid)
    assert [t.title for t in timeline] == ["必访事件：意外灾害", "电话联系（王建国）", "入户走访（王建国）"]


def test_demand_categories_are_extensible_by_the_admin(village_ws, village_admin, cadre):
    with village_ws.work(village_admin) as w:
        cats = demands.add_demand_category(w, "环境卫生")
    assert cats[-2:] == ["环境卫生", "其他"]
    hid, pid, _ = add_household(village_ws)
    e = _save(village_ws, cadre, entry_input(hid, pid, demands=[("环境卫生", "垃圾清运不及时")]))
    assert e.demands[0].category == "环境卫生"


def test_full_text_index_follows_edits_and_deletions(village_ws, cadre):
    hid, pid, (spouse,) = add_household(village_ws, "欧阳修远", members=["林黛玉"])
    e = _save(
        village_ws,
        cadre,
        entry_input(hid, pid, situation="屋顶漏雨需要修缮", demands=[("住房", "申请危房改造补助")]),
    )
    assert _search(village_ws, "屋顶漏雨") == [e.id]
    assert _search(village_ws, "危房改造") == [e.id]  # demand text
    assert _search(village_ws, "欧阳修远") == [e.id]  # person met
    assert _search(village_ws, "漏雨") == [e.id]  # two characters: below the trigram size
    assert _search(village_ws, "危房 补助") == [e.id]
    assert _search(village_ws, "林黛玉") == []
    edited = entry_input(hid, pid, situation="院墙倒塌", demands=[("住房", "申请危房改造补助")])
    edited.participants.append(entries.ParticipantInput(hid, spouse))
    edited.demands[0].id = e.demands[0].id
    _save(village_ws, cadre, edited, entry_id=e.id)
    assert _search(village_ws, "屋顶漏雨") == []
    assert _search(village_ws, "院墙倒塌") == [e.id]
    assert _search(village_ws, "林黛玉") == [e.id]
    # Reply text of a demand is searchable, and a renamed person is found by the new name.
    with village_ws.work(cadre) as w:
        demands.reply_demand(
            w,
            e.demands[0].id,
            reply="已纳入年度改造计划",
            replied_on=NOW.date(),
            replied_by="王建国",
            today=NOW.date(),
        )
        w.session.get(Person, spouse).name = "林妹妹"
    assert _search(village_ws, "年度改造计划") == [e.id]
    assert _search(village_ws, "林妹妹") == [e.id] and _search(village_ws, "林黛玉") == []
    with village_ws.session(cadre.id) as s:
        d = s.scalars(select(Demand)).one()
        d.status = "待办"  # so the entry can be deleted in this test
    with village_ws.work(cadre) as w:
        entries.delete_entry(w, e.id)
    assert _search(village_ws, "院墙倒塌") == []
    with village_ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fts_diary")).scalar() == 0


def test_a_long_piece_is_found_whole_not_as_scattered_trigrams_and_ignores_ascii_case(village_ws, cadre):
    """The index knows which entries hold a trigram, not where (migration 0008): a piece of three
    characters or more must still be found only where it stands whole."""
    hid, pid, _ = add_household(village_ws, "张三丰")
    whole = _save(village_ws, cadre, entry_input(hid, pid, situation="申请低保户补助，帮助联系WiFi安装"))
    scattered = _save(
        village_ws,
        cadre,
        entry_input(hid, pid, situation="低保户已走访，户补助下月发", when=NOW - dt.timedelta(days=1)),
    )
    assert set(_search(village_ws, "低保户")) == {whole.id, scattered.id}
    assert _search(village_ws, "低保户补助") == [
        whole.id
    ]  # both trigrams 低保户 and 户补助 are in the other too
    assert _search(village_ws, "保户补") == [whole.id]
    assert _search(village_ws, "wifi安装") == [whole.id]  # ASCII case as the index folds it
    assert (
        _search(village_ws, "低保户补助 wifi") == [whole.id] and _search(village_ws, "低保户补助 下月") == []
    )
    with village_ws.engine.connect() as conn:
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'fts_diary'").scalar()
    assert "detail=none" in sql and "columnsize=0" in sql


def test_drafts_survive_and_are_offered_back(village_ws, cadre, tmp_path):
    hid, pid, _ = add_household(village_ws)
    data = entry_input(hid, pid, demands=[("医疗", "想办慢病卡")])
    with village_ws.work(cadre) as w:
        diary_drafts.save_draft(w, "new", diary_drafts.entry_to_draft(data), now=NOW)
    (village_ws.drafts_dir / "diary-broken.json").write_text("{not json", encoding="utf-8")
    with village_ws.work(cadre) as w:  # sealed with the right key, but not an entry form's state
        diary_drafts.save_draft(w, "odd", ["not", "a", "form"])  # type: ignore[arg-type]
        drafts = diary_drafts.list_drafts(w)
    assert [d.key for d in drafts] == ["new"]
    with village_ws.work() as w:  # someone else (nobody signed in)
        assert diary_drafts.list_drafts(w) == []
    back = diary_drafts.draft_to_entry(drafts[0].data)
    assert back == data
    with village_ws.work(cadre) as w:
        diary_drafts.discard_draft(w, "new")
        assert diary_drafts.list_drafts(w) == []


def test_open_demand_near_its_due_date_is_on_the_responsible_persons_todo(village_ws, cadre):
    hid, pid, _ = add_household(village_ws, "周大福")
    e = _save(village_ws, cadre, entry_input(hid, pid, demands=[("就业", "想参加技能培训")]))  # due 03-25
    with village_ws.work(cadre) as w:
        assert [i for i in todo.todo_items(w, dt.date(2024, 3, 21)) if i.kind == "demand_due"] == []
        soon = [i for i in todo.todo_items(w, dt.date(2024, 3, 22)) if i.kind == "demand_due"]
        late = [i for i in todo.todo_items(w, dt.date(2024, 3, 26)) if i.kind == "demand_due"]
    assert [(i.title, i.severity) for i in soon] == [("诉求待答复：周大福 想参加技能培训", "warning")]
    assert late[0].severity == "overdue" and late[0].record_id == e.demands[0].id
    with village_ws.work(cadre) as w:
        demands.reply_demand(
            w,
            e.demands[0].id,
            reply="已报名",
            replied_on=dt.date(2024, 3, 20),
            replied_by="王建国",
            today=dt.date(2024, 3, 26),
        )
    with village_ws.work(cadre) as w:
        assert [i for i in todo.todo_items(w, dt.date(2024, 3, 26)) if i.kind == "demand_due"] == []


def test_the_due_demands_of_todo_are_read_through_the_users_own_demands(village_ws, cadre):
    """今日待办's due demands walk the user's demands (ix_demand_responsible_id), not every open demand of
    the village through the status index (issue 17: 0.19 s at 100 000 households for an administrator
    responsible for none)."""
    query = todo.due_demands_query(cadre.id, dt.date(2024, 3, 22))
    with village_ws.engine.connect() as conn:
        compiled = query.compile(conn)
        plan = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(compiled.params[k] for k in compiled.positiontup or ())
        ).all()
    demand_steps = [row[3] for row in plan if " demand " in f" {row[3]} "]
    assert demand_steps == ["SEARCH demand USING INDEX ix_demand_responsible_id (responsible_id=?)"]
