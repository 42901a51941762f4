"""Property: two villages and their town, edits, exports, imports and receipts in any order, with forged
rows from village A among them. In the end each village's own rows are equal at the town, and nothing
of village B was changed by anything A sent."""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.stations import init_station
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.sync.receipts import export_receipts, import_receipt
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    add_demand,
    add_household,
    edit_demand,
    edit_household,
    enroll_village,
    forge_bundle,
    open_bundle,
    synced_rows,
    with_rows,
)

B_CODE = "370681101202"
VILLAGES = ("a", "b")

ops = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(VILLAGES)),
    st.tuples(
        st.just("edit"), st.sampled_from(VILLAGES), st.integers(0, 20), st.sampled_from(["一组", "二组"])
    ),
    st.tuples(st.just("export"), st.sampled_from(VILLAGES)),
    st.tuples(st.just("import"), st.integers(0, 50)),
    st.tuples(st.just("reply"), st.integers(0, 20)),  # the town answers a demand
    st.tuples(st.just("down"), st.sampled_from(VILLAGES)),  # the town writes and the village imports a 下发包
    st.tuples(st.just("receipt"), st.sampled_from(VILLAGES)),
    st.tuples(st.just("forge"), st.sampled_from(["tag", "member", "overwrite", "b_row"]), st.integers(0, 20)),
)


@settings(
    max_examples=10,
    deadline=None,
    # the same examples on every run, so CI is repeatable (to explore further, run once with derandomize off)
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(ops, min_size=1, max_size=12), final_order=st.randoms(use_true_random=False))
@example(
    steps=[
        ("export", "b"),
        ("import", 0),
        ("forge", "tag", 0),
        ("forge", "member", 0),
        ("forge", "b_row", 0),
        ("forge", "overwrite", 0),
        ("reply", 0),
        ("down", "a"),
        ("receipt", "a"),
        ("edit", "b", 0, "二组"),
    ],
    final_order=random.Random(1),
)
def test_two_villages_and_a_town_in_any_order_end_equal_and_a_never_touches_b(templates, steps, final_order):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ws = {
            "a": Workspace.open(
                shutil.copytree(templates["village"], tmp / "a"), create=False, credentials=ADMIN
            ),
            "town": Workspace.open(
                shutil.copytree(templates["town"], tmp / "town"), create=False, credentials=ADMIN
            ),
            "b": Workspace.open(tmp / "b", credentials=ADMIN),
        }
        try:
            _run(ws, tmp, steps, final_order)
        finally:
            for w in ws.values():
                w.close()


def _run(ws: dict, tmp: Path, steps, final_order) -> None:
    a, b, town = ws["a"], ws["b"], ws["town"]
    _init_b(b, town, tmp)
    enroll_village(a, town, tmp)
    stick = tmp / "stick"
    stick.mkdir()
    households = {"a": [add_household(a, "张一")], "b": [add_household(b, "李一")]}
    demands = {"a": [add_demand(a, households["a"][0])], "b": [add_demand(b, households["b"][0])]}
    bundles: list[Path] = []
    forged: list[str] = []  # ids of rows A made up
    for op in steps:
        kind = op[0]
        if kind == "add":
            v = op[1]
            households[v].append(add_household(ws[v], f"户{len(households[v])}", ("成员",)))
        elif kind == "edit":
            v = op[1]
            edit_household(ws[v], households[v][op[2] % len(households[v])], group_name=op[3])
        elif kind == "export":
            bundles.extend(r.path for r in export_bundles(ws[op[1]], stick))
        elif kind == "import" and bundles:
            import_bundles(town, [bundles[op[1] % len(bundles)]])
        elif kind == "reply":
            all_demands = demands["a"] + demands["b"]
            did = all_demands[op[1] % len(all_demands)]
            with town.new_session() as s:
                from db.models import Demand

                present = s.get(Demand, did) is not None
            if present:
                edit_demand(town, did, handling=f"镇里第 {op[1]} 次过问")
        elif kind == "down":
            v = op[1]
            code = VILLAGE_CODE if v == "a" else B_CODE
            for r in export_bundles(town, stick, village=code):
                import_bundles(ws[v], [r.path])
        elif kind == "receipt":
            v = op[1]
            code = VILLAGE_CODE if v == "a" else B_CODE
            for r in export_receipts(town, stick, village=code):
                import_receipt(ws[v], r.path)
        elif kind == "forge":
            path = _forge(a, town, b, stick, tmp, op[1], op[2], households, demands, forged)
            if path is not None:
                bundles.append(path)
    # the last round: every village exports, the town imports everything in any order, writes down
    for v in VILLAGES:
        bundles.extend(r.path for r in export_bundles(ws[v], stick))
    final_order.shuffle(bundles)
    for path in bundles:
        import_bundles(town, [path])
    for v, code in (("a", VILLAGE_CODE), ("b", B_CODE)):
        for r in export_bundles(town, stick, village=code):
            import_bundles(ws[v], [r.path])
        bundles_now = [r.path for r in export_bundles(ws[v], stick)]
        import_bundles(town, bundles_now)
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(a, VILLAGE_CODE)
    assert synced_rows(town, B_CODE) == synced_rows(b, B_CODE)  # so nothing of A's reached B's records
    with town.engine.connect() as conn:
        for rid in forged:
            for table in ("household_tag", "person", "household", "demand"):
                assert conn.exec_driver_sql(f'SELECT 1 FROM "{table}" WHERE id = ?', (rid,)).first() is None


def _init_b(b: Workspace, town: Workspace, tmp: Path) -> None:
    from app.sync.enrollment import export_card

    card = export_card(town, tmp / "town-card.json")
    init_station(
        b,
        kind="village",
        code=B_CODE,
        name="李家村",
        town_card=card,
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    enroll_village(b, town, tmp)


def _forge(a, town, b, stick, tmp, how, n, households, demands, forged) -> Path | None:
    """A bundle of A's (signed with A's key) that reaches into B, or stamps a row as the town's."""
    (real,) = export_bundles(a, stick)
    m, sections = open_bundle(real.path, town)
    real.path.unlink()
    me = a.require_station().id
    rid = str(uuid.uuid4())
    stamp = {
        "id": rid,
        "village_code": VILLAGE_CODE,
        "origin_station": me,
        "changed_station": me,
        "version": m["counter"]["to"] or 1,
        "created_at": "2024-06-01 00:00:00.000000",
        "updated_at": "2024-06-01 00:00:00.000000",
    }
    hb = households["b"][n % len(households["b"])]

    def row(record_type: str, **values) -> list:
        import json

        cols = json.loads(sections[f"table:{record_type}"])["columns"]
        return [({**stamp, **values}).get(c) for c in cols]

    if how == "tag":
        sections = with_rows(sections, "household_tags", [row("household_tags", household_id=hb, tag="上访")])
    elif how == "member":
        sections = with_rows(
            sections, "persons", [row("persons", household_id=hb, name="冒名", relation="子女")]
        )
    elif how == "b_row":
        sections = with_rows(
            sections, "households", [row("households", village_code=B_CODE, head_name="冒充")]
        )
    else:  # overwrite a demand of B's, stamped as the town's change
        did = demands["b"][0]
        sections = with_rows(
            sections,
            "demands",
            [
                row(
                    "demands",
                    id=did,
                    village_code=B_CODE,
                    changed_station=town.require_station().id,
                    entry_id=rid,
                    category="低保",
                    content="冒改",
                    status="已办结",
                )
            ],
        )
    forged.append(rid)
    return forge_bundle(a, town, m, sections, tmp / f"forged-{uuid.uuid4().hex[:8]}.mqb")
