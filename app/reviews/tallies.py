"""群众评议 of the 驻村干部 (docs/reviews.md): what a cadre did in a half-year, read from their diary entries
and demands (never typed again), and the tally counted from the paper ballots, with the sheets' scans.

Results are shown per cadre, in alphabetical (pinyin) order, to that cadre and to the town (and to the
village's administrator, who enters them): never ordered by a result, no percentages, no ranking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import distinct, func, select

from db import vocab
from db.models import CadreReview, Demand, DiaryEntry, DiaryParticipant, Station, User

from app import attachments, audit
from app.errors import UserError
from app.lookup import require_live
from app.ownership import REVIEW_COUNT_COLUMNS, require_own_record, tally_problem
from app.reviews.common import (
    RESIDENT_CADRE_WORD,
    parse_period,
    period_dates,
    pinyin_key,
    require_reviews,
    require_village,
)
from app.work import Work

COUNT_LABELS = {
    "ballots_issued": "发出",
    "ballots_returned": "收回",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "invalid": "无效",
}
MAX_SCAN = 20 * 1024 * 1024


@dataclass(frozen=True)
class CadreWork:
    """What one cadre did in a half-year, as their diary says it (counts and plain lines, no score)."""

    cadre_id: str
    name: str
    title: str
    village_code: str
    village_name: str
    entries: int
    by_kind: dict[str, int]
    households: int
    demands: int
    closed: int
    answered: int
    referred: int
    categories: list[tuple[str, int]]

    def lines(self) -> list[str]:
        """The ballot's plain words."""
        if not self.entries:
            return ["本半年民情日记中没有这位干部的走访记录。"]
        kinds = "、".join(f"{k}{n}次" for k, n in self.by_kind.items() if n)
        out = [
            f"记民情日记 {self.entries} 篇（{kinds}），走访到 {self.households} 户。",
            f"听取群众诉求 {self.demands} 条，已办结 {self.closed} 条"
            + (f"，已答复待办结 {self.answered} 条" if self.answered else "")
            + (f"，上报乡镇协调 {self.referred} 条" if self.referred else "")
            + "。",
        ]
        if self.categories:
            out.append("诉求主要涉及：" + "、".join(f"{c}{n}条" for c, n in self.categories) + "。")
        return out


@dataclass(frozen=True)
class TallyInfo:
    id: str
    cadre_id: str
    cadre_name: str
    cadre_title: str
    village_code: str
    village_name: str
    period: str
    counts: dict[str, int]
    counted_on: dt.date
    counted_by: str
    comments: str
    scans: int = 0

    def line(self) -> str:
        c = self.counts
        return (
            f"发出 {c['ballots_issued']} 张，收回 {c['ballots_returned']} 张：满意 {c['satisfied']}，"
            f"基本满意 {c['basically_satisfied']}，不满意 {c['dissatisfied']}，无效 {c['invalid']}"
        )


@dataclass
class TallyInput:
    ballots_issued: int
    ballots_returned: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    invalid: int
    counted_on: dt.date
    counted_by: str = ""
    comments: str = ""
    scans: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, object]:
        return {c: getattr(self, c) for c in REVIEW_COUNT_COLUMNS}


def resident_cadres(work: Work, village_code: str | None = None) -> list[User]:
    """The 驻村干部 of the village (all villages at a town, or ``village_code``): live, active accounts
    whose 职务 carries 驻村, in pinyin order of their names."""
    q = select(User).where(
        User.deleted_at.is_(None), User.active.is_(True), User.title.contains(RESIDENT_CADRE_WORD)
    )
    if not work.is_town:
        q = q.where(User.village_code == work.unit_code)
    elif village_code is not None:
        q = q.where(User.village_code == village_code)
    users = list(work.session.scalars(q))
    return sorted(users, key=lambda u: (u.village_code, *pinyin_key(u.display_name)))


def cadre_work(work: Work, cadres: Iterable[User], period: str) -> list[CadreWork]:
    """Each cadre's half-year from the diary: entries by kind, households met, demands heard in those
    entries and what became of them (their status now)."""
    start, end = period_dates(period)
    lo, hi = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    session = work.session
    names = dict(session.execute(select(Station.code, Station.name)).all())
    out = []
    for u in cadres:
        mine = (
            DiaryEntry.cadre_id == u.id,
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.occurred_at >= lo,
            DiaryEntry.occurred_at < hi,
        )
        by_kind_raw = dict(
            session.execute(
                select(DiaryEntry.kind, func.count()).where(*mine).group_by(DiaryEntry.kind)
            ).all()
        )
        by_kind = {k: by_kind_raw.get(k, 0) for k in vocab.ENTRY_KINDS} | {
            k: n for k, n in by_kind_raw.items() if k not in vocab.ENTRY_KINDS
        }
        households = session.scalar(
            select(func.count(distinct(DiaryParticipant.household_id)))
            .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
            .where(*mine, DiaryParticipant.deleted_at.is_(None), DiaryParticipant.household_id.is_not(None))
        )
        statuses = dict(
            session.execute(
                select(Demand.status, func.count())
                .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
                .where(*mine, Demand.deleted_at.is_(None))
                .group_by(Demand.status)
            ).all()
        )
        categories = [
            (str(c), int(n))
            for c, n in session.execute(
                select(Demand.category, func.count())
                .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
                .where(*mine, Demand.deleted_at.is_(None))
                .group_by(Demand.category)
                .order_by(func.count().desc(), Demand.category)
                .limit(3)
            )
        ]
        out.append(
            CadreWork(
                u.id,
                u.display_name,
                u.title or "",
                u.village_code,
                names.get(u.village_code, u.village_code),
                sum(by_kind.values()),
                by_kind,
                int(households or 0),
                sum(statuses.values()),
                statuses.get(vocab.CLOSED, 0),
                statuses.get(vocab.REPLIED, 0),
                statuses.get(vocab.REFERRED, 0) + statuses.get(vocab.TOWN_REPLIED, 0),
                categories,
            )
        )
    return out


def tally_defaults(work: Work, period: str) -> tuple[str, dt.date | None]:
    """What a new tally starts with: who counted the village's last one, and, within ``period``, the day
    its ballots were counted (one sitting counts every cadre's sheets; the tallies are often typed in
    later). None: no tally of the period yet."""
    rows = work.session.execute(
        select(CadreReview.period, CadreReview.counted_by, CadreReview.counted_on)
        .where(CadreReview.village_code == work.unit_code, CadreReview.deleted_at.is_(None))
        .order_by(CadreReview.updated_at.desc())
        .limit(50)
    ).all()
    counted_by = next((by for _p, by, _on in rows if by), "")
    counted_on = next((on for p, _by, on in rows if p == period and on is not None), None)
    return counted_by, counted_on


def record_tally(
    work: Work, cadre_id: str, period: str, data: TallyInput, *, today: dt.date | None = None
) -> TallyInfo:
    """Enter (or correct) one cadre's tally for a half-year as counted from the collected ballots; the
    sheets' scans are kept as encrypted attachments of the tally."""
    require_village(work, "群众评议的计票")
    require_reviews(work)
    period = parse_period(period)
    today = today or dt.date.today()
    cadre = require_live(work.session, User, cadre_id, "找不到这位干部的账号", field="cadre")
    if cadre.village_code != work.unit_code:
        raise UserError("只能录入本村驻村干部的评议结果", field="cadre")
    problem = tally_problem(data.counts())
    if problem:
        raise UserError(problem, field="counts")
    start, _end = period_dates(period)
    if data.counted_on < start:
        raise UserError("计票日期早于评议期开始，请核对", field="counted_on")
    if data.counted_on > today:
        raise UserError("计票日期不能晚于今天", field="counted_on")
    counted_by, comments = data.counted_by.strip(), data.comments.strip()
    if len(counted_by) > 100:
        raise UserError("计票人不超过 100 字", field="counted_by")
    if len(comments) > 5000:
        raise UserError("群众意见摘录不超过 5000 字", field="comments")
    for p in data.scans:
        if not Path(p).is_file():
            raise UserError(f"找不到评议票扫描件 {p}", field="scans")
    session = work.session
    row = session.scalars(
        select(CadreReview).where(
            CadreReview.cadre_id == cadre.id, CadreReview.period == period, CadreReview.deleted_at.is_(None)
        )
    ).first()
    if row is None:
        row = CadreReview(cadre_id=cadre.id, period=period)
        session.add(row)
    else:
        require_own_record(work, row, "这份评议结果")
    for c in REVIEW_COUNT_COLUMNS:
        setattr(row, c, getattr(data, c))
    row.counted_on, row.counted_by, row.comments = data.counted_on, counted_by, comments
    session.flush()
    for p in data.scans:
        attachments.attach_file(work, "cadre_review", row.id, p, note="评议票扫描件", max_size=MAX_SCAN)
    audit.record(
        session,
        work.actor,
        "record_cadre_review",
        table="cadre_review",
        record_id=row.id,
        fields=[*REVIEW_COUNT_COLUMNS, "counted_on", "counted_by", "comments"],
        detail=f"{period}，扫描件 {len(data.scans)} 份",
    )
    return _info(work, row, cadre)


def _info(work: Work, row: CadreReview, cadre: User, scans: int | None = None) -> TallyInfo:
    name = (
        work.session.scalar(select(Station.name).where(Station.code == row.village_code)) or row.village_code
    )
    if scans is None:
        scans = len(attachments.attachments_of(work.session, "cadre_review", row.id))
    return TallyInfo(
        row.id,
        cadre.id,
        cadre.display_name,
        cadre.title or "",
        row.village_code,
        name,
        row.period,
        {c: int(getattr(row, c)) for c in REVIEW_COUNT_COLUMNS},
        row.counted_on,
        row.counted_by,
        row.comments,
        scans,
    )


def may_see_all(work: Work) -> bool:
    """The town, and the village's administrator (who enters the tallies), see every cadre's result; a
    cadre sees their own."""
    actor = work.actor
    return actor is not None and (work.is_town or "admin" in actor.role_set)


def results(work: Work, period: str | None = None) -> list[TallyInfo]:
    """The tallies the user may see, per cadre in alphabetical (pinyin) order of the cadre's name
    (village-code order first at the town), whatever the results; ``period`` None: every half-year,
    newest first within each cadre."""
    if work.actor is None:
        return []
    session = work.session
    q = (
        select(CadreReview, User)
        .join(User, User.id == CadreReview.cadre_id)
        .where(CadreReview.deleted_at.is_(None))
    )
    if not work.is_town:
        q = q.where(CadreReview.village_code == work.unit_code)
    if not may_see_all(work):
        q = q.where(CadreReview.cadre_id == work.actor.id)
    if period is not None:
        q = q.where(CadreReview.period == parse_period(period))
    pairs = list(session.execute(q).all())
    ids = [r.id for r, _u in pairs]
    from db.models import Attachment

    scans: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        scans.update(
            session.execute(
                select(Attachment.owner_id, func.count())
                .where(
                    Attachment.owner_table == "cadre_review",
                    Attachment.owner_id.in_(chunk),
                    Attachment.deleted_at.is_(None),
                )
                .group_by(Attachment.owner_id)
            ).all()
        )
    infos = [_info(work, r, u, scans.get(r.id, 0)) for r, u in pairs]
    infos.sort(key=lambda t: (t.village_code, *pinyin_key(t.cadre_name), -int(t.period[:4]), t.period[4:]))
    return infos


def tally_of(work: Work, cadre_id: str, period: str) -> TallyInfo | None:
    for t in results(work, period):
        if t.cadre_id == cadre_id:
            return t
    return None
