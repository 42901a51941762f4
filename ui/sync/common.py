"""What the 上报与同步 views share: their base class (workspace, user, folder picker, warnings), the
table view they list rows in, local time, the removable drives, and the texts of an import's outcome."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QStorageInfo
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QHeaderView, QMessageBox, QTableView, QWidget

from app.errors import UserError

CANCELLED_IMPORT = (
    "导入已停止。已经导入完的包都已保存；正在导入的那个包没有写入任何数据。"
    "再次导入同一批文件即可接着导入（已导入的包会自动跳过），全文索引也会在后台补齐。"
)
STATUS_NAMES = {
    "imported": "已导入",
    "already_imported": "已导入过",
    "rejected": "拒收",
    "checked": "检查通过",
}


def removable_volumes() -> list[tuple[str, str]]:
    """(label, path) of mounted volumes that look like a USB stick or card (not the system disk)."""
    found = []
    for vol in QStorageInfo.mountedVolumes():
        if not vol.isValid() or not vol.isReady() or vol.isReadOnly() or vol.isRoot():
            continue
        path = vol.rootPath()
        if path.startswith(("/media/", "/run/media/", "/Volumes/", "/mnt/")) or (
            len(path) <= 3 and path[:1].upper() not in ("C", "/")
        ):
            label = vol.displayName() or path
            found.append((f"{label}（{path}）", path))
    return found


def fmt_time(value) -> str:
    """Stored times are UTC; people read local time."""
    if not value:
        return "—"
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def table(model, parent=None) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    return view


class Base(QWidget):
    """A view of the page: the workspace and signed-in user of ``ctx``, a folder picker, a warning box."""

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx

    @property
    def ws(self):
        return self.ctx.workspace

    def _user_id(self) -> str | None:
        return self.ctx.user.id if self.ctx.user else None

    def _pick_folder(self, title: str) -> Path | None:
        vols = removable_volumes()
        start = vols[0][1] if vols else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, title, start)
        return Path(folder) if folder else None

    def _warn(self, exc: UserError) -> None:
        QMessageBox.warning(self, "无法完成", exc.message)
