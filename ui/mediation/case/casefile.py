"""The 卷宗 tab: the checklist of the case file (卷内目录: which documents are in it, how many pages),
the cover's details and the attachments (scans, evidence)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.mediation import casefile, rules

from ui.file_dialogs import ask_open_file_name
from ui.mediation import forms
from ui.mediation.case.tab import CaseTab, day_text


class FileTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.items_table = QTableWidget(0, 4)
        self.items_table.setHorizontalHeaderLabels(["材料", "必备", "已入卷", "页数"])
        self.items_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.items_table.setColumnWidth(1, 60)
        self.items_table.setColumnWidth(2, 60)
        self.items_table.setColumnWidth(3, 90)
        self.items_save = QPushButton("保存卷内目录")
        self.items_save.clicked.connect(self.save_items)
        self.cover_label = forms.align_top(QLabel())
        self.attach_list = QListWidget()
        self.attach_add = QPushButton("添加附件（扫描件、证据）…")
        self.attach_add.clicked.connect(self.add_attachment)
        left = QVBoxLayout()
        left.addWidget(self.items_table, 1)
        left.addWidget(self.items_save)
        right = QVBoxLayout()
        right.addWidget(self.cover_label)
        right.addWidget(QLabel("附件"))
        right.addWidget(self.attach_list, 1)
        right.addWidget(self.attach_add)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 3)
        lay.addLayout(right, 2)

    def fill(self) -> None:
        items = self.cf.items
        self.items_table.setRowCount(len(items))
        archived = self.cf.case.state == rules.ARCHIVED
        self.item_widgets = []
        for r, it in enumerate(items):
            name = QTableWidgetItem(it.title + ("（系统已有）" if it.auto else ""))
            name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.items_table.setItem(r, 0, name)
            req = QTableWidgetItem("必备" if it.required else "")
            req.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.items_table.setItem(r, 1, req)
            cb = QCheckBox()
            cb.setChecked(it.present)
            cb.setEnabled(archived or not it.auto)
            pages = QSpinBox()
            pages.setRange(0, 999)
            pages.setValue(it.pages)
            if archived:  # read as text, not greyed out
                forms.set_read_only(cb, True)
                forms.set_read_only(pages, True)
            self.items_table.setCellWidget(r, 2, cb)
            self.items_table.setCellWidget(r, 3, pages)
            self.item_widgets.append((it, cb, pages))
        self.items_save.setEnabled(not archived)
        self.items_save.setVisible(not archived)
        c = self.cf.case
        self.cover_label.setText(
            f"卷号：{c.volume_no or '（归档时填写）'}\n立卷人：{c.filed_by or ''}\n立卷日期：{day_text(c.filed_on)}\n"
            f"保管期限：{c.retention or ''}"
        )
        self.attach_list.clear()
        with self.ctx.work() as w:
            for a in casefile.case_attachments(w, self.case_id):
                self.attach_list.addItem(f"{a.filename}（{a.size // 1024} KB）{a.note or ''}")

    def save_items(self) -> None:
        def save(w, case_id):
            for it, cb, pages in self.item_widgets:
                if (cb.isChecked() and not it.auto) != (
                    it.present and not it.auto
                ) or pages.value() != it.pages:
                    casefile.set_file_item(
                        w,
                        case_id,
                        it.key,
                        present=cb.isChecked() or it.auto,
                        pages=pages.value(),
                        note=it.note,
                    )
            return True

        self.dialog.run(save, self.case_id)

    def add_attachment(self) -> None:
        path, _ = ask_open_file_name(
            self.dialog, "选择附件", "", "扫描件或照片 (*.pdf *.jpg *.jpeg *.png);;所有文件 (*)"
        )
        if path:
            self.attach(Path(path))

    def attach(self, path: Path) -> None:
        self.dialog.run(lambda w, case_id: casefile.attach_to_case(w, case_id, path), self.case_id)
