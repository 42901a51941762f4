"""Down the chain: a case the village escalated (上报) gets the town's handling and outcome, a demand the
village referred (上报乡镇) gets the town's reply; both travel back in the town → village bundle, and the
village's next bundle is no conflict. (The referral itself: tests/test_demand_referral.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Demand, MediationCase, User

from app.diary import demands, entries
from app.diary import referral as demands_referral
from app.errors import UserError
from app.mediation import casefile, registration, rules, states
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import DEMO_TODAY, export_one, synced_rows


def _admin(ws: Workspace) -> User:
    from app import accounts

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.fixture
def stations(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    yield town, village
    village.close()
    town.close()


def test_town_outcome_of_an_escalated_case_and_its_reply_to_a_demand_reach_the_village(stations, tmp_path):
    town, village = stations
    stick = tmp_path / "stick"
    stick.mkdir()
    clerk = _admin(town)
    with village.work(_admin(village)) as w:
        demand_id = w.session.scalars(select(Demand.id).where(Demand.status == "待办")).first()
        demands_referral.refer_demand(
            w, demand_id, office="农业农村办", note="灌溉渠损坏", referred_on=DEMO_TODAY, today=DEMO_TODAY
        )
    (up,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert up.counts["rejected"] == 0
    with town.work(clerk) as w:
        case = w.session.scalars(
            select(MediationCase).where(
                MediationCase.village_code == VILLAGE_CODE, MediationCase.state == rules.ESCALATED
            )
        ).first()
        case_id, case_number = case.id, case.case_number
        handled_on = max(case.escalated_on, DEMO_TODAY)
        states.record_town_handling(
            w,
            case_id,
            handling="镇调委会组织双方及村组长现场勘界，重新测量后达成一致。",
            outcome="调解成功",
            handled_on=handled_on,
            note="已出具镇级调解协议",
            agreement_kind="书面",
            amount="3,500",
        )
        demands_referral.town_reply(
            w,
            demand_id,
            kind="乡镇答复",
            reply="镇农业站已排期，下周三派人检修灌溉渠。",
            replied_on=DEMO_TODAY,
            replied_by="镇农业站 王站长",
            today=DEMO_TODAY,
        )

    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    assert down.counts["mediation_cases"] == 1 and down.counts["demands"] == 1

    def fts_triggers():
        with village.new_session() as s:
            return set(
                s.connection()
                .exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fts_%'"
                )
                .scalars()
            )

    triggers_before = fts_triggers()
    assert triggers_before
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.status == "imported" and b.counts["updated"] == 2 and b.counts["conflicts"] == 0
    with village.work(_admin(village)) as w:
        info = casefile.open_case(w, case_id, audit_open=False).case
        assert (info.town_outcome, info.town_outcome_note) == ("调解成功", "已出具镇级调解协议")
        assert (info.town_agreement_kind, info.town_amount_fen) == (
            "书面",
            350000,
        )  # the town's, brought down
        assert info.town_handler == clerk.display_name and info.state == rules.ESCALATED
        reply = demands.demand_info(w, demand_id)
        assert reply.status == "乡镇已答复" and reply.town_reply.startswith("镇农业站已排期")
        # the entry is still found at the village (the importer re-indexed it in bulk) and the index's
        # triggers are back for the next ordinary edit
        from db.queries.diary import DiaryFilter, diary_entry_ids

        assert reply.entry_id in diary_entry_ids(w.session, DiaryFilter(text=reply.content[:6]))
    assert fts_triggers() == triggers_before

    # the village archives the case after the town's outcome: a fast-forward at the town, not a conflict
    admin = _admin(village)
    with village.work(admin) as w:
        for item in casefile.checklist(w, case_id):
            if item.required and not item.present:
                casefile.set_file_item(w, case_id, item.key, present=True, pages=1)
        states.change_state(
            w,
            case_id,
            rules.ARCHIVED,
            on_date=handled_on + dt.timedelta(days=3),
            volume_no="2024-调-01",
            filed_by="张家村调委会",
            retention="长期",
        )
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert b.status == "imported" and b.counts["conflicts"] == 0
    with town.new_session() as s:
        row = s.get(MediationCase, case_id)
        assert (
            row.state == rules.ARCHIVED and row.town_outcome == "调解成功" and row.case_number == case_number
        )
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_the_town_reads_a_villages_records_but_does_not_edit_them(stations):
    from db.models import DiaryEntry, Household

    from app.households import cadres, checks, roster

    town, _village = stations
    clerk = _admin(town)
    with town.work(clerk) as w:
        s = w.session
        hid = s.scalars(select(Household.id).where(Household.village_code == VILLAGE_CODE)).first()
        view = roster.get_household(w, hid)
        entry_id = s.scalars(
            select(DiaryEntry.id).where(
                DiaryEntry.village_code == VILLAGE_CODE, DiaryEntry.deleted_at.is_(None)
            )
        ).first()
        case_id = s.scalars(
            select(MediationCase.id).where(MediationCase.village_code == VILLAGE_CODE)
        ).first()
    before = synced_rows(town, VILLAGE_CODE)
    attempts = [
        lambda w: roster.update_household(
            w,
            hid,
            checks.HouseholdInput(
                household_no=view.household_no,
                group_name=view.group_name,
                address="镇里改的住址",
                phones=view.phones,
                notes=view.notes,
                members=[],
            ),
        ),
        lambda w: cadres.mark_cards_delivered(w, [hid], DEMO_TODAY),
        lambda w: cadres.set_card_delivered(w, hid, DEMO_TODAY),
        lambda w: entries.add_amendment(w, entry_id, "镇里补记"),
        lambda w: entries.delete_entry(w, entry_id),
        lambda w: registration.update_case(w, case_id, title="镇里改的名称"),
    ]
    for attempt in attempts:
        with pytest.raises(UserError) as err, town.work(clerk) as w:
            attempt(w)
        assert "乡镇" in str(err.value) and ("只能查看" in str(err.value))
    assert synced_rows(town, VILLAGE_CODE) == before


def test_a_village_cannot_write_the_towns_handling_of_an_escalated_case(stations, tmp_path):
    town, village = stations
    stick = tmp_path / "stick"
    stick.mkdir()
    with village.session() as s:  # a dishonest village edits its own database around the services
        case = s.scalars(select(MediationCase).where(MediationCase.state == rules.ESCALATED)).first()
        case_id = case.id
        case.town_outcome, case.town_handling = "调解成功", "村里自己写的乡镇处理结果"
    with town.new_session() as s:
        before = (s.get(MediationCase, case_id).town_outcome, s.get(MediationCase, case_id).town_handling)
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 1
    (r,) = b.rejections
    assert r.record_type == "mediation_cases" and r.record_id == case_id
    assert r.reason in ("“乡镇处理结果”只能由乡镇填写", "“乡镇处理情况”只能由乡镇填写")
    with town.new_session() as s:
        row = s.get(MediationCase, case_id)
        assert (row.town_outcome, row.town_handling) == before
