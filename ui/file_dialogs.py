"""Where the file dialogs open: the folder last used for the same kind of file, kept for the next start.

A cadre who saves the month's 台账 to the stick every month, or a mediator who attaches scans from the
camera's folder, chooses that folder once. Before, most dialogs opened in the program's working folder (the
install folder, for a program started from its shortcut): a bare suggested name such as "民情日记.xlsx" was
saved there, where nobody looked for it, or refused in a folder only the administrator may write. The
others opened in the home folder, every time.

A kind is the operation and the first pattern of the dialog's filter ("save *.pdf", "open *.xlsx"): PDFs
to print, workbooks to hand on, rosters to import and scans to attach each keep their own folder. With
nothing remembered (or a folder gone: a stick not plugged in) a dialog opens in the user's Documents
folder. The folders are kept in ``ui-state.ini`` in the user's configuration folder (platformdirs; under
``MINQING_CONFIG_DIR`` when it is set, as the tests set it): where a person's files are on this computer,
nothing of any resident.

The three functions take and return what ``QFileDialog``'s own do, so a call site changes its name only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

CONFIG_ENV = "MINQING_CONFIG_DIR"
STATE_FILE = "ui-state.ini"
_PATTERN = re.compile(r"\*\.(\w+)")


def _settings() -> QSettings:
    folder = os.environ.get(CONFIG_ENV) or platformdirs.user_config_dir("minqing", appauthor=False)
    return QSettings(str(Path(folder) / STATE_FILE), QSettings.Format.IniFormat)


def kind_of(operation: str, file_filter: str) -> str:
    """``save-pdf``, ``open-xlsx`` …: the operation and the first pattern of the filter."""
    m = _PATTERN.search(file_filter or "")
    return f"{operation}-{m.group(1).lower() if m else 'any'}"


def start_folder(kind: str) -> Path:
    """The folder a dialog of ``kind`` opens in: the last one used, if it is still there; else Documents."""
    value = _settings().value(f"folders/{kind}", "")
    if isinstance(value, str) and value:
        folder = Path(value)
        if folder.is_absolute() and folder.is_dir():
            return folder
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents and Path(documents).is_dir():
        return Path(documents)
    return Path.home()


def remember(kind: str, chosen: str | Path) -> None:
    settings = _settings()
    settings.setValue(f"folders/{kind}", str(Path(chosen).parent))
    settings.sync()


# What Windows allows in no file name, each as its full-width twin (a 为民实事 titled 修建村西/东道路 is
# suggested as 修建村西／东道路-公示.pdf: read as typed, where "/" made a folder of 修建村西 and the file
# 东道路-公示.pdf, and ":" a name Windows refuses).
_NOT_IN_A_NAME = str.maketrans('\\/:*?"<>|', "＼／：＊？＂＜＞｜", "".join(map(chr, range(32))))
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_SUGGESTED = 120  # characters of a suggested name (Windows counts 260 for the whole path)


def safe_file_name(name: str) -> str:
    """``name`` (made from a record's title, a person's name, a village's) as a file name every system
    takes: no separator or character Windows refuses, no dot or space at its end, not too long (the
    extension kept)."""
    name = name.translate(_NOT_IN_A_NAME).strip()
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 5:
        stem, ext = name, ""
    stem = stem[: MAX_SUGGESTED - len(ext) - 1].rstrip(". ") or "未命名"
    if stem.upper() in _RESERVED:  # a device's name on Windows, whatever follows it
        stem = f"{stem}（文件）"
    return f"{stem}.{ext}" if ext else stem


def ask_save_file_name(
    parent: QWidget | None, title: str, suggested: str, file_filter: str
) -> tuple[str, str]:
    """``QFileDialog.getSaveFileName`` in the folder last used for this kind, with the name ``suggested``
    (a name, not a path: made safe whole, so a "/" typed in a title stays in the name)."""
    kind = kind_of("save", file_filter)
    start = start_folder(kind) / safe_file_name(suggested)
    path, chosen_filter = QFileDialog.getSaveFileName(parent, title, str(start), file_filter)
    if path:
        remember(kind, path)
    return path, chosen_filter


def ask_open_file_name(parent: QWidget | None, title: str, _dir: str, file_filter: str) -> tuple[str, str]:
    """``QFileDialog.getOpenFileName`` in the folder last used for this kind (``_dir`` is not used)."""
    kind = kind_of("open", file_filter)
    path, chosen_filter = QFileDialog.getOpenFileName(parent, title, str(start_folder(kind)), file_filter)
    if path:
        remember(kind, path)
    return path, chosen_filter


def ask_open_file_names(
    parent: QWidget | None, title: str, _dir: str, file_filter: str
) -> tuple[list[str], str]:
    """``QFileDialog.getOpenFileNames`` in the folder last used for this kind (``_dir`` is not used)."""
    kind = kind_of("open", file_filter)
    paths, chosen_filter = QFileDialog.getOpenFileNames(parent, title, str(start_folder(kind)), file_filter)
    if paths:
        remember(kind, paths[0])
    return paths, chosen_filter
