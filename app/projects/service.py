"""为民实事 (docs/projects.md): a project with the demands it answers (picked from the 民情台账), its
budget and funding source, its responsible person and milestones, photos, its state 计划 → 实施中 →
已完成 → 已验收, and the residents' 点评 at acceptance (the verdicts of the demand 点评, counted).

Who writes: a village its 村 projects, the town its 镇 projects (one per village it does the work in,
sent down in that village's 下发包); each only reads the other's (:func:`require_writer`, and across
sync ``app.ownership.scope_verdict``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import vocab
from db.base import utcnow
from db.models import Demand, Station
from db.models.projects import (
    ACCEPTED,
    COMPLETED,
    IN_PROGRESS,
    PLANNED,
    PROJECT_STATES,
    TOWN_SCOPE,
    VILLAGE_SCOPE,
    Project,
    ProjectDemand,
    ProjectMilestone,
)
from db.queries.projects import DemandPick, demand_picks

from app import accounts, attachments, audit
from app.attachments import AttachmentInfo
from app.dates import cn_date
from app.diary import demands
from app.errors import UserError
from app.lookup import require_live
from app.mediation.info import fen_to_yuan, yuan_to_fen
from app.work import Work

NEXT_STATE = {PLANNED: IN_PROGRESS, IN_PROGRESS: COMPLETED, COMPLETED: ACCEPTED}
STEP_NAMES = {IN_PROGRESS: "开始实施", COMPLETED: "完成", ACCEPTED: "验收"}
MAX_MILESTONES = 30
MAX_DEMANDS = 200
PHOTO_TYPES = (".jpg", ".jpeg", ".png")


# -- input and output ----------------------------------------------------------------------------------
@dataclass
class MilestoneInput:
    title: str
    due_on: dt.date | None
    done_on: dt.date | None = None
    note: str = ""
    id: str | None = None  # an existing milestone of the project


@dataclass
class ProjectInput:
    title: str
    year: int
    budget: object  # 元, as typed ("12.5", "120,000") or a number
    funding_source: str
    responsible: str
    content: str = ""
    contact: str = ""
    village_code: str | None = None  # at the town: the village the 镇 project is for
    milestones: list[MilestoneInput] = field(default_factory=list)
    demand_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReviewInput:
    """群众点评 at acceptance: how many residents said each verdict (db.vocab.FEEDBACK_VERDICTS), how
    their verdicts were collected (db.vocab.FEEDBACK_METHODS), what they said, the day."""

    satisfied: int
    basic: int
    dissatisfied: int
    method: str
    words: str
    given_on: dt.date | None


@dataclass(frozen=True)
class MilestoneInfo:
    id: str
    position: int
    title: str
    due_on: dt.date
    done_on: dt.date | None
    note: str


@dataclass(frozen=True)
class ProjectDetail:
    id: str
    village_code: str
    village_name: str
    scope: str
    year: int
    title: str
    content: str
    budget_fen: int
    funding_source: str
    responsible: str
    contact: str
    state: str
    started_on: dt.date | None
    completed_on: dt.date | None
    done_summary: str
    spent_fen: int | None
    accepted_on: dt.date | None
    review_satisfied: int
    review_basic: int
    review_dissatisfied: int
    review_method: str | None
    review_words: str
    review_on: dt.date | None
    review_recorded_by: str | None
    milestones: list[MilestoneInfo]
    demands: list[DemandPick]
    photos: list[AttachmentInfo]
    writable: bool  # this station writes it (村 at its village, 镇 at the town)

    @property
    def budget_text(self) -> str:
        return money_text(self.budget_fen)

    @property
    def spent_text(self) -> str:
        return money_text(self.spent_fen) if self.spent_fen is not None else ""

    @property
    def next_state(self) -> str | None:
        return NEXT_STATE.get(self.state)

    @property
    def review_text(self) -> str:
        if self.review_on is None:
            return ""
        words = f"；群众意见：{self.review_words}" if self.review_words else ""
        return (
            f"满意 {self.review_satisfied} 人，基本满意 {self.review_basic} 人，不满意 {self.review_dissatisfied} 人"
            f"（{self.review_method}，{cn_date(self.review_on)}）{words}"
        )


def money_text(fen: int | None) -> str:
    """186,000元 and 3,500.50元 as a notice board reads them: 元 with two decimals only when needed."""
    if fen is None:
        return ""
    yuan = fen_to_yuan(fen)
    text = f"{yuan:,.2f}".removesuffix(".00")
    return f"{text}元"


# -- who writes -----------------------------------------------------------------------------------------
def require_writer(work: Work, project: Project) -> None:
    """A village writes its 村 projects, the town its 镇 projects; each only reads the other's."""
    if work.is_town:
        if project.scope != TOWN_SCOPE:
            raise UserError("这是村里的为民实事（村级），由该村工作站录入；乡镇只能查看")
        return
    if project.village_code != work.unit_code:
        raise UserError("这项为民实事不属于本村，只能查看")
    if project.scope != VILLAGE_SCOPE:
        raise UserError("这是乡镇的为民实事（镇级），由乡镇录入并随下发包送到本村；村里只能查看和打印公示")


def writable(work: Work, project: Project) -> bool:
    try:
        require_writer(work, project)
    except UserError:
        return False
    return True


def _project(session: Session, project_id: str) -> Project:
    return require_live(session, Project, project_id, "找不到这项为民实事（可能已被删除）")


def _clean(text: str | None, limit: int | None = None, *, label: str = "", name: str = "") -> str:
    text = (text or "").strip()
    if limit is not None and len(text) > limit:
        raise UserError(f"{label}不超过 {limit} 个字", field=name)
    return text


def _village_of(work: Work, code: str | None) -> str:
    """The village a project is for: the station's own; at the town a village of the town."""
    if not work.is_town:
        return work.unit_code
    if not code:
        raise UserError("请选择这项镇级实事在哪个村实施", field="village")
    known = work.session.scalar(
        select(Station.code).where(
            Station.code == code, Station.kind == "village", Station.town_code == work.unit_code
        )
    )
    if known is None:
        raise UserError(f"“{code}”不是本镇登记过的村", field="village")
    return code


def last_contact(work: Work, village_code: str) -> str:
    """The 意见反馈 of the village's newest project that has one (村委会 0535-1234567): the same office and
    telephone are written on every notice, and a new project's form starts with them."""
    return (
        work.session.scalar(
            select(Project.contact)
            .where(Project.village_code == village_code, Project.deleted_at.is_(None), Project.contact != "")
            .order_by(Project.created_at.desc())
            .limit(1)
        )
        or ""
    )


def village_name(session: Session, code: str) -> str:
    return session.scalar(select(Station.name).where(Station.code == code)) or code


# -- saving -----------------------------------------------------------------------------------------------
def save_project(
    work: Work, data: ProjectInput, project_id: str | None = None, *, today: dt.date | None = None
) -> ProjectDetail:
    """Create (``project_id`` None) or change a project with its milestones and linked demands. A village
    makes 村 projects, the town 镇 projects for one of its villages. An accepted project is final."""
    session, actor = work.session, work.actor
    accounts.require(actor, "manage_projects")
    today = today or dt.date.today()
    title = _clean(data.title, 100, label="项目名称", name="title")
    if not title:
        raise UserError("请填写项目名称（如：三组道路硬化）", field="title")
    if type(data.year) is not int or not today.year - 5 <= data.year <= today.year + 5:
        raise UserError(f"年度请填写 {today.year - 5}–{today.year + 5} 之间的年份", field="year")
    if data.budget in (None, ""):
        raise UserError("请填写预算金额（元）", field="budget")
    budget = yuan_to_fen(data.budget, field="budget")
    if budget <= 0:
        raise UserError("预算金额要大于 0 元", field="budget")
    source = _clean(data.funding_source, 100, label="资金来源", name="funding_source")
    if not source:
        raise UserError("请填写资金来源（如：上级财政专项、一事一议、村集体经济）", field="funding_source")
    responsible = _clean(data.responsible, 50, label="责任人", name="responsible")
    if not responsible:
        raise UserError("请填写责任人", field="responsible")
    content = _clean(data.content, 2000, label="建设内容", name="content")
    contact = _clean(data.contact, 100, label="意见反馈", name="contact")
    if project_id is None:
        village = _village_of(work, data.village_code)
        p = Project(
            scope=TOWN_SCOPE if work.is_town else VILLAGE_SCOPE,
            village_code=village,
            state=PLANNED,
        )
        session.add(p)
        action = "project.create"
    else:
        p = _project(session, project_id)
        require_writer(work, p)
        if p.state == ACCEPTED:
            raise UserError("这项实事已验收，不能再修改")
        if work.is_town and data.village_code and data.village_code != p.village_code:
            raise UserError("实施的村建立后不能改；请删除后在另一个村重新建立", field="village")
        action = "project.update"
    p.title, p.year, p.budget_fen, p.funding_source = title, data.year, budget, source
    p.responsible, p.content, p.contact = responsible, content, contact
    session.flush()
    _save_milestones(work, p, data.milestones, today)
    _save_links(work, p, data.demand_ids)
    session.flush()
    audit.record(session, actor, action, table="project", record_id=p.id, fields=["title", "budget_fen"])
    return project_detail(work, p.id)


def _save_milestones(work: Work, p: Project, items: list[MilestoneInput], today: dt.date) -> None:
    session = work.session
    if len(items) > MAX_MILESTONES:
        raise UserError(f"节点不超过 {MAX_MILESTONES} 个", field="milestones")
    existing = {
        m.id: m
        for m in session.scalars(
            select(ProjectMilestone).where(
                ProjectMilestone.project_id == p.id, ProjectMilestone.deleted_at.is_(None)
            )
        )
    }
    kept: set[str] = set()
    for n, item in enumerate(items, start=1):
        name = _clean(item.title, 100, label=f"第 {n} 个节点的名称", name="milestones")
        if not name:
            raise UserError(f"第 {n} 个节点没有写名称", field="milestones")
        if item.due_on is None:
            raise UserError(f"节点“{name}”没有计划日期", field="milestones")
        if not p.year - 1 <= item.due_on.year <= p.year + 1:
            raise UserError(
                f"节点“{name}”的计划日期 {cn_date(item.due_on)} 不在 {p.year} 年度前后", field="milestones"
            )
        if item.done_on is not None and item.done_on > today:
            raise UserError(f"节点“{name}”的完成日期不能晚于今天", field="milestones")
        note = _clean(item.note, 500, label=f"节点“{name}”的说明", name="milestones")
        m = existing.get(item.id or "")
        if m is None:
            m = ProjectMilestone(project_id=p.id, scope=p.scope, village_code=p.village_code)
            session.add(m)
        else:
            kept.add(m.id)
        if (m.position, m.title, m.due_on, m.done_on, m.note) != (n, name, item.due_on, item.done_on, note):
            m.position, m.title, m.due_on, m.done_on, m.note = n, name, item.due_on, item.done_on, note
    now = utcnow()
    for mid, m in existing.items():
        if mid not in kept:
            m.deleted_at = now


def _save_links(work: Work, p: Project, demand_ids: list[str]) -> None:
    """The demands the project answers: live demands of the project's village, each feeding no other
    live project."""
    session = work.session
    wanted = list(dict.fromkeys(demand_ids))
    if len(wanted) > MAX_DEMANDS:
        raise UserError(f"一项实事回应的诉求不超过 {MAX_DEMANDS} 条", field="demands")
    picks = (
        {d.id: d for d in demand_picks(session, p.village_code, ids=wanted, limit=len(wanted) or 1)}
        if wanted
        else {}
    )
    for did in wanted:
        pick = picks.get(did)
        if pick is None:
            raise UserError("选的诉求不在本村的民情台账里（或已被删除）", field="demands")
        if pick.project_id is not None and pick.project_id != p.id:
            raise UserError(
                f"诉求“{pick.content[:20]}”已由为民实事《{pick.project_title}》回应，一条诉求只归一项实事",
                field="demands",
            )
    links = {
        link.demand_id: link
        for link in session.scalars(
            select(ProjectDemand).where(ProjectDemand.project_id == p.id, ProjectDemand.deleted_at.is_(None))
        )
    }
    for did in wanted:
        if did not in links:
            session.add(
                ProjectDemand(project_id=p.id, demand_id=did, scope=p.scope, village_code=p.village_code)
            )
    now = utcnow()
    for did, link in links.items():
        if did not in wanted:
            link.deleted_at = now


def set_milestone_done(
    work: Work, milestone_id: str, done_on: dt.date | None, *, today: dt.date | None = None
) -> None:
    """Mark a milestone done on a day (or not done: ``None``)."""
    session = work.session
    accounts.require(work.actor, "manage_projects")
    m = require_live(session, ProjectMilestone, milestone_id, "找不到这个节点（可能已被删除）")
    p = _project(session, m.project_id)
    require_writer(work, p)
    if p.state == ACCEPTED:
        raise UserError("这项实事已验收，不能再修改")
    if done_on is not None and done_on > (today or dt.date.today()):
        raise UserError("完成日期不能晚于今天", field="done_on")
    m.done_on = done_on
    session.flush()
    audit.record(
        session,
        work.actor,
        "project.milestone",
        table="project_milestone",
        record_id=m.id,
        fields=["done_on"],
    )


def delete_project(work: Work, project_id: str) -> None:
    """Only a project still at 计划 (a plan dropped); one under way or done stays on the year's list."""
    session = work.session
    accounts.require(work.actor, "manage_projects")
    p = _project(session, project_id)
    require_writer(work, p)
    if p.state != PLANNED:
        raise UserError(f"这项实事已“{p.state}”，不能删除；只有还在计划中的实事可以删除")
    now = utcnow()
    for m in session.scalars(
        select(ProjectMilestone).where(
            ProjectMilestone.project_id == p.id, ProjectMilestone.deleted_at.is_(None)
        )
    ):
        m.deleted_at = now
    for link in session.scalars(
        select(ProjectDemand).where(ProjectDemand.project_id == p.id, ProjectDemand.deleted_at.is_(None))
    ):
        link.deleted_at = now
    p.deleted_at = now
    session.flush()
    audit.record(session, work.actor, "project.delete", table="project", record_id=p.id)


# -- the state ---------------------------------------------------------------------------------------------
def advance(
    work: Work,
    project_id: str,
    to_state: str,
    *,
    on: dt.date | None,
    done_summary: str | None = None,
    spent: object = None,
    review: ReviewInput | None = None,
    today: dt.date | None = None,
) -> ProjectDetail:
    """One step: 计划 → 实施中 (the day it started), 实施中 → 已完成 (the day, what was done, the money
    spent; every milestone done), 已完成 → 已验收 (the day, and the residents' 点评)."""
    session, actor = work.session, work.actor
    accounts.require(actor, "manage_projects")
    p = _project(session, project_id)
    require_writer(work, p)
    today = today or dt.date.today()
    if to_state not in PROJECT_STATES or NEXT_STATE.get(p.state) != to_state:
        nxt = NEXT_STATE.get(p.state)
        raise UserError(
            f"这项实事现在是“{p.state}”，不能改为“{to_state}”（下一步只能是：{nxt or '无，已验收'}）",
            field="state",
        )
    if on is None:
        raise UserError(f"请填写{STEP_NAMES[to_state]}日期", field="on")
    if on > today:
        raise UserError(f"{STEP_NAMES[to_state]}日期不能晚于今天", field="on")
    fields = ["state"]
    if to_state == IN_PROGRESS:
        p.started_on = on
        fields.append("started_on")
    elif to_state == COMPLETED:
        assert p.started_on is not None, "a project under way has its start"
        if on < p.started_on:
            raise UserError("完成日期不能早于开始实施的日期", field="on")
        undone = session.scalars(
            select(ProjectMilestone.title).where(
                ProjectMilestone.project_id == p.id,
                ProjectMilestone.deleted_at.is_(None),
                ProjectMilestone.done_on.is_(None),
            )
        ).all()
        if undone:
            raise UserError(
                f"还有节点没有完成：{'、'.join(undone[:5])}；请先填写各节点的完成日期", field="milestones"
            )
        summary = _clean(done_summary, 2000, label="完成情况", name="done_summary")
        if not summary:
            raise UserError("请写下完成情况（做了什么，如：硬化道路 1.2 公里）", field="done_summary")
        if spent in (None, ""):
            raise UserError("请填写实际支出（元）", field="spent")
        p.completed_on, p.done_summary, p.spent_fen = on, summary, yuan_to_fen(spent, field="spent")
        fields += ["completed_on", "done_summary", "spent_fen"]
    else:
        assert p.completed_on is not None, "a completed project has its date"
        if on < p.completed_on:
            raise UserError("验收日期不能早于完成日期", field="on")
        if review is None:
            raise UserError("验收时请记下群众点评", field="review")
        _check_review(review, p.completed_on, today)
        p.accepted_on = on
        p.review_satisfied, p.review_basic, p.review_dissatisfied = (
            review.satisfied,
            review.basic,
            review.dissatisfied,
        )
        p.review_method, p.review_words, p.review_on = review.method, review.words.strip(), review.given_on
        p.review_recorded_by = (actor.display_name if actor else "")[:50] or None
        fields += ["accepted_on", "review_satisfied", "review_basic", "review_dissatisfied", "review_method"]
    p.state = to_state
    session.flush()
    # the audit names the fields only: the 点评 is the residents', not a mark of a cadre
    audit.record(
        session, actor, "project.state", table="project", record_id=p.id, fields=fields, detail=to_state
    )
    return project_detail(work, p.id)


def _check_review(r: ReviewInput, completed_on: dt.date, today: dt.date) -> None:
    counts = (r.satisfied, r.basic, r.dissatisfied)
    for value, verdict in zip(counts, vocab.FEEDBACK_VERDICTS, strict=True):
        if type(value) is not int or not 0 <= value <= 100_000:
            raise UserError(f"“{verdict}”的人数请填写 0 或正整数", field="review")
    if sum(counts) == 0:
        raise UserError("请填写群众点评的人数（满意、基本满意、不满意至少一项）", field="review")
    if r.method not in vocab.FEEDBACK_METHODS:
        raise UserError(f"点评方式请选择：{'、'.join(vocab.FEEDBACK_METHODS)}", field="review_method")
    words = (r.words or "").strip()
    if r.dissatisfied and not words:
        raise UserError("有群众不满意时，请记下群众的意见（哪里不满意）", field="review_words")
    if len(words) > 1000:
        raise UserError("群众意见不超过 1000 个字", field="review_words")
    if r.given_on is None:
        raise UserError("请填写点评日期", field="review_on")
    if r.given_on > today:
        raise UserError("点评日期不能晚于今天", field="review_on")
    if r.given_on < completed_on:
        raise UserError("点评日期不能早于完成日期", field="review_on")


# -- photos ------------------------------------------------------------------------------------------------
def add_photo(work: Work, project_id: str, path: Path | str, *, note: str | None = None) -> AttachmentInfo:
    """A photo of the work (before, during, after), kept encrypted like every attachment."""
    accounts.require(work.actor, "manage_projects")
    p = _project(work.session, project_id)
    require_writer(work, p)
    path = Path(path)
    if path.suffix.lower() not in PHOTO_TYPES:
        raise UserError(f"照片请选 JPG 或 PNG 文件：{path.name}", field="photo")
    info = attachments.attach_file(work, "project", p.id, path, note=note, village_code=p.village_code)
    audit.record(work.session, work.actor, "project.photo", table="project", record_id=p.id)
    return info


def remove_photo(work: Work, project_id: str, attachment_id: str) -> None:
    accounts.require(work.actor, "manage_projects")
    p = _project(work.session, project_id)
    require_writer(work, p)
    if not any(a.id == attachment_id for a in attachments.attachments_of(work.session, "project", p.id)):
        raise UserError("这张照片不属于这项实事")
    attachments.remove_attachment(work, attachment_id)


# -- reading -----------------------------------------------------------------------------------------------
def project_detail(work: Work, project_id: str) -> ProjectDetail:
    session = work.session
    p = _project(session, project_id)
    milestones = [
        MilestoneInfo(m.id, m.position, m.title, m.due_on, m.done_on, m.note)
        for m in session.scalars(
            select(ProjectMilestone)
            .where(ProjectMilestone.project_id == p.id, ProjectMilestone.deleted_at.is_(None))
            .order_by(ProjectMilestone.position, ProjectMilestone.due_on)
        )
    ]
    linked = list(
        session.scalars(
            select(ProjectDemand.demand_id).where(
                ProjectDemand.project_id == p.id, ProjectDemand.deleted_at.is_(None)
            )
        )
    )
    picks = demand_picks(session, p.village_code, ids=linked, limit=len(linked) or 1) if linked else []
    return ProjectDetail(
        p.id,
        p.village_code,
        village_name(session, p.village_code),
        p.scope,
        p.year,
        p.title,
        p.content,
        p.budget_fen,
        p.funding_source,
        p.responsible,
        p.contact,
        p.state,
        p.started_on,
        p.completed_on,
        p.done_summary,
        p.spent_fen,
        p.accepted_on,
        p.review_satisfied,
        p.review_basic,
        p.review_dissatisfied,
        p.review_method,
        p.review_words,
        p.review_on,
        p.review_recorded_by,
        milestones,
        picks,
        attachments.attachments_of(session, "project", p.id),
        writable(work, p),
    )


# -- the demands a finished project settles ---------------------------------------------------------------
@dataclass(frozen=True)
class SettleResult:
    closed: int
    skipped: list[str]  # why a demand was left as it is


def settle_demands(
    work: Work, project_id: str, *, on: dt.date, replied_by: str, today: dt.date | None = None
) -> SettleResult:
    """At the village, once the project is 已完成 or 已验收: answer and close the linked demands still
    open ("已由为民实事《…》解决：…"), each through the diary's own steps (so its 台账 shows it). A demand
    waiting for the town's reply is left, and said so."""
    session = work.session
    accounts.require(work.actor, "handle_demands")
    p = _project(session, project_id)
    if work.is_town or p.village_code != work.unit_code:
        raise UserError("诉求由村里答复和办结：请在村工作站办结这些诉求")
    if p.state not in (COMPLETED, ACCEPTED):
        raise UserError("实事完成后才能据此办结诉求")
    today = today or dt.date.today()
    text = f"已由为民实事《{p.title}》解决：{p.done_summary}"
    closed, skipped = 0, []
    ids = session.scalars(
        select(ProjectDemand.demand_id).where(
            ProjectDemand.project_id == p.id, ProjectDemand.deleted_at.is_(None)
        )
    ).all()
    for d in session.scalars(select(Demand).where(Demand.id.in_(ids), Demand.deleted_at.is_(None))):
        if d.status == vocab.CLOSED:
            continue
        if d.status == vocab.REFERRED:
            skipped.append(f"“{d.content[:20]}”已上报乡镇，等乡镇答复后再办结")
            continue
        if d.status in (vocab.OPEN, vocab.TOWN_REPLIED):
            demands.reply_demand(
                work,
                d.id,
                reply=text,
                replied_on=max(on, d.town_replied_on or on),
                replied_by=replied_by,
                today=today,
            )
        demands.close_demand(work, d.id, closed_on=max(on, d.replied_on or on), handling=text, today=today)
        closed += 1
    return SettleResult(closed, skipped)
