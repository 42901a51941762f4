"""户籍台账 Excel, writing an import: write the valid rows of a plan in one transaction, write the
invalid rows to an error workbook (the row plus a reason column) that can be fixed and imported
again, and :func:`import_file`, which reads, plans and writes a file. Importing the same file twice
changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.base import id_stream, new_id
from db.bulk import insert_rows
from db.diary_derived import refresh_written, triggers_set_aside
from db.models import Household, HouseholdTag, Person
from db.queries.households import (
    MemberKeys,
    bulk_search_index,
    household_search_text,
    note_search_text_changed,
)
from db.stamping import StampContext, stamp_new_rows

from app import audit
from app.errors import UserError
from app.excel import literal_rows, storable
from app.households.checks import require_edit
from app.households.excel_plan import ImportPlan, RosterRow, household_values, person_diff, plan_import
from app.households.excel_read import read_sheet
from app.households.roster import refresh_search_text
from app.households.tags import hidden_tags, tag_row_id
from app.ledger_book import save_workbook
from app.ownership import require_village_station
from app.pinyin import name_keys
from app.sync.records import table_of
from app.work import Work


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Planning and writing a roster make a few hundred thousand small objects that all live to the
    end: the cyclic garbage collector would scan them again and again for nothing (a tenth of the
    import's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- writing ------------------------------------------------------------------------------------
@dataclass
class ImportResult:
    summary: dict[str, Any]
    notes: list[str]
    dry_run: bool
    errors_path: Path | None = None


def apply_import(
    work: Work, plan: ImportPlan, progress: Callable[[int, int, str], None] | None = None
) -> None:
    """Write the plan's valid rows (the caller's unit of work is the one transaction).

    New households, members and tags go in as Core bulk inserts (stamped with
    :func:`db.stamping.stamp_new_rows`); changes to existing ones through the ORM (stamped by the
    flush hook). The search index is rebuilt for all of them in one statement at the end.
    """
    require_edit(work)
    require_village_station(work, "household")  # the bulk insert below bypasses the ORM's check
    session, actor = work.session, work.actor
    mapped = set(plan.mapping.values())
    hidden = hidden_tags(work) if actor is not None else frozenset()  # CLI: the station's operator
    conn = session.connection()
    ctx = StampContext(work.station.id, work.unit_code, actor.id if actor is not None else None)
    keys_cache: dict[str, tuple[str, str]] = {}

    def keys(name: str) -> tuple[str, str]:
        if name not in keys_cache:
            keys_cache[name] = name_keys(name)
        return keys_cache[name]

    ids = id_stream(ctx.station_id)
    new_households: list[dict[str, Any]] = []
    new_persons: list[dict[str, Any]] = []
    new_tags: list[dict[str, Any]] = []
    changed: list[Household] = []
    total = len(plan.households)
    # the search index and the derived visit rows of the households are brought up to date once, at the end
    with triggers_set_aside(conn), bulk_search_index(conn):
        for n, hh in enumerate(plan.households):
            if progress is not None and n % 200 == 0:
                progress(n, total, f"正在导入第 {n + 1}/{total} 户")
            if hh.skipped or hh.head_row is None:
                continue  # 整户跳过: a household with a bad row, unless imported without it by choice
            assert hh.head_row.member is not None, "a row grouped into a household has been parsed"
            rows = [r for r in hh.rows if not r.invalid and r.outcome in ("new", "updated")]
            household_changed = hh.head_row.outcome == "updated" or hh.existing_id is None
            if not rows and not household_changed:
                continue
            values = household_values(plan, hh)
            tags = [t for t in hh.head_row.fields.get("tags") or () if t not in hidden]
            if hh.existing_id is None:
                # a 户系统编号 that matched nothing here (a roster exported by another village) is not
                # adopted: the household gets an id of this station, never another village's
                hid = next(ids)
                members = []
                head_id = None
                for r in rows:
                    m = r.member
                    assert m is not None, "a row grouped into a household has been parsed"
                    pid = next(ids)
                    full, initials = keys(m.name)
                    members.append(MemberKeys(m.name, full, initials, m.id_number, m.phone))
                    new_persons.append(
                        {
                            "id": pid,
                            "household_id": hid,
                            "name": m.name,
                            "relation": m.relation,
                            "sex": m.sex,
                            "birth_date": m.birth_date,
                            "id_number": m.id_number,
                            "ethnicity": m.ethnicity,
                            "phone": m.phone,
                            "occupation": m.occupation,
                            "notes": m.notes or "",
                            "status": "在册",
                            "status_date": None,
                            "name_pinyin": full,
                            "name_initials": initials,
                        }
                    )
                    if r is hh.head_row:
                        head_id = pid
                row: dict[str, Any] = {
                    "id": hid,
                    "household_no": values.get("household_no"),
                    "head_id": head_id,
                    "head_name": values["head_name"],
                    "group_name": values.get("group_name", ""),
                    "address": values.get("address", ""),
                    "phones": values.get("phones", hh.head_row.member.phone or ""),
                    "notes": "",
                    "card_delivered_on": values.get("card_delivered_on"),
                }
                row["search_text"] = household_search_text(
                    household_no=row["household_no"],
                    group_name=row["group_name"],
                    address=row["address"],
                    phones=row["phones"],
                    members=members,
                )
                new_households.append(row)
                new_tags.extend({"id": tag_row_id(hid, t), "household_id": hid, "tag": t} for t in tags)
                continue
            household = session.get(Household, hh.existing_id)
            assert household is not None, "the plan matched it in this unit of work"
            for key, value in values.items():
                if getattr(household, key) != value:
                    setattr(household, key, value)
            for r in rows:
                m = r.member
                assert m is not None, "a row grouped into a household has been parsed"
                pid = r.fields.get("_person_id", "")  # the matched person's id (str), set by the plan
                if pid:
                    person = session.get(Person, pid)
                    assert person is not None, "the plan matched this person in this unit of work"
                    for attr, value in person_diff(person, m, mapped).items():
                        setattr(person, attr, value)
                else:
                    person = Person(
                        id=new_id(ctx.station_id),
                        household_id=household.id,
                        name=m.name,
                        relation=m.relation,
                        sex=m.sex,
                        birth_date=m.birth_date,
                        id_number=m.id_number,
                        ethnicity=m.ethnicity,
                        phone=m.phone,
                        occupation=m.occupation,
                        notes=m.notes or "",
                        status="在册",
                    )
                    session.add(person)
                if r is hh.head_row:
                    household.head_id = person.id
            for tag in tags:
                trow = session.get(HouseholdTag, tag_row_id(household.id, tag))
                if trow is None:
                    session.add(
                        HouseholdTag(id=tag_row_id(household.id, tag), household_id=household.id, tag=tag)
                    )
                elif trow.deleted_at is not None:
                    trow.deleted_at = None
            changed.append(household)
            if len(changed) % 200 == 0:
                session.flush()
        session.flush()
        for table, new_rows in ((Household, new_households), (Person, new_persons), (HouseholdTag, new_tags)):
            stamp_new_rows(conn, ctx, new_rows)
            insert_rows(conn, table_of(table), new_rows)
        if changed:
            for household in changed:
                refresh_search_text(work, household)
            session.flush()
            note_search_text_changed(conn, [h.id for h in changed])
        refresh_written(conn, households=[h["id"] for h in new_households] + [h.id for h in changed])
    audit.record(
        session,
        actor,
        "households.import",
        table="household",
        fields=["rows"],
        detail=f"{plan.sheet.path.name}: 新增 {plan.count('new')} 行，更新 {plan.count('updated')} 行"
        + "".join(f"，整户跳过 {hh.describe()}" for hh in plan.damaged_households if hh.skipped)[:1000],
    )


def _error_rows(plan: ImportPlan) -> list[tuple[RosterRow, str]]:
    """The rows to fix and import again, with why each is there, in sheet order: every bad row; every
    row of a household left out (整户跳过); and the head row of a household imported without its bad
    rows, so that a fixed member row finds its household when the workbook is imported again."""
    out: list[tuple[RosterRow, str]] = []
    for r in plan.data_rows:
        hh = r.household
        if r.outcome == "invalid":
            reason = "；".join(
                f"{p.column}：{p.reason}" if not p.reason.startswith(p.column) else p.reason
                for p in r.problems
                if p.level == "error"
            )
        elif r.outcome == "skipped" and hh is not None:
            bad = "、".join(f"第 {b.row} 行" for b in hh.bad_rows) or "户主行"
            reason = f"本行无误；同户的{bad}有错，整户未导入。改正那一行后可把整户再导入一次"
        elif hh is not None and r is hh.head_row and hh.damaged and not hh.skipped:
            reason = "户主行，已导入，无需修改；附在这里，是为了改正同户的错误行后再导入时能归到这一户"
        else:
            continue
        out.append((r, reason))
    return out


def write_error_workbook(plan: ImportPlan, out: Path | str) -> Path:
    """The rows to fix as they were (header row kept) plus a 错误原因 column, ready to fix and
    re-import (see :func:`_error_rows`)."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    out = Path(out)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet), "a new workbook's one sheet is a worksheet"
    ws.title = "错误行"
    header = list(plan.sheet.rows[plan.header_row])
    ws.append([storable(v) for v in header] + ["错误原因", "原行号"])
    for r, reasons in _error_rows(plan):
        values = list(r.values) + [None] * (len(header) - len(r.values))
        ws.append([storable(v) for v in values[: len(header)]] + [storable(reasons), r.row])
    literal_rows(ws.iter_rows())  # the rows are what was typed: never formulas
    id_cols = [i for i, f in plan.mapping.items() if f == "id_number"]
    for row in ws.iter_rows(min_row=2):
        for i in id_cols:
            row[i].number_format = "@"
    ws.column_dimensions[_col_letter(len(header) + 1)].width = 60
    ws.freeze_panes = "A2"
    return save_workbook(wb, out)


def _col_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _errors_target(source: Path, out: Path) -> Path:
    """Where the error rows go: an .xlsx (the name given one if it has another), never the roster read."""
    if out.suffix.lower() != ".xlsx":
        out = out.with_name(out.name + ".xlsx")
    if out.exists() and source.exists() and out.resolve() == source.resolve():
        raise UserError(
            f"错误表 {out.name} 就是要导入的名册：写进去会把名册盖掉。请给错误表另起一个文件名",
            field="errors",
        )
    return out


def import_file(
    work: Work,
    path: Path | str,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    errors_out: Path | str | None = None,
    header_row: int | None = None,
    mapping: dict[int, str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    keep_rest: bool = False,
) -> ImportResult:
    """Read, plan and (unless ``dry_run``) write in the caller's unit of work; a failure changes nothing.

    A household with a bad row is left out whole, or with ``keep_rest`` imported without its bad rows."""
    if errors_out is not None:
        errors_out = _errors_target(Path(path), Path(errors_out))
    data = read_sheet(path, sheet)
    if progress is not None:
        progress(0, 0, "正在检查各行")
    with gc_paused():
        plan = plan_import(
            work, data, header_row=header_row, mapping=mapping, today=today, keep_rest=keep_rest
        )
        if not dry_run:
            apply_import(work, plan, progress)
    errors_path = None
    if errors_out is not None and (plan.count("invalid") or plan.count("skipped")):
        errors_path = write_error_workbook(plan, errors_out)
    return ImportResult(plan.summary(), plan.notes, dry_run, errors_path)
