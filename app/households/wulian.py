"""五联: each cadre's five pairings, derived from what the roster already says (docs/wulian.md).

“联系一个困难家庭、一名老党员老干部、一名留守儿童或空巢老人、一名经济能人、一个上访户”. A pairing is a
household whose current 联系干部 is the cadre (``cadre_assignment``) and which carries a tag of the
category (``household_tag``, the built-in tags of app/households/tags.py); nothing is typed again. Each
pairing shows the household's last 入户走访 (the diary's derived data, db/diary_derived.py).

No percentage, no count to compare and no view of several cadres side by side: a cadre sees their own
page; an administrator may open one cadre's page at a time. A category without a pairing is said so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from db import vocab
from db.models import CadreAssignment, Household, HouseholdTag, User
from db.queries.households import group_sort_key

from app.errors import UserError
from app.households.tags import hidden_tags
from app.work import Work


@dataclass(frozen=True)
class Category:
    key: str
    title: str  # as the page says it: 一个困难家庭
    tags: tuple[str, ...]  # the household tags that make a pairing of it


# The five, in the order of the practice (docs/wulian.md says why each tag belongs where it does).
CATEGORIES: tuple[Category, ...] = (
    Category("poor_family", "一个困难家庭", ("困难户", "特困", "低保", "五保")),
    Category("old_member", "一名老党员老干部", ("老党员/老干部",)),
    Category("left_behind", "一名留守儿童或空巢老人", ("留守儿童", "空巢老人")),
    Category("capable", "一名经济能人", ("经济能人",)),
    Category("petitioner", "一个上访户", ("上访户",)),
)


@dataclass(frozen=True)
class Pairing:
    household_id: str
    head_name: str
    group_name: str
    village_code: str
    tags: tuple[str, ...]  # the tags of the category it carries
    contact_since: dt.date  # the cadre is its 联系干部 since
    last_visit: dt.date | None  # its last 入户走访 (by anyone), None: never


@dataclass(frozen=True)
class CategoryView:
    category: Category
    pairings: tuple[Pairing, ...]
    hidden_tags: tuple[str, ...]  # tags of the category the viewer may not see (left out)

    @property
    def title(self) -> str:
        return self.category.title

    @property
    def tags_used(self) -> tuple[str, ...]:
        return tuple(t for t in self.category.tags if t not in self.hidden_tags)

    def empty_text(self, whose: str) -> str:
        """What the page says when the category has no pairing yet."""
        tags = "、".join(self.tags_used) or "—"
        return f"还没有结对：{whose}联系的户里没有标为“{tags}”的户"


@dataclass(frozen=True)
class WulianView:
    cadre_id: str
    cadre_name: str
    own: bool  # the viewer's own page
    categories: tuple[CategoryView, ...]


def may_choose_cadre(work: Work) -> bool:
    """An administrator may open any one cadre's page; everybody else sees their own."""
    return work.actor is not None and "admin" in work.actor.role_set


def wulian(work: Work, cadre_id: str | None = None) -> WulianView:
    """The 五联 page of ``cadre_id`` (default: the signed-in user)."""
    actor = work.actor
    if actor is None:
        raise UserError("请先登录")
    target = cadre_id or actor.id
    if target != actor.id and not may_choose_cadre(work):
        raise UserError("五联页只能看自己的；管理员可以选一位干部查看", field="cadre")
    session = work.session
    cadre = session.get(User, target)
    if cadre is None or cadre.deleted_at is not None:
        raise UserError("找不到这位干部的账号，请重新选择", field="cadre")
    hidden = hidden_tags(work)
    pairings = _pairings(session, target)
    views = []
    for cat in CATEGORIES:
        visible = set(cat.tags) - hidden
        mine = tuple(
            Pairing(
                p.household_id,
                p.head_name,
                p.group_name,
                p.village_code,
                tuple(t for t in cat.tags if t in p.tags),
                p.contact_since,
                p.last_visit,
            )
            for p in pairings
            if visible & set(p.tags)
        )
        views.append(CategoryView(cat, mine, tuple(t for t in cat.tags if t in hidden)))
    return WulianView(cadre.id, cadre.display_name, target == actor.id, tuple(views))


def _pairings(session: Session, cadre_id: str) -> list[Pairing]:
    """The cadre's current contact households with their 五联 tags and last home visit."""
    wanted = {t for cat in CATEGORIES for t in cat.tags}
    rows = list(
        session.execute(
            select(
                Household.id,
                Household.head_name,
                Household.group_name,
                Household.village_code,
                CadreAssignment.start_on,
            )
            .join(Household, Household.id == CadreAssignment.household_id)
            .where(
                CadreAssignment.cadre_id == cadre_id,
                CadreAssignment.role == vocab.CONTACT_CADRE,
                CadreAssignment.end_on.is_(None),
                CadreAssignment.deleted_at.is_(None),
                Household.deleted_at.is_(None),
            )
        )
    )
    ids = [r[0] for r in rows]
    tags: dict[str, set[str]] = {}
    visits: dict[str, dt.date] = {}
    visit = table("derived_household_visit", column("household_id"), column("last_visit"))
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for hid, tag in session.execute(
            select(HouseholdTag.household_id, HouseholdTag.tag).where(
                HouseholdTag.household_id.in_(part),
                HouseholdTag.deleted_at.is_(None),
                HouseholdTag.tag.in_(wanted),
            )
        ):
            tags.setdefault(hid, set()).add(tag)
        for hid, last in session.execute(
            select(visit.c.household_id, visit.c.last_visit).where(
                visit.c.household_id.in_([h for h in part if h in tags]), visit.c.last_visit.is_not(None)
            )
        ):
            visits[hid] = last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last))
    out = [
        Pairing(hid, head, group, vc, tuple(sorted(tags[hid])), since, visits.get(hid))
        for hid, head, group, vc, since in rows
        if hid in tags
    ]
    out.sort(key=lambda p: (p.village_code, group_sort_key(p.group_name), p.head_name))
    return out


def cadre_choices(work: Work) -> list[tuple[str, str]]:
    """(id, name) of the accounts an administrator may open, one at a time (this station's cadres)."""
    from app.households.cadres import cadres

    return [(u.id, u.display_name) for u in cadres(work)]
