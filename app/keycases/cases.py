"""包案: opening, the 五个一 (包案领导, 工作班子, 化解方案, 责任部门, 稳控措施), the 四到位, linked records,
and the state 在办 → 申请销号 → 已销号 (docs/keycases.md).

Who sees: only roles that may see sensitive tags (``see_sensitive_tags``); at a village a 包案 is always
sensitive. Who changes: only the unit that opened it (``owner_unit``: the village, or its town for a
household of one of its villages). Nothing is overwritten: a new 包案领导 ends the old one's row on a
date, a 化解方案 change is a new revision, each state change is a row of the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from db import settings
from db.base import SyncedRecord, derived_id, utcnow
from db.models import (
    Demand,
    DiaryEntry,
    DiaryParticipant,
    Household,
    KeyCase,
    KeyCaseLink,
    KeyCaseMember,
    KeyCasePlan,
    KeyCaseTransition,
    MediationCase,
    Person,
    Station,
    User,
)
from db.models.mediation import CaseParty

from app import accounts, audit
from app.dates import cn_date
from app.errors import UserError
from app.lookup import require_live
from app.work import Work

OPEN, CLOSING, CLOSED = "在办", "申请销号", "已销号"
STATES = (OPEN, CLOSING, CLOSED)
OPENED = "开立"  # the first row of the history (from "")
LEADER, TEAM = "包案领导", "工作班子"
# 四到位: column, name, when it applies (docs/keycases.md)
FOUR = (
    ("steps_solve", "解决问题到位", "诉求合理的"),
    ("steps_educate", "疏导教育到位", "诉求不合理的"),
    ("steps_aid", "帮扶救助到位", "生活有困难的"),
    ("steps_law", "依法处置到位", "违法闹访的"),
)
FOUR_NAMES = {col: name for col, name, _w in FOUR}
LINK_TABLES = {"diary_entry": "民情日记", "demand": "诉求", "mediation_case": "调解案件"}
SETTING_CONTACT_DAYS = "keycases.contact_days"
DEFAULT_CONTACT_DAYS = 30
PERMISSION = "see_sensitive_tags"
NO_PERMISSION = "联户包案属于敏感信息，您的账号不能查看或办理（需要能查看敏感标签的角色）"


@dataclass(frozen=True)
class PersonRef:
    """Someone on a 包案: an account here (``user_id``), or a name and unit where there is none (a
    town cadre seen from the village, a county department's officer)."""

    name: str
    unit: str = ""
    user_id: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name


@dataclass(frozen=True)
class KeyCaseInput:
    household_id: str
    title: str
    opened_on: dt.date
    leader: PersonRef
    plan: str
    department: str
    stabilization: str
    steps: dict[str, str] = field(default_factory=dict)  # 四到位 column → steps ("" = does not apply)
    team: Sequence[PersonRef] = ()
    person_id: str | None = None
    summary: str = ""


@dataclass(frozen=True)
class MemberInfo:
    id: str
    role: str
    person: PersonRef
    from_on: dt.date
    until_on: dt.date | None
    end_note: str

    @property
    def current(self) -> bool:
        return self.until_on is None


@dataclass(frozen=True)
class PlanInfo:
    revision: int
    text: str
    written_at: dt.datetime
    author_name: str


@dataclass(frozen=True)
class LinkInfo:
    id: str
    table: str
    target_id: str
    kind: str  # 民情日记 | 诉求 | 调解案件
    when: dt.date | None
    text: str


@dataclass(frozen=True)
class StepInfo:
    from_state: str
    to_state: str
    on_date: dt.date
    by_name: str
    note: str


@dataclass(frozen=True)
class KeyCaseDetail:
    id: str
    village_code: str
    village_name: str
    owner_unit: str
    owner_label: str  # 村里开立 | 乡镇开立
    household_id: str
    household: str
    person_id: str | None
    person_name: str
    title: str
    summary: str
    opened_on: dt.date
    department: str
    stabilization: str
    steps: dict[str, str]
    state: str
    close_reason: str
    close_approver: str
    resident_view: str
    closed_on: dt.date | None
    members: tuple[MemberInfo, ...]
    plans: tuple[PlanInfo, ...]
    links: tuple[LinkInfo, ...]
    history: tuple[StepInfo, ...]
    editable: bool  # this station opened it and it is not 已销号
    why_read_only: str

    @property
    def leader(self) -> MemberInfo | None:
        return next((m for m in self.members if m.role == LEADER and m.current), None)

    @property
    def team(self) -> list[MemberInfo]:
        return [m for m in self.members if m.role == TEAM and m.current]

    @property
    def plan(self) -> PlanInfo | None:
        return self.plans[-1] if self.plans else None

    @property
    def four_applied(self) -> list[tuple[str, str]]:
        """(到位, steps) of those that apply."""
        return [(FOUR_NAMES[c], s) for c, s in self.steps.items() if s]


# -- who may ------------------------------------------------------------------------------------------
def may_see(work: Work) -> bool:
    return accounts.can(work.actor, PERMISSION)


def require_see(work: Work) -> None:
    if not may_see(work):
        raise UserError(NO_PERMISSION)


def _unit_name(work: Work, code: str) -> str:
    name = work.session.scalars(select(Station.name).where(Station.code == code)).first()
    return name or code


def _require_owner(work: Work, kc: KeyCase) -> None:
    """Only the unit that opened a 包案 changes it; a closed one is read-only."""
    require_see(work)
    if kc.owner_unit != work.unit_code:
        if work.is_town:
            raise UserError(
                f"这件包案由{_unit_name(work, kc.owner_unit)}开立，由该村工作站办理；乡镇工作站只能查看"
            )
        raise UserError("这件包案由乡镇开立，由乡镇办理，随乡镇的下发包到村；村里只能查看")
    if kc.state == CLOSED:
        raise UserError("这件包案已销号，不能再修改")


def _case(work: Work, case_id: str) -> KeyCase:
    kc = require_live(work.session, KeyCase, case_id, "找不到这件包案（可能已删除）")
    _require_visible_unit(work, kc.village_code)
    return kc


def _require_visible_unit(work: Work, village_code: str) -> None:
    if village_code == work.unit_code or (work.is_town and village_code[:9] == work.unit_code):
        return
    raise UserError("这件包案不属于本工作站")


def _actor_name(work: Work) -> str:
    return work.actor.display_name if work.actor is not None else ""


def _text(value: str | None, label: str, name: str, *, required: bool = False, limit: int = 0) -> str:
    value = (value or "").strip()
    if required and not value:
        raise UserError(f"{label}：请填写", field=name)
    if limit and len(value) > limit:
        raise UserError(f"{label}：最多 {limit} 个字", field=name)
    return value


def _person_ref(work: Work, ref: PersonRef, label: str, name: str, village_code: str) -> PersonRef:
    """An account of this station (or, at a town, of the case's village ``village_code``) taken by id with
    its name; or a typed name and unit. (Another village's cadre would be a reference the case's village
    cannot follow: its accounts are its own.)"""
    if ref.user_id:
        user = require_live(work.session, User, ref.user_id, f"{label}：找不到这个账号", field=name)
        if user.village_code not in (work.unit_code, village_code):
            raise UserError(
                f"{label}：只能选本工作站或这一户所在村的账号；其他村的干部请写姓名和单位", field=name
            )
        unit = _text(ref.unit, f"{label}的单位", name, limit=100) or (
            user.title or _unit_name(work, user.village_code)
        )
        return PersonRef(user.display_name, unit, user.id)
    return PersonRef(
        _text(ref.name, f"{label}的姓名", name, required=True, limit=50),
        _text(ref.unit, f"{label}的单位", name, limit=100),
    )


def _check_steps(steps: dict[str, str]) -> dict[str, str]:
    unknown = set(steps) - set(FOUR_NAMES)
    if unknown:
        raise UserError(f"四到位：不认识“{'、'.join(sorted(unknown))}”", field="steps")
    out = {c: _text(steps.get(c), f"四到位·{FOUR_NAMES[c]}的措施", "steps", limit=2000) for c in FOUR_NAMES}
    if not any(out.values()):
        raise UserError(
            "四到位：请至少写明一项适用的到位措施（解决问题、疏导教育、帮扶救助或依法处置）", field="steps"
        )
    return out


def _owned(kc: KeyCase, row: KeyCaseMember | KeyCasePlan | KeyCaseLink | KeyCaseTransition) -> None:
    row.keycase_id = kc.id
    row.owner_unit = kc.owner_unit
    row.village_code = kc.village_code


def _step(work: Work, kc: KeyCase, before: str, after: str, on: dt.date, note: str = "") -> None:
    t = KeyCaseTransition(from_state=before, to_state=after, on_date=on, by_name=_actor_name(work), note=note)
    _owned(kc, t)
    work.session.add(t)


# -- opening and editing -----------------------------------------------------------------------------
def open_case(work: Work, data: KeyCaseInput, *, now: dt.datetime | None = None) -> str:
    """Open a 包案 for a household of this village (at a town: of one of its villages); returns its id."""
    require_see(work)
    now = now or dt.datetime.now().replace(microsecond=0)
    household = require_live(
        work.session, Household, data.household_id, "所属户：请选择一户（找不到这一户）", field="household"
    )
    if household.village_code != work.unit_code and not (
        work.is_town and household.village_code[:9] == work.unit_code
    ):
        raise UserError("所属户：只能为本村（乡镇：本镇各村）的户开立包案", field="household")
    person_id = data.person_id or None
    if person_id is not None:
        person = require_live(work.session, Person, person_id, "当事人：找不到这个人", field="person")
        if person.household_id != household.id:
            raise UserError("当事人：请在所选的户里选人", field="person")
    title = _text(data.title, "案由", "title", required=True, limit=100)
    leader = _person_ref(work, data.leader, "包案领导", "leader", household.village_code)
    team = [_person_ref(work, r, "工作班子成员", "team", household.village_code) for r in data.team]
    if not team:
        raise UserError("工作班子：请至少加一名成员", field="team")
    plan = _text(data.plan, "化解方案", "plan", required=True, limit=5000)
    department = _text(data.department, "责任部门", "department", required=True, limit=100)
    stabilization = _text(data.stabilization, "稳控措施", "stabilization", required=True, limit=5000)
    steps = _check_steps(data.steps)
    if data.opened_on > now.date():
        raise UserError("开立日期：不能晚于今天", field="opened_on")
    kc = KeyCase(
        owner_unit=work.unit_code,
        village_code=household.village_code,
        household_id=household.id,
        person_id=person_id,
        title=title,
        summary=_text(data.summary, "基本案情", "summary", limit=5000),
        opened_on=data.opened_on,
        department=department,
        stabilization=stabilization,
        state=OPEN,
        **steps,
    )
    session = work.session
    session.add(kc)
    session.flush()
    for role, ref in [(LEADER, leader)] + [(TEAM, r) for r in team]:
        m = KeyCaseMember(
            role=role, user_id=ref.user_id, name=ref.name, unit=ref.unit, from_on=data.opened_on
        )
        _owned(kc, m)
        session.add(m)
    p = KeyCasePlan(revision=1, text=plan, written_at=now, author_name=_actor_name(work))
    _owned(kc, p)
    session.add(p)
    _step(work, kc, "", OPEN, data.opened_on, OPENED)
    audit.record(session, work.actor, "keycase.open", table="keycase", record_id=kc.id, fields=["title"])
    return kc.id


def update_case(
    work: Work,
    case_id: str,
    *,
    title: str,
    summary: str,
    department: str,
    stabilization: str,
    steps: dict[str, str],
    person_id: str | None = None,
) -> None:
    """责任部门, 稳控措施, the 四到位 and the case's words (the plan and the people have their own steps)."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    if person_id:
        person = require_live(work.session, Person, person_id, "当事人：找不到这个人", field="person")
        if person.household_id != kc.household_id:
            raise UserError("当事人：请在所属户里选人", field="person")
    values = {
        "title": _text(title, "案由", "title", required=True, limit=100),
        "summary": _text(summary, "基本案情", "summary", limit=5000),
        "department": _text(department, "责任部门", "department", required=True, limit=100),
        "stabilization": _text(stabilization, "稳控措施", "stabilization", required=True, limit=5000),
        "person_id": person_id or None,
        **_check_steps(steps),
    }
    changed = [k for k, v in values.items() if getattr(kc, k) != v]
    for k in changed:
        setattr(kc, k, values[k])
    if changed:
        audit.record(
            work.session, work.actor, "keycase.edit", table="keycase", record_id=kc.id, fields=changed
        )


def revise_plan(work: Work, case_id: str, text: str, *, now: dt.datetime | None = None) -> int:
    """A new revision of the 化解方案 (the earlier ones stay); returns the revision in force."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    text = _text(text, "化解方案", "plan", required=True, limit=5000)
    plans = _plans(work, kc.id)
    if plans and plans[-1].text == text:
        return plans[-1].revision
    revision = (plans[-1].revision if plans else 0) + 1
    p = KeyCasePlan(
        revision=revision,
        text=text,
        written_at=now or dt.datetime.now().replace(microsecond=0),
        author_name=_actor_name(work),
    )
    _owned(kc, p)
    work.session.add(p)
    audit.record(work.session, work.actor, "keycase.plan", table="keycase", record_id=kc.id, fields=["plan"])
    return revision


def _members(work: Work, case_id: str) -> list[KeyCaseMember]:
    return list(
        work.session.scalars(
            select(KeyCaseMember)
            .where(KeyCaseMember.keycase_id == case_id, KeyCaseMember.deleted_at.is_(None))
            .order_by(KeyCaseMember.from_on, KeyCaseMember.created_at)
        )
    )


def _plans(work: Work, case_id: str) -> list[KeyCasePlan]:
    return list(
        work.session.scalars(
            select(KeyCasePlan)
            .where(KeyCasePlan.keycase_id == case_id, KeyCasePlan.deleted_at.is_(None))
            .order_by(KeyCasePlan.revision)
        )
    )


def _end(member: KeyCaseMember, on: dt.date, note: str) -> None:
    if on < member.from_on:
        raise UserError(
            f"结束日期：不能早于{member.name}开始包案的日期（{cn_date(member.from_on)}）", field="on"
        )
    member.until_on = on
    member.end_note = note


def change_leader(work: Work, case_id: str, leader: PersonRef, *, on: dt.date, note: str = "") -> str:
    """A new 包案领导 from ``on``: the current one's row ends that day (its history stays)."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    ref = _person_ref(work, leader, "新的包案领导", "leader", kc.village_code)
    note = _text(note, "调整原因", "note", limit=500)
    for m in _members(work, kc.id):
        if m.role == LEADER and m.until_on is None:
            _end(m, on, note or f"由{ref.name}接任")
    new = KeyCaseMember(role=LEADER, user_id=ref.user_id, name=ref.name, unit=ref.unit, from_on=on)
    _owned(kc, new)
    work.session.add(new)
    work.session.flush()
    audit.record(
        work.session, work.actor, "keycase.leader", table="keycase", record_id=kc.id, fields=["leader"]
    )
    return new.id


def add_team_member(work: Work, case_id: str, member: PersonRef, *, on: dt.date) -> str:
    kc = _case(work, case_id)
    _require_owner(work, kc)
    ref = _person_ref(work, member, "工作班子成员", "team", kc.village_code)
    for m in _members(work, kc.id):
        if m.role == TEAM and m.until_on is None and (m.user_id or m.name) == (ref.user_id or ref.name):
            raise UserError(f"工作班子：{ref.name}已在班子里", field="team")
    new = KeyCaseMember(role=TEAM, user_id=ref.user_id, name=ref.name, unit=ref.unit, from_on=on)
    _owned(kc, new)
    work.session.add(new)
    work.session.flush()
    audit.record(work.session, work.actor, "keycase.team", table="keycase", record_id=kc.id, fields=["team"])
    return new.id


def end_member(work: Work, member_id: str, *, on: dt.date, note: str = "") -> None:
    """A 工作班子 member leaves the team on ``on`` (the row stays, with its dates)."""
    m = require_live(work.session, KeyCaseMember, member_id, "找不到这名成员")
    kc = _case(work, m.keycase_id)
    _require_owner(work, kc)
    if m.until_on is not None:
        raise UserError(f"{m.name}已于{cn_date(m.until_on)}退出", field="team")
    if m.role == LEADER:
        raise UserError("包案领导不能直接退出，请用“调整包案领导”指定接任的人", field="team")
    _end(m, on, _text(note, "退出原因", "note", limit=500))
    audit.record(work.session, work.actor, "keycase.team", table="keycase", record_id=kc.id, fields=["team"])


# -- links ---------------------------------------------------------------------------------------------
def link_id(case_id: str, table: str, target_id: str) -> str:
    return derived_id(case_id, "link", table, target_id)


def link_record(work: Work, case_id: str, table: str, target_id: str) -> None:
    """Link a diary entry, demand or mediation case of the case's village (picked, never retyped)."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    if table not in LINK_TABLES:
        raise UserError("关联记录：只能关联民情日记、诉求或调解案件", field="links")
    models: dict[str, type[SyncedRecord]] = {
        "diary_entry": DiaryEntry,
        "demand": Demand,
        "mediation_case": MediationCase,
    }
    target = require_live(
        work.session, models[table], target_id, f"关联记录：找不到这条{LINK_TABLES[table]}", field="links"
    )
    if target.village_code != kc.village_code:
        raise UserError(f"关联记录：只能关联本村的{LINK_TABLES[table]}", field="links")
    rid = link_id(kc.id, table, target_id)
    row = work.session.get(KeyCaseLink, rid)
    if row is not None:
        if row.deleted_at is None:
            return
        row.deleted_at = None
    else:
        row = KeyCaseLink(id=rid, target_table=table, target_id=target_id)
        _owned(kc, row)
        work.session.add(row)
    audit.record(work.session, work.actor, "keycase.link", table="keycase", record_id=kc.id, fields=[table])


def unlink_record(work: Work, link_id_: str) -> None:
    row = require_live(work.session, KeyCaseLink, link_id_, "找不到这条关联")
    kc = _case(work, row.keycase_id)
    _require_owner(work, kc)
    row.deleted_at = utcnow()
    audit.record(
        work.session,
        work.actor,
        "keycase.unlink",
        table="keycase",
        record_id=kc.id,
        fields=[row.target_table],
    )


# -- 销号 ------------------------------------------------------------------------------------------------
def request_close(work: Work, case_id: str, *, reason: str, on: dt.date) -> None:
    """在办 → 申请销号, with the reason (what was done, why it can be closed)."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    if kc.state != OPEN:
        raise UserError(f"只有在办的包案才能申请销号（现在是“{kc.state}”）", field="state")
    reason = _text(reason, "销号理由", "close_reason", required=True, limit=2000)
    _check_day(kc, on)
    kc.close_reason = reason
    kc.state = CLOSING
    _step(work, kc, OPEN, CLOSING, on, reason)
    audit.record(work.session, work.actor, "keycase.request_close", table="keycase", record_id=kc.id)


def approve_close(
    work: Work,
    case_id: str,
    *,
    approver: str,
    on: dt.date,
    resident_view: str = "",
    reason: str | None = None,
) -> None:
    """申请销号 → 已销号: who approved (name and unit), and the resident's view where there is one."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    if kc.state != CLOSING:
        raise UserError("请先申请销号，写明销号理由，再由批准人批准", field="state")
    approver = _text(approver, "批准人", "close_approver", required=True, limit=100)
    if reason is not None:
        kc.close_reason = _text(reason, "销号理由", "close_reason", required=True, limit=2000)
    _check_day(kc, on)
    kc.close_approver = approver
    kc.resident_view = _text(resident_view, "群众意见", "resident_view", limit=2000)
    kc.state = CLOSED
    kc.closed_on = on
    _step(work, kc, CLOSING, CLOSED, on, f"批准人：{approver}")
    audit.record(
        work.session, work.actor, "keycase.close", table="keycase", record_id=kc.id, fields=["close_approver"]
    )


def return_to_open(work: Work, case_id: str, *, note: str, on: dt.date) -> None:
    """申请销号 → 在办: the application was not approved (why, in the history)."""
    kc = _case(work, case_id)
    _require_owner(work, kc)
    if kc.state != CLOSING:
        raise UserError("只有申请销号的包案才能退回在办", field="state")
    note = _text(note, "退回原因", "note", required=True, limit=2000)
    _check_day(kc, on)
    kc.state = OPEN
    _step(work, kc, CLOSING, OPEN, on, note)
    audit.record(work.session, work.actor, "keycase.return", table="keycase", record_id=kc.id)


def _check_day(kc: KeyCase, on: dt.date) -> None:
    if on < kc.opened_on:
        raise UserError(f"日期：不能早于开立日期（{cn_date(kc.opened_on)}）", field="on")
    if on > dt.date.today():
        raise UserError("日期：不能晚于今天", field="on")


# -- reading ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeyCaseRow:
    id: str
    village_code: str
    village_name: str
    household: str
    title: str
    leader: str
    opened_on: dt.date
    state: str
    owner_label: str
    closed_on: dt.date | None


def _household_label(h: Household | None) -> str:
    if h is None:
        return ""
    return f"{h.head_name}户" + (f"（{h.group_name}）" if h.group_name else "")


def _owner_label(kc: KeyCase) -> str:
    return "乡镇开立" if len(kc.owner_unit) == 9 else "村里开立"


def list_cases(work: Work, *, state: str | None = None, village_code: str | None = None) -> list[KeyCaseRow]:
    """The 包案 this station holds (a town: its villages'), open ones first, then by opening date."""
    require_see(work)
    q = (
        select(KeyCase, Household)
        .join(Household, Household.id == KeyCase.household_id)
        .where(KeyCase.deleted_at.is_(None))
    )
    if state:
        q = q.where(KeyCase.state == state)
    if village_code:
        q = q.where(KeyCase.village_code == village_code)
    rows = work.session.execute(q).all()
    leaders: dict[str, str] = {}
    ids = [kc.id for kc, _h in rows]
    for start in range(0, len(ids), 500):
        for case_id, name in work.session.execute(
            select(KeyCaseMember.keycase_id, KeyCaseMember.name).where(
                KeyCaseMember.keycase_id.in_(ids[start : start + 500]),
                KeyCaseMember.role == LEADER,
                KeyCaseMember.until_on.is_(None),
                KeyCaseMember.deleted_at.is_(None),
            )
        ):
            leaders[case_id] = name
    names: dict[str, str] = {c: n for c, n in work.session.execute(select(Station.code, Station.name))}
    out = [
        KeyCaseRow(
            kc.id,
            kc.village_code,
            names.get(kc.village_code, kc.village_code),
            _household_label(h),
            kc.title,
            leaders.get(kc.id, ""),
            kc.opened_on,
            kc.state,
            _owner_label(kc),
            kc.closed_on,
        )
        for kc, h in rows
    ]
    order = {s: i for i, s in enumerate(STATES)}
    return sorted(out, key=lambda r: (order.get(r.state, 9), r.village_code, r.opened_on, r.id))


def _describe_links(work: Work, links: list[KeyCaseLink]) -> list[LinkInfo]:
    out = []
    session = work.session
    for ln in links:
        when: dt.date | None = None
        text = "（记录已删除或尚未收到）"
        if ln.target_table == "diary_entry":
            e = session.get(DiaryEntry, ln.target_id)
            if e is not None and e.deleted_at is None:
                when = e.occurred_at.date()
                text = f"{e.kind}：{(e.situation or e.difficulties or e.actions)[:60]}"
        elif ln.target_table == "demand":
            d = session.get(Demand, ln.target_id)
            if d is not None and d.deleted_at is None:
                when = d.closed_on or d.due_on
                text = f"［{d.category}］{d.content[:50]}（{d.status}）"
        elif ln.target_table == "mediation_case":
            c = session.get(MediationCase, ln.target_id)
            if c is not None and c.deleted_at is None:
                when = c.accepted_on
                text = f"{c.title}（{c.state}）"
        out.append(
            LinkInfo(ln.id, ln.target_table, ln.target_id, LINK_TABLES.get(ln.target_table, ""), when, text)
        )
    return sorted(out, key=lambda i: (i.when or dt.date.min, i.kind))


def case_detail(work: Work, case_id: str) -> KeyCaseDetail:
    require_see(work)
    kc = _case(work, case_id)
    session = work.session
    household = session.get(Household, kc.household_id)
    person = session.get(Person, kc.person_id) if kc.person_id else None
    members = tuple(
        MemberInfo(m.id, m.role, PersonRef(m.name, m.unit, m.user_id), m.from_on, m.until_on, m.end_note)
        for m in _members(work, kc.id)
    )
    plans = tuple(PlanInfo(p.revision, p.text, p.written_at, p.author_name) for p in _plans(work, kc.id))
    links = _describe_links(
        work,
        list(
            session.scalars(
                select(KeyCaseLink).where(KeyCaseLink.keycase_id == kc.id, KeyCaseLink.deleted_at.is_(None))
            )
        ),
    )
    history = tuple(
        StepInfo(t.from_state, t.to_state, t.on_date, t.by_name, t.note)
        for t in session.scalars(
            select(KeyCaseTransition)
            .where(KeyCaseTransition.keycase_id == kc.id, KeyCaseTransition.deleted_at.is_(None))
            .order_by(KeyCaseTransition.on_date, KeyCaseTransition.created_at)
        )
    )
    why = ""
    if kc.owner_unit != work.unit_code:
        why = (
            "这件包案由村里开立，由该村办理；乡镇只能查看"
            if work.is_town
            else "这件包案由乡镇开立，由乡镇办理；村里只能查看"
        )
    elif kc.state == CLOSED:
        why = "已销号，不能再修改"
    return KeyCaseDetail(
        kc.id,
        kc.village_code,
        _unit_name(work, kc.village_code),
        kc.owner_unit,
        _owner_label(kc),
        kc.household_id,
        _household_label(household),
        kc.person_id,
        person.name if person else "",
        kc.title,
        kc.summary,
        kc.opened_on,
        kc.department,
        kc.stabilization,
        {c: getattr(kc, c) for c in FOUR_NAMES},
        kc.state,
        kc.close_reason,
        kc.close_approver,
        kc.resident_view,
        kc.closed_on,
        members,
        plans,
        tuple(links),
        history,
        not why,
        why,
    )


def departments_named(work: Work) -> list[str]:
    """The 责任部门 written for earlier 包案 (镇信访办, 镇国土所 …), the most recent first, each once."""
    out: dict[str, None] = {}
    for text in work.session.scalars(
        select(KeyCase.department)
        .where(KeyCase.deleted_at.is_(None), KeyCase.department != "")
        .order_by(KeyCase.created_at.desc())
        .limit(2000)
    ):
        out.setdefault(text, None)
    return list(out)[:100]


TYPED_PEOPLE = 100  # the people without an account here offered again, the most recently named first


def people_choices(work: Work, village_code: str | None = None) -> list[PersonRef]:
    """Whom a 包案领导 or team member may be picked from: the accounts of this station (at a town: the
    town's, then the given village's), then the people without an account here named in earlier 包案
    (a town leader who leads several, a 派出所 officer on several teams) with the unit written for them
    last: a name and unit typed once."""
    codes = [work.unit_code] + ([village_code] if work.is_town and village_code else [])
    out = []
    for code in codes:
        for u in work.session.scalars(
            select(User)
            .where(User.village_code == code, User.deleted_at.is_(None), User.active.is_(True))
            .order_by(User.created_at)
        ):
            out.append(PersonRef(u.display_name, u.title or _unit_name(work, code), u.id))
    named = {p.name for p in out}
    typed: dict[str, PersonRef] = {}
    for name, unit in work.session.execute(
        select(KeyCaseMember.name, KeyCaseMember.unit)
        .where(KeyCaseMember.user_id.is_(None), KeyCaseMember.deleted_at.is_(None))
        .order_by(KeyCaseMember.created_at.desc())
        .limit(TYPED_PEOPLE * 10)
    ):
        if name not in named and name not in typed:
            typed[name] = PersonRef(name, unit or "")
            if len(typed) >= TYPED_PEOPLE:
                break
    return out + list(typed.values())


@dataclass(frozen=True)
class LinkChoice:
    table: str
    target_id: str
    kind: str
    when: dt.date | None
    text: str


def link_choices(work: Work, case_id: str) -> list[LinkChoice]:
    """The household's diary entries, demands and mediation cases, newest first, to pick from."""
    require_see(work)
    kc = _case(work, case_id)
    session = work.session
    out: list[LinkChoice] = []
    for e in session.scalars(
        select(DiaryEntry)
        .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
        .where(
            DiaryParticipant.household_id == kc.household_id,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
        )
        .distinct()
        .order_by(DiaryEntry.occurred_at.desc())
        .limit(200)
    ):
        out.append(
            LinkChoice("diary_entry", e.id, "民情日记", e.occurred_at.date(), (e.situation or e.actions)[:60])
        )
    for d in session.scalars(
        select(Demand)
        .where(Demand.household_id == kc.household_id, Demand.deleted_at.is_(None))
        .order_by(Demand.created_at.desc())
        .limit(200)
    ):
        out.append(
            LinkChoice("demand", d.id, "诉求", d.due_on, f"［{d.category}］{d.content[:50]}（{d.status}）")
        )
    for c in session.scalars(
        select(MediationCase)
        .join(CaseParty, CaseParty.case_id == MediationCase.id)
        .join(Person, Person.id == CaseParty.person_id)
        .where(
            Person.household_id == kc.household_id,
            CaseParty.deleted_at.is_(None),
            MediationCase.deleted_at.is_(None),
        )
        .distinct()
        .order_by(MediationCase.accepted_on.desc())
        .limit(100)
    ):
        out.append(LinkChoice("mediation_case", c.id, "调解案件", c.accepted_on, f"{c.title}（{c.state}）"))
    return out


def contact_days(work: Work) -> int:
    """How long a 包案 may go without contact before its 包案领导's 今日待办 names it (a local setting)."""
    value = settings.get(work.session, SETTING_CONTACT_DAYS, DEFAULT_CONTACT_DAYS)
    return value if isinstance(value, int) and 1 <= value <= 365 else DEFAULT_CONTACT_DAYS


def set_contact_days(work: Work, days: int) -> None:
    accounts.require(work.actor, "manage_settings")
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise UserError("联系间隔：请填 1 到 365 天", field="contact_days")
    settings.put(work.session, SETTING_CONTACT_DAYS, days)
    audit.record(work.session, work.actor, "setting.keycases", fields=[SETTING_CONTACT_DAYS])


def count_by_state(work: Work) -> dict[str, int]:
    require_see(work)
    rows = work.session.execute(
        select(KeyCase.state, func.count()).where(KeyCase.deleted_at.is_(None)).group_by(KeyCase.state)
    )
    counts = dict.fromkeys(STATES, 0)
    counts.update({s: n for s, n in rows})
    return counts
