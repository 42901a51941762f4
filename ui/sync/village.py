"""The village's 上报与同步 view: the binding to the town, unacknowledged changes and the last receipt,
records the town refused, exporting the 上报包, importing receipts and 下发包."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.sync import enrollment, receipts, status
from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from ui.sync.common import CANCELLED_IMPORT, STATUS_NAMES, Base, fmt_time, removable_volumes, table
from ui.sync.models import RowsModel
from ui.tasks import run_in_background


# -- village -----------------------------------------------------------------------------------------
class VillageSyncView(Base):
    """村：未确认的变更、上次回执；导出上报包到 U 盘；导入回执或乡镇下发包。"""

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        # In a scroll area: at 特大 the page is taller than a 1366×768 screen leaves, and a squeezed page
        # cuts its wrapped texts; scrolled, each part keeps its height.
        inner = QWidget()
        layout = QVBoxLayout(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
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
        self.summary.setWordWrap(True)  # long lines wrap at any 字号
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QGroupBox("本村数据的上报情况")
        QVBoxLayout(box).addWidget(self.summary)
        layout.addWidget(box)
        self.counts = RowsModel(("数据", "未确认的变更"), self)
        self.counts_view = table(self.counts, self)
        layout.addWidget(self.counts_view, 1)
        self.refused_box = QGroupBox("乡镇拒收的记录（它们不算已上报，每次导出都会再带上，改正后即被接收）")
        refused_layout = QVBoxLayout(self.refused_box)
        self.refused = RowsModel(("数据", "记录", "乡镇的理由"), self)
        self.refused_view = table(self.refused, self)
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
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it names files and records as they were typed
        layout.addWidget(self.message)
        scroll.setWidget(inner)

    def refresh(self) -> None:
        binding = enrollment.town_binding(self.ws)
        if binding.confirmed_at:
            text = (
                f"已连通：{binding.town_name}（{binding.town_code}）已登记本村工作站，"
                f"最近一张回执导入于 {fmt_time(binding.confirmed_at)}。\n乡镇签名密钥指纹 {binding.fingerprint}。"
            )
        elif binding.bound:
            text = (
                f"已绑定乡镇：{binding.town_name}（{binding.town_code}），绑定于 {fmt_time(binding.bound_at)}；"
                f"乡镇签名密钥指纹 {binding.fingerprint}。\n"
                "下一步：点“导出本村卡片”交乡镇登记，再导出上报包；乡镇导入后写回执，导入回执后这里显示“已连通”。"
            )
        else:
            text = (
                f"尚未绑定乡镇（本村代码前 9 位 {binding.town_code}）：请向乡镇索取乡镇工作站卡片，"
                "点“导入乡镇卡片”；绑定后才能导出上报包。"
            )
        self.binding.setText(text)
        # the page sits in a tab, which does not pass a wrapped label's height-for-width up: keep room
        # for each written line (the fingerprint has a line of its own)
        self.binding.setMinimumHeight(self.binding.fontMetrics().lineSpacing() * (text.count("\n") + 1) + 4)
        self.bind_btn.setVisible(not binding.bound)
        self.export_btn.setEnabled(binding.bound)
        st = status.village_status(self.ws)
        receipt = st.last_receipt
        receipt_text = (
            f"上次回执：{fmt_time(st.last_receipt_at)} 导入，乡镇已收到第 {receipt['last_seq']} 号包及以前的数据"
            if receipt
            else "还没有导入过乡镇的回执"
        )
        export_text = (
            f"上次导出：{fmt_time(st.last_export_at)}，第 {st.last_seq} 号包（{st.last_export_file}）"
            if st.last_export_at
            else "还没有导出过上报包"
        )
        conflict_text = (
            f"\n有 {st.open_conflicts} 条冲突待处理（见“冲突处理”）。" if st.open_conflicts else ""
        )
        refused = status.refused_records(self.ws)
        if refused:
            conflict_text += f"\n乡镇拒收了 {len(refused)} 条记录（见下方“乡镇拒收的记录”）：改正前它们每次都会随上报包再送。"
        summary = (
            f"上报给：{st.town_name or '（未绑定乡镇）'}\n"
            f"尚未被乡镇确认的变更：{st.unacknowledged_total} 条。\n"
            "导出的上报包总是包含全部未确认的变更，U 盘丢了再导出一次即可。\n"
            f"{export_text}\n{receipt_text}\n"
            f"已收到乡镇下发包 {st.town_bundles} 个。{conflict_text}"
        )
        self.summary.setText(summary)
        # as for the binding: room for each written line, and one more for a line that wraps
        self.summary.setMinimumHeight(
            self.summary.fontMetrics().lineSpacing() * (summary.count("\n") + 2) + 4
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
            card = enrollment.read_town_card(self.ws, Path(path), actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        if not card.already_bound and not self._confirm_card(card):
            self.message.setText("未绑定：指纹没有确认一致。请向乡镇核实后再导入卡片。")
            return
        try:
            binding = enrollment.bind_town(
                self.ws, Path(path), actor=self.ctx.user, fingerprint=card.fingerprint
            )
        except UserError as exc:
            self._warn(exc)
            return
        self.message.setText(
            f"已绑定 {binding.town_name}（{binding.town_code}）。请点“导出本村卡片”，把卡片交乡镇登记。"
        )
        self.ctx.data_changed.emit("sync")
        self.refresh()

    def _confirm_card(self, card: enrollment.TownCard) -> bool:
        """Trust on first use: the key is pinned only once the clerk has compared its fingerprint with
        what the town's own screen shows."""
        box = QMessageBox(QMessageBox.Icon.Question, "核对乡镇卡片", "", parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"乡镇：{html.escape(card.name)}<br>乡镇代码：{card.code}<br><br>签名密钥指纹：<br>"
            f"<span style='font-size:x-large; font-weight:bold; font-family:monospace'>{card.fingerprint}</span>"
            "<br><br>请打电话或当面与乡镇工作人员核对：乡镇电脑上“上报与同步 → 工作站登记”页显示的本镇卡片指纹"
            "应与上面完全一致。一致才绑定；不一致说明卡片可能被调换。"
        )
        yes = box.addButton("指纹一致，绑定(&Y)", QMessageBox.ButtonRole.YesRole)
        no = box.addButton("不一致，不绑定(&N)", QMessageBox.ButtonRole.NoRole)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.exec()
        return box.clickedButton() is yes

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
            return export_bundles(self.ws, out, actor=self.ctx.user)

        def done(results) -> None:
            r = results[0]
            self.message.setText(
                f"已写出 {r.path}（第 {r.seq} 号包，{r.total} 条记录，{r.attachments} 个附件）。"
                "请把 U 盘交到乡镇。" + ("\n" + r.missing_note() if r.missing_files else "")
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
