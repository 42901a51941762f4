"""The bundle importer's bulk path keeps what the town derives from a village's rows right where the rows
alone do not say it: the household a participant row left (the bundle carries only the participant), and
the roster's search text of a bundle made by an older program (its text is in that version's form)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from db.models import DiaryParticipant, Household
from db.queries.households import RosterFilter, roster_ids

from app.households import roster
from app.households.checks import HouseholdInput, MemberInput
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.sync_support import export_one, forge_bundle, open_bundle, with_rows
from tests.test_diary_derived import assert_derived_matches

HOME_VISIT = "入户走访"


def test_a_participant_moved_by_a_bundle_leaves_its_old_household_refreshed(two_villages, tmp_path):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    first = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    try:
        with first.engine.connect() as c:
            # a household visited at home exactly once: once the visit's row leaves it, it has none
            part_id, old_household = c.exec_driver_sql(
                "SELECT dp.id, dp.household_id FROM diary_participant dp JOIN diary_entry e ON e.id = dp.entry_id "
                "WHERE dp.deleted_at IS NULL AND e.deleted_at IS NULL AND e.kind = ? AND dp.household_id IN ("
                " SELECT p.household_id FROM diary_participant p JOIN diary_entry x ON x.id = p.entry_id"
                " WHERE p.deleted_at IS NULL AND x.deleted_at IS NULL AND x.kind = ?"
                " GROUP BY p.household_id HAVING count(*) = 1) ORDER BY dp.id LIMIT 1",
                (HOME_VISIT, HOME_VISIT),
            ).one()
        with town.engine.connect() as c:
            (before,) = c.exec_driver_sql(
                "SELECT last_visit FROM derived_household_visit WHERE household_id = ?", (old_household,)
            ).one()
        assert before is not None
        with first.work(None) as w:  # the participant row alone changes: its old household is not written
            other = w.session.scalars(
                select(Household.id).where(Household.deleted_at.is_(None), Household.id != old_household)
            ).first()
            w.session.get(DiaryParticipant, part_id).household_id = other
        stick = tmp_path / "stick"
        stick.mkdir()
        # (the bundle may carry the old household again, unchanged since the town has it: not written)
        report = import_bundles(town, [export_one(first, stick)])
        assert [b.status for b in report.bundles] == ["imported"], report.as_json()
        with town.engine.connect() as c:
            (after,) = c.exec_driver_sql(
                "SELECT last_visit FROM derived_household_visit WHERE household_id = ?", (old_household,)
            ).one()
        assert after is None  # never visited at home any more
        assert_derived_matches(town)
        with town.engine.connect() as c:  # the temporary trigger went with the import
            assert not c.exec_driver_sql("SELECT name FROM sqlite_temp_master WHERE type = 'trigger'").all()
    finally:
        town.close()
        first.close()


def _old_form(text: str) -> str:
    """A search text as a program before migration 0016 wrote it: no ``^张^`` surname mark, an ID by its
    last 8 characters."""
    words = []
    for word in text.split():
        if word.startswith("^") and word.endswith("^"):
            continue
        if word.startswith("#") and word.endswith("!"):
            word = "#" + word[1:-1][-8:] + "!"
        words.append(word)
    return " ".join(words)


def test_the_town_builds_the_search_text_of_a_bundle_from_an_older_program_anew(two_villages, tmp_path):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    first = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    number = "370681196503041237"
    try:
        with first.work(None) as w:
            made = roster.create_household(
                w,
                HouseholdInput(
                    group_name="九组",
                    address="九组1号",
                    members=[MemberInput("欧阳振华", relation="户主", id_number=number)],
                ),
                today=dt.date(2024, 12, 31),
            )
        stick = tmp_path / "stick"
        stick.mkdir()
        manifest, sections = open_bundle(export_one(first, stick), town)
        doc = json.loads(sections["table:households"])
        i_id, i_text = doc["columns"].index("id"), doc["columns"].index("search_text")
        rows = []
        for row in doc["rows"]:
            if row[i_id] == made.id:
                assert f"#{number}!" in row[i_text] and "^欧^" in row[i_text]
                row[i_text] = _old_form(row[i_text])
            rows.append(row)
        manifest["schema_version"] = "0015_town_agreement"
        old = forge_bundle(
            first,
            town,
            manifest,
            with_rows(sections, "households", rows, replace=True),
            tmp_path / "old.mqb",
            bundle_id=manifest["bundle_id"],
        )
        report = import_bundles(town, [old])
        assert [b.status for b in report.bundles] == ["imported"], report.as_json()
        with town.session() as s:
            stored = s.get(Household, made.id)
            assert stored is not None
            assert f"#{number}!" in stored.search_text and "^欧^" in stored.search_text
            for typed in (number, "欧", number[-12:]):
                assert made.id in roster_ids(s, RosterFilter(text=typed)), typed
    finally:
        town.close()
        first.close()
