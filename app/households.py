"""户籍: households, members, tags, contact cadres and contact-card delivery.

Services take a ``Session`` and the acting ``User`` and return plain dataclasses. Resident IDs leave
this module masked (110105********002X) except through :func:`reveal_resident_id`, which checks the
role and writes the audit log. Sensitive tags (health, minors, corrections) are left out for roles
that may not see them. Every write keeps ``Household.search_text`` current for the roster search.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import derived_id, utcnow
from db.models import CadreAssignment, Household, HouseholdTag, Person, TagDefinition, User
from db.queries.households import MemberKeys, household_search_text

from app import audit
from app.accounts import can, require
from app.codes import (
    InvalidPhone,
    InvalidResidentId,
    check_resident_id_consistency,
    mask_resident_id,
    normalize_phone,
    parse_resident_id,
    to_halfwidth,
)
from app.errors import UserError
from app.lookup import require_live
from app.ownership import is_town_session
from app.pinyin import name_keys

# 标签 in use (DOMAIN.md). Sensitive: health (残疾), minors (留守/失亲儿童), corrections (刑满释放, 社区矫正).
BUILTIN_TAGS: tuple[tuple[str, bool], ...] = (
    ("困难户", False),
    ("特困", False),
    ("低保", False),
    ("五保", False),
    ("残疾", True),
    ("空巢老人", False),
    ("留守儿童", True),
    ("失亲儿童", True),
    ("老党员/老干部", False),
    ("经济能人", False),
    ("上访户", False),
    ("矛盾纠纷户", False),
    ("刑满释放", True),
    ("社区矫正", True),
)

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
CADRE_ROLES = {"contact": "联系干部", "area": "包片干部"}
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


# -- inputs and views ---------------------------------------------------------------------------
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


@dataclass(frozen=True)
class MemberView:
    id: str
    name: str
    relation: str
    sex: str | None
    birth_date: dt.date | None
    id_masked: str
    id_legacy: bool
    ethnicity: str | None
    phone: str | None
    occupation: str | None
    status: str
    status_date: dt.date | None
    notes: str


@dataclass(frozen=True)
class CadreView:
    role: str
    cadre_id: str
    name: str
    phone: str | None
    start_on: dt.date
    end_on: dt.date | None


@dataclass(frozen=True)
class TagInfo:
    name: str
    sensitive: bool
    builtin: bool


@dataclass(frozen=True)
class HouseholdView:
    id: str
    household_no: str | None
    head_id: str | None
    head_name: str
    group_name: str
    address: str
    phones: str
    notes: str
    card_delivered_on: dt.date | None
    members: tuple[MemberView, ...]
    tags: tuple[str, ...]
    contact_cadre: CadreView | None
    area_cadre: CadreView | None
    cadre_history: tuple[CadreView, ...]


class DuplicateResidentId(UserError):
    """The resident ID is already registered in another household (``household_id``)."""

    def __init__(self, message: str, *, household_id: str, field: str = "id_number") -> None:
        super().__init__(message, field=field)
        self.household_id = household_id


# -- validation ---------------------------------------------------------------------------------
def clean_text(value: object) -> str:
    """Trim, full-width → half-width for digits/letters, collapse inner runs of spaces."""
    if value is None:
        return ""
    return " ".join(to_halfwidth(str(value)).split())


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


def _raise_first(problems: Sequence[Problem], who: str = "") -> None:
    errors = [p for p in problems if p.level == "error"]
    if errors:
        prefix = f"成员“{who}”的" if who else ""
        raise UserError(prefix + errors[0].message, field=errors[0].field)


def find_id_owner(session: Session, number: str, *, exclude_household: str | None = None) -> Person | None:
    q = select(Person).where(Person.id_number == number, Person.deleted_at.is_(None))
    if exclude_household:
        q = q.where(Person.household_id != exclude_household)
    return session.scalars(q).first()


def _refuse_duplicate_id(session: Session, number: str | None, household_id: str | None, name: str) -> None:
    if not number:
        return
    other = find_id_owner(session, number, exclude_household=household_id)
    if other is not None:
        h = session.get(Household, other.household_id)
        where = f"{h.group_name} {h.head_name} 户" if h else "另一户"
        raise DuplicateResidentId(
            f"成员“{name}”的身份证号已登记在{where}（{other.name}），同一个人不能在两户登记；"
            "请核对号码，或把此人迁到本户",
            household_id=other.household_id,
        )


TOWN_READ_ONLY = "户籍由各村工作站维护，乡镇工作站只能查看；需要更正请通知该村"


def _require_edit(session: Session, actor: User | None) -> None:
    if actor is not None:
        require(actor, "edit_households")
    if is_town_session(session):
        raise UserError(TOWN_READ_ONLY)


# -- search text --------------------------------------------------------------------------------
def refresh_search_text(session: Session, household: Household) -> None:
    """Recompute ``household.search_text`` from the household and its (non-deleted) members."""
    members = session.scalars(
        select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
    ).all()
    keys = []
    for p in members:
        full, initials = name_keys(p.name)
        keys.append(MemberKeys(p.name, full, initials, p.id_number, p.phone))
    household.search_text = household_search_text(
        household_no=household.household_no,
        group_name=household.group_name,
        address=household.address,
        phones=household.phones,
        members=keys,
    )


# -- households and members ---------------------------------------------------------------------
def _check_household_fields(data: HouseholdInput) -> HouseholdInput:
    out = replace(data)
    out.group_name = clean_text(data.group_name)
    out.address = clean_text(data.address)
    out.household_no = clean_text(data.household_no) or None
    out.notes = (data.notes or "").strip()
    out.phones = normalize_phones(data.phones, "phones")
    if not out.group_name:
        raise UserError("组：请填写所在的组（村民小组）", field="group_name")
    return out


def _apply_member(person: Person, m: MemberInput) -> list[str]:
    changed = []
    for attr in ("name", "relation", "sex", "birth_date", "ethnicity", "phone", "occupation", "notes"):
        value = getattr(m, attr)
        if attr == "relation":
            value = value or ""
        if attr == "notes":
            value = value or ""
        if getattr(person, attr) != value:
            setattr(person, attr, value)
            changed.append(attr)
    if m.id_number and "*" not in m.id_number and person.id_number != m.id_number:
        person.id_number = m.id_number
        changed.append("id_number")
    elif m.id_number is None and person.id_number is not None:
        person.id_number = None
        changed.append("id_number")
    return changed


def _checked_members(
    session: Session, members: Sequence[MemberInput], household_id: str | None, today: dt.date | None
) -> list[MemberInput]:
    checked = []
    seen_ids: dict[str, str] = {}
    for m in members:
        clean, problems = check_member(m, today=today)
        _raise_first(problems, clean.name or m.name)
        if clean.id_number and "*" not in clean.id_number:
            if clean.id_number in seen_ids:
                raise UserError(
                    f"成员“{clean.name}”与“{seen_ids[clean.id_number]}”的身份证号相同，请核对",
                    field="id_number",
                )
            seen_ids[clean.id_number] = clean.name
            _refuse_duplicate_id(session, clean.id_number, household_id, clean.name)
        checked.append(clean)
    return checked


def create_household(
    session: Session, actor: User | None, data: HouseholdInput, *, today: dt.date | None = None
) -> HouseholdView:
    """A new household with its members; exactly one member is the 户主."""
    _require_edit(session, actor)
    fields = _check_household_fields(data)
    members = _checked_members(session, data.members, None, today)
    heads = [m for m in members if m.relation == HEAD]
    if len(heads) != 1:
        raise UserError("家庭成员：请指定一位（且只能一位）户主", field="members")
    household = Household(
        household_no=fields.household_no,
        group_name=fields.group_name,
        address=fields.address,
        phones=fields.phones,
        notes=fields.notes,
        head_name=heads[0].name,
    )
    session.add(household)
    session.flush()
    for m in members:
        p = Person(household_id=household.id, name=m.name, status="在册")
        _apply_member(p, m)
        session.add(p)
        session.flush()
        if m is heads[0]:
            household.head_id = p.id
    refresh_search_text(session, household)
    session.flush()
    audit.record(
        session, actor, "household.create", table="household", record_id=household.id, fields=["members"]
    )
    return get_household(session, actor, household.id)


def update_household(
    session: Session,
    actor: User | None,
    household_id: str,
    data: HouseholdInput,
    *,
    today: dt.date | None = None,
) -> HouseholdView:
    """Save the editor: household fields, existing members (by ``id``) and added members.

    Members not listed stay as they are (a member leaves only by moving, dying or moving away).
    """
    _require_edit(session, actor)
    household = _get_live(session, household_id)
    fields = _check_household_fields(data)
    members = _checked_members(session, data.members, household.id, today)
    existing = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
        )
    }
    heads = [m for m in members if m.relation == HEAD]
    listed = {m.id for m in members if m.id}
    heads += [
        p for pid, p in existing.items() if pid not in listed and p.relation == HEAD and p.status == "在册"
    ]
    if len(heads) > 1:
        raise UserError("家庭成员：一户只能有一位户主", field="members")
    changed = []
    for attr in ("household_no", "group_name", "address", "phones", "notes"):
        if getattr(household, attr) != getattr(fields, attr):
            setattr(household, attr, getattr(fields, attr))
            changed.append(attr)
    for m in members:
        if m.id:
            person = existing.get(m.id)
            if person is None:
                raise UserError(f"成员“{m.name}”不在这一户，请刷新后重试", field="members")
        else:
            person = Person(household_id=household.id, name=m.name, status="在册")
            session.add(person)
        if _apply_member(person, m):
            changed.append("members")
        session.flush()
        if m.relation == HEAD and household.head_id != person.id:
            household.head_id = person.id
            changed.append("head_id")
    _sync_head(session, household)
    refresh_search_text(session, household)
    session.flush()
    if changed:
        audit.record(
            session,
            actor,
            "household.update",
            table="household",
            record_id=household.id,
            fields=sorted(set(changed)),
        )
    return get_household(session, actor, household.id)


def _sync_head(session: Session, household: Household) -> None:
    head = session.get(Person, household.head_id) if household.head_id else None
    if head is not None and (head.household_id != household.id or head.relation != HEAD):
        head = None
    if head is None:
        head = session.scalars(
            select(Person).where(
                Person.household_id == household.id, Person.relation == HEAD, Person.deleted_at.is_(None)
            )
        ).first()
        household.head_id = head.id if head else None
    name = head.name if head else ""
    if household.head_name != name:
        household.head_name = name


def _get_live(session: Session, household_id: str) -> Household:
    return require_live(session, Household, household_id, "找不到这一户（可能已被删除），请刷新名册")


def _get_person(session: Session, person_id: str) -> Person:
    return require_live(session, Person, person_id, "找不到这个人，请刷新后重试")


def move_person(
    session: Session, actor: User | None, person_id: str, target_household_id: str, *, relation: str = ""
) -> None:
    """迁入他户: the person keeps their record (and ID); both households' search text follows."""
    _require_edit(session, actor)
    person = _get_person(session, person_id)
    source = _get_live(session, person.household_id)
    target = _get_live(session, target_household_id)
    if source.id == target.id:
        raise UserError("目标户就是当前户，请选择另一户", field="household")
    relation = clean_text(relation)
    if person.relation == HEAD and source.head_id == person.id:
        raise UserError(f"“{person.name}”是本户户主：请先把另一位成员设为户主，再迁出", field="household")
    if relation == HEAD and target.head_id:
        raise UserError("目标户已有户主，请选择其他与户主关系", field="relation")
    person.household_id = target.id
    person.relation = relation or "其他"
    session.flush()
    for h in (source, target):
        _sync_head(session, h)
        refresh_search_text(session, h)
    audit.record(
        session,
        actor,
        "person.move",
        table="person",
        record_id=person.id,
        fields=["household_id", "relation"],
    )


def set_person_status(
    session: Session, actor: User | None, person_id: str, status: str, on: dt.date | None = None
) -> None:
    """已故 / 迁出 (or back to 在册): the record stays, never a hard delete."""
    _require_edit(session, actor)
    if status not in STATUSES:
        raise UserError(f"状态只能是 {'、'.join(STATUSES)}", field="status")
    person = _get_person(session, person_id)
    if status != "在册" and on is None:
        raise UserError("请填写日期（去世或迁出的日期）", field="status_date")
    person.status = status
    person.status_date = None if status == "在册" else on
    audit.record(
        session, actor, "person.status", table="person", record_id=person.id, fields=["status", "status_date"]
    )


def delete_household(session: Session, actor: User | None, household_id: str) -> None:
    """Soft delete (entered by mistake); members go with it."""
    _require_edit(session, actor)
    household = _get_live(session, household_id)
    now = utcnow()
    household.deleted_at = now
    for p in session.scalars(
        select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
    ):
        p.deleted_at = now
    audit.record(
        session, actor, "household.delete", table="household", record_id=household.id, fields=["deleted_at"]
    )


# -- tags ---------------------------------------------------------------------------------------
def all_tags(session: Session, user: User | None) -> list[TagInfo]:
    """Built-in tags, then the village's own, leaving out sensitive ones the user may not see."""
    tags = [TagInfo(n, s, True) for n, s in BUILTIN_TAGS]
    builtin = {n for n, _ in BUILTIN_TAGS}
    for td in session.scalars(
        select(TagDefinition).where(TagDefinition.deleted_at.is_(None)).order_by(TagDefinition.name)
    ):
        if td.name not in builtin:
            tags.append(TagInfo(td.name, td.sensitive, False))
    if not can(user, "see_sensitive_tags"):
        tags = [t for t in tags if not t.sensitive]
    return tags


def sensitive_tags(session: Session) -> frozenset[str]:
    names = {n for n, s in BUILTIN_TAGS if s}
    names |= set(
        session.scalars(
            select(TagDefinition.name).where(
                TagDefinition.sensitive.is_(True), TagDefinition.deleted_at.is_(None)
            )
        )
    )
    return frozenset(names)


def hidden_tags(session: Session, user: User | None) -> frozenset[str]:
    """Tags ``user`` may not see (and so may not filter by)."""
    return frozenset() if can(user, "see_sensitive_tags") else sensitive_tags(session)


def add_tag_definition(
    session: Session, actor: User | None, name: str, *, sensitive: bool = False, description: str = ""
) -> TagInfo:
    _require_edit(session, actor)
    name = clean_text(name)
    if not name:
        raise UserError("标签名：请填写", field="name")
    if len(name) > 30:
        raise UserError("标签名：最多 30 个字", field="name")
    known = {t.name for t in all_tags(session, None)} | sensitive_tags(session)
    if name in known:
        raise UserError(f"标签“{name}”已经有了", field="name")
    session.add(TagDefinition(name=name, sensitive=sensitive, description=description))
    audit.record(session, actor, "tag.add", table="tag_definition", fields=["name", "sensitive"])
    return TagInfo(name, sensitive, False)


def tag_row_id(household_id: str, tag: str) -> str:
    return derived_id(household_id, "tag", tag)


def set_tags(session: Session, actor: User | None, household_id: str, tags: Iterable[str]) -> None:
    """The household's tags become ``tags``; sensitive tags the actor cannot see are left as they are."""
    _require_edit(session, actor)
    household = _get_live(session, household_id)
    hidden = hidden_tags(session, actor)
    known = {t.name for t in all_tags(session, None)} | sensitive_tags(session)
    wanted = {clean_text(t) for t in tags if clean_text(t)}
    unknown = wanted - known
    if unknown:
        raise UserError(
            f"标签：没有“{'、'.join(sorted(unknown))}”这个标签，请先在标签管理里添加", field="tags"
        )
    wanted -= hidden
    rows = {
        r.tag: r
        for r in session.scalars(select(HouseholdTag).where(HouseholdTag.household_id == household.id))
    }
    changed = False
    for tag, row in rows.items():
        if tag in hidden:
            continue
        if tag not in wanted and row.deleted_at is None:
            row.deleted_at = utcnow()
            changed = True
        elif tag in wanted and row.deleted_at is not None:
            row.deleted_at = None
            changed = True
    for tag in wanted - set(rows):
        session.add(HouseholdTag(id=tag_row_id(household.id, tag), household_id=household.id, tag=tag))
        changed = True
    if changed:
        audit.record(
            session, actor, "household.tags", table="household", record_id=household.id, fields=["tags"]
        )


def household_tags(session: Session, user: User | None, household_id: str) -> tuple[str, ...]:
    hidden = hidden_tags(session, user)
    names = session.scalars(
        select(HouseholdTag.tag)
        .where(HouseholdTag.household_id == household_id, HouseholdTag.deleted_at.is_(None))
        .order_by(HouseholdTag.tag)
    )
    return tuple(n for n in names if n not in hidden)


# -- cadres -------------------------------------------------------------------------------------
def cadres(session: Session) -> list[User]:
    """Active users who can be a contact or area cadre (村干部, also admins who do the work)."""
    users = session.scalars(
        select(User).where(User.deleted_at.is_(None), User.active.is_(True)).order_by(User.display_name)
    ).all()
    return [u for u in users if u.role_set & {"cadre", "admin", "mediator"}]


def assign_cadre(
    session: Session, actor: User | None, household_id: str, role: str, cadre_id: str | None, *, on: dt.date
) -> bool:
    """Make ``cadre_id`` the household's contact/area cadre from ``on`` (None: nobody); history is kept."""
    _require_edit(session, actor)
    if role not in CADRE_ROLES:
        raise ValueError(role)
    household = _get_live(session, household_id)
    if cadre_id is not None:
        cadre = session.get(User, cadre_id)
        if cadre is None or cadre.deleted_at is not None or not cadre.active:
            raise UserError(f"{CADRE_ROLES[role]}：这个账号不存在或已停用", field=role)
    current = session.scalars(
        select(CadreAssignment).where(
            CadreAssignment.household_id == household.id,
            CadreAssignment.role == role,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
    ).all()
    if cadre_id is not None and [c.cadre_id for c in current] == [cadre_id]:
        return False
    for c in current:
        c.end_on = on
    if cadre_id is not None:
        session.add(CadreAssignment(household_id=household.id, cadre_id=cadre_id, role=role, start_on=on))
    audit.record(
        session,
        actor,
        f"household.{role}_cadre",
        table="household",
        record_id=household.id,
        fields=[f"{role}_cadre"],
    )
    return True


def _cadre_views(session: Session, household_id: str) -> list[CadreView]:
    rows = session.execute(
        select(CadreAssignment, User)
        .join(User, User.id == CadreAssignment.cadre_id)
        .where(CadreAssignment.household_id == household_id, CadreAssignment.deleted_at.is_(None))
        .order_by(CadreAssignment.start_on, CadreAssignment.created_at)
    ).all()
    return [CadreView(a.role, u.id, u.display_name, u.phone, a.start_on, a.end_on) for a, u in rows]


# -- cards --------------------------------------------------------------------------------------
def mark_cards_delivered(
    session: Session, actor: User | None, household_ids: Iterable[str], on: dt.date
) -> int:
    """联系卡已送达 on ``on`` for the given households; returns how many changed."""
    _require_edit(session, actor)
    n = 0
    ids = list(household_ids)
    for start in range(0, len(ids), 500):
        for h in session.scalars(
            select(Household).where(
                Household.id.in_(ids[start : start + 500]), Household.deleted_at.is_(None)
            )
        ):
            if h.card_delivered_on != on:
                h.card_delivered_on = on
                n += 1
    if n:
        audit.record(
            session,
            actor,
            "household.card_delivered",
            table="household",
            fields=["card_delivered_on"],
            detail=f"{n} 户",
        )
    return n


# -- reading ------------------------------------------------------------------------------------
def _member_view(p: Person) -> MemberView:
    return MemberView(
        p.id,
        p.name,
        p.relation,
        p.sex,
        p.birth_date,
        mask_resident_id(p.id_number),
        bool(p.id_number and len(p.id_number) == 15),
        p.ethnicity,
        p.phone,
        p.occupation,
        p.status,
        p.status_date,
        p.notes,
    )


_RELATION_ORDER = {r: i for i, r in enumerate(RELATIONS)}


def get_household(session: Session, user: User | None, household_id: str) -> HouseholdView:
    household = _get_live(session, household_id)
    persons = session.scalars(
        select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
    ).all()
    persons = sorted(
        persons,
        key=lambda p: (
            p.status != "在册",
            _RELATION_ORDER.get(p.relation, 99),
            p.birth_date or dt.date.max,
            p.name,
        ),
    )
    history = _cadre_views(session, household.id)
    current = {c.role: c for c in history if c.end_on is None}
    return HouseholdView(
        household.id,
        household.household_no,
        household.head_id,
        household.head_name,
        household.group_name,
        household.address,
        household.phones,
        household.notes,
        household.card_delivered_on,
        tuple(_member_view(p) for p in persons),
        household_tags(session, user, household.id),
        current.get("contact"),
        current.get("area"),
        tuple(history),
    )


def reveal_resident_id(session: Session, user: User | None, person_id: str) -> str | None:
    """The full resident ID, for a role that may see it; the reveal is written to the audit log."""
    require(user, "reveal_resident_id")
    person = _get_person(session, person_id)
    audit.record(session, user, "person.reveal_id", table="person", record_id=person.id, fields=["id_number"])
    return person.id_number


def village_secretary(session: Session) -> User | None:
    """The village secretary for the card: a user whose 职务 contains 书记, else the first admin."""
    users = session.scalars(
        select(User).where(User.deleted_at.is_(None), User.active.is_(True)).order_by(User.created_at)
    ).all()
    for u in users:
        if u.title and "书记" in u.title and "副书记" not in u.title:
            return u
    for u in users:
        if u.title and "书记" in u.title:
            return u
    return next((u for u in users if "admin" in u.role_set), None)


# -- command line -------------------------------------------------------------------------------
def _cli_user(args, ws):
    """The user named by ``--user`` (password from the environment variable ``--password-env``)."""
    import os

    from app.accounts import authenticate

    if not args.user:
        return None
    if not args.password_env:
        raise UserError("指定了 --user 时，请用 --password-env 给出存放密码的环境变量名")
    password = os.environ.get(args.password_env)
    if not password:
        raise UserError(f"环境变量 {args.password_env} 为空，请先设置该用户的密码")
    with ws.session() as s:
        user = authenticate(s, args.user, password)
        s.expunge(user)
    return user


def _cmd_import(args) -> int:
    from app.cli import emit, open_workspace
    from app.roster_excel import import_file

    ws = open_workspace(args)
    try:
        ws.require_station()
        actor = _cli_user(args, ws)
        result = import_file(
            ws, args.file, sheet=args.sheet, dry_run=args.dry_run, errors_out=args.errors, actor=actor
        )
    finally:
        ws.close()
    s = result.summary
    lines = [
        ("检查结果（未写入）" if args.dry_run else "导入完成")
        + f"：共 {s['rows']} 行，新增 {s['new']}，更新 {s['updated']}，未变 {s['unchanged']}，有错 {s['invalid']}"
    ]
    lines += result.notes
    lines += [f"  第 {e['row']} 行〔{e['column']}〕{e['reason']}" for e in s["errors"][:50]]
    if len(s["errors"]) > 50:
        lines.append(f"  ……另有 {len(s['errors']) - 50} 处错误")
    lines += [f"  第 {e['row']} 行〔{e['column']}〕（提示）{e['reason']}" for e in s["warnings"][:50]]
    if result.errors_path:
        lines.append(f"错误行已写入 {result.errors_path}，改正后可再次导入")
    emit(args, "\n".join(lines), s)
    return 1 if s["invalid"] else 0


def _cmd_export(args) -> int:
    from app.cli import emit, open_workspace
    from app.roster_excel import export_roster

    ws = open_workspace(args)
    try:
        station = ws.require_station()
        actor = _cli_user(args, ws)
        if args.full_id and actor is None:
            raise UserError("导出完整身份证号需要有权限的账号：请加 --user 登录名 --password-env 变量名")
        with ws.session(actor.id if actor else None) as s:
            n = export_roster(s, args.file, user=actor, full_id=args.full_id, village_name=station.name)
    finally:
        ws.close()
    emit(
        args,
        f"已导出 {n} 人到 {args.file}" + ("（完整身份证号）" if args.full_id else "（身份证号已打码）"),
        {"persons": n, "file": str(args.file), "full_id": bool(args.full_id)},
    )
    return 0


def _cmd_cards(args) -> int:
    from app.cli import emit, open_workspace
    from app.documents.cards import card_households, write_cards

    ws = open_workspace(args)
    try:
        ws.require_station()
        actor = _cli_user(args, ws)
        with ws.session(actor.id if actor else None) as s:
            ids = card_households(s, group_name=args.group, not_delivered=args.not_delivered)
            if not ids:
                raise UserError("没有符合条件的户")
            pages = write_cards(s, ws.require_station(), ids, args.file, one_per_page=args.one_per_page)
            marked = 0
            if args.mark_delivered:
                marked = mark_cards_delivered(s, actor, ids, dt.date.fromisoformat(args.mark_delivered))
    finally:
        ws.close()
    emit(
        args,
        f"已生成 {len(ids)} 户的联系卡，共 {pages} 页：{args.file}"
        + (f"；已标记 {marked} 户送达" if args.mark_delivered else ""),
        {"households": len(ids), "pages": pages, "file": str(args.file), "marked": marked},
    )
    return 0


def register_cli(sub, parents):
    from app.cli import ChineseArgumentParser

    p = sub.add_parser("households", help="户籍：Excel 导入导出、打印联系卡")
    hs = p.add_subparsers(
        dest="households_command", metavar="操作", required=True, parser_class=ChineseArgumentParser
    )
    common = [parents["data"], parents["json"]]

    def user_options(q) -> None:
        q.add_argument("--user", metavar="登录名", help="以该账号身份操作（导出完整身份证号时必需）")
        q.add_argument("--password-env", metavar="变量名", help="存放该账号密码的环境变量名")

    imp = hs.add_parser("import", help="从 Excel 户籍表导入（有错误行时退出码为 1）", parents=common)
    imp.add_argument("file", metavar="文件.xlsx")
    imp.add_argument("--sheet", metavar="工作表", help="工作表名（默认第一个）")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--errors", metavar="错误表.xlsx", help="把有错误的行（附错误原因）写入此文件")
    user_options(imp)
    imp.set_defaults(households_handler=_cmd_import)

    exp = hs.add_parser("export", help="导出户籍台账 Excel", parents=common)
    exp.add_argument("file", metavar="文件.xlsx")
    exp.add_argument("--full-id", action="store_true", help="导出完整身份证号（需管理员账号，记入审计日志）")
    user_options(exp)
    exp.set_defaults(households_handler=_cmd_export)

    cards = hs.add_parser("cards", help="打印联系卡 PDF", parents=common)
    cards.add_argument("file", metavar="文件.pdf")
    cards.add_argument("--group", metavar="组", help="只打印这个组")
    cards.add_argument("--not-delivered", action="store_true", help="只打印联系卡尚未送达的户")
    cards.add_argument(
        "--one-per-page", action="store_true", help="每页一张卡（默认 A4 每页 8 张，带裁切线）"
    )
    cards.add_argument("--mark-delivered", metavar="YYYY-MM-DD", help="同时把这些户标记为该日已送达")
    user_options(cards)
    cards.set_defaults(households_handler=_cmd_cards)
    return {"households": lambda args: args.households_handler(args)}
