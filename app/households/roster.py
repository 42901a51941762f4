"""户籍: households and their members: create, save, move a person, mark one deceased or moved
away, delete a household, and read one back.

Services take the unit of work (:class:`app.work.Work`) first and return plain dataclasses. Resident IDs leave
this module masked (110105********002X) except through :func:`reveal_resident_id`, which checks the
role and writes the audit log. Every write keeps ``Household.search_text`` current for the roster
search (:func:`refresh_search_text`, also used by the Excel import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import vocab
from db.base import utcnow
from db.models import Household, Person
from db.queries.households import MemberKeys, household_search_text

from app import audit
from app.accounts import require
from app.codes import mask_resident_id, resident_id_forms
from app.errors import UserError
from app.households.cadres import CadreView, cadre_views
from app.households.checks import (
    HEAD,
    RELATIONS,
    STATUSES,
    HouseholdInput,
    MemberInput,
    Problem,
    check_member,
    clean_text,
    get_live,
    get_person,
    normalize_phones,
    require_edit,
)
from app.households.tags import household_tags
from app.pinyin import name_keys
from app.work import Work


# -- views ----------------------------------------------------------------------------------------
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


class InAnotherHousehold(UserError):
    """What was typed belongs to another household already (``household_id``, which the form offers to
    open); ``title`` names the clash for that question."""

    title = "与另一户重复"

    def __init__(self, message: str, *, household_id: str, field: str) -> None:
        super().__init__(message, field=field)
        self.household_id = household_id


class DuplicateResidentId(InAnotherHousehold):
    """The resident ID is already registered in another household."""

    title = "身份证号重复"

    def __init__(self, message: str, *, household_id: str, field: str = "id_number") -> None:
        super().__init__(message, household_id=household_id, field=field)


class DuplicateHouseholdNo(InAnotherHousehold):
    """The 户编号 is already another live household's of the same group: the number on the roster and the
    contact card names one household (a number imported twice from a village's own workbook stays as
    it came, but is not typed into a second household)."""

    title = "户编号重复"

    def __init__(self, message: str, *, household_id: str) -> None:
        super().__init__(message, household_id=household_id, field="household_no")


# -- checks against the roster -----------------------------------------------------------------
def _raise_first(problems: Sequence[Problem], who: str = "") -> None:
    errors = [p for p in problems if p.level == "error"]
    if errors:
        prefix = f"成员“{who}”的" if who else ""
        raise UserError(prefix + errors[0].message, field=errors[0].field)


def find_id_owner(work: Work, number: str, *, exclude_household: str | None = None) -> Person | None:
    """The person registered with ``number`` in either of its forms (an old 15-digit number is the same
    person as the 18-digit one it became: :func:`app.codes.resident_id_forms`)."""
    q = select(Person).where(Person.id_number.in_(resident_id_forms(number)), Person.deleted_at.is_(None))
    if exclude_household:
        q = q.where(Person.household_id != exclude_household)
    return work.session.scalars(q).first()


def _refuse_duplicate_id(work: Work, number: str | None, household_id: str | None, name: str) -> None:
    if not number:
        return
    other = find_id_owner(work, number, exclude_household=household_id)
    if other is not None:
        h = work.session.get(Household, other.household_id)
        where = f"{h.group_name} {h.head_name} 户" if h else "另一户"
        raise DuplicateResidentId(
            f"成员“{name}”的身份证号已登记在{where}（{other.name}），同一个人不能在两户登记；"
            "请核对号码，或把此人迁到本户",
            household_id=other.household_id,
        )


# -- search text --------------------------------------------------------------------------------
def refresh_search_text(work: Work, household: Household) -> None:
    """Recompute ``household.search_text`` from the household and its (non-deleted) members."""
    members = work.session.scalars(
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


def _refuse_duplicate_no(
    work: Work, number: str | None, group_name: str, village_code: str, household_id: str | None
) -> None:
    """A 户编号 another live household of the same group has (a village that numbers each group from 1
    has 001 in every group; one that numbers the whole village has no number twice anyway)."""
    if not number:
        return
    # the number's few households from ix_household_live_household_no, their village looked at here: with
    # village_code in the query SQLite walks the village's index instead (1.8 s at 100 000 households)
    other = next(
        (
            h
            for h in work.session.scalars(
                select(Household).where(Household.deleted_at.is_(None), Household.household_no == number)
            )
            if h.village_code == village_code and h.group_name == group_name and h.id != household_id
        ),
        None,
    )
    if other is not None:
        raise DuplicateHouseholdNo(
            f"户编号：{number} 已是{other.group_name} {other.head_name} 户的户编号，同一个组里一个编号只能给一户；"
            "请核对后改正，或留空",
            household_id=other.id,
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
    work: Work, members: Sequence[MemberInput], household_id: str | None, today: dt.date | None
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
            _refuse_duplicate_id(work, clean.id_number, household_id, clean.name)
        checked.append(clean)
    return checked


def create_household(work: Work, data: HouseholdInput, *, today: dt.date | None = None) -> HouseholdView:
    """A new household with its members; exactly one member is the 户主."""
    require_edit(work)
    session = work.session
    fields = _check_household_fields(data)
    _refuse_duplicate_no(work, fields.household_no, fields.group_name, work.unit_code, None)
    members = _checked_members(work, data.members, None, today)
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
    refresh_search_text(work, household)
    session.flush()
    audit.record(
        session, work.actor, "household.create", table="household", record_id=household.id, fields=["members"]
    )
    return get_household(work, household.id)


def update_household(
    work: Work, household_id: str, data: HouseholdInput, *, today: dt.date | None = None
) -> HouseholdView:
    """Save the editor: household fields, existing members (by ``id``) and added members.

    Members not listed stay as they are (a member leaves only by moving, dying or moving away).
    """
    require_edit(work)
    session = work.session
    household = get_live(work, household_id)
    fields = _check_household_fields(data)
    # (a number two households already share stays theirs)
    if (fields.household_no, fields.group_name) != (household.household_no, household.group_name):
        _refuse_duplicate_no(
            work, fields.household_no, fields.group_name, household.village_code, household.id
        )
    members = _checked_members(work, data.members, household.id, today)
    existing = {
        p.id: p
        for p in session.scalars(
            select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
        )
    }
    heads: list[MemberInput | Person] = [m for m in members if m.relation == HEAD]
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
    refresh_search_text(work, household)
    session.flush()
    if changed:
        audit.record(
            session,
            work.actor,
            "household.update",
            table="household",
            record_id=household.id,
            fields=sorted(set(changed)),
        )
    return get_household(work, household.id)


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


def move_person(work: Work, person_id: str, target_household_id: str, *, relation: str = "") -> None:
    """迁入他户: the person keeps their record (and ID); both households' search text follows."""
    require_edit(work)
    session = work.session
    person = get_person(work, person_id)
    source = get_live(work, person.household_id)
    target = get_live(work, target_household_id)
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
        refresh_search_text(work, h)
    audit.record(
        session,
        work.actor,
        "person.move",
        table="person",
        record_id=person.id,
        fields=["household_id", "relation"],
    )


def set_person_status(work: Work, person_id: str, status: str, on: dt.date | None = None) -> None:
    """已故 / 迁出 (or back to 在册): the record stays, never a hard delete."""
    require_edit(work)
    if status not in STATUSES:
        raise UserError(f"状态只能是 {'、'.join(STATUSES)}", field="status")
    person = get_person(work, person_id)
    if status != "在册" and on is None:
        raise UserError("请填写日期（去世或迁出的日期）", field="status_date")
    person.status = status
    person.status_date = None if status == "在册" else on
    audit.record(
        work.session,
        work.actor,
        "person.status",
        table="person",
        record_id=person.id,
        fields=["status", "status_date"],
    )


def delete_household(work: Work, household_id: str) -> None:
    """Soft delete (entered by mistake); members go with it."""
    require_edit(work)
    session = work.session
    household = get_live(work, household_id)
    now = utcnow()
    household.deleted_at = now
    for p in session.scalars(
        select(Person).where(Person.household_id == household.id, Person.deleted_at.is_(None))
    ):
        p.deleted_at = now
    audit.record(
        session,
        work.actor,
        "household.delete",
        table="household",
        record_id=household.id,
        fields=["deleted_at"],
    )


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


def next_household_no(work: Work, group_name: str) -> str:
    """The 户编号 a new household of ``group_name`` is offered: one more than the group's highest (050031 →
    050032, its zeros kept), when the group's numbers are numbers; none otherwise (a first household of a
    group, or numbers written some other way: the village's own numbering is not guessed)."""
    group = clean_text(group_name)
    if not group:
        return ""
    numbers = [
        n.strip()
        for n in work.session.scalars(
            select(Household.household_no).where(
                Household.deleted_at.is_(None),
                Household.group_name == group,  # (the group's index: a village's roster is its own)
                Household.household_no.is_not(None),
            )
        )
        if n and n.strip().isascii() and n.strip().isdigit()
    ]
    if not numbers:
        return ""
    highest = max(numbers, key=lambda n: (int(n), len(n)))
    return str(int(highest) + 1).zfill(len(highest))


def get_household(work: Work, household_id: str) -> HouseholdView:
    """One household as the actor may see it (resident IDs masked, hidden tags left out)."""
    household = get_live(work, household_id)
    persons = work.session.scalars(
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
    history = cadre_views(work, household.id)
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
        household_tags(work, household.id),
        current.get(vocab.CONTACT_CADRE),
        current.get(vocab.AREA_CADRE),
        tuple(history),
    )


def reveal_resident_id(work: Work, person_id: str) -> str | None:
    """The full resident ID, for a role that may see it; the reveal is written to the audit log."""
    require(work.actor, "reveal_resident_id")
    person = get_person(work, person_id)
    audit.record(
        work.session,
        work.actor,
        "person.reveal_id",
        table="person",
        record_id=person.id,
        fields=["id_number"],
    )
    return person.id_number
