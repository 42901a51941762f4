"""The town's 上报与同步 views: the import wizard (then receipts and 下发包), the board of villages, and
the enrollment and revocation of village stations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from app import accounts, preferences
from app.errors import UserError
from app.sync import enrollment, overdue, receipts, status
from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from ui.sync.common import CANCELLED_IMPORT, STATUS_NAMES, Base, fmt_time, removable_volumes, table
from ui.sync.models import RowsModel
from ui.tasks import run_in_background

COUNT_KEYS = ("new", "updated", "unchanged", "conflicts", "rejected")


# -- town: import wizard -----------------------------------------------------------------------------
class ImportView(Base):
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
        self.drive.setMinimumContentsLength(20)  # “（没有发现 U 盘）” whole, with room for the arrow
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
        self.view = table(self.model, self)
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
        if getattr(self, "task", None) is not None and not self.task.finished:
            return  # one import at a time (a second click came before the progress box showed)
        paths, dry = list(self.paths), self.dry_run.isChecked()
        self.import_btn.setEnabled(False)
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
        self.task.done.connect(lambda _result: self.import_btn.setEnabled(bool(self.paths)))

    def show_report(self, report) -> None:
        rows = [
            (
                Path(b.file).name,
                b.village or "（不是可识别的上报包）",
                b.seq if b.seq is not None else "—",
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
        clock_lines = [f"注意：{b.clock_note}" for b in report.bundles if b.clock_note]
        self.gaps.setText("\n".join([head, *gap_lines, *clock_lines]))
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

        run_in_background(
            self, "导出下发包", lambda progress: export_bundles(self.ws, out, actor=self.ctx.user), done
        )


# -- town: village board -------------------------------------------------------------------------------
class BoardView(Base):
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
        # the town's preference: how long a village may go without a bundle before 今日待办 lists it
        limit = QHBoxLayout()
        limit.addWidget(QLabel("超过"))
        self.overdue_days = QSpinBox()
        self.overdue_days.setRange(*preferences.BUNDLE_OVERDUE_RANGE)
        self.overdue_days.setSuffix(" 天")
        self.overdue_days.setAccessibleName("上报包逾期天数")
        limit.addWidget(self.overdue_days)
        limit.addWidget(QLabel("没有收到上报包的村算逾期，列入今日待办。"))
        self.save_days = QPushButton("保存天数")
        self.save_days.clicked.connect(self.save_overdue_days)
        limit.addWidget(self.save_days)
        limit.addStretch()
        can_change = accounts.can(ctx.user, "manage_settings")
        self.overdue_days.setEnabled(can_change)
        self.save_days.setVisible(can_change)
        layout.addLayout(limit)
        self.model = RowsModel(self.HEADERS, self)
        self.view = table(self.model, self)
        layout.addWidget(self.view)

    def save_overdue_days(self) -> bool:
        try:
            with self.ctx.work() as w:
                preferences.set_bundle_overdue_days(w, self.overdue_days.value())
        except UserError as exc:
            QMessageBox.warning(self, "无法保存", exc.message)
            return False
        self.refresh()
        self.ctx.data_changed.emit("settings")
        return True

    def refresh(self) -> None:
        rows = status.town_board(self.ws)
        with self.ctx.work() as w:
            self.overdue_days.setValue(preferences.bundle_overdue_days(w))
            quiet = {q.station_id: q for q in overdue.quiet_villages(w, dt.date.today())}
        self.model.set_rows(
            [
                (
                    r.code,
                    r.name,
                    "已吊销"
                    if r.revoked
                    else (
                        f"逾期：{quiet[r.station_id].days} 天没有新包" if r.station_id in quiet else "正常"
                    ),
                    r.bundles,
                    r.last_seq or "—",
                    fmt_time(r.last_bundle_at),
                    fmt_time(r.last_import_at),
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

    def show_station(self, station_id: str) -> None:
        """Select one village's row (from 今日待办's 上报包逾期的村)."""
        if station_id in self.model.keys:
            index = self.model.index(self.model.keys.index(station_id), 0)
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
            self.view.setFocus()


# -- town: enrollment and revocation ------------------------------------------------------------------
class StationsView(Base):
    HEADERS = ("村代码", "村", "状态", "登记时间", "吊销时间", "吊销原因")

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.items: list = []
        layout = QVBoxLayout(self)
        self.hint = QLabel(
            "各村在“上报与同步”页点“导出本村卡片”，把卡片文件交来；点“登记村工作站”选这个文件，"
            "登记后才收该村的上报包。村里的电脑丢失时，选中它点“吊销”，它此后的包一律拒收。"
        )
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        # what a village reads back when it imports this town's card (trust on first use)
        self.fingerprint = QLabel()
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.fingerprint)
        self.model = RowsModel(self.HEADERS, self)
        self.view = table(self.model, self)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        self.enroll_btn = QPushButton("登记村工作站(&N)…")
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
        self.fingerprint.setText(
            f"本镇卡片的签名密钥指纹：<b>{enrollment.own_fingerprint(self.ws)}</b>"
            "　各村导入本镇卡片时会显示一串指纹，请与这里逐组核对，一致才可绑定。"
        )
        self.items = [s for s in enrollment.enrolled_stations(self.ws) if s.kind == "village"]
        self.model.set_rows(
            [
                (
                    s.code,
                    s.name,
                    s.state,
                    fmt_time(s.enrolled_at),
                    fmt_time(s.revoked_at),
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
        text = f"已登记 {st.name}（{st.code}）。" if new else f"{st.name} 早已登记。"
        others = [
            other
            for other in enrollment.enrolled_stations(self.ws)
            if other.code == st.code and other.id != st.id and other.revoked_at is None
        ]
        if others:
            text += (
                f"注意：{st.name}还有另一台登记的工作站（登记于 {fmt_time(others[0].enrolled_at)}）。"
                "如果那台电脑已不再使用（换了电脑或丢失），请在表中选中它，点“吊销所选工作站”。"
            )
        self.message.setText(text)
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
        try:
            path = enrollment.export_card(self.ws, out)
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(
            f"已写出本镇卡片：{path}。各村建立工作站（或在“上报与同步”导入乡镇卡片）时需要它。"
        )
