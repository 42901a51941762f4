"""Property: whatever a village edits and deletes, and however bundles and receipts travel (lost,
repeated, out of order, stale receipts), one last export and import leaves the town equal to it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.sync.receipts import export_receipts, import_receipt
from app.workspace import Workspace

from tests.conftest import ADMIN, VILLAGE_CODE
from tests.sync_support import add_household, delete_household, edit_household, enroll_village, synced_rows

ops = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 2)),
    st.tuples(st.just("edit"), st.integers(0, 50), st.sampled_from(["一组", "二组", "三组"])),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("export")),
    st.tuples(st.just("import"), st.integers(0, 50)),  # one of the bundles written so far
    st.tuples(st.just("receipt"), st.integers(0, 50)),  # write a receipt, apply some receipt (maybe stale)
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(ops, min_size=1, max_size=10), final_order=st.randoms(use_true_random=False))
def test_any_interleaving_of_edits_exports_imports_and_receipts_ends_with_town_equal_to_village(
    templates, steps, final_order
):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        village = Workspace.open(
            shutil.copytree(templates["village"], tmp / "village"), create=False, credentials=ADMIN
        )
        town = Workspace.open(
            shutil.copytree(templates["town"], tmp / "town"), create=False, credentials=ADMIN
        )
        try:
            enroll_village(village, town, tmp)
            stick = tmp / "stick"
            stick.mkdir()
            households: list[str] = []
            bundles: list[Path] = []
            receipts: list[Path] = []
            for op in steps:
                kind = op[0]
                if kind == "add":
                    households.append(add_household(village, f"户主{len(households)}", ("成员",) * op[1]))
                elif kind == "edit" and households:
                    edit_household(village, households[op[1] % len(households)], group_name=op[2])
                elif kind == "delete" and households:
                    delete_household(village, households[op[1] % len(households)])
                elif kind == "export":
                    bundles.extend(r.path for r in export_bundles(village, stick))
                elif kind == "import" and bundles:
                    report = import_bundles(town, [bundles[op[1] % len(bundles)]])
                    assert not report.any_rejected
                elif kind == "receipt":
                    receipts.extend(r.path for r in export_receipts(town, stick))
                    if receipts:
                        import_receipt(village, receipts[op[1] % len(receipts)])
            bundles.extend(r.path for r in export_bundles(village, stick))
            final_order.shuffle(bundles)
            for path in bundles:  # one at a time, so the importer's own sorting does not hide the order
                assert not import_bundles(town, [path]).any_rejected
            assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)
        finally:
            village.close()
            town.close()
