"""The 上报与同步 screens: village report page, town import wizard, board, conflicts, enrollment."""

from __future__ import annotations

import pytest

from app import accounts
from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync_support import add_household, edit_household, enroll_village

# The offscreen platform plugin warns about a window feature it lacks; nothing to do with the screens.
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


def _ctx(ws):
    from ui.context import AppContext

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return AppContext(ws, user)


def _page(qtbot, ws):
    """The 上报与同步 page of ``ws``, shown at the width of a 1366×768 laptop."""
    from ui.sync.page import SyncPage

    page = SyncPage(_ctx(ws))
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    return page


@pytest.fixture
def town_with_conflict(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    hid = add_household(village_ws, "张建国", ("张小红",))
    import_bundles(town_ws, [export_bundles(village_ws, tmp_path)[0].path])
    edit_household(town_ws, hid, notes="镇：已上报")
    edit_household(village_ws, hid, notes="村：需回访")
    return village_ws, town_ws, export_bundles(village_ws, tmp_path)[0].path


def test_village_page_shows_unacknowledged_changes_and_exports_to_a_folder(
    qtbot, qtmodeltester, village_ws, tmp_path
):
    add_household(village_ws, "张建国", ("张小红",))
    page = _page(qtbot, village_ws)
    assert page.ready()
    view = page.village
    assert "尚未被乡镇确认的变更：" in view.summary.text()
    qtmodeltester.check(view.counts)
    assert dict(zip(view.counts.keys, (r[1] for r in view.counts.rows), strict=True))["households"] == 1
    assert ("户", 1) in view.counts.rows
    stick = tmp_path / "stick"
    stick.mkdir()
    view.target.insertItem(0, "测试 U 盘", str(stick))
    view.target.setCurrentIndex(0)
    view.export_btn.click()
    qtbot.waitUntil(lambda: "已写出" in view.message.text(), timeout=5000)
    assert list(stick.glob("*.mqb"))
    page.grab().save(str(tmp_path / "village.png"))


def test_village_export_names_an_attachment_it_could_not_take(qtbot, village_ws, tmp_path):
    import hashlib

    from PySide6.QtCore import Qt

    from tests.sync_support import add_attachment

    hid = add_household(village_ws, "张建国")
    photo = b"\xff\xd8" + bytes(range(256)) * 50
    add_attachment(village_ws, hid, photo, filename="<i>协议</i>照片.jpg")
    sha = hashlib.sha256(photo).hexdigest()
    (village_ws.attachments_dir / sha[:2] / sha).unlink()  # the laptop lost it
    page = _page(qtbot, village_ws)
    view = page.village
    view.target.insertItem(0, "测试 U 盘", str(tmp_path))
    view.target.setCurrentIndex(0)
    view.export_btn.click()
    qtbot.waitUntil(lambda: "已写出" in view.message.text(), timeout=5000)
    assert "“<i>协议</i>照片.jpg”" in view.message.text() and "重新添加" in view.message.text()
    assert view.message.textFormat() == Qt.TextFormat.PlainText  # a name is shown as typed, never as markup
    page.grab().save(str(tmp_path / "missing.png"))


def test_town_wizard_imports_a_folder_and_shows_board_and_one_conflict(
    qtbot, qtmodeltester, town_with_conflict, tmp_path
):
    _, town, bundle_path = town_with_conflict
    page = _page(qtbot, town)
    wizard = page.importer
    wizard.set_paths([bundle_path.parent])
    wizard.import_btn.click()
    first = wizard.task
    assert not wizard.import_btn.isEnabled()  # one import at a time
    wizard.start()  # (a second click that came before the progress box showed)
    assert wizard.task is first
    # the box stays until the import ends: Qt hid it whenever a step reported done == total
    assert first.dialog is not None and not first.dialog.autoReset() and not first.dialog.autoClose()
    qtbot.waitUntil(lambda: wizard.model.rowCount() > 0, timeout=5000)
    qtbot.waitUntil(wizard.import_btn.isEnabled, timeout=5000)
    qtmodeltester.check(wizard.model)
    statuses = {row[3] for row in wizard.model.rows}
    assert "已导入" in statuses or "已导入过" in statuses
    page.grab().save(str(tmp_path / "town-import.png"))

    page.tabs.setCurrentWidget(page.board)
    qtmodeltester.check(page.board.model)
    assert page.board.model.rows[0][1] == "张家村"

    from app.sync import status

    page.tabs.setCurrentWidget(page.conflicts)
    conflicts = page.conflicts
    assert conflicts.model.rowCount() == 1
    described = conflicts.model.rows[0][3]  # the household by its head and address, never by its id
    assert described and conflicts.items[0].record_id[:8] not in described
    assert conflicts.items[0].local["head_name"] in described
    qtmodeltester.check(conflicts.model)
    qtmodeltester.check(conflicts.fields)
    c = conflicts.items[0]
    listed = conflicts.fields.fields
    assert listed[: len(c.differing)] == c.differing  # what differs first: the rows to decide
    assert not any(f == "id" or f.endswith("_id") for f in listed if f not in c.differing)
    assert conflicts.model.rows[0][5] == "、".join(status.field_words(f) for f in c.differing)
    assert "备注" in conflicts.model.rows[0][5]  # in Chinese, not notes
    notes_row = conflicts.fields.fields.index("notes")
    conflicts.fields.setData(conflicts.fields.index(notes_row, 3), 2, 10)  # CheckStateRole = 10, Checked = 2
    page.grab().save(str(tmp_path / "town-conflicts.png"))
    conflicts.merge.click()
    assert conflicts.model.rowCount() == 0
    from db.models import Household

    with town.new_session() as s:
        assert s.query(Household).one().notes == "村：需回访"

    page.tabs.setCurrentWidget(page.stations)
    qtmodeltester.check(page.stations.model)
    assert page.stations.model.rows[0][2] == "已登记"


def test_village_page_lists_what_the_town_refused_and_re_keys_a_household(
    qtbot, qtmodeltester, village_ws, town_ws, templates, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox
    from sqlalchemy import select

    from db.models import Household, Person

    from app.stations import init_station
    from app.sync.receipts import export_receipts, import_receipt
    from app.workspace import Workspace

    enroll_village(village_ws, town_ws, tmp_path)
    other = Workspace.open(tmp_path / "village-b", credentials=ADMIN)
    init_station(
        other,
        kind="village",
        code="370681101202",
        name="李家村",
        town_card=templates["town_card"],
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    enroll_village(other, town_ws, tmp_path)
    hb = add_household(other, "李桂兰", ("王强",))
    import_bundles(town_ws, [export_bundles(other, tmp_path)[0].path])
    with other.new_session() as s:
        people = [(p.id, p.name) for p in s.scalars(select(Person).where(Person.household_id == hb))]
    other.close()
    with village_ws.session() as s:  # taken over with 李家村's system ids from its roster workbook
        s.add(Household(id=hb, head_name="李桂兰", group_name="三组", address="三组1号"))
        s.flush()
        s.add_all(Person(id=pid, household_id=hb, name=name, relation="户主") for pid, name in people)
    import_bundles(town_ws, [export_bundles(village_ws, tmp_path)[0].path])
    import_receipt(village_ws, export_receipts(town_ws, tmp_path)[0].path)

    page = _page(qtbot, village_ws)
    view = page.village
    qtmodeltester.check(view.refused)
    assert view.refused_box.isVisible()
    assert len(view.refused.rows) == 1 + len(people)
    assert all("其他村" in reason for _label, _what, reason in view.refused.rows)
    assert not view.rekey_btn.isEnabled()
    row = next(i for i, r in enumerate(view.refused.keys) if r.record_type == "households")
    view.refused_view.selectRow(row)
    assert view.rekey_btn.isEnabled()
    page.grab().save(str(tmp_path / "village-refused.png"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    view.rekey_btn.click()
    assert "已给“李桂兰" in view.message.text()
    assert not view.refused_box.isVisible() and view.refused.rows == []
    with village_ws.new_session() as s:
        assert s.get(Household, hb) is None
        assert s.scalars(select(Household).where(Household.head_name == "李桂兰")).one().id != hb
