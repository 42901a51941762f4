"""The village view of 帮扶: households of a tag, in the roster's order, with their aid over the last
12 months (how many times, how much money, which kinds), so that unevenness between households in
similar need shows without a score (“统筹平衡…保持大体一致”, docs/aid.md). No ranking, no percentages, no
colours: the same row for every household. At the town, village by village."""

from __future__ import annotations

import datetime as dt

from db.queries import aid as q

from app.errors import UserError
from app.households.tags import all_tags, hidden_tags
from app.work import Work

ALL_HOUSEHOLDS = "全部户"
# The tags the view offers first: the ones households are in difficulty by (DOMAIN.md); the rest follow.
NEED_TAGS = ("低保", "困难户", "特困", "五保", "残疾")
DEFAULT_TAG = "低保"


def window(until: dt.date) -> tuple[dt.date, dt.date]:
    """The last 12 months up to ``until``: from the day after the same date a year before."""
    try:
        year_before = until.replace(year=until.year - 1)
    except ValueError:  # 29 February
        year_before = until.replace(year=until.year - 1, day=28)
    return year_before + dt.timedelta(days=1), until


def tag_choices(work: Work) -> list[str]:
    """The tags the actor may choose (sensitive ones only for roles that may see them), the need tags
    first, then 全部户."""
    names = [t.name for t in all_tags(work)]
    first = [t for t in NEED_TAGS if t in names]
    return first + [n for n in names if n not in first] + [ALL_HOUSEHOLDS]


def village_view(
    work: Work, *, tag: str | None, village_code: str | None = None, until: dt.date | None = None
) -> list[q.VillageAidRow]:
    """The rows of the view. At a village: its own households (``village_code`` is ignored). At a town:
    one village, or every village in code order when None."""
    until = until or dt.date.today()
    since, until = window(until)
    if tag == ALL_HOUSEHOLDS:
        tag = None
    hidden = hidden_tags(work)
    if tag is not None and tag in hidden:
        raise UserError("标签：您的账号不能查看这个标签", field="tag")
    code = village_code if work.is_town else work.unit_code
    return q.village_view(
        work.session, village_code=code, tag=tag, since=since, until=until, hidden_tags=hidden
    )
