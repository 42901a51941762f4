"""A town never writes village records (issue 15, "A town never writes village records").

The rule is one check in ``app.ownership`` (``town_write_refusal``, run on every flush of a town's unit
of work). Two tests iterate over the record types, so a new synced table cannot slip through:

- every synced table, written straight through the ORM at the town (a new row; a village row changed
  outside the town's own columns), is refused with the Chinese reason;
- every village record type has a service write listed here, called from a town session, refused,
  and the town's data unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from db.base import SyncedRecord
from db.models import (
    DiaryEntry,
    Household,
    KeyCase,
    MediationCase,
    Person,
    Screening,
    User,
)

from app import accounts, attachments, ownership
from app.aid import pairs as aid_pairs
from app.aid import records as aid_records
from app.diary import acknowledgement, entries, visits
from app.errors import UserError
from app.households import cadres, checks, roster, tags
from app.informants import appointments as informants
from app.keycases import cases as keycases
from app.mediation import agreement, casefile, frozen, meetings, recusal, registration, screening, states
from app.projects import service as projects
from app.sync import records
from app.workspace import Workspace

from tests.conftest import ADMIN, TOWN_CODE
from tests.sync_support import content_dump

D = dt.date
VILLAGE = "370681101201"


def _admin(ws: Workspace) -> User:
    with ws.session() as s:
        code = ws.require_station().code
        admin = s.scalars(select(User).where(User.username == "admin", User.village_code == code)).one()
        s.expunge(admin)
    return admin


def _one(w, model: type[SyncedRecord], **where) -> SyncedRecord:
    """A live row of the first village (the demo fills every table)."""
    q = select(model).where(model.village_code == VILLAGE, model.deleted_at.is_(None))
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    row = w.session.scalars(q.order_by(model.id)).first()
    assert row is not None, f"the demo village has a live {model.__tablename__}"
    return row


def _one_of(w, table: str) -> SyncedRecord:
    return _one(w, records.model_for_table(table))


def _a_text_column(model: type[SyncedRecord]) -> str:
    """A village column the town may not write (not bookkeeping, not the town's own)."""
    table = records.table_of(model)
    town = ownership.TOWN_COLUMNS.get(table.name, frozenset())
    skip = {"id", "village_code", "origin_station", "created_at", "created_by", "deleted_at"}
    for col in table.columns:
        if col.name in skip or col.name in town or col.name in ownership.BOOKKEEPING:
            continue
        if col.type.python_type is str:
            return col.name
    raise AssertionError(f"{table.name} has no text column to change")


@pytest.fixture
def town(two_villages):
    ws = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    yield ws
    ws.close()


def test_every_synced_table_is_either_the_towns_own_or_a_named_village_record():
    tables = {records.table_of(m).name for m in records.models()}
    assert set(ownership.RECORD_KINDS) | ownership.TOWN_OWN_TABLES | ownership.TOWN_WRITTEN_TABLES == tables
    assert set(ownership.RECORD_KINDS) == set(SERVICE_WRITES)


def test_the_orm_refuses_every_village_record_written_at_a_town(town):
    admin = _admin(town)
    before = content_dump(town)
    for model in records.models():
        name = records.table_of(model).name
        if name in ownership.TOWN_WRITTEN_TABLES or name in ownership.TOWN_ONLY_TABLES:
            continue  # the town writes these (test_the_town_writes_a_decision_but_never_its_completion)
        with pytest.raises(UserError) as new, town.work(admin) as w:
            row = _one(w, model)
            copy = model()
            for col in records.table_of(model).columns:
                if col.name not in {"id", "version", "origin_station", "changed_station"}:
                    setattr(copy, col.key, getattr(row, col.key))
            copy.id = f"town-made-{name}"[:36]
            w.session.add(copy)
            w.session.flush()
        assert "乡镇工作站不能录入或修改村里的" in str(new.value), name
        column = _a_text_column(model)
        with pytest.raises(UserError) as changed, town.work(admin) as w:
            row = _one(w, model)
            setattr(row, column, (getattr(row, column) or "") + "（乡镇改）")
        assert "乡镇工作站不能录入或修改村里的" in str(changed.value), f"{name}.{column}"
        with pytest.raises(UserError), town.work(admin) as w:
            _one(w, model).deleted_at = dt.datetime(2026, 1, 1)
    assert content_dump(town) == before


def test_the_town_still_writes_its_own_part(town):
    """What a town legitimately writes passes the same rule: its users, its frozen 月报, its reply to a
    referred demand and its handling of an escalated case (columns of village records it owns)."""
    admin = _admin(town)
    with town.work(admin) as w:
        accounts.add_user(
            w, username="clerk2", display_name="镇文书", password="pass-word-2", roles=["town_staff"]
        )
        frozen.freeze(w, 2024, 5, today=D(2024, 6, 1))
    assert (
        ownership.town_write_refusal("mediation_case", VILLAGE, TOWN_CODE, frozenset({"town_handling"}))
        is None
    )
    assert (
        ownership.town_write_refusal("demand", VILLAGE, TOWN_CODE, frozenset({"status", "town_reply"}))
        is None
    )
    assert ownership.town_write_refusal("demand", VILLAGE, TOWN_CODE, frozenset({"content"})) is not None
    assert ownership.town_write_refusal("user", VILLAGE, TOWN_CODE, frozenset({"display_name"})) is not None
    assert ownership.town_write_refusal("user", TOWN_CODE, TOWN_CODE, None) is None
    # a 包案 the town opens for a household of its village is the town's own (owner_unit: the town)
    with town.work(admin) as w:
        household = _household(w)
        case_id = keycases.open_case(
            w,
            keycases.KeyCaseInput(
                household_id=household.id,
                title="乡镇开立的包案",
                opened_on=D(2024, 6, 1),
                leader=keycases.PersonRef("镇领导", "东城镇"),
                team=[keycases.PersonRef("镇干部", "东城镇")],
                plan="方案",
                department="镇信访办",
                stabilization="稳控",
                steps={"steps_educate": "疏导"},
            ),
        )
        keycases.revise_plan(w, case_id, "方案二")
    with town.session() as s:
        row = s.get(KeyCase, case_id)
        assert (row.owner_unit, row.village_code) == (TOWN_CODE, VILLAGE)

    # its 镇 为民实事 for a village, never a village's 村 one, and never by changing a project's scope
    assert ownership.town_write_refusal("project", VILLAGE, TOWN_CODE, None, town_scoped=True) is None
    assert ownership.town_write_refusal("project", VILLAGE, TOWN_CODE, None) is not None
    assert (
        ownership.town_write_refusal("project", VILLAGE, TOWN_CODE, frozenset({"scope"}), town_scoped=True)
        is not None
    )


def test_the_town_writes_a_decision_but_never_its_completion(town):
    """两评 (docs/reviews.md): a 点评会 decision is the town's row of a village, sent down; only its
    completion (落实情况) is the village's."""
    from db.models import ReviewDecision

    admin = _admin(town)
    with town.work(admin) as w:
        w.session.add(
            ReviewDecision(
                village_code=VILLAGE,
                meeting_id="m",
                month="2024-05",
                held_on=D(2024, 6, 3),
                text="各村月底前走访低保户",
                done_note="",
            )
        )
    before = content_dump(town)
    for column, value in (("done_note", "乡镇代填"), ("done_on", D(2024, 6, 5))):
        with pytest.raises(UserError, match="落实情况由村里填写"), town.work(admin) as w:
            row = w.session.scalars(select(ReviewDecision)).one()
            setattr(row, column, value)
    assert content_dump(town) == before
    assert ownership.town_write_refusal("review_decision", VILLAGE, TOWN_CODE, frozenset({"text"})) is None


# -- every village record type, through its service, from a town session ---------------------------------
def _household(w) -> Household:
    return _one(w, Household)


def _entry(w) -> DiaryEntry:
    return _one(w, DiaryEntry)


def _case(w) -> MediationCase:
    return _one(w, MediationCase)


def _write_household(w):
    roster.create_household(
        w,
        checks.HouseholdInput(
            group_name="一组",
            address="一组",
            members=[checks.MemberInput(name="镇上录的户", relation="户主")],
        ),
        today=D(2024, 6, 1),
    )


def _write_entry(w):
    h = _household(w)
    entries.save_entry(
        w,
        entries.EntryInput(
            occurred_at=dt.datetime(2024, 6, 1, 9, 0),
            kind="入户走访",
            participants=[entries.ParticipantInput(h.id, h.head_id)],
            situation="乡镇录入的日记",
        ),
        now=dt.datetime(2024, 6, 1, 10, 0),
    )


def _write_demand(w):
    h = _household(w)
    entries.save_entry(
        w,
        entries.EntryInput(
            occurred_at=dt.datetime(2024, 6, 1, 9, 0),
            kind="入户走访",
            participants=[entries.ParticipantInput(h.id, h.head_id)],
            situation="乡镇录入的诉求",
            demands=[entries.DemandInput(category="其他", content="修路")],
        ),
        now=dt.datetime(2024, 6, 1, 10, 0),
    )


def _write_ack(w):
    acknowledgement.acknowledge(w, _entry(w).id, method="拒绝签字", refusal_reason="乡镇代签")


def _write_amendment(w):
    entries.add_amendment(w, _entry(w).id, "乡镇补记", reason="补充", now=dt.datetime(2024, 6, 1, 9, 0))


def _write_attachment(w):
    path = w.paths.root / "照片.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    attachments.attach_file(w, "diary_entry", _entry(w).id, path)


def _write_village_user(w):
    user = _one(w, User)
    accounts.update_user(w, user.id, display_name="乡镇改名")


def _write_case(w):
    registration.register_case(
        w, title="乡镇登记的纠纷", accepted_on=D(2024, 6, 1), source="当事人申请", dispute_type="邻里"
    )


SERVICE_WRITES: dict[str, Callable] = {
    "household": _write_household,
    "person": lambda w: roster.set_person_status(w, _one(w, Person).id, "迁出", D(2024, 6, 1)),
    "tag_definition": lambda w: tags.add_tag_definition(w, "乡镇加的标签"),
    "household_tag": lambda w: tags.set_tags(w, _household(w).id, ["低保"]),
    "cadre_assignment": lambda w: cadres.assign_cadre(
        w, _household(w).id, "联系干部", _admin_id(w), on=D(2024, 6, 1)
    ),
    "diary_entry": _write_entry,
    "diary_participant": _write_entry,
    "demand": _write_demand,
    "acknowledgement": _write_ack,
    "diary_amendment": _write_amendment,
    "must_visit_event": lambda w: visits.record_must_visit(
        w, _household(w).id, "住院", D(2024, 6, 1), today=D(2024, 6, 1)
    ),
    "screening": lambda w: screening.record_screening(
        w, round_date=D(2024, 6, 1), screeners="镇干部", place="镇政府", found_count=0
    ),
    "screening_item": lambda w: screening.add_item(
        w, _one(w, Screening).id, screening.ItemInput(description="乡镇发现的纠纷", disposition="已化解")
    ),
    "mediation_case": _write_case,
    "mediation_party": lambda w: registration.add_party(w, _case(w).id, role="申请人", name="王五"),
    "mediation_mediator": lambda w: registration.add_mediator(w, _case(w).id, name="镇调解员"),
    "mediation_recusal": lambda w: recusal.request_recusal(
        w,
        _case(w).id,
        party_id=_one_of(w, "mediation_party").id,
        mediator_id=_one_of(w, "mediation_mediator").id,
        requested_on=D(2024, 6, 1),
        reason="亲属",
    ),
    "mediation_transition": lambda w: states.change_state(w, _case(w).id, "终止", on_date=D(2024, 6, 1)),
    "mediation_session": lambda w: meetings.add_meeting(
        w, _case(w).id, held_at=dt.datetime(2024, 6, 1, 9, 0), place="镇政府"
    ),
    "mediation_agreement": lambda w: agreement.save_agreement(
        w, _case(w).id, kind="口头协议", reached_on=D(2024, 6, 1), terms="乡镇写的条款"
    ),
    "mediation_signature": lambda w: agreement.sign(
        w,
        document_table="mediation_agreement",
        document_id=_one_of(w, "mediation_agreement").id,
        signer_role="调解员",
        signer_name="镇调解员",
        signed_on=D(2024, 6, 1),
    ),
    "mediation_follow_up": lambda w: casefile.record_follow_up(
        w, _case(w).id, visited_on=D(2024, 6, 1), visitor="镇干部", performance="已履行", satisfaction="满意"
    ),
    "mediation_file_item": lambda w: casefile.set_file_item(w, _case(w).id, "rights_notice", present=True),
    "attachment": _write_attachment,
    "user": _write_village_user,
    # a village-opened 包案 is the village's: the town reads it (a town-opened one is the town's own)
    "keycase": lambda w: keycases.update_case(
        w,
        _one(w, KeyCase).id,
        title="乡镇改的案由",
        summary="",
        department="镇信访办",
        stabilization="乡镇写的",
        steps={"steps_educate": "乡镇写的"},
    ),
    "keycase_member": lambda w: keycases.change_leader(
        w, _one(w, KeyCase).id, keycases.PersonRef("镇领导", "东城镇"), on=D(2024, 6, 1)
    ),
    "keycase_plan": lambda w: keycases.revise_plan(w, _one(w, KeyCase).id, "乡镇写的方案"),
    "keycase_link": lambda w: keycases.link_record(w, _one(w, KeyCase).id, "diary_entry", _entry(w).id),
    "keycase_transition": lambda w: keycases.return_to_open(
        w, _one(w, KeyCase).id, note="乡镇退回", on=D(2024, 6, 1)
    ),
    "informant": lambda w: informants.appoint(
        w, informants.Appointment(_one(w, Person).id, _household(w).group_name, D(2024, 6, 1))
    ),
    "aid_record": lambda w: aid_records.save_aid(
        w,
        aid_records.AidInput(
            _household(w).id, D(2024, 6, 1), "物资", goods="镇里补录的大米", giver_unit="镇政府"
        ),
        today=D(2024, 6, 1),
    ),
    "aid_pair": lambda w: aid_pairs.start_pair(
        w, _household(w).id, _admin_id(w), D(2024, 6, 1), today=D(2024, 6, 1)
    ),
    "cadre_review": lambda w: _write_tally(w),
    # 为民实事: the town writes its own 镇 projects only; a village's 村 project is read-only there
    "project": lambda w: _edit_project(w, demand_ids=[]),
    "project_milestone": lambda w: projects.set_milestone_done(
        w, _one_of(w, "project_milestone").id, D(2024, 6, 1), today=D(2024, 6, 1)
    ),
    "project_demand": lambda w: _edit_project(w, demand_ids=[_one_of(w, "demand").id]),
}


def _edit_project(w, *, demand_ids: list[str]) -> None:
    from db.models.projects import Project

    from tests.projects_helpers import road_input

    projects.save_project(w, road_input(demand_ids), _one(w, Project).id, today=D(2024, 6, 1))


def _write_tally(w):
    from app.reviews import tallies

    tallies.record_tally(
        w,
        _one(w, User).id,
        "2024H1",
        tallies.TallyInput(
            ballots_issued=10,
            ballots_returned=10,
            satisfied=10,
            basically_satisfied=0,
            dissatisfied=0,
            invalid=0,
            counted_on=D(2024, 6, 1),
        ),
        today=D(2024, 6, 2),
    )


def _admin_id(w) -> str:
    return w.actor.id


@pytest.mark.parametrize("table", sorted(ownership.RECORD_KINDS))
def test_each_record_types_service_refuses_at_a_town(town, table):
    admin = _admin(town)
    before = content_dump(town)
    with pytest.raises(UserError) as refused, town.work(admin) as w:
        SERVICE_WRITES[table](w)
    message = str(refused.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert content_dump(town) == before, table
