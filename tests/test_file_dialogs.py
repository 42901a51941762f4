"""The file dialogs open where the same kind of file went last time (ui/file_dialogs.py), kept across
starts; never in the program's own working folder. Driven through Qt's own dialog (offscreen)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from ui import file_dialogs
from ui.file_dialogs import ask_open_file_name, ask_save_file_name


def _answer(seen: list[str], choose: Path | None) -> None:
    """When the dialog shows: note the folder it opened in, then choose ``choose`` (None: cancel)."""

    def drive() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QFileDialog):
            QTimer.singleShot(20, drive)
            return
        seen.append(dlg.directory().absolutePath())
        seen.append(dlg.selectedFiles()[0] if dlg.selectedFiles() else "")
        if choose is None:
            dlg.reject()
        else:
            dlg.selectFile(str(choose))
            dlg.accept()

    QTimer.singleShot(0, drive)


def test_a_save_dialog_opens_in_the_folder_last_used_for_the_kind_not_the_working_folder(
    qtbot, tmp_path, monkeypatch
):
    stick, scans, elsewhere = tmp_path / "stick", tmp_path / "scans", tmp_path / "program"
    for folder in (stick, scans, elsewhere):
        folder.mkdir()
    monkeypatch.chdir(elsewhere)  # the program's own folder, where a bare name was saved before
    seen: list[str] = []
    _answer(seen, stick / "民情台账.xlsx")
    path, _f = ask_save_file_name(None, "导出民情台账", "民情台账.xlsx", "Excel (*.xlsx)")
    assert path == str(stick / "民情台账.xlsx")
    assert seen[0] != str(elsewhere)  # Documents (or home) at first, not the working folder
    assert seen[1].endswith("民情台账.xlsx")  # the suggested name is kept

    _answer(seen, None)  # the next workbook: in the stick's folder, with its own suggested name
    assert ask_save_file_name(None, "导出户籍台账", "户籍台账-20261207.xlsx", "Excel 文件 (*.xlsx)")[0] == ""
    assert seen[2] == str(stick) and seen[3] == str(stick / "户籍台账-20261207.xlsx")

    _answer(seen, scans / "现场.jpg")  # a scan to attach: a kind of its own
    (scans / "现场.jpg").write_bytes(b"\xff\xd8\xff")
    assert ask_open_file_name(None, "选择照片", "", "图片 (*.jpg *.jpeg *.png)")[0] == str(scans / "现场.jpg")
    _answer(seen, None)
    ask_save_file_name(None, "保存 PDF", "调解协议书.pdf", "PDF (*.pdf)")
    assert seen[6] != str(scans) and seen[6] != str(stick)  # PDFs: nothing remembered yet

    kept = Path(os.environ["MINQING_CONFIG_DIR"]) / "ui-state.ini"
    assert kept.exists() and "民情台账" not in kept.read_text(encoding="utf-8")  # folders, not files
    assert file_dialogs.start_folder("save-xlsx") == stick  # across starts: read from the file


def test_a_remembered_folder_that_is_gone_or_not_a_folder_is_not_used(tmp_path):
    gone = tmp_path / "stick-pulled-out"
    gone.mkdir()
    file_dialogs.remember("save-xlsx", gone / "a.xlsx")
    assert file_dialogs.start_folder("save-xlsx") == gone
    gone.rmdir()
    assert file_dialogs.start_folder("save-xlsx") != gone
    file_dialogs.remember("save-pdf", "relative/b.pdf")  # a hand-edited file: not a place to open
    assert file_dialogs.start_folder("save-pdf").is_absolute()
    assert file_dialogs.kind_of("open", "图片和文档 (*.jpg *.png);;所有文件 (*)") == "open-jpg"
    assert file_dialogs.kind_of("save", "") == "save-any"


def test_a_name_made_from_what_was_typed_is_suggested_as_typed_and_saveable(qtbot, tmp_path):
    """A 为民实事 titled 修建村西/东道路 was suggested as 东道路-公示.pdf (the "/" made a folder of the
    rest), and a title with ":" or "?" as a name Windows refuses at 保存. Each such character is its
    full-width twin now, in the dialog and in the file saved."""
    from ui.file_dialogs import safe_file_name

    assert safe_file_name("修建村西/东道路-公示.pdf") == "修建村西／东道路-公示.pdf"
    assert safe_file_name('路灯:10盏?"急"<一组>|二组\\.pdf') == "路灯：10盏？＂急＂＜一组＞｜二组＼.pdf"
    assert (
        safe_file_name("张三\t户帮扶记录 . .pdf") == "张三户帮扶记录.pdf"
    )  # a tab pasted; a dot or space at the end
    assert safe_file_name("..") == "未命名" and safe_file_name("a.b.c") == "a.b.c"
    assert safe_file_name("con.pdf") == "con（文件）.pdf"  # a device on Windows
    long = safe_file_name("实" * 300 + ".xlsx")
    assert long.endswith("实.xlsx") and len(long) == 120
    seen: list[str] = []
    _answer(seen, None)
    ask_save_file_name(None, "保存公示", "修建村西/东道路-公示.pdf", "PDF (*.pdf)")
    assert Path(seen[1]).name == "修建村西／东道路-公示.pdf"
    assert Path(seen[1]).parent == Path(seen[0])  # no folder made of the title's first half
