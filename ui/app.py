"""Start the window: Qt, a Chinese UI font, the workspace, first-start wizard, sign-in, main window."""

from __future__ import annotations

import errno
import logging
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QLibraryInfo,
    QLocale,
    QLockFile,
    Qt,
    QTimer,
    QtMsgType,
    QTranslator,
    qInstallMessageHandler,
)
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QHeaderView, QMessageBox, QWidget

from app import __version__, logs
from app.errors import UserError, failure_message, os_error_text, read_only_workspace
from app.paths import cjk_common_font_path, cjk_font_path, icon_path, resolve_data_dir
from app.workspace import DatabaseDamaged, DatabaseMissing, Workspace

log = logging.getLogger("minqing.ui")

# System CJK fonts in order of preference (sans for the screen; the bundled serif is the fallback).
UI_FONTS = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Noto Serif CJK SC",
    "SimSun",
)
# The bundled font's two families (tools/make_font.py): its common characters, then the whole of it.
COMMON_FAMILY, BUNDLED_FAMILY = "Noto Serif CJK SC Common", "Noto Serif CJK SC"


def apply_ui_font(app: QApplication) -> str:
    """Use a system CJK font when there is one (no cost); else load the bundled Noto Serif SC.

    Measured: asking the font database for its families takes ~6 ms, loading the 18 MB bundled
    font ~4 ms (it is memory-mapped), so both paths are cheap at start-up.

    The bundled font comes in two files (tools/make_font.py): its common characters alone (GB 2312
    level 1, 2.7 MB) first, and the whole font as the fallback for any other character. The font file
    is mapped into memory and each glyph drawn keeps the pages it lies on: over every screen of the
    selftest the whole font alone kept 11 MB of itself in memory, the two files together 4 MB.
    """
    installed = set(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
    if COMMON_FAMILY in installed:  # loaded by an earlier call
        families = [COMMON_FAMILY, BUNDLED_FAMILY]
    elif (system := next((f for f in UI_FONTS if f in installed), None)) is not None:
        families = [system]
    else:
        families = [
            family
            for path in (cjk_common_font_path(), cjk_font_path())
            for family in QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(path)))
        ]
        if BUNDLED_FAMILY not in families:
            log.warning("找不到中文字体，且无法加载 %s", cjk_font_path())
            if not families:
                return app.font().family()
    font = QFont(app.font())
    font.setFamilies([*families, *font.families()])
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setProperty(BASE_POINT_SIZE, font.pointSizeF())
    return families[0]


# 字号: the whole window's type, as a factor of the base size (10 pt, or the system's when larger).
FONT_SCALE = {"标准": 1.0, "大": 1.2, "特大": 1.4}
BASE_POINT_SIZE = "minqing_base_point_size"


def font_point_size(size: str, app: QApplication | None = None) -> float:
    """The point size of the application font at ``size`` (标准 / 大 / 特大)."""
    app = app or QApplication.instance()
    base = app.property(BASE_POINT_SIZE) if app is not None else None
    if not isinstance(base, float):
        base = max(10.0, app.font().pointSizeF()) if app is not None else 10.0
    return round(base * FONT_SCALE.get(size, 1.0), 1)


SECTION_SCALE = "minqing_section_scale"


def font_factor() -> float:
    """The application font's size as a factor of the base size: 1.0 at 标准, 1.4 at 特大."""
    app = QApplication.instance()
    base = app.property(BASE_POINT_SIZE) if isinstance(app, QApplication) else None
    if not isinstance(base, float) or base <= 0:
        return 1.0
    return app.font().pointSizeF() / base


def scale_table_columns(root: QWidget) -> None:
    """Table columns given widths in pixels (written for 标准) widen with the 字号, so that a date or a
    name still shows whole at 特大. Each header remembers the factor it was sized at: calling this again
    after a change of 字号 resizes by the ratio only."""
    factor = font_factor()
    for header in root.findChildren(QHeaderView):
        if header.orientation() != Qt.Orientation.Horizontal:
            continue
        done = header.property(SECTION_SCALE)
        ratio = factor / (done if isinstance(done, float) else 1.0)
        if abs(ratio - 1.0) < 0.01:
            continue
        last = header.count() - 1
        for i in range(header.count()):
            if header.sectionResizeMode(i) not in (
                QHeaderView.ResizeMode.Interactive,
                QHeaderView.ResizeMode.Fixed,
            ):
                continue
            if i == last and header.stretchLastSection():
                continue
            header.resizeSection(i, round(header.sectionSize(i) * ratio))
        header.setProperty(SECTION_SCALE, factor)


def at_font_size(pixels: int) -> int:
    """A height in pixels written for 标准 (a text box of about three lines), at the 字号 now: at 特大 a
    58-pixel box held two lines of the larger type."""
    return round(pixels * font_factor())


FONT_SCALED = "minqing_font_scale"


def scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    """Give ``widget`` (a title, the home page's main button) type ``factor`` times the rest of the
    window's, at every 字号: a size written in points (a style sheet's ``font-size: 12pt``) stayed
    12 pt at 特大, smaller than the text around it."""
    font = QFont(widget.font())
    font.setPointSizeF(round(QApplication.font().pointSizeF() * factor, 1))
    font.setBold(bold)
    widget.setFont(font)
    widget.setProperty(FONT_SCALED, factor)


def apply_font_size(size: str, app: QApplication | None = None) -> float:
    """Set the application font to ``size``; every widget without a font of its own follows at once
    (Qt sends them the change), those with a :func:`scaled_font` keep their factor, and screens made
    later are made at it. Returns the point size."""
    app = app or QApplication.instance()
    if app.property(BASE_POINT_SIZE) is None:
        app.setProperty(BASE_POINT_SIZE, max(10.0, app.font().pointSizeF()))
    points = font_point_size(size, app)
    if abs(app.font().pointSizeF() - points) > 0.01:
        font = QFont(app.font())
        font.setPointSizeF(points)
        app.setFont(font)
        for widget in app.allWidgets():
            factor = widget.property(FONT_SCALED)
            if isinstance(factor, float):
                scaled_font(widget, factor, bold=widget.font().bold())
    return points


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages() -> None:
    """Qt's own warnings go into the workspace log (and count as errors in selftest when critical)."""
    qt_log = logging.getLogger("minqing.qt")

    def handler(msg_type, context, message) -> None:
        qt_log.log(_QT_LEVELS.get(msg_type, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


QT_TRANSLATION = "qtbase_zh_CN"


class _WordsQtsTranslationLacks(QTranslator):
    """Words of Qt's own (non-native) file dialog that its Chinese translation does not have: Qt 6 added
    access keys to two labels ("&Look in:", "Files of &type:"), and the file type column names a folder
    in a context of its own. Any other word goes on to Qt's translation (None: not this one's)."""

    WORDS = {
        ("QFileDialog", "&Look in:"): "查找范围(&L)：",
        ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
        ("QAbstractFileIconProvider", "Folder"): "文件夹",
        ("QAbstractFileIconProvider", "Drive"): "驱动器",
        ("QAbstractFileIconProvider", "Shortcut"): "快捷方式",
    }

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        return self.WORDS.get((context, source))

    def isEmpty(self) -> bool:
        return False


def apply_qt_chinese(app: QApplication) -> bool:
    """Qt's own words in Chinese: the 确定/是/否/取消 of its message boxes and button rows, the file
    dialog's labels, a text box's right-click menu (复制、粘贴…). They come from Qt's translation,
    which PySide6 ships (``qtbase_zh_CN.qm``, 150 KB, loaded in about a millisecond); without it a
    cadre meets "OK", "Yes", "No" and "Copy" in a Chinese program. Returns whether it was found.
    The widgets' locale is Chinese too, whatever the computer's (a date field's calendar: 十二月, 周一),
    so that they match."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translator = QTranslator(app)
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)]
    import PySide6

    folders.append(str(Path(PySide6.__file__).parent / "Qt" / "translations"))  # a frozen build's copy
    for folder in folders:
        if translator.load(QT_TRANSLATION, folder):
            app.installTranslator(translator)
            app.installTranslator(_WordsQtsTranslationLacks(app))  # the last installed is asked first
            return True
    log.warning("找不到 Qt 的中文翻译 %s：对话框的按钮将显示英文", QT_TRANSLATION)
    return False


def qt_speaks_chinese() -> bool:
    """Qt's own words come out in Chinese (:func:`apply_qt_chinese` found its translation)."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("QPlatformTheme", "OK") != "OK"


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("minqing")
    app.setApplicationDisplayName("民情簿")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("minqing")
    # Light whatever the computer's setting: the forms' coloured lines and banners (a kept draft's yellow,
    # a red refusal, a late row's tint) are drawn for dark text on a light window. Windows 11 in dark mode
    # would give Qt's own widgets white text, on those light banners too. (Linux here has no colour
    # scheme to set: the call is the platform's, and untested in the suite.)
    app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    apply_ui_font(app)
    apply_qt_chinese(app)
    app.setWindowIcon(QIcon(str(icon_path())))  # every window's title bar and the task bar
    return app


def open_workspace(root: Path) -> Workspace | None:
    try:
        return Workspace.open(root, defer_check=True)
    except DatabaseDamaged as exc:
        if not offer_rescue(root, exc):
            return None
        return open_workspace(root)
    except UserError as exc:
        QMessageBox.critical(None, "无法打开工作目录", exc.message)
        return None


def offer_rescue(root: Path, exc: DatabaseDamaged) -> bool:
    """The damaged database: say so; offer the newest good backup (True when restored), or to copy what
    can still be read into a new workspace folder (the program then ends: open that folder)."""
    from app import backups

    summary = None
    if exc.newest_backup is not None:
        try:
            summary = backups.describe(backups.summarize(exc.newest_backup, exc.key))
        except UserError:
            summary = None
    box = QMessageBox(QMessageBox.Icon.Critical, "数据库已损坏", exc.message)
    restore = None
    if summary is not None:
        box.setInformativeText(f"可以恢复：{summary}\n当前损坏的数据库会另存一份，不会删除。")
        restore = box.addButton("从这个备份恢复", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore)
    rescue = box.addButton("把能读出的记录导出到新目录…", QMessageBox.ButtonRole.ActionRole)
    rescue.setVisible(not isinstance(exc, DatabaseMissing))  # (no file: nothing to read out)
    box.addButton("退出", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    try:
        if (
            restore is not None
            and box.clickedButton() is restore
            and exc.newest_backup is not None
            and exc.key is not None
        ):
            backups.restore(root, exc.newest_backup, exc.key)
            QMessageBox.information(
                None, "已恢复", f"已从备份恢复：{summary}\n\n{backups.RESTORED_PASSWORDS}"
            )
            return True
        if box.clickedButton() is rescue and exc.key is not None:
            out = QFileDialog.getExistingDirectory(None, "选一个新的、空的文件夹")
            if out:
                report, orphans = backups.salvage_to(root, out, exc.key)
                QMessageBox.information(
                    None,
                    "已导出",
                    f"{backups.describe_salvage(report, orphans)}。\n新工作目录：{out}\n"
                    f"请用它打开民情簿（python -m app --data-dir {out}）并核对。",
                )
    except Exception as failed:
        message = failure_message(failed)
        if message is None:
            raise
        QMessageBox.critical(None, "没有完成", message)
    return False


WINDOW_LOCK = "minqing.window.lock"  # in the workspace folder while a window has it open


def claim_window(root: Path) -> QLockFile | int:
    """One window a workspace: a cadre who double-clicks the icon twice on a slow laptop must not get two
    windows on one database (each with its own stale view of the other's saves, the second taking the
    first's open database for a crash and checking it in full). Returns the lock, held for as long as the
    caller keeps it (Qt frees it when the object goes), or the process id of the window that has the
    workspace. A lock left by a window that is gone (killed, power cut) is taken over: Qt sees that its
    process no longer runs. Where no lock file can be made (a read-only folder) nothing is held and the
    start goes on, to say what is wrong with the folder."""
    lock = QLockFile(str(root / WINDOW_LOCK))
    lock.setStaleLockTime(0)  # never stale by age: a window open all week keeps its lock
    if lock.tryLock(100):
        return lock
    if lock.error() == QLockFile.LockError.LockFailedError:
        info = lock.getLockInfo()  # (pid, host, program); PySide6 leaves out C++'s bool
        return int(info[0]) if info and isinstance(info[0], int) else 0
    log.warning("无法在 %s 建立窗口锁（%s），继续打开", root, lock.error().name)
    return lock


def say_if_clock_behind(parent: QWidget, ctx: Any) -> QMessageBox | None:
    """After the window opens: the computer's clock is behind what the workspace has seen (app/clock.py).
    Said with what to do; "时间没错，不再提醒" is kept for that moment. Returns the box (shown modal)."""
    from app.clock import accept_clock, clock_behind

    with ctx.work() as w:
        behind = clock_behind(w)
    if behind is None:
        return None
    box = QMessageBox(QMessageBox.Icon.Warning, "电脑时间不对", behind.message(), parent=parent)
    fix = box.addButton("知道了，我去改正时间", QMessageBox.ButtonRole.AcceptRole)
    right = box.addButton("时间没错，不再提醒", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(fix)
    box.exec()
    if box.clickedButton() is right:
        with ctx.work() as w:
            accept_clock(w, behind)
    return box


def run(data_dir: str | Path | None = None) -> int:
    from ui.crash import CrashHandler, offer_last_crash
    from ui.signin import sign_in
    from ui.tasks import close_showing_backup

    app = make_application()
    root = resolve_data_dir(data_dir)
    try:
        logs_dir = root / "logs"
        logs.setup(logs_dir)
    except OSError as exc:
        QMessageBox.critical(
            None,
            "无法打开工作目录",
            read_only_workspace(root).message
            if exc.errno == errno.EROFS
            else f"无法在 {root} 建立日志文件夹：{os_error_text(exc)}。请检查权限或换一个目录。",
        )
        return 1
    crash = CrashHandler(logs_dir).install()
    route_qt_messages()
    log.info("民情簿 %s 启动，工作目录 %s", __version__, root)
    window_lock = claim_window(root)
    if not isinstance(window_lock, QLockFile):
        log.info("工作目录已在另一个窗口中打开（进程 %s），不再打开第二个", window_lock)
        QMessageBox.information(
            None,
            "民情簿已经打开",
            "这个工作目录已经在另一个民情簿窗口里打开了，请切换到那个窗口继续工作（在任务栏上找一找）。\n"
            "同一个工作目录不能同时打开两个窗口。",
        )
        crash.uninstall()
        return 0
    ws = open_workspace(root)
    if ws is None:
        return 1
    try:
        offer_last_crash(logs_dir)
        if not ws.is_initialized:
            from ui.setup_wizard import SetupWizard

            wizard = SetupWizard(ws)
            if wizard.exec() != QDialog.DialogCode.Accepted:
                return 0
        try:
            user = sign_in(ws)
        except DatabaseDamaged as exc:  # found when the password opened the database
            ws.close(daily_backup=False)
            if not offer_rescue(root, exc):
                return 1
            ws = Workspace.open(root, key=exc.key)
            user = sign_in(ws)
        if user is None:
            return 0
        from ui.context import AppContext  # the database layer: loaded behind the sign-in box (ui/preload.py)
        from ui.main_window import MainWindow, freeze_long_lived, show_fitted

        window = MainWindow(AppContext(ws, user))
        show_fitted(window)
        QTimer.singleShot(0, freeze_long_lived)
        QTimer.singleShot(0, lambda: say_if_clock_behind(window, window.ctx))
        if (note := ws.on_network_note()) is not None:
            QTimer.singleShot(0, lambda: QMessageBox.warning(window, "工作目录在网络上", note))
        return app.exec()
    finally:
        close_showing_backup(ws)
        if ws.backup_failure:  # the day's backup a full disk would not take: the close itself went on
            QMessageBox.warning(None, "自动备份没有做成", ws.backup_failure)
        crash.uninstall()
        window_lock.unlock()
        log.info("民情簿退出")
