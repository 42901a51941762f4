"""上报与同步: the village's report page, and at a town the import wizard, village board, conflicts
and enrollment. One page; what it shows depends on the station's kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QStorageInfo, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import accounts
from app.errors import UserError
from app.sync import conflicts as conflict_service
from app.sync import enrollment, receipts, status
from app.sync.exchange import export_bundles, import_bundles

from ui.sync.models import FieldChoiceModel, RowsModel
from ui.tasks import run_in_background

COUNT_KEYS = ("new", "updated", "unchanged", "conflicts", "rejected")
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


def _fmt_time(value) -> str:
    """Stored times are UTC; people read local time."""
    if not value:
        return "—"
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _table(model, parent=None) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    view.verticalHeader().setVisible(False)
    return view


class _Base(QWidget):
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


# -- village -----------------------------------------------------------------------------------------
class VillageSyncView(_Base):
    """村：未确认的变更、上次回执；导出上报包到 U 盘；导入回执或乡镇下发包。"""

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        link = QGroupBox("与乡镇的绑定")
        link_row = QHBoxLayout(link)
        self.binding = QLabel()
        self.binding.setWordWrap(True)
        link_row.addWidget(self.binding, 1)
        self.bind_btn = QPushButton("导入乡镇卡片(&B)…")
        self.bind_btn.clicked.connect(self.bind_town)
        self.card_btn = QPushButton("导出本村卡片(&C)…")
        self.card_btn.setToolTip("乡镇登记本村工作站时需要这张卡片（公钥），不含群众数据")
        self.card_btn.clicked.connect(self.export_card)
        link_row.addWidget(self.bind_btn)
        link_row.addWidget(self.card_btn)
        layout.addWidget(link)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QGroupBox("本村数据的上报情况")
        QVBoxLayout(box).addWidget(self.summary)
        layout.addWidget(box)
        self.counts = RowsModel(("数据", "未确认的变更"), self)
        self.counts_view = _table(self.counts, self)
        layout.addWidget(self.counts_view, 1)
        self.refused_box = QGroupBox("乡镇拒收的记录（它们不算已上报，每次导出都会再带上，改正后即被接收）")
        refused_layout = QVBoxLayout(self.refused_box)
        self.refused = RowsModel(("数据", "记录", "乡镇的理由"), self)
        self.refused_view = _table(self.refused, self)
        self.refused_view.selectionModel().selectionChanged.connect(self._refused_selected)
        refused_layout.addWidget(self.refused_view)
        fix = QHBoxLayout()
        self.rekey_btn = QPushButton("给所选的户重新编号(&K)")
        self.rekey_btn.setToolTip(
            "这一户用的是别村的系统编号（例如从别村导出的名册导入）：换成本村的新编号，"
            "相关的成员、日记、诉求一并改过来"
        )
        self.rekey_btn.setEnabled(False)
        self.rekey_btn.clicked.connect(self.rekey_selected)
        fix.addWidget(self.rekey_btn)
        fix.addStretch(1)
        refused_layout.addLayout(fix)
        self.refused_box.setVisible(False)
        layout.addWidget(self.refused_box, 1)
        target = QHBoxLayout()
        target.addWidget(QLabel("导出到(&D)："))
        self.target = QComboBox()
        target.addWidget(self.target, 1)
        target.itemAt(0).widget().setBuddy(self.target)
        self.export_btn = QPushButton("导出上报包(&E)")
        self.export_btn.clicked.connect(self.export)
        target.addWidget(self.export_btn)
        layout.addLayout(target)
        row = QHBoxLayout()
        self.receipt_btn = QPushButton("导入乡镇回执(&R)…")
        self.receipt_btn.clicked.connect(self.import_receipt)
        self.down_btn = QPushButton("导入乡镇下发包(&I)…")
        self.down_btn.clicked.connect(self.import_down)
        row.addWidget(self.receipt_btn)
        row.addWidget(self.down_btn)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        binding = enrollment.town_binding(self.ws)
        if binding.bound:
            self.binding.setText(
                f"已绑定乡镇：{binding.town_name}（{binding.town_code}），绑定于 {_fmt_time(binding.bound_at)}。"
                "乡镇登记本村卡片后，即可导出上报包。"
            )
        else:
            self.binding.setText(
                f"尚未绑定乡镇（{binding.town_code}）：请向乡镇索取乡镇工作站卡片，点“导入乡镇卡片”；"
                "再把本村卡片交乡镇登记。"
            )
        self.bind_btn.setVisible(not binding.bound)
        self.export_btn.setEnabled(binding.bound)
        st = status.village_status(self.ws)
        receipt = st.last_receipt
        receipt_text = (
            f"上次回执：{_fmt_time(st.last_receipt_at)} 导入，乡镇已收到第 {receipt['last_seq']} 号包及以前的数据"
            if receipt
            else "还没有导入过乡镇的回执"
        )
        export_text = (
            f"上次导出：{_fmt_time(st.last_export_at)}，第 {st.last_seq} 号包（{st.last_export_file}）"
            if st.last_export_at
            else "还没有导出过上报包"
        )
        conflict_text = (
            f"\n有 {st.open_conflicts} 条冲突待处理（见“冲突处理”）。" if st.open_conflicts else ""
        )
        refused = status.refused_records(self.ws)
        if refused:
            conflict_text += f"\n乡镇拒收了 {len(refused)} 条记录（见下方“乡镇拒收的记录”）：改正前它们每次都会随上报包再送。"
        self.summary.setText(
            f"上报给：{st.town_name or '（未绑定乡镇）'}\n"
            f"尚未被乡镇确认的变更：{st.unacknowledged_total} 条。导出的上报包总是包含全部未确认的变更，"
            f"U 盘丢了再导出一次即可。\n{export_text}\n{receipt_text}\n"
            f"已收到乡镇下发包 {st.town_bundles} 个。{conflict_text}"
        )
        self.counts.set_rows(
            [(status.record_label(k), v) for k, v in st.unacknowledged.items()], list(st.unacknowledged)
        )
        self.refused.set_rows([(r.label, r.description, r.reason) for r in refused], refused)
        self.refused_box.setVisible(bool(refused))
        self.rekey_btn.setEnabled(False)
        current = self.target.currentData()
        self.target.clear()
        for label, path in removable_volumes():
            self.target.addItem(f"U 盘：{label}", path)
        self.target.addItem("选择文件夹…", "")
        if current:
            i = self.target.findData(current)
            if i >= 0:
                self.target.setCurrentIndex(i)

    def ready(self) -> bool:
        return bool(self.summary.text())

    def _selected_refused(self) -> status.RefusedRecord | None:
        rows = self.refused_view.selectionModel().selectedRows()
        return self.refused.keys[rows[0].row()] if rows else None

    def _refused_selected(self, *_args) -> None:
        r = self._selected_refused()
        self.rekey_btn.setEnabled(r is not None and r.household_id is not None)

    def bind_town(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "选择乡镇工作站卡片", "", "工作站卡片 (*.json)")
        if not path:
            return
        try:
            binding = enrollment.bind_town(self.ws, Path(path), actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(
            f"已绑定 {binding.town_name}（{binding.town_code}）。请点“导出本村卡片”，把卡片交乡镇登记。"
        )
        self.ctx.data_changed.emit("sync")
        self.refresh()

    def export_card(self, folder: Path | None = None) -> None:
        out = folder or self._pick_folder("选择导出本村卡片的位置（U 盘或文件夹）")
        if out is None:
            return
        try:
            path = enrollment.export_card(self.ws, out)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(f"已写出本村卡片：{path}。请交乡镇，在乡镇的“工作站登记”里登记。")

    def rekey_selected(self) -> None:
        from app.rekey import rekey_household

        r = self._selected_refused()
        if r is None or r.household_id is None:
            return
        answer = QMessageBox.question(
            self,
            "重新编号",
            f"给“{r.description}”这一户及其成员换成本村的新编号？\n"
            "相关的日记、诉求、标签会一并改过来，下次导出时重新上报。",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.work() as w:
                rekey_household(w, r.household_id)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(f"已给“{r.description}”重新编号，请重新导出上报包。")
        self.ctx.data_changed.emit("households")
        self.refresh()

    def export(self) -> None:
        folder = self.target.currentData()
        out = Path(folder) if folder else self._pick_folder("选择导出上报包的位置（U 盘或文件夹）")
        if out is None:
            return

        def work(progress):
            progress(0, 0, "正在加密、签名并写出上报包…")
            return export_bundles(self.ws, out)

        def done(results) -> None:
            r = results[0]
            self.message.setText(
                f"已写出 {r.path}（第 {r.seq} 号包，{r.total} 条记录，{r.attachments} 个附件）。"
                "请把 U 盘交到乡镇。"
            )
            self.refresh()

        run_in_background(self, "导出上报包", work, done)

    def import_receipt(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择乡镇回执", "", "民情簿回执 (*.mqr)")
        if not path:
            return
        try:
            r = receipts.import_receipt(self.ws, Path(path))
        except UserError as exc:
            self._warn(exc)
            return
        text = f"已导入 {r.sender} 的回执。" if r.changed else "这张回执没有新的确认（可能已导入过）。"
        if r.rejected:
            text += f"乡镇拒收了 {r.rejected} 条记录，见下方列表和理由。"
        self.message.setText(text)
        self.ctx.data_changed.emit("sync")
        self.refresh()

    def import_down(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "选择乡镇下发包", "", "民情簿数据包 (*.mqb)")
        if not paths:
            return

        def done(report) -> None:
            lines = [
                f"{Path(b.file).name}：{STATUS_NAMES[b.status]}" + (f"：{b.reason}" if b.reason else "")
                for b in report.bundles
            ]
            self.message.setText("\n".join(lines))
            self.ctx.data_changed.emit("sync")
            self.refresh()

        run_in_background(
            self,
            "导入乡镇下发包",
            lambda progress: import_bundles(self.ws, paths, progress=progress, user_id=self._user_id()),
            done,
            cancelled_text=CANCELLED_IMPORT,
        )


# -- town: import wizard -----------------------------------------------------------------------------
class ImportView(_Base):
    """乡镇：选文件、文件夹或 U 盘，试导入或导入，逐包显示结果；然后写回执、导出下发包。"""

    HEADERS = ("文件", "村", "号", "结果", "新增", "更新", "未变", "冲突", "拒收", "原因")

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.paths: list[Path] = []
        layout = QVBoxLayout(self)
        pick = QHBoxLayout()
        self.files_btn = QPushButton("选择文件(&F)…")
        self.files_btn.clicked.connect(self.pick_files)
        self.folder_btn = QPushButton("选择文件夹(&O)…")
        self.folder_btn.clicked.connect(self.pick_folder)
        self.drive = QComboBox()
        self.drive.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.drive_btn = QPushButton("读取 U 盘(&U)")
        self.drive_btn.clicked.connect(self.pick_drive)
        for w in (self.files_btn, self.folder_btn, self.drive, self.drive_btn):
            pick.addWidget(w)
        pick.addStretch(1)
        layout.addLayout(pick)
        self.chosen = QLabel("还没有选择上报包。")
        self.chosen.setWordWrap(True)
        layout.addWidget(self.chosen)
        run = QHBoxLayout()
        self.dry_run = QCheckBox("只检查，不写入(&C)")
        self.import_btn = QPushButton("开始导入(&S)")
        self.import_btn.setEnabled(False)
        self.import_btn.clicked.connect(self.start)
        run.addWidget(self.dry_run)
        run.addWidget(self.import_btn)
        run.addStretch(1)
        layout.addLayout(run)
        self.model = RowsModel(self.HEADERS, self)
        self.view = _table(self.model, self)
        layout.addWidget(self.view, 1)
        self.gaps = QLabel()
        self.gaps.setWordWrap(True)
        layout.addWidget(self.gaps)
        after = QHBoxLayout()
        self.receipt_btn = QPushButton("写回执到(&R)…")
        self.receipt_btn.clicked.connect(self.write_receipts)
        self.down_btn = QPushButton("导出下发包到(&X)…")
        self.down_btn.clicked.connect(self.write_down)
        after.addWidget(self.receipt_btn)
        after.addWidget(self.down_btn)
        after.addStretch(1)
        layout.addLayout(after)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.drive.clear()
        for label, path in removable_volumes():
            self.drive.addItem(label, path)
        self.drive_btn.setEnabled(self.drive.count() > 0)
        if not self.drive.count():
            self.drive.addItem("（没有发现 U 盘）", "")

    def ready(self) -> bool:
        return True

    def set_paths(self, paths: list[Path]) -> None:
        self.paths = paths
        self.chosen.setText("将导入：" + "；".join(str(p) for p in paths) if paths else "还没有选择上报包。")
        self.import_btn.setEnabled(bool(paths))

    def pick_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "选择上报包", "", "民情簿数据包 (*.mqb)")
        if files:
            self.set_paths([Path(f) for f in files])

    def pick_folder(self) -> None:
        folder = self._pick_folder("选择存放上报包的文件夹")
        if folder:
            self.set_paths([folder])

    def pick_drive(self) -> None:
        if self.drive.currentData():
            self.set_paths([Path(self.drive.currentData())])

    def start(self) -> None:
        paths, dry = list(self.paths), self.dry_run.isChecked()
        self.task = run_in_background(
            self,
            "导入上报包",
            # the summary shows once the data is in; the window builds the search index after, in the background
            lambda progress: import_bundles(
                self.ws, paths, dry_run=dry, progress=progress, user_id=self._user_id(), index=False
            ),
            self.show_report,
            **({} if dry else {"cancelled_text": CANCELLED_IMPORT}),
        )
        self.task.done.connect(lambda result: result is None and self.ctx.data_changed.emit("sync"))

    def show_report(self, report) -> None:
        rows = [
            (
                Path(b.file).name,
                b.village or "?",
                b.seq if b.seq is not None else "?",
                STATUS_NAMES[b.status],
                *[b.counts[k] for k in COUNT_KEYS],
                b.reason or "",
            )
            for b in report.bundles
        ]
        self.model.set_rows(rows, [b.file for b in report.bundles])
        gap_lines = [g.text for g in report.gaps]
        rejected = sum(1 for b in report.bundles if b.status == "rejected")
        head = f"共 {len(report.bundles)} 个包，拒收 {rejected} 个。" + (
            "（试导入，未写入任何数据）" if report.dry_run else ""
        )
        self.gaps.setText("\n".join([head, *gap_lines]))
        if not report.dry_run:
            self.ctx.data_changed.emit("sync")

    def write_receipts(self) -> None:
        out = self._pick_folder("选择写回执的位置（各村的 U 盘或文件夹）")
        if out is None:
            return
        try:
            results = receipts.export_receipts(self.ws, out)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(
            "\n".join(f"已写回执：{r.path}（{r.village}）" for r in results) or "还没有收到任何上报包。"
        )

    def write_down(self) -> None:
        out = self._pick_folder("选择导出下发包的位置")
        if out is None:
            return

        def done(results) -> None:
            self.message.setText(
                "\n".join(f"已写出 {r.path}（给 {r.recipient}，{r.total} 条）" for r in results)
                or "没有需要下发给各村的新数据。"
            )

        run_in_background(self, "导出下发包", lambda progress: export_bundles(self.ws, out), done)


# -- town: village board -------------------------------------------------------------------------------
class BoardView(_Base):
    HEADERS = (
        "村代码",
        "村",
        "状态",
        "已收包数",
        "最新包号",
        "最新包写于",
        "最近导入",
        "缺包",
        "未被村确认的下发",
        "回执",
    )

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        layout = QVBoxLayout(self)
        self.model = RowsModel(self.HEADERS, self)
        self.view = _table(self.model, self)
        layout.addWidget(self.view)

    def refresh(self) -> None:
        rows = status.town_board(self.ws)
        self.model.set_rows(
            [
                (
                    r.code,
                    r.name,
                    "已吊销" if r.revoked else "正常",
                    r.bundles,
                    r.last_seq or "—",
                    _fmt_time(r.last_bundle_at),
                    _fmt_time(r.last_import_at),
                    r.gap_text or "无",
                    r.unacknowledged,
                    "待写回执" if r.receipt_due else "—",
                )
                for r in rows
            ],
            [r.station_id for r in rows],
        )

    def ready(self) -> bool:
        return True


# -- conflicts ------------------------------------------------------------------------------------------
class ConflictsView(_Base):
    HEADERS = ("编号", "数据", "村", "记录", "来自", "不同字段", "发现时间")

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.items: list = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("同一条记录在两处同时被修改。本站的版本暂时保留；请逐条决定采用哪一方，或勾选字段合并。")
        )
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(self.HEADERS, self)
        self.view = _table(self.model, self)
        self.view.selectionModel().currentRowChanged.connect(self.show_current)
        self.fields = FieldChoiceModel(self)
        self.fields_view = _table(self.fields, self)
        self.fields_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        split.addWidget(self.view)
        split.addWidget(self.fields_view)
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.keep_local = QPushButton("保留本站版本(&L)")
        self.keep_local.clicked.connect(lambda: self.resolve("local"))
        self.take_incoming = QPushButton("采用对方版本(&T)")
        self.take_incoming.clicked.connect(lambda: self.resolve("incoming"))
        self.merge = QPushButton("按勾选合并(&M)")
        self.merge.clicked.connect(lambda: self.resolve(None))
        for b in (self.keep_local, self.take_incoming, self.merge):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for b in (self.keep_local, self.take_incoming, self.merge):
            b.setEnabled(on)

    def refresh(self) -> None:
        self.items = conflict_service.list_conflicts(self.ws)
        self.model.set_rows(
            [
                (
                    c.id,
                    status.record_label(c.record_type),
                    c.village_code,
                    c.record_id[:8],
                    c.incoming_station_name,
                    "、".join(c.differing),
                    _fmt_time(c.detected_at),
                )
                for c in self.items
            ],
            [c.id for c in self.items],
        )
        self.fields.set_conflict([], {}, {})
        self._enable(False)
        if self.items:
            self.view.setCurrentIndex(self.model.index(0, 0))

    def ready(self) -> bool:
        return True

    def show_current(self, current, _previous=None) -> None:
        if not current.isValid() or current.row() >= len(self.items):
            return
        c = self.items[current.row()]
        self.fields.set_conflict(c.data_fields, c.local, c.incoming)
        self._enable(True)

    def resolve(self, choice: str | None) -> None:
        row = self.view.currentIndex().row()
        if not (0 <= row < len(self.items)):
            return
        c = self.items[row]
        try:
            conflict_service.resolve(self.ws, c.id, choice or self.fields.choice(), actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        self.ctx.data_changed.emit(c.record_type)
        self.refresh()


# -- town: enrollment and revocation ------------------------------------------------------------------
class StationsView(_Base):
    HEADERS = ("村代码", "村", "状态", "登记时间", "吊销时间", "吊销原因")

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.items: list = []
        layout = QVBoxLayout(self)
        self.model = RowsModel(self.HEADERS, self)
        self.view = _table(self.model, self)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.enroll_btn = QPushButton("登记村工作站卡片(&N)…")
        self.enroll_btn.clicked.connect(self.enroll)
        self.revoke_btn = QPushButton("吊销所选工作站(&V)…")
        self.revoke_btn.clicked.connect(self.revoke)
        self.card_btn = QPushButton("导出本镇卡片(&K)…")
        self.card_btn.clicked.connect(self.export_card)
        for b in (self.enroll_btn, self.revoke_btn, self.card_btn):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

    def refresh(self) -> None:
        self.items = [s for s in enrollment.enrolled_stations(self.ws) if s.kind == "village"]
        self.model.set_rows(
            [
                (
                    s.code,
                    s.name,
                    s.state,
                    _fmt_time(s.enrolled_at),
                    _fmt_time(s.revoked_at),
                    s.revoked_reason or "",
                )
                for s in self.items
            ],
            [s.id for s in self.items],
        )

    def ready(self) -> bool:
        return True

    def enroll(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "选择村工作站卡片", "", "工作站卡片 (*.json)")
        if not path:
            return
        try:
            st, new = enrollment.enroll(self.ws, Path(path), actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(f"已登记 {st.name}（{st.code}）。" if new else f"{st.name} 早已登记。")
        self.refresh()

    def revoke(self) -> None:
        row = self.view.currentIndex().row()
        if not (0 <= row < len(self.items)):
            QMessageBox.information(self, "吊销工作站", "请先在表中选择要吊销的工作站。")
            return
        st = self.items[row]
        reason, ok = QInputDialog.getText(
            self, "吊销工作站", f"吊销后，{st.name} 这台电脑导出的上报包一律拒收，且不能恢复。\n请写明原因："
        )
        if not ok:
            return
        try:
            enrollment.revoke(self.ws, st.id, reason, actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(f"已吊销 {st.name}（{st.code}）这台电脑的工作站：它此后导出的包一律拒收。")
        self.refresh()

    def export_card(self) -> None:
        out = self._pick_folder("选择导出本镇卡片的位置")
        if out is None:
            return
        path = enrollment.export_card(self.ws, out)
        self.message.setText(f"已写出卡片：{path}。各村建立工作站时需要它。")


# -- the page -----------------------------------------------------------------------------------------
class SyncPage(QWidget):
    """The 上报与同步 entry of the navigation (ui/pages.py)."""

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.denied = QLabel("您的账号没有上报与同步的权限，请联系管理员。")
        self.tabs = QTabWidget()
        self.conflicts = ConflictsView(ctx)
        if ctx.is_town:
            self.importer = ImportView(ctx)
            self.board = BoardView(ctx)
            self.stations = StationsView(ctx)
            self.tabs.addTab(self.importer, "导入上报包")
            self.tabs.addTab(self.board, "各村情况")
            self.tabs.addTab(self.conflicts, "冲突处理")
            self.tabs.addTab(self.stations, "工作站登记")
        else:
            self.village = VillageSyncView(ctx)
            self.tabs.addTab(self.village, "上报与同步")
            self.tabs.addTab(self.conflicts, "冲突处理")
        grid = QGridLayout()
        grid.addWidget(self.denied, 0, 0)
        grid.addWidget(self.tabs, 1, 0)
        layout.addLayout(grid)
        for n in range(self.tabs.count()):
            QShortcut(QKeySequence(f"Alt+{n + 1}"), self, activated=lambda n=n: self.tabs.setCurrentIndex(n))
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())
        ctx.data_changed.connect(self._on_data_changed)
        ctx.user_changed.connect(self.refresh)

    def _allowed(self) -> bool:
        return accounts.can(self.ctx.user, "sync")

    def _on_data_changed(self, _topic: str) -> None:
        if self.isVisible():
            self._refresh_current()

    def _refresh_current(self) -> None:
        page = self.tabs.currentWidget()
        if self._allowed() and page is not None and hasattr(page, "refresh"):
            page.refresh()

    def refresh(self) -> None:
        allowed = self._allowed()
        self.denied.setVisible(not allowed)
        self.tabs.setVisible(allowed)
        if allowed:
            for n in range(self.tabs.count()):
                self.tabs.widget(n).refresh()

    def ready(self) -> bool:
        return not self._allowed() or all(self.tabs.widget(n).ready() for n in range(self.tabs.count()))


Page = SyncPage
