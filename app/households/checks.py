"""户籍 vocabulary and checks: relations, statuses, field labels, the member and household inputs,
the validation of a member (resident ID, sex, birth date, phones) and the checks every write of the
roster makes (the role may edit households, a town station may not, the record is live).

Everything here but the last three functions is pure: no session, no database; those three take the
unit of work (:class:`app.work.Work`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from db.models import Household, Person

from app.accounts import require
from app.codes import (
    InvalidPhone,
    InvalidResidentId,
    check_resident_id_consistency,
    is_plain_mobile,
    normalize_phone,
    parse_resident_id,
    to_halfwidth,
    without_invisible,
)
from app.errors import UserError
from app.lookup import require_live
from app.work import Work

HEAD = "户主"
RELATIONS = (
    "户主",
    "配偶",
    "子",
    "女",
    "儿媳",
    "女婿",
    "孙子",
    "孙女",
    "外孙子",
    "外孙女",
    "父亲",
    "母亲",
    "兄弟",
    "姐妹",
    "祖父",
    "祖母",
    "其他",
)
STATUSES = ("在册", "已故", "迁出")
FIELD_LABELS = {
    "name": "姓名",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "ethnicity": "民族",
    "phone": "联系电话",
    "occupation": "职业",
    "notes": "备注",
    "group_name": "组",
    "address": "住址",
    "phones": "家庭电话",
    "household_no": "户编号",
    "members": "家庭成员",
}


# -- inputs ---------------------------------------------------------------------------------------
@dataclass
class MemberInput:
    name: str
    relation: str = ""
    sex: str | None = None
    birth_date: dt.date | None = None
    id_number: str | None = None  # a masked value (with *) means "unchanged"
    ethnicity: str | None = None
    phone: str | None = None
    occupation: str | None = None
    notes: str = ""
    id: str | None = None  # existing person


@dataclass
class HouseholdInput:
    group_name: str = ""
    address: str = ""
    phones: str = ""
    notes: str = ""
    household_no: str | None = None
    members: list[MemberInput] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    level: str = "error"  # "error" refuses the save; "warning" is shown and accepted


# -- validation ---------------------------------------------------------------------------------
_CLEANED: dict[str, str] = {}  # text → cleaned: a roster repeats its 组, 性别, 民族, 关系 … in every row
_CLEANED_MAX = 50_000


def clean_text(value: object) -> str:
    """Trim, full-width → half-width for digits/letters, collapse inner runs of spaces, drop the
    characters that show nothing (:data:`app.codes.INVISIBLE`)."""
    if value is None:
        return ""
    if type(value) is str:
        out = _CLEANED.get(value)
        if out is None:
            out = " ".join(to_halfwidth(without_invisible(value)).split())
            if len(_CLEANED) >= _CLEANED_MAX:
                _CLEANED.clear()
            if len(value) <= 64:
                _CLEANED[value] = out
        return out
    return " ".join(to_halfwidth(without_invisible(str(value))).split())


def clean_name(value: object) -> str:
    """A name with the spaces Excel users type to align two-character names removed (张  三 → 张三)."""
    text = clean_text(value)
    if text and all(not c.isascii() or c == " " for c in text):
        text = text.replace(" ", "")
    return text


def normalize_phones(raw: str | None, field_name: str = "phones") -> str:
    """Several phones separated by ，,、;／/ → normalised, comma-separated."""
    if raw is None:
        return ""
    if type(raw) is str and is_plain_mobile(raw):  # one mobile number as typed (most cells)
        return raw
    parts = [p for p in _split_phones(str(raw)) if p]
    out = []
    for p in parts:
        try:
            norm = normalize_phone(p)
        except InvalidPhone as exc:
            raise UserError(f"{FIELD_LABELS.get(field_name, field_name)}：{exc}", field=field_name) from None
        if norm not in out:
            out.append(norm)
    return ",".join(out)


def _split_phones(raw: str) -> list[str]:
    text = to_halfwidth(raw)
    for sep in ("、", ";", "/", "，"):
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",")]


def check_member(data: MemberInput, *, today: dt.date | None = None) -> tuple[MemberInput, list[Problem]]:
    """Normalise one member and list what is wrong with it, field by field (Chinese messages).

    The ID is checked (check digit, date) and against a typed birth date and sex; a 15-digit ID is
    accepted with a warning. Nothing is guessed: a bad value stays bad and is reported.
    """
    problems: list[Problem] = []
    out = replace(data)
    out.name = clean_name(data.name)
    if not out.name:
        problems.append(Problem("name", "姓名：请填写姓名"))
    elif len(out.name) > 50:
        problems.append(Problem("name", "姓名：太长了（最多 50 个字）"))
    out.relation = clean_text(data.relation)
    out.sex = clean_text(data.sex) or None
    if out.sex and out.sex not in ("男", "女"):
        problems.append(Problem("sex", f"性别：只能填“男”或“女”，现在是“{out.sex}”"))
    today = today or dt.date.today()
    if out.birth_date and out.birth_date > today:
        problems.append(Problem("birth_date", f"出生日期：{out.birth_date:%Y-%m-%d} 在今天之后"))
    raw_id = clean_text(data.id_number).replace(" ", "")
    if raw_id and "*" not in raw_id:
        try:
            rid = parse_resident_id(raw_id, today=today)
        except InvalidResidentId as exc:
            message = str(exc)
            if raw_id.endswith("000") and "校验位" in message:
                message += "；末尾是 000，可能是 Excel 把号码当数字存储后丢失了后几位"
            problems.append(
                Problem("id_number", message if message.startswith("身份证号") else f"身份证号：{message}")
            )
            out.id_number = raw_id.upper()
        else:
            out.id_number = rid.number
            for text in check_resident_id_consistency(rid, birth_date=out.birth_date, sex=out.sex):
                fld = "birth_date" if text.startswith("出生日期") else "sex"
                problems.append(Problem(fld, text))
            if rid.legacy:
                problems.append(
                    Problem(
                        "id_number", "身份证号：这是 15 位旧号码，已接受；换发新证后请改为 18 位", "warning"
                    )
                )
            out.birth_date = out.birth_date or rid.birth_date
            out.sex = out.sex or rid.sex
    else:
        out.id_number = raw_id or None
    if data.phone is not None and str(data.phone).strip():
        try:
            out.phone = normalize_phones(str(data.phone), "phone") or None
        except UserError as exc:
            problems.append(Problem("phone", exc.message))
    else:
        out.phone = None
    out.ethnicity = clean_text(data.ethnicity) or None
    out.occupation = clean_text(data.occupation) or None
    out.notes = (data.notes or "").strip()
    return out, problems


# -- the checks of every write ------------------------------------------------------------------
TOWN_READ_ONLY = "户籍由各村工作站维护，乡镇工作站只能查看；需要更正请通知该村"


def require_edit(work: Work) -> None:
    if work.actor is not None:
        require(work.actor, "edit_households")
    if work.is_town:
        raise UserError(TOWN_READ_ONLY)


def get_live(work: Work, household_id: str) -> Household:
    return require_live(work.session, Household, household_id, "找不到这一户（可能已被删除），请刷新名册")


def get_person(work: Work, person_id: str) -> Person:
    return require_live(work.session, Person, person_id, "找不到这个人，请刷新后重试")
