"""户的标签: the built-in tags and the village's own, which of them are sensitive (hidden from roles
that may not see them, and left alone when such a role saves), and the tags of one household.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import derived_id, utcnow
from db.models import HouseholdTag, TagDefinition

from app import audit
from app.accounts import can
from app.errors import UserError
from app.households.checks import clean_text, get_live, require_edit
from app.work import Work

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


@dataclass(frozen=True)
class TagInfo:
    name: str
    sensitive: bool
    builtin: bool


# -- tags ---------------------------------------------------------------------------------------
def _tag_infos(session: Session) -> list[TagInfo]:
    """Built-in tags, then the village's own, sensitive ones included."""
    tags = [TagInfo(n, s, True) for n, s in BUILTIN_TAGS]
    builtin = {n for n, _ in BUILTIN_TAGS}
    for td in session.scalars(
        select(TagDefinition).where(TagDefinition.deleted_at.is_(None)).order_by(TagDefinition.name)
    ):
        if td.name not in builtin:
            tags.append(TagInfo(td.name, td.sensitive, False))
    return tags


def all_tags(work: Work) -> list[TagInfo]:
    """Built-in tags, then the village's own, leaving out sensitive ones the actor may not see."""
    tags = _tag_infos(work.session)
    if not can(work.actor, "see_sensitive_tags"):
        tags = [t for t in tags if not t.sensitive]
    return tags


def sensitive_tags(session: Session) -> frozenset[str]:
    """Every sensitive tag name, built-in and the village's own (a plain lookup: the reports use it too)."""
    names = {n for n, s in BUILTIN_TAGS if s}
    names |= set(
        session.scalars(
            select(TagDefinition.name).where(
                TagDefinition.sensitive.is_(True), TagDefinition.deleted_at.is_(None)
            )
        )
    )
    return frozenset(names)


def known_tags(work: Work) -> set[str]:
    """Every tag name there is, sensitive ones included (what a household may be given)."""
    return {t.name for t in _tag_infos(work.session)}


def hidden_tags(work: Work) -> frozenset[str]:
    """Tags the actor may not see (and so may not filter by)."""
    return frozenset() if can(work.actor, "see_sensitive_tags") else sensitive_tags(work.session)


def add_tag_definition(work: Work, name: str, *, sensitive: bool = False, description: str = "") -> TagInfo:
    require_edit(work)
    session = work.session
    name = clean_text(name)
    if not name:
        raise UserError("标签名：请填写", field="name")
    if len(name) > 30:
        raise UserError("标签名：最多 30 个字", field="name")
    known = known_tags(work)
    if name in known:
        raise UserError(f"标签“{name}”已经有了", field="name")
    session.add(TagDefinition(name=name, sensitive=sensitive, description=description))
    audit.record(session, work.actor, "tag.add", table="tag_definition", fields=["name", "sensitive"])
    return TagInfo(name, sensitive, False)


def tag_row_id(household_id: str, tag: str) -> str:
    return derived_id(household_id, "tag", tag)


def set_tags(work: Work, household_id: str, tags: Iterable[str]) -> None:
    """The household's tags become ``tags``; sensitive tags the actor cannot see are left as they are."""
    require_edit(work)
    session, actor = work.session, work.actor
    household = get_live(work, household_id)
    hidden = hidden_tags(work)
    known = known_tags(work)
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


def household_tags(work: Work, household_id: str) -> tuple[str, ...]:
    """The household's tags the actor may see."""
    hidden = hidden_tags(work)
    names = work.session.scalars(
        select(HouseholdTag.tag)
        .where(HouseholdTag.household_id == household_id, HouseholdTag.deleted_at.is_(None))
        .order_by(HouseholdTag.tag)
    )
    return tuple(n for n in names if n not in hidden)
