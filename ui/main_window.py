"""The main window: navigation on the left, the screens of ``ui.pages.PAGES`` on the right (created on
first show), a status bar with the station and the signed-in user, and the idle lock."""

from __future__ import annotations

import gc
import importlib
import logging
import time

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QFontMetrics, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app import __version__, accounts, indexing, preferences
from app.errors import UserError
from app.workspace import DatabaseDamaged

from ui.app import apply_font_size, scale_table_columns, scaled_font
from ui.context import AppContext
from ui.pages import PAGES, PageSpec
from ui.signin import SignInDialog
from ui.tasks import BackgroundTask, Cancelled, wait_shown

log = logging.getLogger("minqing.ui")

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.InputMethod,
    }
)


def freeze_long_lived() -> None:
    """Leave what lives as long as the window (the modules, the mappers, the window and its first
    screen) out of the garbage collector's full passes (``gc.freeze``), after a collection of what is
    garbage already. Those passes otherwise walk every object of the program: 40–60 ms, at whatever
    keystroke of a search the collector chose (issue 17, the slowest keystroke; bench/bench_households.py
    does the same after its setup). What is frozen is never freed, so it runs once, when the program's
    window shows (ui/app.py, the selftest), never inside the tests, whose objects come and go: freezing
    later, after each screen was built, froze the garbage of the moment too (+23 MB at 100 000
    households)."""
    gc.collect()
    gc.freeze()


class IdleWatcher(QObject):
    """Restarts a single-shot timer on any keyboard or mouse input in the application."""

    idle = Signal()
    lock_asked = Signal()  # Ctrl+L pressed while a form is open (the window's own Ctrl+L cannot see it)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        QApplication.instance().installEventFilter(self)

    def set_timeout_ms(self, ms: int) -> None:
        self.timer.setInterval(ms)
        if self.timer.isActive():
            self.timer.start()

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        if (
            kind == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_L
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
            and QApplication.activeModalWidget() is not None
        ):
            self.lock_asked.emit()  # a cadre called away from a half-typed form locks it as it is
            return True
        return False

    def detach(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()


class PageError(QWidget):
    """Shown in place of a screen that failed to open (the error is in the log and a crash log)."""

    def __init__(self, spec: PageSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        label = QLabel(f"“{spec.title}”打开失败。错误已记入工作目录的 logs 文件夹，请把它交给技术支持人员。")
        label.setWordWrap(True)
        layout.addWidget(label)
        layout.addStretch()


# The window fits a 1366×768 screen with its taskbar (a work area of about 1366×728): 1280×660 inside is
# about 1290×691 outside with the title bar. On such a screen it starts maximized (``show_fitted``).
DEFAULT_SIZE = (1280, 660)
NAV_SCALE = 1.2  # the navigation's type, a little larger than the rest
MINIMUM_SIZE = (900, 560)


def show_fitted(window: QMainWindow) -> None:
    """Show ``window`` maximized when its default size would not leave a margin on the screen's work
    area (a laptop's 1366×768), else at its default size, centred."""
    screen = window.screen() or QApplication.primaryScreen()
    area = screen.availableGeometry() if screen is not None else None
    if area is None or area.width() < DEFAULT_SIZE[0] + 80 or area.height() < DEFAULT_SIZE[1] + 120:
        window.showMaximized()
        return
    window.show()
    frame = window.frameGeometry()
    frame.moveCenter(area.center())
    window.move(frame.topLeft())


class MainWindow(QMainWindow):
    page_opened = Signal(str)
    locked_changed = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        station = ctx.station
        self.setWindowTitle(f"民情簿 · {station.name}")
        self.resize(*DEFAULT_SIZE)
        self.setMinimumSize(*MINIMUM_SIZE)
        self.specs = list(PAGES)
        self.pages: dict[str, QWidget] = {}
        self.open_times: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.lock_dialog: SignInDialog | None = None
        self.locked = False

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.font_size = preferences.FONT_SIZE_DEFAULT
        self.apply_font_size()  # before the screens are made, so they are made at it
        self.stack = QStackedWidget()
        for spec in self.specs:
            item = QListWidgetItem(spec.title)
            item.setToolTip(f"{spec.title}（{spec.shortcut}）")
            self.nav.addItem(item)
            self.stack.addWidget(QWidget())  # stand-in until first shown
        self._fit_navigation()
        self.lock_cover = QLabel("窗口已锁定")
        self.lock_cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lock_cover.setStyleSheet("color: #666;")
        scaled_font(self.lock_cover, 1.8)
        self.stack.addWidget(self.lock_cover)
        splitter = QSplitter()
        splitter.addWidget(self.nav)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([200, 1080])  # the navigation keeps its width; the screen gets the rest
        self.setCentralWidget(splitter)
        self.nav.currentRowChanged.connect(self._row_changed)

        self._build_menus()
        self.station_label = QLabel()
        self.user_label = QLabel()
        self.statusBar().addWidget(self.station_label)
        self.statusBar().addPermanentWidget(self.user_label)
        self._update_status()
        ctx.user_changed.connect(self._update_status)
        ctx.data_changed.connect(self._data_changed)

        self.idle = IdleWatcher(self)
        self.idle.idle.connect(lambda: self.lock(idle=True))
        self.idle.lock_asked.connect(self.lock)
        self.apply_idle_setting()
        self.idle.start()
        self.nav.setCurrentRow(0)
        self.nav.setFocus()
        self.index_task = None
        QTimer.singleShot(0, self.resume_index_catch_up)
        # a large database is checked in the background after the window opens (writes wait for it)
        self.integrity_timer = QTimer(self)
        self.integrity_timer.setInterval(250)
        self.integrity_timer.timeout.connect(self._integrity_verdict)
        self.integrity_timer.start()  # stops at the first verdict (at once when nothing was deferred)
        ctx.workspace.check_waiter = wait_shown  # a save meanwhile says why it waits, and is not frozen

    def _integrity_verdict(self) -> None:
        """The background check has finished: nothing to do when sound; when damaged, say so and offer
        the newest good backup (nothing can be saved meanwhile: every write is refused)."""
        ws = self.ctx.workspace
        if not ws.check_finished():
            return
        self.integrity_timer.stop()
        try:
            ws.wait_for_check()
        except DatabaseDamaged as exc:
            log.error("数据库检查发现损坏：%s", "; ".join(exc.problems[:3]))
            self.database_damaged(exc)

    def database_damaged(self, exc: DatabaseDamaged) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "数据库已损坏", exc.message, parent=self)
        restore = None
        if exc.newest_backup is not None:
            box.setInformativeText("恢复后请重新输入密码；当前损坏的数据库会另存一份，不会删除。")
            restore = box.addButton("从最新备份恢复", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("关闭民情簿", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if restore is not None and box.clickedButton() is restore and exc.newest_backup is not None:
            try:
                self.ctx.workspace.restore(exc.newest_backup)
            except UserError as failed:
                QMessageBox.critical(self, "恢复没有完成", failed.message)
                self.close()
                return
            self.ctx.data_changed.emit("restored")
            return
        self.close()

    # -- menus and status --------------------------------------------------------------------
    def _enable_new_entry(self) -> None:
        """A town writes no diary (the services refuse it: app.ownership), nor does an account without the
        right (a 调解员): Ctrl+N is off rather than refused after a whole entry is typed."""
        self.new_entry_action.setEnabled(not self.ctx.is_town and accounts.can(self.ctx.user, "write_diary"))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m_file = bar.addMenu("文件(&F)")
        # Ctrl+N writes a diary entry from anywhere (issue: "new entry from anywhere").
        self.new_entry_action = QAction(
            "写民情日记(&N)…", self, shortcut=QKeySequence("Ctrl+N"), triggered=self.new_diary_entry
        )
        m_file.addAction(self.new_entry_action)
        self._enable_new_entry()
        self.ctx.user_changed.connect(self._enable_new_entry)
        m_file.addSeparator()
        self.lock_action = QAction("锁定窗口(&L)", self, shortcut=QKeySequence("Ctrl+L"), triggered=self.lock)
        self.quit_action = QAction("退出(&Q)", self, shortcut=QKeySequence("Ctrl+Q"), triggered=self.close)
        m_file.addAction(self.lock_action)
        m_file.addSeparator()
        m_file.addAction(self.quit_action)
        m_go = bar.addMenu("转到(&G)")
        self.page_actions: dict[str, QAction] = {}
        for spec in self.specs:
            action = QAction(spec.title, self, shortcut=QKeySequence(spec.shortcut))
            action.triggered.connect(lambda _=False, key=spec.key: self._focus_page(self.open_page(key)))
            m_go.addAction(action)
            self.page_actions[spec.key] = action
        m_help = bar.addMenu("帮助(&H)")
        # F1: the guide, on the page of the screen in front (ui/help.py)
        self.help_action = QAction(
            "使用说明(&H)", self, shortcut=QKeySequence("F1"), triggered=self.show_help
        )
        self.about_action = QAction("关于民情簿(&A)", self, triggered=self.about)
        m_help.addAction(self.help_action)
        m_help.addAction(self.about_action)
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        for a in (
            self.new_entry_action,
            self.lock_action,
            self.quit_action,
            self.help_action,
            self.about_action,
            *self.page_actions.values(),
        ):
            self.addAction(a)  # shortcuts work even with the menu bar hidden

    def _update_status(self) -> None:
        st = self.ctx.station
        kind = "村工作站" if st.kind == "village" else "乡镇工作站"
        self.station_label.setText(f"{kind}：{st.name}（{st.code}）")
        user = self.ctx.user
        if user is None:
            self.user_label.setText("未登录")
        else:
            roles = "、".join(accounts.ROLES.get(r, r) for r in sorted(user.role_set))
            self.user_label.setText(f"当前用户：{user.display_name}（{user.username}，{roles}）")

    def about(self) -> None:
        st = self.ctx.station
        QMessageBox.about(
            self,
            "关于民情簿",
            f"<b>民情簿</b> {__version__}<br>村级群众工作室的民情日记、户籍联系卡、矛盾纠纷调解与离线上报。"
            f"<br><br>工作站：{st.name}（{st.code}）<br>工作目录：{self.ctx.workspace.root}"
            "<br><br>快捷键：Ctrl+1…Ctrl+7 切换界面，Ctrl+L 锁定，Ctrl+Q 退出，F1 使用说明。",
        )

    def show_help(self) -> QWidget:
        from ui.help import show_help

        row = self.nav.currentRow()
        return show_help(self, self.specs[row].key if 0 <= row < len(self.specs) else None)

    # -- pages -------------------------------------------------------------------------------
    def new_diary_entry(self) -> None:
        if self.locked:
            return
        page = self.pages.get("diary")
        if page is not None and hasattr(page, "new_entry"):
            page.new_entry()
        else:
            importlib.import_module("ui.diary.page").new_entry(self.ctx, self)

    def index_of(self, key: str) -> int:
        for i, spec in enumerate(self.specs):
            if spec.key == key:
                return i
        raise KeyError(key)

    def page(self, key: str) -> QWidget | None:
        return self.pages.get(key)

    def open_page(self, key: str, record_id: object = None) -> QWidget | None:
        if self.locked:
            return None
        row = self.index_of(key)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)  # _row_changed creates and shows it
        else:
            self._row_changed(row)
        page = self.pages.get(key)
        if record_id is not None and page is not None and hasattr(page, "show_record"):
            page.show_record(record_id)
        return page

    @staticmethod
    def _focus_page(page: QWidget | None) -> None:
        """A screen opened from the keyboard (Ctrl+1…) takes the cursor, as a person would go on typing:
        its own choice (``focus_main``), else its first field (the search box), else its first list."""
        if page is None:
            return
        if hasattr(page, "focus_main"):
            page.focus_main()
            return
        from ui.widgets.fit import first_field

        target = first_field(page) or next(
            (w for w in page.findChildren(QAbstractItemView) if w.isVisibleTo(page)), None
        )
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _row_changed(self, row: int) -> None:
        if row < 0 or self.locked:
            return
        spec = self.specs[row]
        page = self.pages.get(spec.key)
        if page is None:
            page = self._create_page(spec)
            old = self.stack.widget(row)
            self.stack.insertWidget(row, page)
            self.stack.removeWidget(old)
            old.deleteLater()
        self.stack.setCurrentIndex(row)
        if spec.key not in self.failed and hasattr(page, "refresh"):
            try:
                page.refresh()
            except Exception:
                log.exception("界面“%s”刷新失败", spec.title)
                self.failed[spec.key] = "刷新失败"
                import sys

                sys.excepthook(*sys.exc_info())
        self.page_opened.emit(spec.key)

    def _create_page(self, spec: PageSpec) -> QWidget:
        started = time.perf_counter()
        try:
            module_name, class_name = spec.factory.split(":")
            cls = getattr(importlib.import_module(module_name), class_name)
            page = cls(self.ctx, None)
        except Exception as exc:
            log.exception("界面“%s”（%s）打开失败", spec.title, spec.factory)
            self.failed[spec.key] = f"{type(exc).__name__}: {exc}"
            import sys

            sys.excepthook(*sys.exc_info())
            page = PageError(spec)
        scale_table_columns(page)
        if hasattr(page, "open_page"):
            page.open_page.connect(self.open_page)
        self.pages[spec.key] = page
        self.open_times[spec.key] = time.perf_counter() - started
        return page

    def apply_font_size(self, size: str | None = None) -> None:
        """字号 of the whole window: ``size``, or this laptop's setting (``preferences.font_size``)."""
        if size is None:
            with self.ctx.work() as w:
                size = preferences.font_size(w)
        self.font_size = size
        points = apply_font_size(size)
        for page in self.pages.values():
            scale_table_columns(page)
        self.nav.setStyleSheet(  # the navigation a little larger than the rest
            f"QListWidget#navigation {{ font-size: {points * NAV_SCALE:.1f}pt; }}"
            "QListWidget#navigation::item { padding: 8px 6px; }"
        )
        self._fit_navigation()

    def _fit_navigation(self) -> None:
        """The navigation as wide as its longest title at the 字号, with room for its scroll bar (at 特大
        on a small screen its titles are taller than the window): 群众工作信息员 was cut at 特大."""
        font = QFont(self.nav.font())
        font.setPointSizeF(QApplication.font().pointSizeF() * NAV_SCALE)
        metrics = QFontMetrics(font)
        widest = max(
            (metrics.horizontalAdvance(self.nav.item(i).text()) for i in range(self.nav.count())), default=0
        )
        bar = self.nav.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = widest + 2 * 6 + 2 * self.nav.frameWidth() + bar + 8  # the items' padding, a margin
        self.nav.setMinimumWidth(max(170, width))
        self.nav.setMaximumWidth(max(220, width))

    def _data_changed(self, topic: str) -> None:
        if topic == "settings":
            self.apply_idle_setting()
            self.apply_font_size()
        elif topic == "users":
            self._refresh_user()
        elif topic == "restored":  # another database: its accounts may differ, so sign in again
            self.ctx.workspace.local_station(refresh=True)
            for page_topic in ("households", "diary", "mediation", "users"):  # every list reloads
                self.ctx.data_changed.emit(page_topic)
            self.lock()
        elif topic == "sync":  # an import leaves the full-text index of what it brought to the background
            self.resume_index_catch_up()

    def _refresh_user(self) -> None:
        if self.ctx.user is None:
            return
        with self.ctx.work() as w:
            user = accounts.find_user(w, self.ctx.user.id)
            if user is not None:
                w.session.expunge(user)
        if user is not None:
            self.ctx.set_user(user)

    # -- idle lock ---------------------------------------------------------------------------
    def idle_minutes(self) -> int:
        with self.ctx.work() as w:
            return preferences.idle_lock_minutes(w)

    def apply_idle_setting(self) -> None:
        self.idle.set_timeout_ms(self.idle_minutes() * 60_000)

    def lock(self, idle: bool = False) -> None:
        """Hide the data and ask the same user for their password (Ctrl+L, or after idle minutes)."""
        if self.locked or self.ctx.user is None:
            return
        self.locked = True
        self.idle.stop()
        log.info("窗口已锁定（%s）", self.ctx.user.username)
        self._row_before_lock = self.nav.currentRow()
        self.stack.setCurrentWidget(self.lock_cover)
        self.nav.setEnabled(False)
        self.menuBar().setEnabled(False)
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible() and dialog is not self.lock_dialog:
                dialog.hidden_by_lock = True
                dialog.hide()  # a half-typed form stays in memory, out of sight
        self.lock_dialog = SignInDialog(
            self.ctx.workspace,
            self,
            locked_user=self.ctx.user,
            idle_minutes=self.idle_minutes() if idle else None,
        )
        self.lock_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.lock_dialog.accepted.connect(self._unlocked)
        self.lock_dialog.rejected.connect(self._quit_from_lock)
        self.locked_changed.emit(True)
        self.lock_dialog.open()

    def _unlocked(self) -> None:
        self.locked = False
        self.ctx.set_user(self.lock_dialog.user)
        self.lock_dialog.deleteLater()
        self.lock_dialog = None
        self.nav.setEnabled(True)
        self.menuBar().setEnabled(True)
        row = getattr(self, "_row_before_lock", 0)
        self.stack.setCurrentIndex(row)
        for dialog in self.findChildren(QDialog):
            if getattr(dialog, "hidden_by_lock", False):
                dialog.hidden_by_lock = False
                dialog.show()
        self.idle.start()
        log.info("窗口已解锁（%s）", self.ctx.user.username)
        self.locked_changed.emit(False)

    def _quit_from_lock(self) -> None:
        self.lock_dialog = None
        self.close()

    # -- search indexes left to build (an import of the wizard, or one stopped part-way) ---------
    def resume_index_catch_up(self) -> None:
        """Finish, in the background and in small steps, the full-text indexing an import left (the
        wizard's imports leave it on purpose; others when cancelled or interrupted); searches say
        meanwhile that their results may be incomplete."""
        if self.index_task is not None or not indexing.pending(self.ctx.workspace):
            return

        def work(progress):
            return indexing.catch_up_indexes(self.ctx.workspace, progress, chunk=indexing.BACKGROUND_CHUNK)

        def done(_result: object) -> None:
            self.index_task = None
            self.statusBar().showMessage("全文索引已更新完毕", 5000)
            self.ctx.data_changed.emit("diary")

        def failed(exc: BaseException) -> None:
            self.index_task = None
            if not isinstance(exc, Cancelled):
                log.warning("full-text catch-up stopped: %r", exc)

        self.statusBar().showMessage("正在更新全文索引（可照常使用，搜索结果暂时可能不全）…")
        task = BackgroundTask(self, "更新全文索引", work, done, show_progress=False, on_error=failed)
        task.signals.progress.connect(  # "正在更新全文索引（15000/55280）" after each step
            lambda _done, _total, text: self.statusBar().showMessage(
                f"{text}，可照常使用，搜索结果暂时可能不全…"
            )
        )
        self.index_task = task.start()

    def closeEvent(self, event) -> None:
        self.idle.detach()
        if self.index_task is not None:  # stops after its current step; the rest waits for next time
            self.index_task.cancel_event.set()
            QThreadPool.globalInstance().waitForDone(30_000)
        super().closeEvent(event)
