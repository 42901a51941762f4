"""Record ids: valid UUIDs that sort by the station that made them, then by time, so a village's
records are neighbours in every id index (at the town too); link ids are name-based and sit beside
their parent."""

import uuid

from sqlalchemy import select

from db.base import derived_id, new_id
from db.models import Household, Person

from app.diary import entries
from app.households import tags

STATION_A = "3f2a9c1d-5b6e-4c1a-9d2e-0a1b2c3d4e5f"
STATION_B = "a0000001-5b6e-4c1a-9d2e-0a1b2c3d4e5f"


def test_ids_are_version_8_uuids_led_by_the_station():
    ids = [new_id(STATION_A) for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for i in ids[:50]:
        u = uuid.UUID(i)
        assert str(u) == i and u.version == 8 and u.variant == uuid.RFC_4122
        assert i.startswith("3f2a9c1d-")
    assert new_id(STATION_B).startswith("a0000001-")
    assert uuid.UUID(new_id()).version == 8  # without a station: random prefix, same layout


def test_ids_of_one_station_sort_by_time():
    made = [
        new_id(STATION_A, ms=ms, rand=r)
        for ms, r in (
            (1_700_000_000_000, 9),
            (1_700_000_000_001, 0),
            (1_700_000_999_999, 5),
            (1_800_000_000_000, 1),
        )
    ]
    assert made == sorted(made)
    # reproducible for the demo
    assert (
        new_id(STATION_A, ms=5, rand=7) == new_id(STATION_A, ms=5, rand=7) != new_id(STATION_A, ms=5, rand=8)
    )


def test_a_station_s_ids_do_not_interleave_with_another_s():
    a = [new_id(STATION_A) for _ in range(100)]
    b = [new_id(STATION_B) for _ in range(100)]
    order = sorted(a + b)
    assert order[:100] == sorted(a) and order[100:] == sorted(b)


def test_derived_ids_are_name_based_and_beside_their_parent():
    parent = new_id(STATION_A)
    one = derived_id(parent, "participant", "h1", "p1")
    assert one == derived_id(parent, "participant", "h1", "p1")  # two stations compute the same id
    assert one != derived_id(parent, "participant", "h1", "p2")
    assert one[:18] == parent[:18]  # station and time bits of the parent
    u = uuid.UUID(one)
    assert u.version == 8 and u.variant == uuid.RFC_4122
    # an old random parent id still gives a valid, stable id
    legacy = str(uuid.uuid4())
    assert derived_id(legacy, "tag", "低保") == derived_id(legacy, "tag", "低保")
    assert derived_id("not-a-uuid", "x") == derived_id("not-a-uuid", "x")


def test_records_made_at_a_station_carry_its_prefix(village_ws, village_admin):
    station = village_ws.require_station()
    with village_ws.session(village_admin.id) as s:
        h = Household(head_name="张三", group_name="一组", address="一组 1 号")
        s.add(h)
        s.flush()
        s.add(Person(household_id=h.id, name="张三", relation="户主"))
    with village_ws.session() as s:
        ids = [s.scalars(select(Household.id)).one(), s.scalars(select(Person.id)).one()]
    assert all(i.startswith(station.id[:8]) for i in ids)
    # link ids follow their parent
    assert entries.participant_id(ids[0], ids[0], None)[:18] == ids[0][:18]
    assert tags.tag_row_id(ids[0], "低保")[:18] == ids[0][:18]


def _derived_id_by_uuid_objects(parent_id: str, *parts: str) -> str:
    """derived_id as first written, through uuid.uuid5 and uuid.UUID (the reference for the faster one)."""
    ns = uuid.UUID("0b1c5c0e-8d3a-4f57-a0f1-6d696e716964")
    digest = uuid.uuid5(ns, "\x1f".join((parent_id, *parts))).int
    try:
        head = uuid.UUID(parent_id).int >> 64
    except ValueError:
        head = digest >> 64
    value = head << 64 | 0b10 << 62 | (digest & ((1 << 62) - 1))
    value = value & ~(0xF << 76) | 0x8 << 76
    return str(uuid.UUID(int=value))


def test_derived_ids_are_those_of_uuid5_for_every_form_of_parent():
    """The demo makes a million of them: computed without UUID objects, they stay what they were (ids
    already stored, and the ones another station computes for the same link, must not change)."""
    parents = [new_id(STATION_A) for _ in range(200)] + [str(uuid.uuid4()) for _ in range(50)]
    odd = [
        parents[0].upper(),
        "{" + parents[1] + "}",
        "urn:uuid:" + parents[2],
        parents[3].replace("-", ""),
        "not-a-uuid",
        "",
        "户主",
        parents[4] + "0",
    ]
    for parent in parents + odd:
        for parts in (("participant", "h1", "p1"), ("tag", "低保"), ()):
            assert derived_id(parent, *parts) == _derived_id_by_uuid_objects(parent, *parts), (parent, parts)
