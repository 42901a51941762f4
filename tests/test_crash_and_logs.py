"""Crash handler (crash log in the workspace, offered at next start) and the rotating workspace log."""

import datetime as dt
import json
import logging
import sys

from app import __version__, logs
from app.cli import main as cli_main

from ui.crash import FAULT_LOG, CrashHandler, crash_logs, mark_seen, unseen_crash_log


def _raise_and_handle(handler):
    try:
        {}["户主"]
    except KeyError:
        handler.handle(*sys.exc_info())


def test_an_unexpected_error_writes_a_crash_log_and_shows_a_chinese_message(qtbot, tmp_path):
    handler = CrashHandler(tmp_path / "logs")
    _raise_and_handle(handler)
    [log_file] = crash_logs(tmp_path / "logs")
    text = log_file.read_text(encoding="utf-8")
    assert f"民情簿 {__version__}" in text and "KeyError: '户主'" in text and "Traceback" in text
    assert f"时间：{dt.date.today():%Y-%m-%d}" in text
    assert handler.dialog.isVisible() and "意外错误" in handler.dialog.text()
    assert str(log_file) in handler.dialog.informativeText()
    handler.dialog.close()


def test_a_second_error_gets_its_own_log_but_not_a_second_dialog(qtbot, tmp_path):
    handler = CrashHandler(tmp_path / "logs")
    _raise_and_handle(handler)
    first_dialog = handler.dialog
    _raise_and_handle(handler)
    assert len(crash_logs(tmp_path / "logs")) == 2
    assert handler.dialog is first_dialog
    first_dialog.close()


def test_a_user_error_reaching_the_hook_is_not_a_crash(qtbot, tmp_path):
    from app.errors import UserError

    handler = CrashHandler(tmp_path / "logs", interactive=False)
    try:
        raise UserError("请填写户主姓名")
    except UserError:
        handler.handle(*sys.exc_info())
    assert crash_logs(tmp_path / "logs") == []


def test_an_environment_failure_reaching_the_hook_is_a_chinese_warning_not_a_crash(
    qtbot, tmp_path, monkeypatch
):
    import errno

    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append((title, text)))
    handler = CrashHandler(tmp_path / "logs")
    try:
        raise OSError(errno.ENOSPC, "No space left on device", "/media/u/x.mqb")
    except OSError:
        handler.handle(*sys.exc_info())
    assert crash_logs(tmp_path / "logs") == []
    assert handler.dialog is None
    assert shown and shown[0][0] == "无法完成" and "已满" in shown[0][1]


def test_install_takes_over_the_excepthook_and_uninstall_gives_it_back(tmp_path):
    before = sys.excepthook
    handler = CrashHandler(tmp_path / "logs").install(fault=False)
    assert sys.excepthook == handler.handle
    handler.uninstall()
    assert sys.excepthook is before


def test_next_start_offers_the_crash_log_once(tmp_path):
    logs_dir = tmp_path / "logs"
    handler = CrashHandler(logs_dir, interactive=False)
    _raise_and_handle(handler)
    newest = unseen_crash_log(logs_dir)
    assert newest == handler.last_log
    mark_seen(logs_dir, newest)
    assert unseen_crash_log(logs_dir) is None
    _raise_and_handle(handler)
    assert unseen_crash_log(logs_dir) == handler.last_log != newest


def test_a_hard_crash_recorded_by_faulthandler_becomes_a_crash_log(tmp_path):
    logs_dir = tmp_path / "logs"
    logs_dir.mkdir()
    (logs_dir / FAULT_LOG).write_text(
        'Fatal Python error: Segmentation fault\n\nCurrent thread 0x1:\n  File "ui/x.py"', encoding="utf-8"
    )
    made = CrashHandler(logs_dir).collect_fault_log()
    assert made is not None and "Segmentation fault" in made.read_text(encoding="utf-8")
    assert not (logs_dir / FAULT_LOG).exists()
    assert unseen_crash_log(logs_dir) == made


def test_log_goes_to_a_rotating_file_in_the_workspace(tmp_path):
    try:
        path = logs.setup(tmp_path / "a" / "logs")
        logging.getLogger("minqing.test").info("导入名册 %d 户", 12)
        assert "导入名册 12 户" in path.read_text(encoding="utf-8")
        other = logs.setup(tmp_path / "b" / "logs")  # a second workspace replaces the first file
        logging.getLogger("minqing.test").info("第二个工作目录")
        assert logs.current_log_file() == other
        assert "第二个工作目录" not in path.read_text(encoding="utf-8")
        assert "第二个工作目录" in other.read_text(encoding="utf-8")
    finally:
        logs.shutdown()
    assert logs.current_log_file() is None


def test_command_line_logs_into_the_workspace(village_ws, capsys):
    try:
        assert cli_main(["stats", "--data-dir", str(village_ws.root), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["station"]["code"] == "370681101201"
        text = (village_ws.logs_dir / logs.LOG_NAME).read_text(encoding="utf-8")
        assert "命令 stats 开始" in text and "命令 stats 结束，退出码 0" in text
    finally:
        logs.shutdown()


def test_command_line_does_not_create_a_missing_workspace_just_to_log(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert cli_main(["stats", "--data-dir", str(missing)]) == 1
    assert not missing.exists()
    assert "不存在" in capsys.readouterr().err
