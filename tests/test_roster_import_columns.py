"""Excel roster import, issue 17 (speed): the column pass (each column's cells checked once per distinct
value) must find a row clean only where the row-by-row parse finds nothing to say, and then give it
exactly the fields and the member the row-by-row parse gives; and the faster helpers under it (resident
ID, phones, pinyin, record ids, the clean-text test) must answer as the plain ones do.

The workbooks are real .xlsx files written by openpyxl and read by python-calamine; a few cells no
.xlsx can hold (a NUL, an integer that is not a float) are added to the rows as read.
"""

import datetime as dt
import itertools
import random
import uuid

import openpyxl
import pytest

from db.base import new_id, new_ids

from app import codes, pinyin
from app.households import excel_apply, excel_plan, excel_read
from app.households.checks import clean_text, normalize_phones
from app.households.excel_plan import RosterRow, _all_clean, _context, _fast_rows, _parse_row

from tests.households_helpers import rid

TODAY = dt.date(2026, 1, 1)
HEADER = [
    "序号",
    "户编号",
    "组",
    "户主姓名",
    "姓名",
    "与户主关系",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "联系电话",
    "住址",
    "职业",
    "家庭电话",
    "标签",
    "联系卡送达日期",
    "备注",
    "户系统编号（请勿修改）",
    "人员系统编号（请勿修改）",
]
HEAD = rid(dt.date(1962, 3, 8), 5, "男")
WIFE = rid(dt.date(1964, 7, 20), 8, "女")
SON = rid(dt.date(1990, 1, 2), 11, "男")
LEGACY = "370681620308051"  # 15 digits: accepted with a warning
FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) for c in WIFE)


def _row(n, **cells):
    """A clean member row of household 010001, with ``cells`` (by header) changed."""
    base = {
        "序号": float(n),
        "户编号": "010001",
        "组": "一组",
        "户主姓名": "王建国",
        "姓名": f"王{'一二三四五六七八九十'[n % 10]}{n}",
        "与户主关系": "子",
        "性别": "",
        "民族": "汉",
        "出生日期": "",
        "身份证号": "",
        "联系电话": "13800001111",
        "住址": "一组5号",
        "职业": "务农",
        "家庭电话": "0535-6612345",
        "标签": "",
        "联系卡送达日期": "",
        "备注": "",
        "户系统编号（请勿修改）": "c1ae9e88-01a2-8438-8081-16ca7247eb37",
        "人员系统编号（请勿修改）": str(uuid.UUID(int=n)),
    }
    base.update(cells)
    return [base[h] for h in HEADER]


# Every kind of cell the row parse has something to say about, and forms it takes in silence.
VARIANTS: list[dict[str, object]] = [
    {"姓名": "王建国", "与户主关系": "户主", "身份证号": HEAD, "性别": "男", "出生日期": dt.date(1962, 3, 8)},
    {"姓名": "李秀英", "与户主关系": "配偶", "身份证号": WIFE},
    {"姓名": "王磊", "身份证号": SON, "出生日期": dt.datetime(1990, 1, 2)},
    {"姓名": "王 磊磊"},
    {"姓名": "  王  磊三 "},
    {"姓名": "Tom  Lee"},
    {"姓名": "ＡＢ王"},
    {"姓名": "王\u00a0五"},
    {"姓名": "王\u3000六"},
    {"姓名": "王\t七"},
    {"姓名": ""},
    {"姓名": "长" * 50},
    {"姓名": "长" * 51},
    {"姓名": "x" * 49 + " y"},
    {"姓名": 12.0},
    {"与户主关系": " 配 偶 "},
    {"与户主关系": "长子"},
    {"与户主关系": ""},
    {"与户主关系": "孙" * 21},
    {"性别": " 男 "},
    {"性别": "M"},
    {"性别": "女", "身份证号": SON},
    {"民族": "汉族"},
    {"民族": "汉 族"},
    {"民族": "火星族"},
    {"民族": ""},
    {"出生日期": "1990-01-02", "身份证号": SON},
    {"出生日期": "1990年1月3日", "身份证号": SON},
    {"出生日期": 32875},
    {"出生日期": 32875.0},
    {"出生日期": 1965.03},
    {"出生日期": "1965.3"},
    {"出生日期": 1965.1},
    {"出生日期": "2099-01-01"},
    {"出生日期": "abc"},
    {"出生日期": 1965},
    {"身份证号": WIFE[:-1] + WIFE[-1].lower()},
    {"身份证号": FULLWIDTH},
    {"身份证号": f"{WIFE[:4]} {WIFE[4:]}"},
    {"身份证号": LEGACY},
    {"身份证号": float(LEGACY)},
    {"身份证号": float(HEAD)},
    {"身份证号": "1.10105E+17"},
    {"身份证号": "1E1234567890123456"},
    {"身份证号": HEAD[:6] + "********" + HEAD[-4:]},
    {"身份证号": HEAD[:-1] + ("0" if HEAD[-1] != "0" else "1")},
    {"身份证号": "370681199002300000"},
    {"身份证号": "37068119900230000"},
    {"身份证号": "   "},
    {"联系电话": 13800001111.0},
    {"联系电话": "138 0000 1111"},
    {"联系电话": "+86 13800001111"},
    {"联系电话": "12345"},
    {"联系电话": "0535-6612345"},
    {"联系电话": ""},
    {"联系电话": "13800001111，13900002222"},
    {"住址": "很" * 201},
    {"住址": " 一组  5号 "},
    {"职业": ""},
    {"职业": "工" * 51},
    {"家庭电话": "0535-1234567，13800001111"},
    {"家庭电话": "不知道"},
    {"家庭电话": ""},
    {"家庭电话": 13800001111.0},
    {"标签": "低保"},
    {"标签": "低保、五保"},
    {"标签": "火星人"},
    {"联系卡送达日期": dt.date(2025, 6, 1)},
    {"联系卡送达日期": "2025-06-01"},
    {"联系卡送达日期": "哪天"},
    {"备注": " 说明 "},
    {"备注": "长" * 2001},
    {"组": "一组 "},
    {"组": "Ⅰ组"},
    {"组": "组" * 31},
    {"户编号": 10001.0},
    {"户主姓名": "王 建国"},
]


def _workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["张家村户籍台账"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _both_ways(work, sheet, today=TODAY):
    """For every data row: (values, what _parse_row makes of it, what the column pass makes of it)."""
    header_row = excel_read.detect_header(sheet.rows)
    mapping = excel_read.auto_mapping(sheet.rows[header_row])
    plan = excel_plan.ImportPlan(sheet, header_row, mapping, [], [])
    ctx = _context(work, plan, today)
    data = sheet.rows[header_row + 1 :]
    columns = _fast_rows(data, ctx)
    out = []
    for k, values in enumerate(data):
        slow = RosterRow(header_row + 2 + k, list(values))
        _parse_row(slow, ctx)
        out.append((values, slow, columns.parsed[k], columns.signatures[k]))
    return mapping, out


def _check_agreement(mapping, results):
    fast_rows = 0
    for values, slow, fast, signature in results:
        assert signature == tuple(
            excel_read.cell_text(values[i] if i < len(values) else None) for i in sorted(mapping)
        )
        if fast is None:
            # only a row the row parse has something to say about, or a 出生年月 (checked against the ID)
            if not slow.problems:
                birth = values[HEADER.index("出生日期")] if len(values) > HEADER.index("出生日期") else None
                with_month = isinstance(excel_read.parse_birth(birth), excel_read.YearMonth)
                assert with_month or slow.fields.get("name") != slow.member.name, values
            continue
        fast_rows += 1
        fields, member = fast
        assert slow.problems == [], (values, slow.problems)
        assert fields == slow.fields, values
        assert member == slow.member, values
    return fast_rows


def test_the_column_pass_finds_clean_exactly_the_rows_the_row_parse_finds_clean(village_ws, tmp_path):
    rows = [_row(n + 1, **cells) for n, cells in enumerate(VARIANTS)]
    rows += [_row(200 + n) for n in range(40)]  # plain rows: the column pass takes every one
    rows.append(list(rows[-1]))  # a copied row (its signature is the other's)
    rows.append([None] * len(HEADER))
    path = _workbook(tmp_path / "花名册.xlsx", rows)
    sheet = excel_read.read_sheet(path)
    # cells no .xlsx holds: an .xls may (a NUL in a text; an int, a bool where calamine gives floats)
    sheet.rows.append(_row(300, **{"户系统编号（请勿修改）": "a\x00b"}))
    sheet.rows.append(_row(301, **{"姓名": "王\x00九"}))
    sheet.rows.append(_row(302, **{"户编号": 10001, "联系电话": 13800001111}))
    sheet.rows.append(_row(303, **{"姓名": True, "备注": "\u0301说明"}))
    sheet.rows.append(_row(304)[:5])  # a short row: the rest are missing cells
    with village_ws.work() as w:
        mapping, results = _both_ways(w, sheet)
        w.session.rollback()
    fast = _check_agreement(mapping, results)
    clean = sum(1 for _v, slow, _f, _s in results if not slow.problems)
    assert fast >= 40 and fast >= clean - 3  # (the 出生年月 rows and a name check_member cleans again)


def test_the_column_pass_agrees_with_a_year_month_column_and_a_heads_only_mapping(village_ws, tmp_path):
    header = ["组", "户主", "性别", "身份证号", "出生年月"]
    rows = [
        ["一组", "王建国", "男", HEAD, "1962.03"],
        ["一组", "王建国二", "男", "", dt.date(1962, 3, 1)],
        ["二组", "李四", "", SON, dt.date(1990, 1, 2)],
        ["二组", "李五", "女", "", ""],
    ]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(tmp_path / "户主.xlsx")
    sheet = excel_read.read_sheet(tmp_path / "户主.xlsx")
    with village_ws.work() as w:
        mapping = {i: ("name" if f == "head_name" else f) for i, f in excel_read.auto_mapping(header).items()}
        plan = excel_plan.ImportPlan(sheet, 0, mapping, [], [])
        ctx = _context(w, plan, TODAY)
        assert ctx.year_month_column
        columns = _fast_rows(sheet.rows[1:], ctx)
        for k, values in enumerate(sheet.rows[1:]):
            slow = RosterRow(k + 2, list(values))
            _parse_row(slow, ctx)
            if columns.parsed[k] is not None:
                assert not slow.problems and columns.parsed[k] == (slow.fields, slow.member)
        assert columns.parsed[3] is not None  # a plain row takes the fast way
        w.session.rollback()


def test_a_demo_roster_is_planned_alike_both_ways(village_ws, tmp_path):
    """A thousand generated rows (the demo's kinds of names, IDs, phones): every one clean, every one
    taken by the column pass with the row parse's fields and member."""
    rnd = random.Random(17)
    surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗曾单解", "建国秀英磊芳娟军华明强丽敏静涛"
    rows = []
    for n in range(1000):
        sex = rnd.choice("男女")
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rnd.randrange(30000))
        head = n % 4 == 0
        rows.append(
            _row(
                n + 1,
                **{
                    "户编号": f"{n // 4:06d}",
                    "户主姓名": "",
                    "姓名": rnd.choice(surnames) + "".join(rnd.choices(given, k=rnd.choice((1, 2)))),
                    "与户主关系": "户主" if head else rnd.choice(("配偶", "子", "女", "孙子")),
                    "性别": sex,
                    "出生日期": born,
                    "身份证号": rid(born, n % 499, sex),
                    "联系电话": f"1{rnd.choice('3456789')}{rnd.randrange(10**9):09d}",
                    "组": f"{'一二三四五'[n % 5]}组",
                    "住址": f"{n // 4}号",
                },
            )
        )
    sheet = excel_read.read_sheet(_workbook(tmp_path / "demo.xlsx", rows))
    with village_ws.work() as w:
        mapping, results = _both_ways(w, sheet)
        w.session.rollback()
    assert _check_agreement(mapping, results) == 1000


# -- the helpers under it -----------------------------------------------------------------------------
TEXTS = [
    "",
    "一组",
    "a b",
    "a  b",
    " a",
    "a ",
    "a\tb",
    "a\u00a0b",
    "a\u3000b",
    "ＡＢ",
    "Ⅰ组",
    "\u0301x",
    "x\u0301",
    "e\u0301",
    "é",
    "a\x1cb",
    "a\x00b",
    "\x00",
    "王 建国",
    "李四\u200b",  # a zero-width space, pasted from a chat
    "\u202e李四",  # a right-to-left override
    "e\u200d\u0301",  # a joiner between a letter and its accent: taken out, the two compose
    "\ufeff张三",
    "张\x01三",  # a control character, pasted
    "a\x85b",
]


@pytest.mark.parametrize("texts", [[t] for t in TEXTS] + list(itertools.combinations(TEXTS, 2)))
def test_all_clean_is_clean_text_leaving_every_text_alone(texts):
    if any("\x00" in t for t in texts):  # not looked at joined: each goes through clean_text
        assert not _all_clean(texts)
    else:
        assert _all_clean(texts) is all(clean_text(t) == t for t in texts)


def test_resident_ids_and_phones_are_checked_as_before():
    rnd = random.Random(11)
    for _ in range(2000):
        first17 = "".join(rnd.choices("0123456789", k=17))
        total = sum(int(c) * w for c, w in zip(first17, codes._WEIGHTS, strict=True))
        assert codes.id_check_digit(first17) == codes._CHECK[total % 11]
    arabic = "".join(chr(0x660 + int(c)) for c in "11010519491231002")  # digits int() reads too
    assert codes.id_check_digit(arabic) == codes.id_check_digit("11010519491231002")
    with pytest.raises(ValueError):
        codes.id_check_digit("123")
    for raw in (HEAD, HEAD.lower(), FULLWIDTH, f" {HEAD} ", "abc", "12 34", HEAD[:-1] + "x"):
        assert codes.normalize_resident_id(raw) == codes._SPACES.sub("", codes.to_halfwidth(raw)).upper()
    assert codes.parse_resident_id(HEAD, today=TODAY).birth_date == dt.date(1962, 3, 8)
    for phone in ("13800001111", "19912345678"):
        assert (
            codes.is_plain_mobile(phone) and normalize_phones(phone) == codes.normalize_phone(phone) == phone
        )
    for phone in (
        "１３８００００１１１１",
        "13800001111 ",
        "23800001111",
        "1380000111",
        "1380000111１",
        "12345678901",
    ):
        assert not codes.is_plain_mobile(phone)


def test_name_keys_of_one_reading_names_are_the_variants_of_every_reading():
    for name in ("张三丰", "王建国", "曾国藩", "单雄信", "王 五", "Tom", "李2", "乐乐"):
        pinyin.name_keys(name)  # the characters are looked up (and remembered)
        readings = pinyin._readings(name)
        fulls, initials = [], []
        for combo in itertools.product(*readings):
            fulls.append("".join(combo))
            initials.append("".join(p[0] for p in combo if p))
        expected = (" ".join(dict.fromkeys(fulls)), " ".join(dict.fromkeys(initials)))
        assert pinyin.name_keys(name) == expected


def test_ids_made_together_are_ids_of_the_station_in_order():
    station = new_id()
    made = new_ids(station, 3000)
    assert len(set(made)) == 3000 and made == sorted(made)
    assert all(m[:8] == station[:8] and uuid.UUID(m).version == 8 for m in made)
    assert {uuid.UUID(m).variant for m in made} == {uuid.RFC_4122}
    assert new_ids(station, 0) == []


def test_a_first_import_finds_every_valid_row_new_and_refuses_a_masked_id(village_ws, tmp_path):
    """Nothing of the sheet is in the village yet: the rows are new without being compared one by one,
    but a masked ID still cannot be completed from a stored person and is refused as before."""
    masked = WIFE[:6] + "********" + WIFE[-4:]
    rows = [
        _row(1, **{"姓名": "王建国", "与户主关系": "户主", "身份证号": HEAD}),
        _row(2, **{"姓名": "李秀英", "与户主关系": "配偶", "身份证号": masked}),
        _row(3, **{"姓名": "王磊"}),
    ]
    path = _workbook(tmp_path / "首次.xlsx", rows)
    with village_ws.work() as w:
        plan = excel_plan.plan_import(w, excel_read.read_sheet(path), today=TODAY, keep_rest=True)
        w.session.rollback()
    outcomes = [(r.member.name if r.member else "", r.outcome) for r in plan.data_rows]
    assert outcomes == [("王建国", "new"), ("李秀英", "invalid"), ("王磊", "new")]
    assert [(p.row, p.column, p.reason) for p in plan.errors()] == [
        (4, "身份证号", "身份证号是打码的（含 *），无法导入；请填写完整号码")
    ]


def test_characters_that_show_nothing_are_taken_out_of_names_and_texts(village_ws, tmp_path):
    """A name pasted with a zero-width space would be a second 李四 beside the typed one, and one with a
    right-to-left override is shown and printed backwards: both are read as the name alone."""
    from sqlalchemy import select

    from db.models import Household, Person

    from app.households.checks import clean_name

    assert clean_name("\u202e李四\u200b") == "李四" and clean_text("一\u2066组\ufeff") == "一组"
    assert clean_name("张\x01三\x00") == "张三" and clean_text("\x7f一组\x9f") == "一组"
    assert clean_text("e\u200d\u0301") == "é" == clean_text(clean_text("e\u200d\u0301"))
    book = tmp_path / "invisible.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "姓名", "与户主关系", "住址"])
    ws.append(["一组\u200b", "\u202e李四\u200b", "户主", "一组\u200e1号"])
    ws.append(["一组", "王\u2060五", "户主", "一组2号"])
    wb.save(book)
    with village_ws.work() as w:
        result = excel_apply.import_file(w, book)
    assert result.summary["new"] == 2
    with village_ws.work() as w:
        names = set(w.session.scalars(select(Person.name)))
        places = set(w.session.execute(select(Household.group_name, Household.address)))
    assert names == {"李四", "王五"} and places == {("一组", "一组1号"), ("一组", "一组2号")}


def test_a_second_column_of_a_field_holding_anything_is_said_not_passed_over(village_ws, tmp_path):
    """Two 身份证号 columns (an old one emptied, a new one added at the end): the first is imported, and
    the plan says that the other holds IDs, so that they are never passed over without a word."""
    import openpyxl

    from app.households import excel_plan, excel_read

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "户主姓名", "姓名", "与户主关系", "身份证号", "备注", "公民身份号码", "联系电话"])
    ws.append(["一组", "王建国", "王建国", "户主", "", "", "370681196203080111", ""])
    ws.append(["一组", "王建国", "李秀英", "配偶", "", "", "", ""])
    wb.save(tmp_path / "two.xlsx")
    data = excel_read.read_sheet(tmp_path / "two.xlsx")
    with village_ws.work() as w:
        plan = excel_plan.plan_import(w, data)
    (note,) = [n for n in plan.notes if "也是" in n]
    assert note.startswith("第 7 列“公民身份号码”也是身份证号，有 1 格填了内容") and "“身份证号”" in note
    data.rows[1][6] = ""  # an empty second column says nothing
    with village_ws.work() as w:
        assert not [n for n in excel_plan.plan_import(w, data).notes if "也是" in n]
    with village_ws.work() as w:  # nor does a mapping the person chose
        data.rows[1][6] = "370681196203080111"
        chosen = {0: "group_name", 1: "head_name", 2: "name", 3: "relation", 6: "id_number"}
        assert not [n for n in excel_plan.plan_import(w, data, mapping=chosen).notes if "也是" in n]


def test_the_other_sheets_that_hold_anything_are_named_in_the_plan(village_ws, tmp_path):
    """A village that keeps a sheet per 组 imports the first and is told of the others; an empty sheet, or
    one with formatting only, is not named."""
    import openpyxl

    from app.households import excel_plan, excel_read

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "一组"
    for ws, group in ((first, "一组"), (wb.create_sheet("二组"), "二组"), (wb.create_sheet("三组"), "三组")):
        ws.append(["组", "户主姓名", "姓名", "与户主关系"])
        ws.append([group, "王建国", "王建国", "户主"])
    wb.create_sheet("Sheet4")
    wb.create_sheet("说明").column_dimensions["A"].width = 40  # formatting, no value
    wb.save(tmp_path / "groups.xlsx")
    data = excel_read.read_sheet(tmp_path / "groups.xlsx")
    assert data.others == ["二组", "三组"]
    with village_ws.work() as w:
        notes = excel_plan.plan_import(w, data).notes
    assert any(
        n.startswith("这个工作簿还有 2 张工作表有内容（“二组”、“三组”），这次只导入了“一组”") for n in notes
    )
    assert excel_read.read_sheet(tmp_path / "groups.xlsx", "三组").others == ["一组", "二组"]
