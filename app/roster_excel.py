"""户籍台账 Excel: import the roster a village already keeps, and export it back.

Import: find the header row under any titles, map columns by their Chinese headers (with a manual
override), parse every row and say what is wrong with it, group rows into households, compare with
the database (new / updated / unchanged / invalid), then write the valid rows in one transaction.
Damage is detected, never repaired: an ID that Excel stored as a number has lost digits and is
refused; full-width characters, a lowercase x, spaces, Excel date serials and phones stored as
floats are only normalised. Invalid rows go to an error workbook (the row plus a reason column) that
can be fixed and imported again; importing the same file twice changes nothing.

Export: a 台账 workbook (title row, frozen header, widths, dates as dates, IDs as text, masked unless
the user may export full IDs) that this importer reads back with no change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.base import new_id
from db.models import Household, HouseholdTag, Person, User
from db.queries.households import (
    MemberKeys,
    bulk_search_index,
    group_sort_key,
    household_search_text,
    note_search_text_changed,
)
from db.stamping import stamp_new_rows

from app import audit
from app.accounts import require
from app.codes import mask_resident_id, to_halfwidth
from app.errors import UserError
from app.excel import check_workbook, literal, literal_rows
from app.households import (
    HEAD,
    TOWN_READ_ONLY,
    MemberInput,
    all_tags,
    check_member,
    clean_name,
    clean_text,
    hidden_tags,
    normalize_phones,
    sensitive_tags,
    tag_row_id,
)
from app.ownership import is_town_session
from app.pinyin import name_keys

# field → (label used in messages and on export, header aliases in Chinese rosters)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household_key": ("户系统编号（请勿修改）", ("户系统编号",)),
    "person_key": ("人员系统编号（请勿修改）", ("人员系统编号",)),
    "household_no": ("户编号", ("户编号", "户号", "户籍编号", "家庭编号", "户序号")),
    "group_name": ("组", ("组", "组别", "村民小组", "所在组", "小组", "组名", "所属小组", "村组")),
    "head_name": ("户主姓名", ("户主姓名", "户主")),
    "name": ("姓名", ("姓名", "成员姓名", "家庭成员姓名", "人员姓名", "名字")),
    "relation": ("与户主关系", ("与户主关系", "与户主的关系", "关系", "家庭关系")),
    "sex": ("性别", ("性别",)),
    "ethnicity": ("民族", ("民族",)),
    "birth_date": ("出生日期", ("出生日期", "出生年月", "出生年月日", "生日")),
    "id_number": (
        "身份证号",
        ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "居民身份证号码"),
    ),
    "phone": ("联系电话", ("联系电话", "手机号码", "手机号", "电话", "手机", "联系方式", "电话号码")),
    "address": ("住址", ("住址", "家庭住址", "地址", "现住址", "居住地址", "户籍地址")),
    "occupation": ("职业", ("职业", "工作")),
    "household_phones": ("家庭电话", ("家庭电话", "固定电话", "座机")),
    "tags": ("标签", ("标签", "户类别", "人员类别")),
    "card_delivered_on": ("联系卡送达日期", ("联系卡送达日期", "联系卡送达", "送卡日期")),
    "notes": ("备注", ("备注", "说明")),
}
EXPORT_ORDER = (
    "household_no",
    "group_name",
    "head_name",
    "name",
    "relation",
    "sex",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "occupation",
    "household_phones",
    "tags",
    "card_delivered_on",
    "notes",
    "household_key",
    "person_key",
)
EXPORT_WIDTHS = {
    "household_no": 10,
    "group_name": 8,
    "head_name": 10,
    "name": 10,
    "relation": 10,
    "sex": 6,
    "ethnicity": 6,
    "birth_date": 12,
    "id_number": 21,
    "phone": 14,
    "address": 22,
    "occupation": 10,
    "household_phones": 16,
    "tags": 20,
    "card_delivered_on": 14,
    "notes": 20,
    "household_key": 38,
    "person_key": 38,
}
# Text cut to what the records hold (the String lengths of the models; 备注 is free text, bounded here).
_TEXT_LIMITS = {
    **{key: Household.__table__.c[key].type.length for key in ("household_no", "group_name", "address")},
    **{key: Person.__table__.c[key].type.length for key in ("name", "relation", "ethnicity", "occupation")},
    "head_name": Household.__table__.c.head_name.type.length,
    "notes": 2000,
}
TOTAL_WORDS = ("合计", "总计", "小计", "共计", "总数")
HEADER_SCAN_ROWS = 20
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _norm_header(value: object) -> str:
    text = to_halfwidth(str(value or ""))
    text = re.sub(r"[\s*＊:：]", "", text)
    return re.sub(r"\(.*?\)|（.*?）", "", text)


_ALIASES = {_norm_header(a): f for f, (_, aliases) in FIELDS.items() for a in aliases}


def field_for_header(value: object) -> str | None:
    return _ALIASES.get(_norm_header(value))


def label(field_name: str) -> str:
    return FIELDS[field_name][0] if field_name in FIELDS else field_name


# -- reading ------------------------------------------------------------------------------------
@dataclass
class SheetData:
    path: Path
    sheet: str
    sheet_names: list[str]
    rows: list[list[object]]


def sheet_names(path: Path | str) -> list[str]:
    return _open_book(Path(path)).sheet_names


def _open_book(path: Path):
    from python_calamine import CalamineWorkbook

    if not path.exists():
        raise UserError(f"找不到文件 {path}")
    check_workbook(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise UserError(
            f"无法读取 {path.name}：它不是有效的 Excel 文件（.xlsx/.xls），或已损坏、被加密。"
            f"请用 Excel 打开后另存为 .xlsx 再导入。（{type(exc).__name__}）"
        ) from None


def read_sheet(path: Path | str, sheet: str | None = None) -> SheetData:
    """All cell values of one sheet (the first if ``sheet`` is None), as Python values."""
    path = Path(path)
    book = _open_book(path)
    names = list(book.sheet_names)
    if not names:
        raise UserError(f"{path.name} 里没有工作表")
    name = sheet or names[0]
    if name not in names:
        raise UserError(f"{path.name} 里没有名为“{name}”的工作表；有：{'、'.join(names)}")
    try:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise UserError(f"无法读取工作表“{name}”：{exc}") from None
    return SheetData(path, name, names, [list(r) for r in rows])


def detect_header(rows: Sequence[Sequence[object]]) -> int:
    """Index of the header row: the row among the first 20 with most known headers (a name column)."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {field_for_header(v) for v in row if v not in (None, "")} - {None}
        if not ({"name", "head_name"} & fields):
            continue
        if len(fields) > best_score:
            best, best_score = i, len(fields)
    if best is None or best_score < 2:
        raise UserError(
            "没有找到表头行：前 20 行里没有同时含“姓名”和其他常见列名（如 与户主关系、身份证号、组）"
            "的一行。请检查工作表，或手动指定表头所在行。"
        )
    return best


def auto_mapping(header: Sequence[object]) -> dict[int, str]:
    """Column index → field, by Chinese header; the first column of each field wins."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for i, value in enumerate(header):
        f = field_for_header(value)
        if f and f not in taken:
            mapping[i] = f
            taken.add(f)
    return mapping


# -- parsing cells ------------------------------------------------------------------------------
class CellError(ValueError):
    pass


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: object) -> dt.date | None:
    """A date cell, a date typed as text, or an Excel serial number (days since 1899-12-30)."""
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value != int(value) or not 1 <= value <= 80000:
            raise CellError(f"“{value}”不是日期")
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = to_halfwidth(str(value)).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError(f"日期“{text}”不存在") from None
    if re.fullmatch(r"\d+(\.0)?", text) and 1 <= float(text) <= 80000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    raise CellError(f"“{text}”不是日期，请写成 1980-05-01 这样的格式")


def parse_id_cell(value: object) -> str:
    """The ID as text. A number means Excel has already rounded it: refuse (detect, never repair)."""
    if isinstance(value, bool):
        raise CellError("不是身份证号")
    if isinstance(value, float | int):
        number = int(value) if float(value).is_integer() else None
        if number is not None and len(str(number)) == 15 and abs(value) < 2**53:
            return str(number)  # a 15-digit legacy ID survives as a number exactly
        shown = f"{value:.11E}" if isinstance(value, float) else str(value)
        raise CellError(
            f"身份证号被 Excel 存成了数字（{shown}），只保留了 15 位有效数字，后几位已丢失"
            "（常见为末尾变成 000）；请把该列设为“文本”格式后重新录入完整号码"
        )
    text = clean_text(value).replace(" ", "")
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise CellError(
            "身份证号被 Excel 存成了数字（科学计数法），后几位已丢失；请把该列设为“文本”后重新录入"
        )
    return text.upper()


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return clean_text(value)


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
    fields: dict[str, object] = field(default_factory=dict)
    member: MemberInput | None = None
    problems: list[RowProblem] = field(default_factory=list)
    household: PlannedHousehold | None = None
    outcome: str = ""  # new | updated | unchanged | invalid

    @property
    def invalid(self) -> bool:
        return any(p.level == "error" for p in self.problems)


@dataclass
class PlannedHousehold:
    key: str
    head_row: RosterRow | None = None
    rows: list[RosterRow] = field(default_factory=list)
    existing_id: str | None = None


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

    def errors(self) -> list[RowProblem]:
        return [p for r in self.data_rows for p in r.problems if p.level == "error"]

    def warnings(self) -> list[RowProblem]:
        """What was imported differently from the cell (text cut to what the record holds)."""
        return [p for r in self.data_rows for p in r.problems if p.level == "warning"]

    def summary(self) -> dict:
        """Exactly the JSON of the CLI (issue 3)."""
        return {
            "rows": len(self.data_rows),
            "new": self.count("new"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "invalid": self.count("invalid"),
            "errors": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.errors()],
            "warnings": [{"row": p.row, "column": p.column, "reason": p.reason} for p in self.warnings()],
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


def _parse_row(
    r: RosterRow, mapping: dict[int, str], header: Callable[[str], str], tags_known: set[str], today: dt.date
) -> None:
    raw = {f: (r.values[i] if i < len(r.values) else None) for i, f in mapping.items()}
    f: dict[str, object] = {}
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
        "notes",
    ):
        if key in raw:
            f[key] = _cell_text(raw[key])
    for key in ("name", "head_name"):
        if key in raw:
            f[key] = clean_name(raw[key])
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
    for key in ("birth_date", "card_delivered_on"):
        if key in raw:
            try:
                f[key] = parse_date(raw[key])
            except CellError as exc:
                _problem(r, header, key, f"{label(key)}：{exc}")
                f[key] = None
    if "id_number" in raw and not _is_blank(raw["id_number"]):
        try:
            f["id_number"] = parse_id_cell(raw["id_number"])
        except CellError as exc:
            _problem(r, header, "id_number", str(exc))
            f["id_number"] = None
    if "phone" in raw:
        f["phone"] = raw["phone"]
    if "household_phones" in raw and not _is_blank(raw["household_phones"]):
        try:
            f["household_phones"] = normalize_phones(str(_cell_text(raw["household_phones"])), "phones")
        except UserError as exc:
            _problem(r, header, "household_phones", exc.message)
    if "tags" in raw:
        tags = [t for t in re.split(r"[、,，;；\s]+", _cell_text(raw["tags"])) if t]
        unknown = [t for t in tags if t not in tags_known]
        if unknown:
            _problem(r, header, "tags", f"标签“{'、'.join(unknown)}”不在标签列表中，请先在标签管理里添加")
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
        phone=None if _is_blank(phone) else str(phone),
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
    r.member = clean


def _is_total(values: Sequence[object]) -> bool:
    texts = [clean_text(v).replace(" ", "") for v in values if not _is_blank(v)]
    return bool(texts) and any(t.startswith(TOTAL_WORDS) or t in TOTAL_WORDS for t in texts[:3])


def plan_import(
    session: Session,
    sheet: SheetData,
    *,
    header_row: int | None = None,
    mapping: dict[int, str] | None = None,
    user: User | None = None,
    today: dt.date | None = None,
) -> ImportPlan:
    """Parse and compare without writing: the preview (每行的问题) and the outcome of every row."""
    today = today or dt.date.today()
    if header_row is None:
        header_row = detect_header(sheet.rows)
    header = sheet.rows[header_row] if header_row < len(sheet.rows) else []
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
    tags_known = {t.name for t in all_tags(session, None)} | sensitive_tags(session)
    seen: dict[tuple, int] = {}
    seen_ids: dict[str, int] = {}
    for offset, values in enumerate(sheet.rows[header_row + 1 :]):
        r = RosterRow(header_row + 2 + offset, list(values))
        plan.rows.append(r)
        if all(_is_blank(v) for v in values):
            r.kind = "blank"
            continue
        if _is_total(values):
            r.kind = "total"
            plan.notes.append(f"第 {r.row} 行是合计行，已跳过")
            continue
        # Duplicates are judged on the mapped columns: a copied row usually has its own 序号.
        signature = tuple(_cell_text(values[i]) if i < len(values) else "" for i in sorted(mapping))
        if signature in seen:
            r.problems.append(
                RowProblem(r.row, plan.header_of("name"), f"与第 {seen[signature]} 行内容相同（重复行）")
            )
            r.outcome = "invalid"
            continue
        seen[signature] = r.row
        _parse_row(r, mapping, plan.header_of, tags_known, today)
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
    blanks = sum(1 for r in plan.rows if r.kind == "blank")
    if blanks:
        plan.notes.append(f"跳过空行 {blanks} 行")
    _group(plan)
    _compare(session, plan, user)
    return plan


def _group(plan: ImportPlan) -> None:
    fields = set(plan.mapping.values())
    by_key: dict[str, PlannedHousehold] = {}
    current: PlannedHousehold | None = None
    latest_by_head: dict[tuple[str, str], PlannedHousehold] = {}
    n = 0
    for r in plan.data_rows:
        if r.outcome == "invalid" or r.member is None:
            continue
        f = r.fields
        is_head = r.member.relation == HEAD
        key_field = (
            "household_key" if f.get("household_key") else ("household_no" if f.get("household_no") else None)
        )
        if key_field:
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
    for hh in plan.households:
        if hh.head_row is None or hh.head_row.invalid:
            reason = (
                "这一户没有户主行（与户主关系为“户主”）"
                if hh.head_row is None
                else f"所在户的户主行（第 {hh.head_row.row} 行）有错误，整户未导入"
            )
            for r in hh.rows:
                if r is not hh.head_row and not r.invalid:
                    r.problems.append(RowProblem(r.row, plan.header_of("relation"), reason))


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


def _chunks(items: list, n: int = 500):
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _household_values(plan: ImportPlan, hh: PlannedHousehold) -> dict[str, object]:
    """Household fields the head row sets (only mapped, non-empty columns)."""
    f = hh.head_row.fields
    values: dict[str, object] = {"head_name": hh.head_row.member.name}
    for key in ("group_name", "address", "household_no"):
        if f.get(key):
            values[key] = f[key]
    if f.get("household_phones"):
        values["phones"] = f["household_phones"]
    if f.get("card_delivered_on"):
        values["card_delivered_on"] = f["card_delivered_on"]
    return values


def _compare(session: Session, plan: ImportPlan, user: User | None) -> None:
    live = [hh for hh in plan.households if hh.head_row is not None and not hh.head_row.invalid]
    keys = [hh.head_row.fields.get("household_key") for hh in live if hh.head_row.fields.get("household_key")]
    nos = [hh.head_row.fields.get("household_no") for hh in live if hh.head_row.fields.get("household_no")]
    numbers = [
        r.member.id_number
        for hh in live
        for r in hh.rows
        if r.member and r.member.id_number and "*" not in r.member.id_number
    ]
    head_names = list({hh.head_row.member.name for hh in live})
    village = session.info["stamp"].village_code
    households: dict[str, Household] = {}
    for part in _chunks(keys):
        households.update({h.id: h for h in session.scalars(select(Household).where(Household.id.in_(part)))})
    by_no: dict[str, list[Household]] = {}
    for part in _chunks(nos):
        for h in session.scalars(
            select(Household).where(
                Household.household_no.in_(part),
                Household.deleted_at.is_(None),
                Household.village_code == village,
            )
        ):
            by_no.setdefault(h.household_no, []).append(h)
            households[h.id] = h
    by_head: dict[tuple[str, str], list[Household]] = {}
    for part in _chunks(head_names):
        for h in session.scalars(
            select(Household).where(
                Household.head_name.in_(part),
                Household.deleted_at.is_(None),
                Household.village_code == village,
            )
        ):
            by_head.setdefault((h.group_name, h.head_name), []).append(h)
            households[h.id] = h
    person_keys: set[str] = set()
    wanted = [str(r.fields["person_key"]) for hh in live for r in hh.rows if r.fields.get("person_key")]
    for part in _chunks(wanted):
        person_keys.update(session.scalars(select(Person.id).where(Person.id.in_(part))))
    id_owner: dict[str, Person] = {}
    for part in _chunks(numbers):
        for p in session.scalars(
            select(Person).where(Person.id_number.in_(part), Person.deleted_at.is_(None))
        ):
            id_owner[p.id_number] = p
    # Which existing household each planned household is.
    for hh in live:
        f = hh.head_row.fields
        match = None
        if f.get("household_key"):
            h = households.get(str(f["household_key"]))
            if h is not None and (h.deleted_at is not None or h.village_code != village):
                hh.head_row.problems.append(
                    RowProblem(
                        hh.head_row.row,
                        plan.header_of("household_key"),
                        "这一户在本村已被删除或属于别的村，不能导入",
                    )
                )
                continue
            match = h  # None: a roster exported elsewhere, the household is new here
        elif f.get("household_no") and len(by_no.get(str(f["household_no"]), [])) == 1:
            match = by_no[str(f["household_no"])][0]
        else:
            head_id = hh.head_row.member.id_number
            owner = id_owner.get(head_id) if head_id else None
            if owner is not None:
                match = households.get(owner.household_id) or session.get(Household, owner.household_id)
            else:
                candidates = by_head.get((str(f.get("group_name") or ""), hh.head_row.member.name), [])
                if len(candidates) == 1:
                    match = candidates[0]
        hh.existing_id = match.id if match is not None else None
        if match is not None:
            households[match.id] = match
    # Members of the matched households.
    matched = [hh.existing_id for hh in live if hh.existing_id]
    members: dict[str, list[Person]] = {}
    for part in _chunks(matched):
        for p in session.scalars(
            select(Person).where(Person.household_id.in_(part), Person.deleted_at.is_(None))
        ):
            members.setdefault(p.household_id, []).append(p)
    tags: dict[str, set[str]] = {}
    for part in _chunks(matched):
        for hid, tag in session.execute(
            select(HouseholdTag.household_id, HouseholdTag.tag).where(
                HouseholdTag.household_id.in_(part), HouseholdTag.deleted_at.is_(None)
            )
        ):
            tags.setdefault(hid, set()).add(tag)
    mapped = set(plan.mapping.values())
    claimed: set[str] = set()
    for hh in live:
        existing = households.get(hh.existing_id) if hh.existing_id else None
        people = members.get(hh.existing_id, []) if existing else []
        by_pid = {p.id: p for p in people}
        household_changed = False
        if existing is not None:
            for key, value in _household_values(plan, hh).items():
                if getattr(existing, key) != value:
                    household_changed = True
            if set(hh.head_row.fields.get("tags") or ()) - tags.get(existing.id, set()):
                household_changed = True
        for r in hh.rows:
            if r.invalid:
                continue
            m = r.member
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
                    r.problems.append(
                        RowProblem(
                            r.row,
                            plan.header_of("id_number"),
                            "身份证号是打码的（含 *），无法导入；请填写完整号码",
                        )
                    )
                    continue
            if person is None:
                r.outcome = "new"
                continue
            claimed.add(person.id)
            r.fields["_person_id"] = person.id
            diff = _person_diff(person, m, mapped)
            r.outcome = "updated" if diff or (r is hh.head_row and household_changed) else "unchanged"
    for r in plan.data_rows:
        if r.invalid:
            r.outcome = "invalid"
        elif not r.outcome:
            r.outcome = "new"


def _person_diff(person: Person, m: MemberInput, mapped: set[str]) -> dict[str, object]:
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
    return diff


# -- writing ------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    summary: dict
    notes: list[str]
    dry_run: bool
    errors_path: Path | None = None


def apply_import(
    session: Session,
    plan: ImportPlan,
    actor: User | None,
    progress: Callable[[int, int, str], None] | None = None,
) -> None:
    """Write the plan's valid rows (the caller's unit of work is the one transaction).

    New households, members and tags go in as Core bulk inserts (stamped with
    :func:`db.stamping.stamp_new_rows`); changes to existing ones through the ORM (stamped by the
    flush hook). The search index is rebuilt for all of them in one statement at the end.
    """
    if actor is not None:
        require(actor, "edit_households")
    if is_town_session(session):
        raise UserError(TOWN_READ_ONLY)
    mapped = set(plan.mapping.values())
    hidden = hidden_tags(session, actor) if actor is not None else frozenset()  # CLI: the station's operator
    conn = session.connection()
    ctx = session.info["stamp"]
    if actor is not None:
        ctx = replace(ctx, user_id=actor.id)
    keys_cache: dict[str, tuple[str, str]] = {}

    def keys(name: str) -> tuple[str, str]:
        if name not in keys_cache:
            keys_cache[name] = name_keys(name)
        return keys_cache[name]

    new_households: list[dict] = []
    new_persons: list[dict] = []
    new_tags: list[dict] = []
    changed: list[Household] = []
    total = len(plan.households)
    with bulk_search_index(conn):
        for n, hh in enumerate(plan.households):
            if progress is not None and n % 200 == 0:
                progress(n, total, f"正在导入第 {n + 1}/{total} 户")
            if hh.head_row is None or hh.head_row.invalid:
                continue
            rows = [r for r in hh.rows if not r.invalid and r.outcome in ("new", "updated")]
            household_changed = hh.head_row.outcome == "updated" or hh.existing_id is None
            if not rows and not household_changed:
                continue
            values = _household_values(plan, hh)
            tags = [t for t in hh.head_row.fields.get("tags") or () if t not in hidden]
            if hh.existing_id is None:
                # a 户系统编号 that matched nothing here (a roster exported by another village) is not
                # adopted: the household gets an id of this station, never another village's
                hid = new_id(ctx.station_id)
                members = []
                head_id = None
                for r in rows:
                    m = r.member
                    pid = new_id(ctx.station_id)
                    full, initials = keys(m.name)
                    members.append(MemberKeys(m.name, full, initials, m.id_number, m.phone))
                    new_persons.append(
                        {
                            "id": pid,
                            "household_id": hid,
                            "name": m.name,
                            "relation": m.relation,
                            "sex": m.sex,
                            "birth_date": m.birth_date,
                            "id_number": m.id_number,
                            "ethnicity": m.ethnicity,
                            "phone": m.phone,
                            "occupation": m.occupation,
                            "notes": m.notes or "",
                            "status": "在册",
                            "status_date": None,
                            "name_pinyin": full,
                            "name_initials": initials,
                        }
                    )
                    if r is hh.head_row:
                        head_id = pid
                row = {
                    "id": hid,
                    "household_no": values.get("household_no"),
                    "head_id": head_id,
                    "head_name": values["head_name"],
                    "group_name": values.get("group_name", ""),
                    "address": values.get("address", ""),
                    "phones": values.get("phones", hh.head_row.member.phone or ""),
                    "notes": "",
                    "card_delivered_on": values.get("card_delivered_on"),
                }
                row["search_text"] = household_search_text(
                    household_no=row["household_no"],
                    group_name=row["group_name"],
                    address=row["address"],
                    phones=row["phones"],
                    members=members,
                )
                new_households.append(row)
                new_tags.extend({"id": tag_row_id(hid, t), "household_id": hid, "tag": t} for t in tags)
                continue
            household = session.get(Household, hh.existing_id)
            for key, value in values.items():
                if getattr(household, key) != value:
                    setattr(household, key, value)
            for r in rows:
                m = r.member
                pid = r.fields.get("_person_id")
                if pid:
                    person = session.get(Person, pid)
                    for attr, value in _person_diff(person, m, mapped).items():
                        setattr(person, attr, value)
                else:
                    person = Person(
                        id=new_id(ctx.station_id),
                        household_id=household.id,
                        name=m.name,
                        relation=m.relation,
                        sex=m.sex,
                        birth_date=m.birth_date,
                        id_number=m.id_number,
                        ethnicity=m.ethnicity,
                        phone=m.phone,
                        occupation=m.occupation,
                        notes=m.notes or "",
                        status="在册",
                    )
                    session.add(person)
                if r is hh.head_row:
                    household.head_id = person.id
            for tag in tags:
                trow = session.get(HouseholdTag, tag_row_id(household.id, tag))
                if trow is None:
                    session.add(
                        HouseholdTag(id=tag_row_id(household.id, tag), household_id=household.id, tag=tag)
                    )
                elif trow.deleted_at is not None:
                    trow.deleted_at = None
            changed.append(household)
            if len(changed) % 200 == 0:
                session.flush()
        session.flush()
        for table, rows in ((Household, new_households), (Person, new_persons), (HouseholdTag, new_tags)):
            for part in _chunks(rows, 2000):
                stamp_new_rows(conn, ctx, part)
                conn.execute(insert(table.__table__), part)
        if changed:
            for household in changed:
                _refresh_search_text(session, household)
            session.flush()
            note_search_text_changed(conn, [h.id for h in changed])
    audit.record(
        session,
        actor,
        "households.import",
        table="household",
        fields=["rows"],
        detail=f"{plan.sheet.path.name}: 新增 {plan.count('new')} 行，更新 {plan.count('updated')} 行",
    )


def _refresh_search_text(session: Session, household: Household) -> None:
    people = session.scalars(
        select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
    ).all()
    keys = [MemberKeys(p.name, *name_keys(p.name), p.id_number, p.phone) for p in people]
    household.search_text = household_search_text(
        household_no=household.household_no,
        group_name=household.group_name,
        address=household.address,
        phones=household.phones,
        members=keys,
    )


def write_error_workbook(plan: ImportPlan, out: Path | str) -> Path:
    """The invalid rows as they were (header row kept) plus a 错误原因 column, ready to fix and re-import."""
    from openpyxl import Workbook

    out = Path(out)
    wb = Workbook()
    ws = wb.active
    ws.title = "错误行"
    header = list(plan.sheet.rows[plan.header_row])
    ws.append(list(header) + ["错误原因", "原行号"])
    for r in plan.data_rows:
        if r.outcome != "invalid":
            continue
        reasons = "；".join(
            f"{p.column}：{p.reason}" if not p.reason.startswith(p.column) else p.reason
            for p in r.problems
            if p.level == "error"
        )
        values = list(r.values) + [None] * (len(header) - len(r.values))
        ws.append(values[: len(header)] + [reasons, r.row])
    literal_rows(ws.iter_rows())  # the rows are what was typed: never formulas
    id_cols = [i for i, f in plan.mapping.items() if f == "id_number"]
    for row in ws.iter_rows(min_row=2):
        for i in id_cols:
            row[i].number_format = "@"
    ws.column_dimensions[_col_letter(len(header) + 1)].width = 60
    ws.freeze_panes = "A2"
    wb.save(out)
    return out


def _col_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def import_file(
    ws,
    path: Path | str,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    errors_out: Path | str | None = None,
    actor: User | None = None,
    header_row: int | None = None,
    mapping: dict[int, str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> ImportResult:
    """Read, plan and (unless ``dry_run``) write in one transaction; a failure changes nothing."""
    data = read_sheet(path, sheet)
    if progress is not None:
        progress(0, 0, "正在检查各行")
    with ws.session(actor.id if actor else None) as session:
        plan = plan_import(session, data, header_row=header_row, mapping=mapping, user=actor, today=today)
        if not dry_run:
            apply_import(session, plan, actor, progress)
    errors_path = None
    if errors_out is not None and plan.count("invalid"):
        errors_path = write_error_workbook(plan, errors_out)
    return ImportResult(plan.summary(), plan.notes, dry_run, errors_path)


# -- export -------------------------------------------------------------------------------------
def export_roster(
    session: Session,
    out: Path | str,
    *,
    user: User | None,
    full_id: bool = False,
    village_name: str = "",
    today: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Write the 台账 workbook; returns the number of persons written: 在册 members and every head."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    if full_id:
        require(user, "export_full_id")
    today = today or dt.date.today()
    out = Path(out)
    hidden = hidden_tags(session, user) if user is not None else sensitive_tags(session)
    households = session.execute(select(Household).where(Household.deleted_at.is_(None))).scalars().all()
    households.sort(key=lambda h: (group_sort_key(h.group_name), h.household_no or "", h.head_name, h.id))
    persons: dict[str, list[Person]] = {}
    heads = {h.head_id for h in households}
    for p in session.scalars(select(Person).where(Person.deleted_at.is_(None))):
        if p.status == "在册" or p.id in heads:  # a household's row starts with its head, whatever the status
            persons.setdefault(p.household_id, []).append(p)
    tags: dict[str, list[str]] = {}
    for hid, tag in session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag)
        .where(HouseholdTag.deleted_at.is_(None))
        .order_by(HouseholdTag.tag)
    ):
        if tag not in hidden:
            tags.setdefault(hid, []).append(tag)
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("户籍台账")
    sheet.freeze_panes = "A3"
    for i, key in enumerate(EXPORT_ORDER, start=1):
        sheet.column_dimensions[_col_letter(i)].width = EXPORT_WIDTHS[key]
    from openpyxl.cell import WriteOnlyCell

    title = WriteOnlyCell(
        sheet, value=f"{village_name}户籍台账（{today:%Y年%m月%d日}导出，共 {len(households)} 户）"
    )
    title.font = Font(size=14, bold=True)
    sheet.append([title])
    head_cells = []
    for key in EXPORT_ORDER:
        c = WriteOnlyCell(sheet, value=label(key))
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
        head_cells.append(c)
    sheet.append(head_cells)
    relation_order = {"户主": 0}
    n = 0
    for i, h in enumerate(households):
        if progress is not None and i % 1000 == 0:
            progress(i, len(households), "正在导出")
        members = sorted(
            persons.get(h.id, []),
            key=lambda p: (relation_order.get(p.relation, 1), p.birth_date or dt.date.max, p.name),
        )
        for p in members:
            row = []
            for key in EXPORT_ORDER:
                value = _export_value(key, h, p, tags, full_id)
                c = literal(WriteOnlyCell(sheet, value=value))
                if key in ("birth_date", "card_delivered_on") and value is not None:
                    c.number_format = "yyyy-mm-dd"
                elif key in ("id_number", "phone", "household_no", "household_phones"):
                    c.number_format = "@"
                row.append(c)
            sheet.append(row)
            n += 1
    wb.save(out)
    if full_id:
        audit.record(session, user, "households.export_full_id", fields=["id_number"], detail=f"{n} 人")
    return n


def _export_value(key: str, h: Household, p: Person, tags: dict[str, list[str]], full_id: bool) -> object:
    if key == "household_key":
        return h.id
    if key == "person_key":
        return p.id
    if key == "household_no":
        return h.household_no or ""
    if key == "group_name":
        return h.group_name
    if key == "head_name":
        return h.head_name
    if key == "address":
        return h.address
    if key == "household_phones":
        return h.phones
    if key == "tags":
        return "、".join(tags.get(h.id, [])) if p.id == h.head_id else ""
    if key == "card_delivered_on":
        return h.card_delivered_on if p.id == h.head_id else None
    if key == "id_number":
        return (p.id_number if full_id else mask_resident_id(p.id_number)) or ""
    value = getattr(p, key)
    return value if value is not None else ("" if key != "birth_date" else None)
