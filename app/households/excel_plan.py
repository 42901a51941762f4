"""户籍台账 Excel, planning an import: parse every row of the sheet and say what is wrong with it,
group rows into households, and compare them with the database (new / updated / unchanged /
invalid), all without writing. The plan is what the import wizard previews and what
:mod:`app.households.excel_apply` writes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Session

from db.models import Household, Person
from db.queries.households import (
    existing_person_ids,
    households_by_id,
    live_households_by_head_name,
    live_households_by_no,
    live_members,
    live_persons_by_id_number,
    live_tags,
    roster_is_empty,
)
from db.vocab import ETHNICITY_VALUES

from app.codes import INVISIBLE, ResidentId, mask_resident_id, parse_resident_id, resident_id_forms
from app.errors import UserError
from app.excel import NO_VALUE
from app.households.checks import (
    HEAD,
    RELATIONS,
    MemberInput,
    check_member,
    clean_name,
    clean_text,
    normalize_phones,
)
from app.households.excel_read import (
    CellError,
    SheetData,
    YearMonth,
    auto_mapping,
    cell_text,
    detect_header,
    field_for_header,
    is_blank,
    is_year_month_header,
    label,
    parse_birth,
    parse_date,
    parse_id_cell,
)
from app.households.tags import BUILTIN_TAGS, known_tags
from app.sync.records import table_of
from app.work import Work


def _length(model: type[Household | Person], key: str) -> int:
    column_type = table_of(model).c[key].type
    assert isinstance(column_type, String) and column_type.length is not None, f"{key} is a String(n)"
    return column_type.length


# Text cut to what the records hold (the String lengths of the models; 备注 is free text, bounded here).
_TEXT_LIMITS = {
    **{key: _length(Household, key) for key in ("household_no", "group_name", "address")},
    **{key: _length(Person, key) for key in ("name", "relation", "ethnicity", "occupation")},
    "head_name": _length(Household, "head_name"),
    "notes": 2000,
}
TOTAL_WORDS = ("合计", "总计", "小计", "共计", "总数")
_RELATION_VALUES = frozenset(RELATIONS)
# how rosters of other programs and the 户口簿 write the head's own row: read as 户主 (without it every
# such household had “no 户主 row”)
_HEAD_WORDS = {"本人": HEAD, "户主本人": HEAD, "户主(本人)": HEAD, "户主（本人）": HEAD}


def _relation_of(text: str) -> str:
    """A 与户主关系 as written (spaces typed to align it dropped; 本人 is the head)."""
    said = text.replace(" ", "")
    return _HEAD_WORDS.get(said, said)


_RELATIONS_TEXT = "、".join(RELATIONS)

# What to do with a household one of whose rows is bad (有错的户): leave the whole household out
# (the default: nothing is half-imported unless the user says so), or import it without the bad rows.
SKIP, KEEP_REST = "skip", "keep_rest"
CHOICE_NAMES = {SKIP: "整户跳过", KEEP_REST: "导入其余成员"}


# -- the plan -----------------------------------------------------------------------------------
@dataclass
class RowProblem:
    row: int  # Excel row number (1-based)
    column: str  # header text
    reason: str
    level: str = "error"


@dataclass
class RosterRow:
    """One data row of the sheet, parsed."""

    row: int
    values: list[object]
    kind: str = "data"  # data | blank | total
    # Parsed cells by field; the value's type depends on the field (text, a date, the list of tags,
    # the phone cell as read), so the readers of each field know what they get.
    fields: dict[str, Any] = field(default_factory=dict)
    member: MemberInput | None = None
    problems: list[RowProblem] = field(default_factory=list)
    household: PlannedHousehold | None = None
    outcome: str = ""  # new | updated | unchanged | invalid | skipped (its household is left out)
    compared: str = ""  # the outcome the comparison gave, before the household's choice

    @property
    def invalid(self) -> bool:
        return bool(self.problems) and any(p.level == "error" for p in self.problems)


@dataclass
class PlannedHousehold:
    key: str
    head_row: RosterRow | None = None
    rows: list[RosterRow] = field(default_factory=list)
    existing_id: str | None = None
    choice: str = SKIP  # SKIP or KEEP_REST; matters only for a damaged household

    @property
    def bad_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if r.invalid]

    @property
    def damaged(self) -> bool:
        """Some row of the household is bad, or its head row is missing."""
        return self.head_row is None or any(r.problems and r.invalid for r in self.rows)

    @property
    def can_keep_rest(self) -> bool:
        """Without its head row a household cannot be imported: only the members' rows may be left out."""
        return self.head_row is not None and not self.head_row.invalid

    @property
    def skipped(self) -> bool:
        return self.damaged and (self.choice == SKIP or not self.can_keep_rest)

    @property
    def head_name(self) -> str:
        head = self.head_row or (self.rows[0] if self.rows else None)
        return head.member.name if head is not None and head.member is not None else ""

    @property
    def group_name(self) -> str:
        head = self.head_row or (self.rows[0] if self.rows else None)
        return str(head.fields.get("group_name") or "") if head is not None else ""

    def describe(self) -> str:
        """一组 王建国 户（第 4–7 行）"""
        first, last = self.rows[0].row, self.rows[-1].row
        where = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
        return f"{self.group_name or '未填组'} {self.head_name or '（无户主）'} 户（{where}）"

    def _settle(self) -> None:
        """Each row's outcome from the comparison and the household's choice."""
        skipped = self.skipped
        for r in self.rows:
            r.outcome = "invalid" if r.invalid else ("skipped" if skipped else r.compared)


@dataclass
class ImportPlan:
    sheet: SheetData
    header_row: int  # 0-based index in sheet.rows
    mapping: dict[int, str]
    rows: list[RosterRow]
    households: list[PlannedHousehold]
    notes: list[str] = field(default_factory=list)

    @property
    def data_rows(self) -> list[RosterRow]:
        return [r for r in self.rows if r.kind == "data"]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.data_rows if r.outcome == outcome)

    @property
    def damaged_households(self) -> list[PlannedHousehold]:
        """Households with a bad row: each is left out or imported without it, as chosen."""
        return [hh for hh in self.households if hh.damaged and hh.rows]

    def choose(self, household: PlannedHousehold | str, choice: str) -> None:
        """整户跳过 (SKIP) or 导入其余成员 (KEEP_REST) for one damaged household (or its key)."""
        if choice not in CHOICE_NAMES:
            raise ValueError(f"unknown choice {choice!r}")
        hh = household if isinstance(household, PlannedHousehold) else self._by_key()[household]
        hh.choice = choice
        hh._settle()

    def choose_all(self, choice: str) -> None:
        for hh in self.damaged_households:
            self.choose(hh, choice)

    def choices(self) -> dict[str, str]:
        """The choices made, by household key: what a second plan of the same sheet takes over."""
        return {hh.key: hh.choice for hh in self.damaged_households}

    def _by_key(self) -> dict[str, PlannedHousehold]:
        return {hh.key: hh for hh in self.households}

    def errors(self) -> list[RowProblem]:
        return [p for r in self.data_rows for p in r.problems if p.level == "error"]

    def warnings(self) -> list[RowProblem]:
        """What was imported differently from the cell (text cut to what the record holds)."""
        return [p for r in self.data_rows for p in r.problems if p.level == "warning"]

    def summary(self) -> dict[str, Any]:
        """Exactly the JSON of the CLI (issue 3; ``skipped`` and ``households`` since issue 15)."""
        data_rows = self.data_rows
        outcomes = Counter(r.outcome for r in data_rows)
        return {
            "rows": len(data_rows),
            "new": outcomes["new"],
            "updated": outcomes["updated"],
            "unchanged": outcomes["unchanged"],
            "invalid": outcomes["invalid"],
            "skipped": outcomes["skipped"],
            "errors": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.errors()],
            "warnings": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.warnings()],
            "damaged_households": [
                {
                    "household": hh.describe(),
                    "bad_rows": [r.row for r in hh.bad_rows],
                    "choice": SKIP if hh.skipped else KEEP_REST,
                    "imported": not hh.skipped,
                }
                for hh in self.damaged_households
            ],
        }

    def header_of(self, field_name: str) -> str:
        for i, f in self.mapping.items():
            if f == field_name:
                value = (
                    self.sheet.rows[self.header_row][i] if i < len(self.sheet.rows[self.header_row]) else None
                )
                return clean_text(value) or label(field_name)
        return label(field_name)


def _problem(
    plan_row: RosterRow, header: Callable[[str], str], field_name: str, reason: str, level: str = "error"
) -> None:
    plan_row.problems.append(RowProblem(plan_row.row, header(field_name), reason, level))


@dataclass(frozen=True)
class _Context:
    """What every row is checked against, made once per plan."""

    mapping: dict[int, str]
    header: Callable[[str], str]
    tags_known: set[str]
    tags_text: str
    year_month_column: bool
    today: dt.date


def _parse_row(r: RosterRow, ctx: _Context) -> None:
    mapping, header, tags_known, today = ctx.mapping, ctx.header, ctx.tags_known, ctx.today
    raw = {f: (r.values[i] if i < len(r.values) else None) for i, f in mapping.items()}
    f: dict[str, Any] = {}
    for key in (
        "household_key",
        "person_key",
        "household_no",
        "group_name",
        "relation",
        "sex",
        "ethnicity",
        "address",
        "occupation",
    ):
        if key in raw:
            f[key] = cell_text(raw[key])
    if "notes" in raw:  # free text, kept as typed (full-width punctuation included)
        notes = raw["notes"]
        f["notes"] = notes.strip() if isinstance(notes, str) else cell_text(notes)
    for key in ("name", "head_name"):
        if key in raw:
            f[key] = clean_name(raw[key])
    # Coded columns against their vocabularies (spaces typed to align a value are dropped). 民族 is a
    # closed national list: another value is an error. 与户主关系 is said but kept: the household form
    # takes any relation (its list is editable) and rosters use many more (长子, 之女 …), so a refusal
    # would make the village's own exported roster fail to import again.
    relation = f.get("relation")
    if relation:
        f["relation"] = relation = _relation_of(relation)
        if relation not in _RELATION_VALUES:
            _problem(
                r,
                header,
                "relation",
                f"与户主关系“{relation}”不在常用的值中（{_RELATIONS_TEXT}），已按原样导入；如有对应的请改用",
                level="warning",
            )
    ethnicity = f.get("ethnicity")
    if ethnicity:
        f["ethnicity"] = ethnicity = ethnicity.replace(" ", "")
        if ethnicity not in ETHNICITY_VALUES:
            _problem(
                r,
                header,
                "ethnicity",
                f"民族“{ethnicity}”不是 56 个民族的名称之一；请填写如“汉族”“回族”“蒙古族”（也可省去“族”字，如“汉”）",
            )
    for key, limit in _TEXT_LIMITS.items():
        value = f.get(key)
        if isinstance(value, str) and len(value) > limit:
            f[key] = value[:limit]
            _problem(
                r,
                header,
                key,
                f"{label(key)}有 {len(value)} 字，超过 {limit} 字的上限，只导入了前 {limit} 字",
                level="warning",
            )
    birth_month: YearMonth | None = None
    if "birth_date" in raw:
        try:
            birth = parse_birth(raw["birth_date"], year_month_column=ctx.year_month_column)
        except CellError as exc:
            _problem(r, header, "birth_date", f"{label('birth_date')}：{exc}")
            birth = None
        if isinstance(birth, YearMonth):
            birth_month, birth = birth, None
        f["birth_date"] = birth
    if "card_delivered_on" in raw:
        try:
            f["card_delivered_on"] = parse_date(raw["card_delivered_on"])
        except CellError as exc:
            _problem(r, header, "card_delivered_on", f"{label('card_delivered_on')}：{exc}")
            f["card_delivered_on"] = None
    if "id_number" in raw and not is_blank(raw["id_number"]):
        try:
            f["id_number"] = parse_id_cell(raw["id_number"])
        except CellError as exc:
            _problem(r, header, "id_number", str(exc))
            f["id_number"] = None
    if "phone" in raw:
        f["phone"] = raw["phone"]
    if "household_phones" in raw and not is_blank(raw["household_phones"]):
        try:
            f["household_phones"] = normalize_phones(str(cell_text(raw["household_phones"])), "phones")
        except UserError as exc:
            _problem(r, header, "household_phones", exc.message)
    if "tags" in raw:
        tags = [t for t in re.split(r"[、,，;；\s]+", cell_text(raw["tags"])) if t]
        unknown = [t for t in tags if t not in tags_known]
        if unknown:
            _problem(
                r,
                header,
                "tags",
                f"标签“{'、'.join(unknown)}”不在标签列表中；可填：{ctx.tags_text}。"
                "需要新的标签请先在标签管理里添加",
            )
        f["tags"] = [t for t in tags if t in tags_known]
    r.fields = f
    if not f.get("name"):
        _problem(r, header, "name", "姓名为空")
    phone = raw.get("phone")
    if isinstance(phone, float) and phone.is_integer():
        phone = int(phone)
    member = MemberInput(
        name=str(f.get("name") or ""),
        relation=str(f.get("relation") or ""),
        sex=f.get("sex") or None,
        birth_date=f.get("birth_date"),
        id_number=f.get("id_number"),
        ethnicity=f.get("ethnicity") or None,
        phone=None if is_blank(phone) else str(phone),
        occupation=f.get("occupation") or None,
        notes=str(f.get("notes") or ""),
    )
    clean, problems = check_member(member, today=today)
    for p in problems:
        if p.field == "name" and any(q.column == header("name") for q in r.problems):
            continue
        fld = {"phone": "phone", "id_number": "id_number", "birth_date": "birth_date", "sex": "sex"}.get(
            p.field, p.field
        )
        if fld == "id_number" and "id_number" not in mapping.values():
            continue
        _problem(r, header, fld if fld in mapping.values() else "name", p.message, p.level)
    if birth_month is not None:
        _check_birth_month(r, ctx, clean, birth_month)
    r.member = clean


def _check_birth_month(r: RosterRow, ctx: _Context, member: MemberInput, month: YearMonth) -> None:
    """A year and month only: checked against the full date in the ID (which is what is stored). With
    no ID the program cannot store it as a 出生日期 (a whole date): it goes into 备注, said on the row."""
    number = member.id_number
    if number and "*" in number:
        return  # a masked ID: the stored person's ID holds the date
    if number:
        if member.birth_date is not None and not month.matches(member.birth_date):
            read = f"“{month.text}”（{month}）" if month.ambiguous else f"{month}"
            _problem(
                r,
                ctx.header,
                "birth_date",
                f"出生年月 {read} 与身份证号中的出生日期 {member.birth_date:%Y-%m-%d} 不一致，请核对",
            )
        return  # a bad ID has its own message; a good one supplied the date
    if (month.year, min(month.months)) > (ctx.today.year, ctx.today.month) or month.year < 1900:
        _problem(r, ctx.header, "birth_date", f"出生年月 {month} 不对：在今天之后或早于 1900 年")
        return
    if month.ambiguous:
        _problem(
            r,
            ctx.header,
            "birth_date",
            f"出生年月“{month.text}”被 Excel 存成了数字，去掉了末尾的 0：分不清是 {month.year} 年 1 月还是 10 月。"
            f"请把该列设为“文本”后填写 {month.year}.01 或 {month.year}.10，或填写身份证号",
        )
        return
    line = f"出生年月：{month}"
    member.notes = f"{member.notes}\n{line}" if member.notes else line
    _problem(
        r,
        ctx.header,
        "birth_date",
        f"只有出生年月（{month}）、没有身份证号：出生日期要有年月日，已把“{line}”记在备注里",
        level="warning",
    )


# -- the column pass: each column's cells checked once per distinct value -------------------------
# A roster repeats its 组, 性别, 民族, 关系, 住址 … in every row: the column pass runs the checks of
# :func:`_parse_row` and :func:`check_member` once per distinct cell of a column, then puts each row
# together from its cells' results. A row any of whose checks has something to say (an error, a
# warning, a text cut to length, a 出生年月) is parsed again by :func:`_parse_row`, which words the
# problems exactly as it always has: the column pass only ever finds a row clean, never decides
# what is wrong with it.
_BAD = object()  # this cell has something to say: the row goes through _parse_row
_ABSENT = object()  # the column is not mapped, or (身份证号, 家庭电话) the cell is blank: no field
# Cells of these types are equal only to cells of the same type (unlike 1, 1.0 and True): one result
# per distinct cell is the result of each.
_DISTINCT_TYPES = frozenset({str, type(None), dt.date, dt.datetime, dt.time, dt.timedelta})


def _all_clean(texts: Collection[str]) -> bool:
    """Is every text what :func:`clean_text` makes of it (NFKC, no space at either end, no run of
    spaces, no other whitespace, nothing invisible)? One look at all of them joined by NUL, which NFKC leaves alone and
    never joins to a neighbour; a text that holds a NUL is not looked at this way."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != max(len(texts) - 1, 0):
        return False
    # once the runs of whitespace are single spaces, only a space can be at either end of a text
    return (
        unicodedata.is_normalized("NFKC", joined)
        and " ".join(joined.split()) == joined
        and " \x00" not in joined
        and "\x00 " not in joined
        and INVISIBLE.search(joined) is None
    )


def _each(values: list[object], fn: Callable[[Any], object], *, catch: bool = True) -> list[object]:
    """``fn`` of every value (``_BAD`` where it raises, if ``catch``), computed once per distinct cell."""

    def caught(v: object) -> object:
        try:
            return fn(v)
        except Exception:  # _parse_row parses the row again and says (or raises) what is wrong
            return _BAD

    call = caught if catch else fn
    if set(map(type, values)) <= _DISTINCT_TYPES:
        done = {v: call(v) for v in set(values)}
        return list(map(done.__getitem__, values))
    return list(map(call, values))


@dataclass
class _Columns:
    """The mapped columns, read and checked column by column (see :func:`_fast_rows`)."""

    signatures: list[tuple[object, ...]]  # the duplicate-row key of each row: cell_text of its mapped cells
    parsed: list[tuple[dict[str, Any], MemberInput] | None]  # None: the row goes through _parse_row


def _fast_rows(rows: Sequence[Sequence[object]], ctx: _Context) -> _Columns:
    n = len(rows)
    width = min(map(len, rows), default=0)
    mapped = sorted(ctx.mapping)
    raw: dict[int, list[object]] = {
        i: [row[i] for row in rows] if i < width else [row[i] if i < len(row) else None for row in rows]
        for i in mapped
    }
    clean: dict[int, bool] = {}  # a column of text cells each already as clean_text makes it
    texts: dict[int, list[object]] = {}
    for i, values in raw.items():
        distinct = set(values)
        clean[i] = set(map(type, distinct)) == {str} and _all_clean(distinct)  # type: ignore[arg-type]
        texts[i] = values if clean[i] else _each(values, cell_text, catch=False)
    signatures: list[tuple[object, ...]] = (
        list(zip(*(texts[i] for i in mapped), strict=True)) if mapped else [()] * n
    )
    col = {f: i for i, f in ctx.mapping.items()}  # the last column of a field wins, as in _parse_row
    limits, today = _TEXT_LIMITS, ctx.today
    absent = [_ABSENT] * n

    def of(key: str, fn: Callable[[Any], object], *, text: bool = True) -> list[object]:
        if key not in col:
            return absent
        return _each(texts[col[key]] if text else raw[col[key]], fn)

    def limited(key: str) -> list[object]:
        """A text field's column, a cell ``_BAD`` where it is longer than the model allows: one look at
        the lengths of the distinct texts when none is (most rosters; a 户系统编号 has no limit)."""
        if key not in col:
            return absent
        values, limit = texts[col[key]], limits.get(key)
        if limit is None or max(map(len, set(values)), default=0) <= limit:  # type: ignore[arg-type]
            return values
        return _each(values, lambda t: _BAD if len(t) > limit else t)

    def vocabulary(key: str, values: frozenset[str]) -> Callable[[str], object]:
        limit = limits[key]

        def fn(t: str) -> object:
            if t:
                t = t.replace(" ", "")
                if t not in values or len(t) > limit:
                    return _BAD
            return t

        return fn

    def sex(t: str) -> object:
        value = clean_text(t) or None  # the member's, as check_member cleans it
        return _BAD if value and value not in ("男", "女") else value

    def notes(v: object) -> object:
        value = v.strip() if isinstance(v, str) else cell_text(v)
        return _BAD if len(value) > limits["notes"] else value

    def names(key: str) -> list[object]:
        """姓名 (the row's own and the member's, which check_member cleans again) or 户主姓名."""
        if key not in col:
            return absent
        limit = limits[key]
        values = raw[col[key]]
        same = clean[col[key]] and not any(" " in v for v in set(values))  # type: ignore[operator]
        head = key == "head_name"

        def fn(v: Any) -> object:
            value = v if same else clean_name(v)  # clean_name leaves a clean text without spaces as it is
            if len(value) > limit:
                return _BAD
            if head:
                return value
            if not value or len(value) > 50:
                return _BAD
            # check_member cleans the name again: the fast way only if that changes nothing
            return value if same or clean_name(value) == value else _BAD

        return _each(values, fn)

    def birth(v: object) -> object:
        value = parse_birth(v, year_month_column=ctx.year_month_column)
        if isinstance(value, YearMonth) or (value is not None and value > today):
            return _BAD
        return value

    def resident_id(v: object) -> object:
        if type(v) is str and len(v) == 18 and v.isascii() and v.isalnum() and v == v.upper():
            # 18 ASCII digits and capitals: parse_id_cell and clean_text would leave it as it is
            rid = parse_resident_id(v, today=today)
            return (v, rid)
        if is_blank(v):
            return _ABSENT
        text = parse_id_cell(v)
        number = clean_text(text).replace(" ", "")
        if number and "*" not in number:
            rid = parse_resident_id(number, today=today)
            return _BAD if rid.legacy else (text, rid)
        return (text, number or None)

    def phone(v: object) -> object:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if is_blank(v) or not str(v).strip():
            return None
        return normalize_phones(str(v), "phone") or None

    def household_phones(v: object) -> object:
        return _ABSENT if is_blank(v) else normalize_phones(str(cell_text(v)), "phones")

    def tags(text: str) -> object:
        values = tuple(t for t in re.split(r"[、,，;；\s]+", text) if t)
        return _BAD if any(t not in ctx.tags_known for t in values) else values

    if "name" not in col:  # (plan_import maps it always)
        return _Columns(signatures, [None] * n)
    # The fields each row gets (as _parse_row sets them), column by column; and the columns whose
    # checks may have something to say about a cell.
    keys: list[str] = []
    fields: list[list[object]] = []
    checked: list[list[object]] = []

    def field(key: str, values: list[object], *, check: bool = True) -> list[object]:
        keys.append(key)
        fields.append(values)
        if check:
            checked.append(values)
        return values

    for key in ("household_key", "person_key", "household_no", "group_name", "address", "occupation"):
        if key in col:
            field(key, limited(key))
    field("name", names("name"))
    if "head_name" in col:
        field("head_name", names("head_name"))
    if "relation" in col:
        field("relation", of("relation", vocabulary("relation", _RELATION_VALUES)))
    if "ethnicity" in col:
        field("ethnicity", of("ethnicity", vocabulary("ethnicity", ETHNICITY_VALUES)))
    if "sex" in col:
        field("sex", texts[col["sex"]], check=False)
        checked.append(sexes := of("sex", sex))
    if "notes" in col:
        field("notes", of("notes", notes, text=False))
    if "birth_date" in col:
        field("birth_date", of("birth_date", birth, text=False))
    if "card_delivered_on" in col:
        field("card_delivered_on", of("card_delivered_on", parse_date, text=False))
    if "phone" in col:
        field("phone", raw[col["phone"]], check=False)
        checked.append(phones := of("phone", phone, text=False))
    checked.append(ids := of("id_number", resident_id, text=False))
    checked.append(house_phones := of("household_phones", household_phones, text=False))
    checked.append(tag_lists := of("tags", tags))
    bad: set[int] = set()
    for values in checked:
        if _BAD in values:
            bad.update(k for k, v in enumerate(values) if v is _BAD)
    member_text = {
        v: clean_text(v)
        for key in ("relation", "ethnicity", "occupation")
        if key in col
        for v in set(fields[keys.index(key)])
        if type(v) is str
    }
    has = set(keys)
    parsed: list[tuple[dict[str, Any], MemberInput] | None] = []
    for k, cells in enumerate(zip(*fields, strict=True)):
        if k in bad:
            parsed.append(None)
            continue
        f: dict[str, Any] = dict(zip(keys, cells, strict=True))
        birth_date = f.get("birth_date")
        member_sex = sexes[k] if "sex" in has else None
        number = id_ = ids[k]
        if id_ is _ABSENT:
            number = None
        else:
            f["id_number"], number = id_  # type: ignore[misc]
            if isinstance(number, ResidentId):
                rid = number
                if (birth_date is not None and birth_date != rid.birth_date) or (
                    member_sex and member_sex != rid.sex
                ):
                    parsed.append(None)  # the ID says another birth date or sex
                    continue
                number, birth_date, member_sex = (
                    rid.number,
                    birth_date or rid.birth_date,
                    member_sex or rid.sex,
                )
        if house_phones[k] is not _ABSENT:
            f["household_phones"] = house_phones[k]
        if tag_lists[k] is not _ABSENT:
            f["tags"] = list(tag_lists[k])  # type: ignore[call-overload]
        member = MemberInput(
            f["name"],
            member_text[f["relation"]] if "relation" in has else "",
            member_sex,  # type: ignore[arg-type]
            birth_date,
            number,  # type: ignore[arg-type]
            (member_text[f["ethnicity"]] or None) if "ethnicity" in has else None,
            phones[k] if "phone" in has else None,  # type: ignore[arg-type]
            (member_text[f["occupation"]] or None) if "occupation" in has else None,
            f["notes"].strip() if "notes" in has else "",
        )
        parsed.append((f, member))
    return _Columns(signatures, parsed)


def _is_total(values: Sequence[object], said: dict[str, bool] | None = None) -> bool:
    """A 合计 row: one of its first three non-blank cells says so. ``said``: the answer for each text
    seen before (a plan's cache: the first cells of a roster repeat)."""
    seen = 0
    for v in values:
        if is_blank(v):
            continue
        if type(v) is str:
            total = said.get(v) if said is not None else None
            if total is None:
                total = _says_total(v)
                if said is not None:
                    said[v] = total
        else:  # a number or a date is written in ASCII, which none of TOTAL_WORDS is
            total = not str(v).isascii() and _says_total(v)
        if total:
            return True
        seen += 1
        if seen == 3:
            break
    return False


def _says_total(value: object) -> bool:
    t = clean_text(value).replace(" ", "")
    return t.startswith(TOTAL_WORDS) or t in TOTAL_WORDS


def _context(work: Work, plan: ImportPlan, today: dt.date) -> _Context:
    mapping = plan.mapping
    header = plan.sheet.rows[plan.header_row] if plan.header_row < len(plan.sheet.rows) else []
    tags_known = known_tags(work)
    builtin = [name for name, _sensitive in BUILTIN_TAGS if name in tags_known]
    birth_columns = [i for i, f in mapping.items() if f == "birth_date"]
    return _Context(
        mapping,
        plan.header_of,
        tags_known,
        "、".join(builtin + sorted(tags_known - set(builtin))),
        bool(birth_columns)
        and is_year_month_header(header[birth_columns[0]] if birth_columns[0] < len(header) else ""),
        today,
    )


def plan_import(
    work: Work,
    sheet: SheetData,
    *,
    header_row: int | None = None,
    mapping: dict[int, str] | None = None,
    today: dt.date | None = None,
    keep_rest: bool = False,
    choices: dict[str, str] | None = None,
) -> ImportPlan:
    """Parse and compare without writing: the preview (每行的问题) and the outcome of every row.

    A household with a bad row (有错的户) is left out whole unless ``keep_rest`` (all of them) or
    ``choices`` (by household key, from :meth:`ImportPlan.choices` of an earlier plan of the same
    sheet) say to import it without its bad rows."""
    today = today or dt.date.today()
    if header_row is None:
        header_row = detect_header(sheet.rows)
    header = sheet.rows[header_row] if header_row < len(sheet.rows) else []
    auto = mapping is None
    mapping = dict(mapping) if mapping is not None else auto_mapping(header)
    fields = set(mapping.values())
    if "name" not in fields:
        if "head_name" in fields:
            # A roster of heads only: the 户主 column is the person's name.
            mapping = {i: ("name" if f == "head_name" else f) for i, f in mapping.items()}
            fields = set(mapping.values())
        else:
            raise UserError("没有找到“姓名”列，请在列对应里指定哪一列是姓名")
    if not ({"relation", "household_no", "household_key"} & fields) and "head_name" not in fields:
        raise UserError("没有找到“与户主关系”或“户编号”列，无法把各行分成户；请在列对应里指定")
    if "group_name" not in fields:
        raise UserError("没有找到“组”（村民小组）列，请在列对应里指定")
    plan = ImportPlan(sheet, header_row, mapping, [], [])
    if auto:
        _note_second_columns(plan)
    if sheet.others:
        shown = "、".join(f"“{name}”" for name in sheet.others[:5]) + ("等" if len(sheet.others) > 5 else "")
        plan.notes.append(
            f"这个工作簿还有 {len(sheet.others)} 张工作表有内容（{shown}），这次只导入了“{sheet.sheet}”；"
            "如果也是花名册（比如一个组一张表），请再分别导入，每次选一张工作表"
        )
    ctx = _context(work, plan, today)
    seen: dict[tuple[object, ...], int] = {}
    seen_ids: dict[str, int] = {}
    data = sheet.rows[header_row + 1 :]
    columns = _fast_rows(data, ctx)
    totals: dict[str, bool] = {}
    # A sheet that names no household in a column (no 户编号) groups its rows under the 户主 row above
    # them: two sons 王磊 of two households are alike in 组, 姓名 and 关系, and are not a repeated row.
    fields = set(plan.mapping.values())
    relation_at = next((i for i, f in plan.mapping.items() if f == "relation"), None)
    by_head = relation_at is not None and not ({"household_no", "household_key"} & fields)
    head_above = -1
    for offset, values in enumerate(data):
        r = RosterRow(header_row + 2 + offset, list(values))
        plan.rows.append(r)
        if all(map(is_blank, values)):
            r.kind = "blank"
            continue
        if _is_total(values, totals):
            r.kind = "total"
            plan.notes.append(f"第 {r.row} 行是合计行，已跳过")
            continue
        # Duplicates are judged on the mapped columns: a copied row usually has its own 序号.
        signature = columns.signatures[offset]
        if by_head and relation_at is not None and relation_at < len(values):
            if _relation_of(cell_text(values[relation_at])) == HEAD:
                head_above = offset
            else:
                signature = (*signature, head_above)
        if signature in seen:
            r.problems.append(
                RowProblem(r.row, plan.header_of("name"), f"与第 {seen[signature]} 行内容相同（重复行）")
            )
            r.outcome = "invalid"
            continue
        seen[signature] = r.row
        parsed = columns.parsed[offset]
        if parsed is None:
            _parse_row(r, ctx)
        else:
            r.fields, r.member = parsed
        number = r.member.id_number if r.member else None
        if number and "*" not in number and not r.invalid:
            if number in seen_ids:
                r.problems.append(
                    RowProblem(
                        r.row,
                        plan.header_of("id_number"),
                        f"身份证号与第 {seen_ids[number]} 行相同，同一个人只能登记一次",
                    )
                )
            else:
                seen_ids[number] = r.row
    _excel_errors(plan, sheet)
    blanks = sum(1 for r in plan.rows if r.kind == "blank")
    if blanks:
        plan.notes.append(f"跳过空行 {blanks} 行")
    _group(plan)
    _compare(work, plan)
    default = KEEP_REST if keep_rest else SKIP
    for hh in plan.households:
        hh.choice = (choices or {}).get(hh.key, default)
        hh._settle()
    return plan


def _note_second_columns(plan: ImportPlan) -> None:
    """A second column with a known header (two 身份证号 columns, an old one emptied and a new one added at
    the end) is not imported: the first of each field is. Said when it holds anything, so that a column of
    IDs is never passed over without a word."""
    header = plan.sheet.rows[plan.header_row]
    rows = plan.sheet.rows[plan.header_row + 1 :]
    for i, value in enumerate(header):
        field_name = field_for_header(value)
        if field_name is None or i in plan.mapping or field_name not in plan.mapping.values():
            continue
        filled = sum(1 for row in rows if i < len(row) and not is_blank(row[i]))
        if filled:
            plan.notes.append(
                f"第 {i + 1} 列“{clean_text(value)}”也是{label(field_name)}，有 {filled} 格填了内容，"
                f"但只导入了“{plan.header_of(field_name)}”那一列；要用这一列，请在导入向导的列对应里改选，"
                "或删去不用的那一列后再导入"
            )


def _excel_errors(plan: ImportPlan, sheet: SheetData) -> None:
    """A row with an Excel error (#N/A …) in an imported column is bad: the reader gives the cell as
    empty, and a VLOOKUP that found no ID would import the person without one."""
    first = plan.header_row + 2  # the sheet row of plan.rows[0]
    noted: set[int] = set()
    for row, column, code in sheet.errors:
        field_name = plan.mapping.get(column - 1)
        if field_name is None or not 0 <= row - first < len(plan.rows):
            continue  # a column not imported, or the header and the titles above it
        r = plan.rows[row - first]
        if r.kind == "data":
            header = plan.header_of(field_name)
            reason = (
                f"{header}是公式，文件里没有保存它的计算结果（别的软件生成的表格常这样），读不出内容；"
                "请用 Excel 或 WPS 打开后保存一次，或复制后“选择性粘贴 → 数值”，再导入"
                if code == NO_VALUE
                else f"{header}是 Excel 的错误值 {code}（多是公式出了错，比如 VLOOKUP 没有找到），读不出内容；"
                "请填上实际内容后再导入"
            )
            r.problems.append(RowProblem(r.row, header, reason))
        elif r.kind == "blank" and r.row not in noted:  # a row of errors alone reads as empty
            noted.add(r.row)
            what = "没有计算结果的公式" if code == NO_VALUE else f" Excel 的错误值（{code}）"
            plan.notes.append(f"第 {r.row} 行只有{what}，没有可导入的内容，已跳过")


def _group(plan: ImportPlan) -> None:
    fields = set(plan.mapping.values())
    by_key: dict[str, PlannedHousehold] = {}
    current: PlannedHousehold | None = None
    latest_by_head: dict[tuple[str, str], PlannedHousehold] = {}
    # A 户编号 names a household within its 组: many villages number each group from 1, so 001 of 一组 and
    # 001 of 二组 are two households. A row whose 组 is empty joins the last household of its number.
    latest_by_no: dict[str, PlannedHousehold] = {}
    group_of: dict[int, str] = {}
    n = 0
    for r in plan.data_rows:
        if r.outcome == "invalid" or r.member is None:
            continue
        f = r.fields
        is_head = r.member.relation == HEAD
        key_field = (
            "household_key" if f.get("household_key") else ("household_no" if f.get("household_no") else None)
        )
        if key_field == "household_no":
            number, group = str(f["household_no"]), str(f.get("group_name") or "")
            hh = by_key.get(f"household_no:{group}:{number}") if group else latest_by_no.get(number)
            if hh is None and group:
                last = latest_by_no.get(number)
                if last is not None and not group_of.get(id(last)):  # its rows so far had no 组
                    hh = by_key[f"household_no:{group}:{number}"] = last
                    group_of[id(last)] = group
            if hh is None:
                hh = PlannedHousehold(f"household_no:{group}:{number}")
                by_key[hh.key] = hh
                group_of[id(hh)] = group
                plan.households.append(hh)
            latest_by_no[number] = hh
        elif key_field:
            key = f"{key_field}:{f[key_field]}"
            hh = by_key.get(key)
            if hh is None:
                hh = by_key[key] = PlannedHousehold(key)
                plan.households.append(hh)
        elif (
            {"household_key", "household_no"} & fields
            and not (f.get("household_key") or f.get("household_no"))
            and "relation" not in fields
        ):
            r.problems.append(
                RowProblem(r.row, plan.header_of("household_no"), "户编号为空，无法判断属于哪一户")
            )
            continue
        else:
            group = str(f.get("group_name") or "")
            head_name = str(f.get("head_name") or "")
            if is_head or (not head_name and "relation" not in fields):
                n += 1
                hh = PlannedHousehold(f"row:{r.row}")
                plan.households.append(hh)
                current = hh
                latest_by_head[(group, r.member.name)] = hh
            elif head_name:
                hh = latest_by_head.get((group, head_name))
                if hh is None:
                    r.problems.append(
                        RowProblem(
                            r.row,
                            plan.header_of("head_name"),
                            f"找不到户主“{head_name}”（{group or '未填组'}）的户主行：户主行应在其家庭成员之上",
                        )
                    )
                    continue
            elif current is not None:
                hh = current
            else:
                r.problems.append(
                    RowProblem(
                        r.row,
                        plan.header_of("relation"),
                        "这一行之前没有户主行，无法判断属于哪一户；户主行应在其家庭成员之上",
                    )
                )
                continue
        hh.rows.append(r)
        r.household = hh
        if is_head:
            if hh.head_row is not None:
                r.problems.append(
                    RowProblem(
                        r.row,
                        plan.header_of("relation"),
                        f"与第 {hh.head_row.row} 行同属一户，一户只能有一位户主",
                    )
                )
            else:
                hh.head_row = r
    # A household whose head row has an error is left out whole, and its other rows stay valid (they
    # are imported once the head row is fixed); one with no head row at all has an error on every row.
    for hh in plan.households:
        if hh.head_row is None:
            for r in hh.rows:
                if not r.invalid:
                    r.problems.append(
                        RowProblem(
                            r.row, plan.header_of("relation"), "这一户没有户主行（与户主关系为“户主”）"
                        )
                    )


# -- comparing with the database ----------------------------------------------------------------
_PERSON_FIELDS = ("name", "relation", "sex", "birth_date", "ethnicity", "phone", "occupation", "notes")
_FIELD_OF_COLUMN = {
    "name": "name",
    "relation": "relation",
    "sex": "sex",
    "birth_date": "birth_date",
    "ethnicity": "ethnicity",
    "phone": "phone",
    "occupation": "occupation",
    "notes": "notes",
}


def _head(hh: PlannedHousehold) -> RosterRow:
    """The head row of a household that has one (the valid households compared and written)."""
    assert hh.head_row is not None, "only households with a head row are compared and written"
    return hh.head_row


def _member(r: RosterRow) -> MemberInput:
    """The member of a row grouped into a household (only parsed rows are grouped)."""
    assert r.member is not None, "a row grouped into a household has been parsed"
    return r.member


def household_values(plan: ImportPlan, hh: PlannedHousehold) -> dict[str, object]:
    """Household fields the head row sets (only mapped, non-empty columns)."""
    f = _head(hh).fields
    values: dict[str, object] = {"head_name": _member(_head(hh)).name}
    for key in ("group_name", "address", "household_no"):
        if f.get(key):
            values[key] = f[key]
    if f.get("household_phones"):
        values["phones"] = f["household_phones"]
    if f.get("card_delivered_on"):
        values["card_delivered_on"] = f["card_delivered_on"]
    return values


def _numbered(by_no: dict[str, list[Household]], f: dict[str, Any]) -> list[Household]:
    """The households here with the row's 户编号, those of the row's 组 when it names one."""
    found = by_no.get(str(f["household_no"]), [])
    group = str(f.get("group_name") or "")
    return [h for h in found if h.group_name == group] if group else found


def _owners_in_either_form(session: Session, numbers: list[str]) -> dict[str, Person]:
    """The person here with each number, found by either of its forms: a roster with the new 18-digit
    number of someone registered with the old 15-digit one (or the other way) finds that person."""
    forms = {n: resident_id_forms(n) for n in numbers}
    found = live_persons_by_id_number(session, [f for fs in forms.values() for f in fs])
    owners = {}
    for number, fs in forms.items():
        owner = next((found[f] for f in fs if f in found), None)
        if owner is not None:
            owners[number] = owner
    return owners


def _heads_it(
    household: Household, head: MemberInput, id_owner: dict[str, Person], members: dict[str, list[Person]]
) -> bool:
    """Is the planned head (by ID, else by name) of ``household``, found by its 户编号? A 组 renumbered
    gives 王建国's rows the number 赵德福's household has here: that is not 赵德福's household."""
    owner = id_owner.get(head.id_number) if head.id_number else None
    if owner is not None:
        return owner.household_id == household.id
    return head.name == household.head_name or any(p.name == head.name for p in members.get(household.id, []))


def _one_each(plan: ImportPlan, live: list[PlannedHousehold], households: dict[str, Household]) -> None:
    """One household here is matched by one household of the file at most. Of several (分户 written in
    the roster: the son's new household found through his ID; two same-name heads), the one headed by
    its head here keeps it; the others are refused on their head's row with what to do, never merged
    into it (a takeover left one household with two 户主 and another family's address)."""
    claims: dict[str, list[PlannedHousehold]] = {}
    for hh in live:
        if hh.existing_id:
            claims.setdefault(hh.existing_id, []).append(hh)
    for existing_id, rivals in claims.items():
        if len(rivals) < 2:
            continue
        here = households[existing_id]
        headed = [hh for hh in rivals if _member(_head(hh)).name == here.head_name]
        if len(headed) > 1:  # two same-name heads: the one at its address here, if the address tells
            headed = [hh for hh in headed if _head(hh).fields.get("address") == here.address]
        keeper = headed[0] if len(headed) == 1 else None
        same_name = len({_member(_head(hh)).name for hh in rivals}) == 1
        for hh in rivals:
            if hh is keeper:
                continue
            hh.existing_id = None
            head = _head(hh)
            reason = (
                f"表里本组有 {len(rivals)} 户的户主都叫{here.head_name}，本村已登记的只有 1 户，"
                "分不清是哪一户：请在表里填上户主的身份证号或户编号后再导入"
                if same_name
                else f"这一户和表里的另一户都对应本村已有的 {here.group_name} {here.head_name} 户：分户的，"
                "请先在户籍里把要分出去的成员迁到新户，再导入；不是分户的，请核对户主和户编号"
            )
            head.problems.append(RowProblem(head.row, plan.header_of("name"), reason))


def _compare(work: Work, plan: ImportPlan) -> None:
    session = work.session
    live = [hh for hh in plan.households if hh.head_row is not None and not hh.head_row.invalid]
    keys = [_head(hh).fields["household_key"] for hh in live if _head(hh).fields.get("household_key")]
    nos = [_head(hh).fields["household_no"] for hh in live if _head(hh).fields.get("household_no")]
    numbers = [
        r.member.id_number
        for hh in live
        for r in hh.rows
        if r.member and r.member.id_number and "*" not in r.member.id_number
    ]
    head_names = list({_member(_head(hh)).name for hh in live})
    village = work.unit_code
    first = roster_is_empty(session)  # a first import: every lookup below would find nothing
    if first:
        keys, nos, numbers, head_names = [], [], [], []
    households = households_by_id(session, keys)
    by_no: dict[str, list[Household]] = {}
    for h in live_households_by_no(session, village, nos):
        assert h.household_no is not None, "found by its 户编号"
        by_no.setdefault(h.household_no, []).append(h)
        households[h.id] = h
    by_head: dict[tuple[str, str], list[Household]] = {}
    for h in live_households_by_head_name(session, village, head_names):
        by_head.setdefault((h.group_name, h.head_name), []).append(h)
        households[h.id] = h
    wanted = (
        []
        if first
        else [str(r.fields["person_key"]) for hh in live for r in hh.rows if r.fields.get("person_key")]
    )
    person_keys = existing_person_ids(session, wanted)
    id_owner = _owners_in_either_form(session, numbers)
    numbered_members = live_members(session, [h.id for found in by_no.values() for h in found])
    # Which existing household each planned household is.
    for hh in live:
        head = _head(hh)
        f = head.fields
        match = None
        if f.get("household_key"):
            keyed = households.get(str(f["household_key"]))
            if keyed is not None and (keyed.deleted_at is not None or keyed.village_code != village):
                head.problems.append(
                    RowProblem(
                        head.row,
                        plan.header_of("household_key"),
                        "这一户在本村已被删除或属于别的村，不能导入",
                    )
                )
                continue
            match = keyed
            if match is None:
                # A roster exported elsewhere: the household is new here, unless its head's resident ID is
                # already registered here (imported from the same workbook before): then it is that household.
                head_id = _member(head).id_number
                owner = id_owner.get(head_id) if head_id else None
                if owner is not None:
                    match = households.get(owner.household_id) or session.get(Household, owner.household_id)
        elif (
            f.get("household_no")
            and len(numbered := _numbered(by_no, f)) == 1
            and _heads_it(numbered[0], _member(head), id_owner, numbered_members)
        ):
            match = numbered[0]
        else:
            # (a number no household of its 组 has here, or one whose household the head is not of (a 组
            # renumbered): a household that moved to another 组, or a group numbered from 1 like its
            # neighbours, is found by its head's ID or name, or is new)
            head_id = _member(head).id_number
            owner = id_owner.get(head_id) if head_id else None
            if owner is not None:
                match = households.get(owner.household_id) or session.get(Household, owner.household_id)
            else:
                candidates = by_head.get((str(f.get("group_name") or ""), _member(head).name), [])
                if len(candidates) > 1:  # same-name heads of one 组: told apart by the address, if it can
                    candidates = [h for h in candidates if h.address == f.get("address")] or candidates
                if len(candidates) == 1:
                    match = candidates[0]
                elif candidates:  # same-name heads of one 组 (common): never guessed, never added again
                    head.problems.append(
                        RowProblem(
                            head.row,
                            plan.header_of("name"),
                            f"本组有 {len(candidates)} 户的户主都叫{_member(head).name}，分不清这一户是哪一户："
                            "请在表里填上户主的身份证号或户编号后再导入",
                        )
                    )
                    continue
        hh.existing_id = match.id if match is not None else None
        if match is not None:
            households[match.id] = match
    _one_each(plan, live, households)
    # Members of the matched households.
    matched = [hh.existing_id for hh in live if hh.existing_id]
    members = live_members(session, matched)
    tags = live_tags(session, matched)
    mapped = set(plan.mapping.values())
    claimed: set[str] = set()
    if not matched and not person_keys and not id_owner:
        _all_new(plan, live)
        live = []  # (nothing to compare them with)
    for hh in live:
        existing = households.get(hh.existing_id) if hh.existing_id else None
        people = members.get(existing.id, []) if existing else []
        by_pid = {p.id: p for p in people}
        household_changed = False
        if existing is not None:
            for key, value in household_values(plan, hh).items():
                if getattr(existing, key) != value:
                    household_changed = True
            if set(_head(hh).fields.get("tags") or ()) - tags.get(existing.id, set()):
                household_changed = True
        for r in hh.rows:
            if r.invalid:
                continue
            m = _member(r)
            person = None
            if r.fields.get("person_key") and str(r.fields["person_key"]) in person_keys:
                person = by_pid.get(str(r.fields["person_key"]))
                if person is None:
                    r.problems.append(
                        RowProblem(
                            r.row,
                            plan.header_of("person_key"),
                            "此人已不在这一户（可能已迁到别户或被删除），请核对",
                        )
                    )
                    continue
            elif m.id_number and "*" not in m.id_number:
                owner = id_owner.get(m.id_number)
                if owner is not None and owner.household_id != hh.existing_id:
                    other = households.get(owner.household_id) or session.get(Household, owner.household_id)
                    assert other is not None, "a person's household is a row (foreign key)"
                    r.problems.append(
                        RowProblem(
                            r.row,
                            plan.header_of("id_number"),
                            f"身份证号已登记在{other.group_name} {other.head_name} 户（{owner.name}），"
                            "同一个人不能在两户登记；请核对号码",
                        )
                    )
                    continue
                person = owner
            if person is None:
                same_name = [p for p in people if p.name == m.name and p.id not in claimed]
                if len(same_name) == 1 and not (
                    m.id_number
                    and same_name[0].id_number
                    and "*" not in m.id_number
                    and same_name[0].id_number != m.id_number
                ):
                    person = same_name[0]
            if person is not None and person.id in claimed:
                r.problems.append(RowProblem(r.row, plan.header_of("name"), "与上方另一行是同一个人"))
                continue
            if m.id_number and "*" in m.id_number:
                if person is None or mask_resident_id(person.id_number) != m.id_number:
                    r.problems.append(_masked_id_problem(plan, r))
                    continue
            if person is None:
                r.outcome = "new"
                continue
            claimed.add(person.id)
            r.fields["_person_id"] = person.id
            diff = person_diff(person, m, mapped)
            r.outcome = "updated" if diff or (r is hh.head_row and household_changed) else "unchanged"
    for r in plan.data_rows:
        if r.invalid:
            r.outcome = "invalid"
        elif not r.outcome:
            r.outcome = "new"
        r.compared = r.outcome


def _all_new(plan: ImportPlan, live: list[PlannedHousehold]) -> None:
    """Nothing of the sheet is here yet (a first import): every valid row is new but for one with a masked
    ID, which only a stored person's ID could complete, as :func:`_compare` finds them one by one."""
    for hh in live:
        for r in hh.rows:
            if r.invalid:
                continue
            number = _member(r).id_number
            if number and "*" in number:
                r.problems.append(_masked_id_problem(plan, r))
                continue
            r.outcome = "new"


def _masked_id_problem(plan: ImportPlan, r: RosterRow) -> RowProblem:
    """A masked ID (with *) that no stored person's ID completes: refused, as typed on its row."""
    return RowProblem(
        r.row, plan.header_of("id_number"), "身份证号是打码的（含 *），无法导入；请填写完整号码"
    )


def person_diff(person: Person, m: MemberInput, mapped: set[str]) -> dict[str, object]:
    """Fields the row would change: mapped columns only, and an empty cell never erases a value."""
    diff: dict[str, object] = {}
    for attr in _PERSON_FIELDS:
        if attr not in mapped:
            continue
        value = getattr(m, attr)
        if value in (None, ""):
            continue
        if getattr(person, attr) != value:
            diff[attr] = value
    if m.id_number and "*" not in m.id_number and person.id_number != m.id_number:
        diff["id_number"] = m.id_number
    if "notes" not in mapped and m.notes and m.notes not in person.notes:
        # no 备注 column: the notes are the 出生年月 the row could not store as a date; added, never replacing
        diff["notes"] = f"{person.notes}\n{m.notes}" if person.notes else m.notes
    return diff
