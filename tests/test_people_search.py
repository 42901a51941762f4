import datetime as dt

from db.models import Household, Person
from db.queries.people import find_persons


def _add(ws, head, *members):
    with ws.session() as s:
        h = Household(head_name=head, group_name="一组", address="一组")
        s.add(h)
        s.flush()
        for i, (name, extra) in enumerate([(head, {})] + list(members)):
            s.add(Person(household_id=h.id, name=name, relation="户主" if i == 0 else "子", **extra))


def test_find_by_name_pinyin_initials_full_and_every_reading(village_ws):
    _add(village_ws, "张三丰")
    _add(village_ws, "曾国藩")
    _add(
        village_ws,
        "单田芳",
        (
            "单小芳",
            {"id_number": "11010519491231002X", "phone": "13800001234", "birth_date": dt.date(1949, 12, 31)},
        ),
    )
    with village_ws.session() as s:
        names = lambda q: sorted(h.name for h in find_persons(s, q))  # noqa: E731
        assert names("zsf") == ["张三丰"]
        assert names("zhangsanfeng") == ["张三丰"]
        assert names("zhangsan") == ["张三丰"]
        assert names("zgf") == ["曾国藩"] == names("cgf")
        assert names("stf") == ["单田芳"] == names("dtf")
        assert names("三") == ["张三丰"]
        assert names("002X") == ["单小芳"] == names("002x")
        assert names("0000123") == ["单小芳"]
        assert names("qqq") == []


def test_moved_away_persons_are_left_out_unless_asked(village_ws):
    _add(village_ws, "王五", ("王六", {"status": "迁出"}))
    with village_ws.session() as s:
        assert [h.name for h in find_persons(s, "王六")] == []
        assert [h.name for h in find_persons(s, "王六", include_inactive=True)] == ["王六"]
