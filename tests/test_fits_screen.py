"""Every dialog fits the screen it opens on, with its buttons on it (ui/widgets/fit.py): at 1366×768 and
at 1920×1080 scaled by 150 % (1280×720 to Qt), at every 字号. A dialog that opened taller than the
screen's work area put its 确定 under the taskbar; at 特大 the form for a party from outside the roster
needed 746 pixels of a 768 screen."""

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QDialog, QVBoxLayout, QWidget
from sqlalchemy import select

from db.models import Demand, DiaryEntry, Household, MediationCase, User

from app import accounts
from app.households import cadres
from app.mediation import rules
from app.workspace import Workspace

import ui
from ui.app import FONT_SCALED, apply_font_size, apply_ui_font, font_point_size
from ui.context import AppContext
from ui.widgets.fit import TITLE_BAR, FitsScreen, FittedDialog, FittingScroll, fit_first_showing, fit_size

from tests.conftest import ADMIN

# The work areas (the screen less a 40-pixel taskbar) of the two screens, as Qt counts pixels.
SCREENS = {"1366×768": QRect(0, 0, 1366, 728), "1920×1080 at 150 %": QRect(0, 0, 1280, 680)}


@pytest.fixture(autouse=True)
def _standard_size_after():
    apply_ui_font(QApplication.instance())  # the window's own Chinese font: its lines are taller
    yield
    app = QApplication.instance()
    if app is not None:
        apply_font_size("标准", app)


@pytest.fixture
def demo_village(two_villages) -> Iterator[tuple[Workspace, AppContext]]:
    ws = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    with ws.work(None) as w:
        user = accounts.authenticate(w, *ADMIN)
        w.session.expunge(user)
    yield ws, AppContext(ws, user)
    ws.close(daily_backup=False)


def _dialogs(ws: Workspace, ctx: AppContext) -> Iterator[tuple[str, Callable[[], QDialog]]]:
    """The program's forms, each as a cadre, a mediator or a clerk opens it (the larger ones first)."""
    from app.diary import demands

    from ui.aid.forms import AidForm, PairDialog
    from ui.aid.household import HouseholdAidDialog
    from ui.diary import dialogs as diary
    from ui.diary.entry_form import EntryDialog
    from ui.households.editor import HouseholdDialog, MemberDialog
    from ui.households.import_wizard import ImportWizard
    from ui.households.pick import HouseholdPicker
    from ui.informants.page import AppointDialog
    from ui.keycases.dialogs import CaseDialog as KeyCaseDialog
    from ui.mediation import forms
    from ui.mediation.case.dialog import CaseDialog
    from ui.projects.dialogs import ProjectDialog
    from ui.settings import ChangeOwnPasswordDialog, UserDialog

    with ws.session() as s:
        hid = s.scalars(select(Household.id).limit(1)).one()
        eid = s.scalars(select(DiaryEntry.id).limit(1)).one()
        cid = s.scalars(select(MediationCase.id).where(MediationCase.state == rules.IN_MEDIATION)).first()
        did = s.scalars(select(Demand.id).limit(1)).one()
    with ws.work(ctx.user) as w:
        demand = demands.demand_info(w, did)
    yield "户（修改）", lambda: HouseholdDialog(ctx, hid)
    yield "户（新建）", lambda: HouseholdDialog(ctx, None)
    yield "家庭成员", lambda: MemberDialog(ctx)
    yield "民情日记", lambda: EntryDialog(ctx)
    yield "民情日记（修改）", lambda: EntryDialog(ctx, eid)
    yield "群众签字认可", lambda: diary.AcknowledgeDialog(ctx, eid)
    yield "答复诉求", lambda: diary.ReplyDialog(ctx, demand)
    yield "办结诉求", lambda: diary.CloseDialog(ctx, demand)
    yield "群众评价", lambda: diary.FeedbackDialog(ctx, demand)
    yield "上报乡镇", lambda: diary.ReferDialog(ctx, demand)
    if cid is not None:
        yield "调解案件", lambda: CaseDialog(ctx, cid)
    yield "受理登记", lambda: forms.RegistrationDialog(["邻里", "婚姻家庭"])
    yield (
        "名册外当事人",
        lambda: forms.PartyDialog(None, accepted_on=dt.date(2026, 1, 5), session_factory=ctx.session),
    )
    yield "调解记录", lambda: forms.SessionDialog(None, mediator="王秀英", parties="张三、李四")
    yield "回访记录", lambda: forms.FollowUpDialog(None, visitor="王秀英")
    yield "登记排查", lambda: forms.ScreeningDialog(None, screeners="王秀英")
    for t in rules.TRANSITIONS:
        yield f"{t.source}→{t.target}", (lambda t=t: forms.TransitionDialog(t, filed_by="王秀英"))
    yield "帮扶记录", lambda: AidForm(ctx, hid, "张三户")
    yield "结对帮扶", lambda: PairDialog(ctx, hid, "张三户")
    yield "为民实事", lambda: ProjectDialog(ctx, None, None, year=2026)
    yield "账号", lambda: UserDialog(ctx)
    yield "修改我的密码", lambda: ChangeOwnPasswordDialog(ctx)
    yield "补记", lambda: diary.AmendDialog(ctx, eid)
    yield "登记必访事件", lambda: diary.MustVisitDialog(ctx)
    yield "登记签名", lambda: forms.SignatureDialog([("当事人", None, "张三"), ("调解员", None, "王秀英")])
    yield "联户包案", lambda: KeyCaseDialog(None, ctx.session, [])
    yield "帮扶（一户）", lambda: HouseholdAidDialog(ctx, hid, "张三户")
    yield "选户", lambda: HouseholdPicker(ctx)
    yield "导入户籍", lambda: ImportWizard(ctx)
    yield "信息员", lambda: AppointDialog(ctx)


@pytest.mark.parametrize("size", ["标准", "大", "特大"])
def test_every_form_fits_both_screens_at_every_font_size_and_reads_whole(qtbot, demo_village, size):
    """Each form opened as on each screen (the test's own screen is neither): its buttons on the
    screen, and no label, button or hint in it cut off (the check the selftest makes of every screen)."""
    from ui.selftest import clipped_texts

    ws, ctx = demo_village
    apply_font_size(size)
    too_big, cut = [], []
    for screen, area in SCREENS.items():
        for name, make in _dialogs(ws, ctx):
            dialog = make()
            qtbot.addWidget(dialog)
            need = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
            if need.height() + TITLE_BAR > area.height() or need.width() > area.width():
                too_big.append(f"{name} at {screen}: needs {need.width()}×{need.height()}")
            dialog._fitted = True  # sized for that screen here, not for the test's when shown
            fit_first_showing(dialog, area)
            dialog.show()
            QApplication.processEvents()  # its layout settles, as before a person reads it
            assert dialog.height() + TITLE_BAR <= area.height() and dialog.width() <= area.width(), name
            cut += [f"{name} at {screen}: {problem}" for problem in clipped_texts(dialog)]
            dialog.close()
            dialog.deleteLater()
    assert too_big == [], too_big
    assert cut == [], "\n".join(cut)


def test_a_dialog_larger_than_the_screen_is_made_to_fit_and_moved_onto_it(qtbot):
    dialog = FittedDialog()
    qtbot.addWidget(dialog)
    dialog.resize(1000, 700)  # the household form's size, on a screen of 1280×720 with its taskbar
    fit_size(dialog, QRect(0, 0, 1280, 680))
    assert (dialog.width(), dialog.height()) == (1000, 680 - TITLE_BAR)
    small = FittedDialog()
    qtbot.addWidget(small)
    small.resize(400, 300)
    fit_size(small, QRect(0, 0, 1280, 680))
    assert (small.width(), small.height()) == (400, 300)  # one that fits is left as it is
    small.show()
    qtbot.waitExposed(small)
    small.move(1100, 600)  # dragged partly off the screen, then fitted again: back inside the area
    fit_size(small, QRect(0, 0, 1280, 680))
    frame = small.frameGeometry()
    assert QRect(0, 0, 1280, 680).contains(frame)


def test_the_first_showing_fits_the_screen_and_does_not_stop_at_two_thirds_of_it(qtbot):
    """A form never resized opens as tall as it is when the screen has room (Qt's first showing stops at
    two thirds of the screen, and the form's scroll bar would show for nothing), and no taller than the
    screen when it has not."""
    area = QApplication.primaryScreen().availableGeometry()

    def form(height: int) -> FittedDialog:
        dialog = FittedDialog()
        qtbot.addWidget(dialog)
        inner, part = QWidget(), QWidget()
        part.setMinimumHeight(height)
        QVBoxLayout(inner).addWidget(part)
        QVBoxLayout(dialog).addWidget(FittingScroll(inner))
        return dialog

    fits = form(int(area.height() * 0.8))
    fits.show()
    qtbot.waitExposed(fits)
    assert fits.height() >= area.height() * 0.8
    tall = form(area.height() * 2)
    tall.show()
    qtbot.waitExposed(tall)
    assert tall.height() + TITLE_BAR <= area.height()
    assert tall.findChild(FittingScroll).verticalScrollBar().maximum() > 0  # the rest scrolls


def test_every_dialog_of_the_program_fits_its_screen():
    """A dialog class added later, made straight from QDialog, would open as large as it likes."""
    for module in pkgutil.walk_packages(ui.__path__, "ui."):
        importlib.import_module(module.name)
    found, unfitted = [], []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("ui."):
                found.append(sub)
                if not issubclass(sub, FitsScreen):
                    unfitted.append(f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(QDialog)
    assert len(found) > 40 and unfitted == []


def test_a_household_whose_cadres_changed_at_every_election_keeps_its_form_on_the_screen(qtbot, demo_village):
    """Each change of 联系干部 or 包片干部 is a line of the form's 变更记录: twelve of them made it 200
    pixels taller, past a 1366×768 screen. The record now scrolls."""
    from ui.households.editor import HouseholdDialog

    ws, ctx = demo_village
    with ws.session() as s:
        hid = s.scalars(select(Household.id).limit(1)).one()
        users = [u.id for u in s.scalars(select(User).where(User.deleted_at.is_(None))).all()]
    before = HouseholdDialog(ctx, hid)
    qtbot.addWidget(before)
    with ws.work(ctx.user) as w:
        start = dt.date(2014, 1, 1)
        for n in range(12):
            cadres.assign_cadre(
                w,
                hid,
                "联系干部",
                users[n % len(users)] if n % 2 else None,
                on=start + dt.timedelta(days=300 * n),
            )
    after = HouseholdDialog(ctx, hid)
    qtbot.addWidget(after)
    assert after.history.text().count("\n") >= 5
    assert after.minimumSizeHint().height() <= before.minimumSizeHint().height() + 4


def test_titles_and_the_main_button_grow_with_the_font_size(qtbot, village_ws, village_admin):
    """A title written as 18 pt stayed 18 pt at 特大 (where the text is 14 pt); the home page's
    写民情日记 was 12 pt, smaller than the text around it."""
    from ui.home import HomePage

    page = HomePage(AppContext(village_ws, village_admin))
    qtbot.addWidget(page)
    for size in ("特大", "标准", "大"):
        apply_font_size(size)
        body = font_point_size(size)
        assert page.title.font().pointSizeF() == pytest.approx(body * 1.8, abs=0.1)
        assert page.title.font().bold()
        assert page.new_entry_button.font().pointSizeF() == pytest.approx(body * 1.2, abs=0.1)
        assert page.new_entry_button.font().pointSizeF() > QApplication.font().pointSizeF()
    assert isinstance(page.title.property(FONT_SCALED), float)
    later = HomePage(AppContext(village_ws, village_admin))  # made at 大: at 大 from the start
    qtbot.addWidget(later)
    assert later.title.font().pointSizeF() == pytest.approx(font_point_size("大") * 1.8, abs=0.1)


def test_a_row_of_buttons_goes_on_to_a_second_line_and_cuts_no_text(qtbot):
    from PySide6.QtWidgets import QPushButton

    from ui.widgets.flow import FlowLayout

    holder = QWidget()
    qtbot.addWidget(holder)
    flow = FlowLayout(holder)
    buttons = [QPushButton(f"第{n}个按钮（Ctrl+{n}）") for n in range(8)]
    for b in buttons:
        flow.addWidget(b)
    buttons[3].hide()  # as the town hides what it cannot use: it takes no room
    holder.show()
    qtbot.waitExposed(holder)
    one_line = flow.sizeHint().width()
    line = max(b.sizeHint().height() for b in buttons)
    assert flow.heightForWidth(one_line) == line
    assert flow.heightForWidth(one_line // 2) > line
    holder.resize(one_line // 2, flow.heightForWidth(one_line // 2))
    qtbot.wait(20)
    shown = [b for b in buttons if b.isVisible()]
    assert len(shown) == 7 and len({b.y() for b in shown}) >= 2  # wrapped
    assert all(b.width() >= b.sizeHint().width() for b in shown)  # every text whole
    assert all(b.geometry().right() < holder.width() for b in shown)
    assert flow.minimumSize().width() >= max(b.sizeHint().width() for b in shown)


@pytest.mark.parametrize("station", ["first", "town"])
def test_every_screen_reads_whole_on_a_laptop_scaled_by_150_percent_at_the_largest_type(
    qtbot, two_villages, tmp_path, station
):
    """1920×1080 at 150 % is 1280×720 to Qt; less the taskbar and the title bar, 1280×648. At 特大 the
    diary's row of eight buttons cut its first (“日记（Ctrl+N）”), 为民实事's its last, and the
    navigation cut 群众工作信息员 behind its scroll bar."""
    from ui import selftest

    report = selftest.run(
        two_villages[station],
        install_hooks=False,
        credentials=ADMIN,
        font_size="特大",
        window_size=(1280, 648),
    )
    clipped = {p["key"]: p["clipped"] for p in report["pages"] if p["clipped"]}
    assert clipped == {}
    assert all(p["ok"] for p in report["pages"]), [p["error"] for p in report["pages"]]


def test_the_check_finds_a_navigation_title_cut_off(qtbot, village_ws, village_admin):
    from ui import selftest
    from ui.main_window import MainWindow

    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    window.apply_font_size("特大")
    window.resize(1280, 648)
    window.show()
    qtbot.waitExposed(window)
    assert not [p for p in selftest.clipped_texts(window) if "导航" in p]
    window.nav.setMaximumWidth(120)  # as it was at 特大: 220 at most, less its scroll bar
    window.nav.setMinimumWidth(120)
    qtbot.wait(20)
    assert any("导航文字被截断" in p for p in selftest.clipped_texts(window))


def test_the_diarys_text_boxes_grow_with_the_font_size(qtbot, village_ws, village_admin):
    """A box of the diary's form was 58 pixels at every 字号: about three lines at 标准, two at 特大."""
    from PySide6.QtWidgets import QPlainTextEdit

    from ui.diary.entry_form import EntryDialog

    ctx = AppContext(village_ws, village_admin)
    heights = {}
    for size in ("标准", "特大"):
        apply_font_size(size)
        dialog = EntryDialog(ctx)
        qtbot.addWidget(dialog)
        box = dialog.findChild(QPlainTextEdit)
        heights[size] = (box.height(), box.fontMetrics().lineSpacing())
        dialog.close()
    (standard, line_standard), (largest, line_largest) = heights["标准"], heights["特大"]
    assert largest >= standard * 1.35
    assert largest / line_largest >= standard / line_standard * 0.9  # as many lines, give or take


def test_a_dialog_with_a_long_wrapped_text_opens_tall_enough_to_show_it_whole(qtbot):
    from PySide6.QtWidgets import QLabel

    dialog = FittedDialog()
    qtbot.addWidget(dialog)
    text = QLabel(
        "这项实事回应的诉求中有 12 条尚未办结。确定后逐条答复群众，已上报乡镇、等待答复的除外。" * 6
    )
    text.setWordWrap(True)
    QVBoxLayout(dialog).addWidget(text)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert text.height() >= text.heightForWidth(text.width())


def test_the_reports_figures_take_fewer_pairs_to_a_line_when_narrow_and_keep_the_windows_type(qtbot):
    """At 特大 the 统计报表 page's boxes, three pairs to a line, were wider than the window: the page
    scrolled sideways and cut its numbers; the numbers were drawn in a style sheet's type, smaller than
    their labels at 特大."""
    from ui.reports import FigureBox

    apply_font_size("特大")
    page = QWidget()  # a box in a page, as on 统计报表
    qtbot.addWidget(page)
    box = FigureBox("标签（户数）", 3)
    layout = QVBoxLayout(page)
    layout.addWidget(box)
    edges = layout.contentsMargins().left() + layout.contentsMargins().right()
    box.set_pairs([(f"标签{n}（敏感）", n * 11) for n in range(10)])
    page.resize(2000, 300)
    page.show()
    qtbot.waitExposed(page)
    assert box.placed == 3
    narrow = box.minimumSizeHint().width()
    page.resize(narrow + edges, 600)
    qtbot.wait(20)
    assert box.placed == 1
    name, shown = box.cells[0]
    assert shown.font().pointSizeF() == pytest.approx(name.font().pointSizeF())
    assert shown.font().bold() and shown.geometry().right() < box.width()  # whole inside the box
    middle = (box._needed(2) + box._needed(1)) // 2 + box._margins()
    page.resize(middle + 1 + edges, 600)
    qtbot.wait(20)
    assert box.placed == 1  # not room for two
    page.resize(box._needed(2) + box._margins() + edges, 600)
    qtbot.wait(20)
    assert box.placed == 2


def test_every_form_opens_with_the_cursor_in_a_field(qtbot, demo_village):
    """What a person types the moment a form opens goes into a field, not into a scroll area or a tab bar
    (受理登记's 纠纷名称 stayed empty, a new household's 组 and 户编号 went nowhere); a form that puts the
    cursor somewhere on purpose (the member's 姓名, the diary's 走访对象) keeps it there."""
    from ui.households.editor import MemberDialog
    from ui.mediation import forms
    from ui.widgets.fit import typeable_field

    ws, ctx = demo_village
    elsewhere = []
    for name, make in _dialogs(ws, ctx):
        dialog = make()
        qtbot.addWidget(dialog)
        dialog.show()
        QApplication.processEvents()
        focus = dialog.focusWidget()
        fields = [w for w in dialog.findChildren(QWidget) if typeable_field(w)]
        if fields and (focus is None or not typeable_field(focus)):  # (a list with buttons has none)
            elsewhere.append(f"{name}: {type(focus).__name__}")
        if isinstance(dialog, forms.RegistrationDialog):
            assert focus is dialog.reg.title
        if isinstance(dialog, MemberDialog):
            assert focus is dialog.name
        dialog.close()
        dialog.deleteLater()
    assert elsewhere == [], elsewhere
