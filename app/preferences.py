"""本机设置: local settings of this workspace (stored in the ``setting`` table as JSON).

Not synced: each laptop keeps its own. Changing one is an administrator's action and is audited.
"""

from __future__ import annotations

from db.settings import get, put

from app import accounts, audit
from app.errors import UserError
from app.work import Work

IDLE_LOCK_MINUTES = "ui.idle_lock_minutes"
IDLE_LOCK_DEFAULT = 15
IDLE_LOCK_RANGE = (1, 240)


def idle_lock_minutes(work: Work) -> int:
    """Minutes without input before the window locks (default 15)."""
    value = get(work.session, IDLE_LOCK_MINUTES, IDLE_LOCK_DEFAULT)
    lo, hi = IDLE_LOCK_RANGE
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        return IDLE_LOCK_DEFAULT
    return value


def set_idle_lock_minutes(work: Work, minutes: int) -> int:
    session, actor = work.session, work.actor
    accounts.require(actor, "manage_settings")
    lo, hi = IDLE_LOCK_RANGE
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not lo <= minutes <= hi:
        raise UserError(f"自动锁定时间应为 {lo} 到 {hi} 分钟之间的整数", field="idle_lock_minutes")
    put(session, IDLE_LOCK_MINUTES, minutes)
    audit.record(session, actor, "setting.change", table="setting", fields=[IDLE_LOCK_MINUTES])
    return minutes
