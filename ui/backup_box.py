"""备份与恢复 on the settings page: the newest backup, "备份到 U 盘" (a checked copy on a chosen drive) and
"从备份恢复" (the backup's date and record counts first; the current database is kept as a backup; then
the window asks for the password again, since the accounts may differ)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db import backups as files

from app import accounts, backups, recovery_sheet
from app.errors import UserError, failure_message

from ui.context import AppContext
from ui.sync.common import removable_volumes
from ui.tasks import run_in_background


class BackupBox(QGroupBox):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("备份与恢复", parent)
        self.ctx = ctx
        self.task = None
        layout = QVBoxLayout(self)
        self.latest = QLabel()
        self.latest.setWordWrap(True)
        layout.addWidget(self.latest)
        row = QHBoxLayout()
        self.to_stick_button = QPushButton("备份到 U 盘(&B)…")
        self.to_stick_button.clicked.connect(self.choose_backup_target)
        self.restore_button = QPushButton("从备份恢复(&R)…")
        self.restore_button.clicked.connect(self.choose_restore_file)
        self.recovery_button = QPushButton("生成新的恢复码(&K)…")
        self.recovery_button.setToolTip("所有管理员都忘记密码时，只有恢复码能打开加密的数据库")
        self.recovery_button.clicked.connect(self.new_recovery_code)
        self.recovery_button.setEnabled(accounts.can(ctx.user, "manage_users"))
        row.addWidget(self.to_stick_button)
        row.addWidget(self.restore_button)
        row.addWidget(self.recovery_button)
        row.addStretch()
        layout.addLayout(row)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        found = files.backups(self.ctx.workspace.backups_dir)
        if found:
            when = files.taken_at(found[0])
            self.latest.setText(
                f"最近一次备份：{files.when_text(when)}；工作目录里共有 {len(found)} 份"
                "（每天第一次关闭时自动备份，升级和导入上报包前也会备份）。"
            )
        else:
            self.latest.setText("还没有备份（每天第一次关闭民情簿时会自动备份）。")
        with self.ctx.work() as w:
            has_code = accounts.has_recovery_code(w)
        if not has_code:
            self.latest.setText(
                self.latest.text()
                + "\n还没有恢复码：管理员忘记密码时将无法打开数据库，请点“生成新的恢复码”。"
            )

    # -- recovery code ------------------------------------------------------------------------------
    def new_recovery_code(self) -> str | None:
        answer = QMessageBox.question(
            self,
            "生成新的恢复码",
            "将生成新的恢复码，旧的恢复码随即作废。新恢复码只显示一次，请打印或抄下后放进保险柜。继续吗？",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
        with self.ctx.work() as w:
            code = accounts.new_recovery_code(w)
        box = QMessageBox(
            QMessageBox.Icon.Information, "新的恢复码", f"恢复码（只显示这一次）：\n\n{code}", parent=self
        )
        box.setInformativeText("请抄下，或保存打印页后打印，放进工作站的保险柜。")
        save = box.addButton("保存打印页…", QMessageBox.ButtonRole.ActionRole)
        box.addButton("已记下", QMessageBox.ButtonRole.AcceptRole)
        box.exec()
        if box.clickedButton() is save:
            folder = QFileDialog.getExistingDirectory(self, "把恢复码打印页保存到哪个文件夹（可以是 U 盘）")
            if folder:
                station = self.ctx.station.name
                path = recovery_sheet.write_sheet(
                    Path(folder) / f"{station}-恢复码.pdf", station=station, code=code
                )
                self.status.setText(f"恢复码打印页已保存：{path}（打印后请把这个文件删掉）")
        self.refresh()
        return code

    # -- backup to a stick --------------------------------------------------------------------------
    def choose_backup_target(self) -> None:
        drives = removable_volumes()
        folder = drives[0][1] if drives else str(Path.home())
        name = backups.default_backup_name(self.ctx.workspace)
        path, _ = QFileDialog.getSaveFileName(self, "备份到", str(Path(folder) / name), "民情簿备份 (*.db)")
        if path:
            self.backup_to(Path(path))

    def _allowed(self) -> bool:
        """Backups and restores are an administrator's (the services below take no account): checked
        against the roles the signed-in account has now, not those it had when the page was built."""
        try:
            accounts.require(self.ctx.user, "manage_settings")
        except UserError as exc:
            QMessageBox.warning(self, "不能操作", exc.message)
            return False
        return True

    def backup_to(self, target: Path):
        if not self._allowed():
            return None
        ws = self.ctx.workspace

        def work(progress):
            progress(0, 1, "正在备份…")
            made = backups.backup_to(ws, target, actor=self.ctx.user)
            return backups.describe(files.summarize(made, ws.key)), made

        def done(result) -> None:
            text, made = result
            self.status.setText(f"已备份到 {made}：{text}")

        self.status.setText("正在备份…")
        self.task = run_in_background(self, "备份到 U 盘", work, done)
        # refused, failed or cancelled: the line no longer says it is backing up (the box said why)
        self.task.done.connect(lambda result: result is None and self.status.setText("备份没有完成"))
        return self.task

    # -- restore ------------------------------------------------------------------------------------
    def choose_restore_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "选择备份文件", str(self.ctx.workspace.backups_dir), "民情簿备份 (*.db)"
        )
        if path:
            self.confirm_and_restore(Path(path))

    def confirm_and_restore(self, path: Path, *, ask: bool = True) -> bool:
        if not self._allowed():
            return False
        try:
            summary = backups.describe(backups.summarize(path, self.ctx.workspace.key))
        except UserError as exc:
            QMessageBox.warning(self, "不能恢复", exc.message)
            return False
        if ask:
            answer = QMessageBox.question(
                self,
                "从备份恢复",
                f"将恢复：{summary}\n\n现在的数据库会先另存为一份备份，然后被替换。恢复后请重新输入密码；各账号的密码回到备份时的样子。确认恢复吗？",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            kept = self.ctx.workspace.restore(path, by=self.ctx.user.username if self.ctx.user else None)
        except Exception as exc:
            message = failure_message(exc)
            if message is None:
                raise
            QMessageBox.warning(self, "恢复没有完成", message)
            return False
        self.status.setText(
            f"已恢复：{summary}"
            + (f"；原来的数据库另存为 {kept.name}" if kept else "")
            + f"。{backups.RESTORED_PASSWORDS}"
        )
        self.refresh()
        self.ctx.data_changed.emit("restored")
        return True
