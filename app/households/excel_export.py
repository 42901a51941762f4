"""户籍台账 Excel, export: a 台账 workbook (title row, frozen header, widths, dates as dates, IDs as
text, masked unless the user may export full IDs) that the importer reads back with no change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select

from db.models import Household, HouseholdTag, Person
from db.queries.households import group_sort_key

from app import audit
from app.accounts import require
from app.codes import mask_resident_id
from app.dates import cn_date
from app.households.excel_read import label
from app.households.tags import hidden_tags, sensitive_tags
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, check_target, village_names
from app.work import Work

TEXT_KEYS = ("id_number", "phone", "household_no", "household_phones")  # text even when all digits

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


def export_roster(
    work: Work,
    out: Path | str,
    *,
    full_id: bool = False,
    village_name: str = "",
    today: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Write the 台账 workbook; returns the number of persons written: 在册 members and every head."""
    session, user = work.session, work.actor
    if full_id:
        require(user, "export_full_id")
    today = today or dt.date.today()
    out = check_target(out)
    hidden = hidden_tags(work) if user is not None else sensitive_tags(session)
    households = list(session.scalars(select(Household).where(Household.deleted_at.is_(None))))
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
    names = village_names(work)  # a town's roster has a 村 column
    if names is not None:
        households.sort(key=lambda h: h.village_code)  # stable: each village's households keep their order
    book = LedgerBook(
        "户籍台账",
        f"{village_name}户籍台账  共 {len(households)} 户  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else [])
        + [(label(key), EXPORT_WIDTHS[key]) for key in EXPORT_ORDER],
        text_columns=[label(key) for key in TEXT_KEYS],
        frozen_columns=1 if names is not None else 0,
    )
    relation_order = {"户主": 0}

    def rows() -> Iterator[list[object]]:
        for i, h in enumerate(households):
            if progress is not None and i % 1000 == 0:
                progress(i, len(households), "正在导出")
            members = sorted(
                persons.get(h.id, []),
                key=lambda p: (relation_order.get(p.relation, 1), p.birth_date or dt.date.max, p.name),
            )
            for p in members:
                yield [
                    *(() if names is None else (names.get(h.village_code, h.village_code),)),
                    *(_export_value(key, h, p, tags, full_id) for key in EXPORT_ORDER),
                ]

    n = book.save(out, rows())
    if full_id:
        audit.record(session, user, "households.export_full_id", fields=["id_number"], detail=f"{n} 人")
    else:
        audit.exported(work, "户籍台账（身份证号打码）", out, n)
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
