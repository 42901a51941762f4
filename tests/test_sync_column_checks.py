"""The importer's checks on whole columns say what the row-by-row checks say.

A village's new demands and cases (app.ownership.new_rows_pass) and a bundle's attachments
(app.ownership._attachments_pass) are passed on whole columns when every row passes; these tests hold
the column answer to the row answer, for valid rows and for each way a row can break a rule, alone and
among valid rows."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from db import vocab
from db.models.projects import TOWN_SCOPE, VILLAGE_SCOPE

from app import ownership
from app.sync import records
from app.sync.gate import BundleRejected

VILLAGE, TOWN = "370681101201", "370681101"


def _auth(**kw: Any) -> ownership.Authority:
    base: dict[str, Any] = dict(
        sender_id="station-v",
        sender_kind="village",
        village_code=VILLAGE,
        town_code=TOWN,
        counter_to=100,
        synced_tables=frozenset(spec.table_name for spec in records.table_specs()),
    )
    base.update(kw)
    return ownership.Authority(**base)


def _spec(table: str) -> records.TableSpec:
    return next(s for s in records.table_specs() if s.table_name == table)


def _row(columns: tuple[str, ...], **values: Any) -> list[Any]:
    return [values.get(c) for c in columns]


def _rows_pass(table: str, columns: list[str], rows: list[list[Any]], auth: ownership.Authority) -> bool:
    return all(ownership.column_verdict(table, columns, r, None, auth) is None for r in rows)


DEMAND_VALID: list[dict[str, Any]] = [
    {"status": vocab.OPEN},
    {"status": vocab.REPLIED, "reply": "已答复"},
    {"status": vocab.CLOSED},
    {"status": vocab.REFERRED, "referred_office": "民政办"},
    {"status": vocab.OPEN, "referred_office": "司法所"},
    {"status": vocab.OPEN, "town_reply": ""},
]
# each breaks one rule of a new demand from a village
DEMAND_BROKEN: list[dict[str, Any]] = [
    {"status": vocab.TOWN_REPLIED, "referred_office": "民政办"},  # the town's status
    {"status": vocab.REFERRED},  # 已上报乡镇 with no office
    {"status": "办好了"},
    {"status": None},
    {"status": 1},
    {"status": [vocab.OPEN]},
    {"status": vocab.OPEN, "referred_office": "县政府"},
    {"status": vocab.OPEN, "referred_office": 3},
    {"status": vocab.OPEN, "referred_office": ["民政办"]},
    {"status": vocab.OPEN, "town_reply": "已解决"},  # a town-only column filled in
    {"status": vocab.OPEN, "town_reply_kind": 0.0},
    {"status": vocab.OPEN, "town_reply_kind": False},
    {"status": vocab.OPEN, "town_reply": {"a": 1}},
]


def test_new_demands_column_answer_is_the_row_answer() -> None:
    columns = list(_spec("demand").columns)
    auth = _auth()
    valid = [_row(_spec("demand").columns, **v) for v in DEMAND_VALID]
    assert ownership.new_rows_pass("demand", columns, valid, auth)
    assert _rows_pass("demand", columns, valid, auth)
    for broken in DEMAND_BROKEN:
        row = _row(_spec("demand").columns, **broken)
        assert not _rows_pass("demand", columns, [row], auth), broken  # the row rule does refuse it
        for rows in ([row], [*valid, row], [row, *valid]):
            assert not ownership.new_rows_pass("demand", columns, rows, auth), broken
    # a 0 in an amount-like town column is empty only as an int: alone it passes, as row by row
    amount_zero = _row(_spec("demand").columns, status=vocab.OPEN, town_reply_kind=0)
    assert ownership.new_rows_pass("demand", columns, [amount_zero], auth) == _rows_pass(
        "demand", columns, [amount_zero], auth
    )


def test_new_demands_without_status_or_office_columns() -> None:
    spec = _spec("demand")
    auth = _auth()
    no_office = [c for c in spec.columns if c != "referred_office"]
    rows = [[{"status": vocab.OPEN}.get(c) for c in no_office]]
    assert ownership.new_rows_pass("demand", no_office, rows, auth) == _rows_pass(
        "demand", no_office, rows, auth
    )
    referred = [[{"status": vocab.REFERRED}.get(c) for c in no_office]]
    assert not _rows_pass("demand", no_office, referred, auth)
    assert not ownership.new_rows_pass("demand", no_office, referred, auth)
    no_status = [c for c in spec.columns if c != "status"]
    rows = [[None for _c in no_status]]
    assert not _rows_pass("demand", no_status, rows, auth)
    assert not ownership.new_rows_pass("demand", no_status, rows, auth)


@pytest.mark.parametrize("column", sorted(ownership.TOWN_ONLY_COLUMNS["mediation_case"]))
def test_new_cases_town_columns(column: str) -> None:
    spec = _spec("mediation_case")
    columns = list(spec.columns)
    auth = _auth()
    empty = _row(spec.columns, title="邻里纠纷")
    assert ownership.new_rows_pass("mediation_case", columns, [empty], auth)
    assert _rows_pass("mediation_case", columns, [empty], auth)
    values: list[Any] = ["", None, 0, 0.0, False, 5, "司法所调处", [], {"x": 1}]
    for value in values:
        rows = [empty, _row(spec.columns, title="邻里纠纷", **{column: value})]
        assert ownership.new_rows_pass("mediation_case", columns, rows, auth) == _rows_pass(
            "mediation_case", columns, rows, auth
        ), (column, value)


def test_column_answer_is_never_given_for_other_senders_or_tables() -> None:
    """From the town, and for tables with row rules of their own, every row is asked."""
    spec = _spec("demand")
    rows = [_row(spec.columns, status=vocab.OPEN)]
    assert not ownership.new_rows_pass("demand", list(spec.columns), rows, _auth(sender_kind="town"))
    for table in ("aid_record", "project", "mediation_report", "household"):
        cols = list(_spec(table).columns)
        assert not ownership.new_rows_pass(table, cols, [[None] * len(cols)], _auth())


SHA = "ab" * 32


def _attachment_rows(values: list[dict[str, Any]]) -> tuple[list[list[Any]], dict[str, int]]:
    columns = _spec("attachment").columns
    base = {"sha256": SHA, "owner_table": "diary_entry", "owner_id": "e1"}
    return [_row(columns, **{**base, **v}) for v in values], {c: i for i, c in enumerate(columns)}


ATTACHMENT_BROKEN: list[dict[str, Any]] = [
    {"sha256": SHA.upper()},
    {"sha256": SHA[:63]},
    {"sha256": SHA + "0"},
    {"sha256": SHA[:32] + "\n" + SHA[:31]},  # a newline inside a hash
    {"sha256": SHA + "\n" + SHA},  # two hashes in one value: the joined check's seam, inside a value
    {"sha256": None},
    {"sha256": 7},
    {"sha256": ["x"]},
    {"owner_table": "secret_table"},
    {"owner_table": ["diary_entry"]},
    {"owner_table": None},
    {"owner_table": "project", "owner_id": "p-town"},  # a photo of the town's 为民实事, from a village
]


def _attachment_refused(row: list[Any], idx: dict[str, int], auth: ownership.Authority) -> bool:
    """The row's own verdict refuses it, or its value cannot even be looked up (a list where a name
    belongs: the importer then refuses the whole bundle as damaged)."""
    try:
        return ownership._attachment_verdict(row, idx, auth) is not None
    except TypeError:
        return True


def test_attachments_column_answer_is_the_row_answer() -> None:
    auth = _auth(scopes={("project", "p-town"): TOWN_SCOPE, ("project", "p-village"): VILLAGE_SCOPE})
    valid, idx = _attachment_rows(
        [{}, {"sha256": "0" * 64}, {"owner_table": "project", "owner_id": "p-village"}, {"owner_id": "e2"}]
    )
    assert ownership._attachments_pass(valid, idx, auth)
    for broken in ATTACHMENT_BROKEN:
        rows, idx = _attachment_rows([broken])
        assert _attachment_refused(rows[0], idx, auth), broken
        for order in itertools.permutations([rows[0], valid[0], valid[2]]):
            assert not ownership._attachments_pass(list(order), idx, auth), broken
    # the same photo row from the town passes (the town writes its own 为民实事's photos)
    rows, idx = _attachment_rows([{"owner_table": "project", "owner_id": "p-town"}])
    town = _auth(sender_kind="town", scopes={("project", "p-town"): TOWN_SCOPE})
    assert ownership._attachments_pass(rows, idx, town) == (
        ownership._attachment_verdict(rows[0], idx, town) is None
    )


def test_references_to_refused_or_foreign_rows_of_the_bundle(town_ws: Any) -> None:
    """A person of a household this bundle's own rows refused, or of another village's household in
    the bundle, is refused with its reason; persons of the bundle's good households pass (the usual
    case, answered from the bundle's ids alone)."""
    spec = _spec("person")
    cols = list(spec.columns)

    def person(pid: str, household: str) -> list[Any]:
        values = dict(
            id=pid, village_code=VILLAGE, changed_station="station-v", version=1, household_id=household
        )
        return _row(spec.columns, origin_station="station-v", name="张三", **values)

    def screen(
        households: dict[str, str], rows: list[list[Any]], refused: frozenset[str] = frozenset()
    ) -> list[str]:
        auth = _auth(
            bundle_rows={"household": households}, counter_to=5, rejected={"household": set(refused)}
        )
        out: list[ownership.Rejection] = []
        with town_ws.engine.connect() as conn:
            kept = ownership.screen_rows(conn, spec, cols, rows, auth, out)
        return [r[cols.index("id")] for r in kept] + [f"{r.record_id}: {r.reason}" for r in out]

    ours = {"h1": VILLAGE, "h2": VILLAGE}
    assert screen(ours, [person("p1", "h1"), person("p2", "h2")]) == ["p1", "p2"]
    foreign = {"h1": VILLAGE, "h2": "370681101299"}
    assert screen(foreign, [person("p1", "h1"), person("p2", "h2")]) == [
        "p1",
        "p2: “所属户”引用了其他村的记录",
    ]
    refused = [person("p1", "h1"), person("p2", "h2")]
    assert screen(ours, refused, frozenset({"h2"})) == ["p1", "p2: “所属户”引用的记录在本包中已被拒收"]
    # a household in neither the bundle nor here: the database is asked (the insert's key decides)
    assert screen(ours, [person("p1", "h1"), person("p3", "h-nowhere")]) == ["p1", "p3"]


@pytest.mark.parametrize(
    "rows, count",
    [
        ([["h1", VILLAGE, "s", 1], ["h2", VILLAGE, "s"]], 2),  # a row short of a column
        ([["h1", VILLAGE, "s", 1], ["h2", VILLAGE, "s", 1, "x"]], 2),  # a row with one too many
        ([["h1", VILLAGE, "s", 1], {"id": "h2"}], 2),  # a row that is an object
        ([["h1", VILLAGE, "s", 1], "h2"], 2),
        ([["h1", VILLAGE, "s", 1]], 2),  # fewer rows than the manifest says
        ([], 1),
    ],
)
def test_a_section_of_the_wrong_shape_is_refused_whole(rows: list[Any], count: int) -> None:
    import json

    spec = _spec("household")
    raw = json.dumps({"columns": ["id", "village_code", "changed_station", "version"], "rows": rows}).encode()
    with pytest.raises(BundleRejected, match="行数或列数与清单不符"):
        records.stage_section(spec, raw, count)


def test_a_section_of_the_right_shape_is_staged() -> None:
    import json

    spec = _spec("household")
    rows = [["h1", VILLAGE, "s", 1], ["h2", VILLAGE, "s", 2]]
    raw = json.dumps({"columns": ["id", "village_code", "changed_station", "version"], "rows": rows}).encode()
    assert records.stage_section(spec, raw, 2).rows == rows
    empty = json.dumps({"columns": ["id", "village_code", "changed_station", "version"], "rows": []}).encode()
    assert records.stage_section(spec, empty, 0).rows == []


def _index_the_slow_way(raw: bytes, data_size: int) -> list[tuple[str, int]]:
    from app.sync import gate

    index = gate.load_json(
        raw,
        what="附件目录",
        max_bytes=gate.MAX_SECTION_SIZE,
        max_depth=gate.MAX_DEPTH,
        fail=lambda text: BundleRejected(f"内容损坏：{text}"),
    )
    return gate.check_attachment_index(index, data_size)


def _outcome(check, raw: bytes, data_size: int) -> object:
    try:
        return check(raw, data_size)
    except BundleRejected as exc:
        return exc.reason


def _index(entries: list[Any]) -> bytes:
    import json

    return json.dumps(entries).encode()


GOOD_INDEX = [
    {"sha256": "ab" * 32, "size": 10},
    {"sha256": "0" * 64, "size": 0},
    {"sha256": "f" * 64, "size": 5},
]
BROKEN_INDEX_ENTRIES: list[dict[str, Any]] = [
    {"sha256": "AB" * 32, "size": 1},
    {"sha256": "ab" * 31, "size": 1},
    {"sha256": "ab" * 32 + "\n" + "ab" * 32, "size": 1},  # two hashes in one value: the joined check's seam
    {"sha256": "ab" * 16 + "\n" + "a" * 31, "size": 1},
    {"sha256": 7, "size": 1},
    {"sha256": ["ab" * 32], "size": 1},
    {"size": 1},
    {"sha256": "ab" * 32},
    {"sha256": "ab" * 32, "size": True},
    {"sha256": "ab" * 32, "size": 1.0},
    {"sha256": "ab" * 32, "size": -1},
    {"sha256": "ab" * 32, "size": 64 * 1024 * 1024 + 1},
    {"sha256": "ab" * 32, "size": 2**70},
    {"sha256": "ab" * 32, "size": 1, "note": "多出的字段"},
    {"sha256": "ab" * 32, "size": 1, "nested": [[[[[[[[[[1]]]]]]]]]]},
]


def test_the_attachment_index_fast_path_says_what_the_field_checks_say() -> None:
    """The attachment index is decoded and checked on whole columns when it is well formed; the
    answer (the pairs, or the refusal's reason) is always the field-by-field check's."""
    from app.sync import gate

    raw = _index(GOOD_INDEX)
    assert (
        gate.attachment_index(raw, 15)
        == _index_the_slow_way(raw, 15)
        == [(e["sha256"], e["size"]) for e in GOOD_INDEX]
    )
    assert gate.attachment_index(b"[]", 0) == []
    cases: list[tuple[bytes, int]] = [
        (raw, 14),
        (raw, 16),
        (b"[]", 3),
        (b"{}", 0),
        (b"[1]", 1),
        (b"[" * 100_000, 0),
    ]
    cases += [(b'[{"sha256": ' + b"[" * 100_000, 0)]  # nesting where a value should be: no recursion
    for broken in BROKEN_INDEX_ENTRIES:
        size = broken.get("size") if type(broken.get("size")) is int else 0
        cases.append((_index([*GOOD_INDEX, broken]), 15 + size))  # type: ignore[operator]
    for raw_case, data_size in cases:
        fast, slow = (
            _outcome(gate.attachment_index, raw_case, data_size),
            _outcome(_index_the_slow_way, raw_case, data_size),
        )
        assert fast == slow, (raw_case[:120], fast, slow)
        # every case is refused but the one with a field the format does not know (passed over by both)
        assert isinstance(fast, str) == (b'"note"' not in raw_case), fast
