"""本机设置: local settings of this workspace (stored in the ``setting`` table as JSON).

Not synced: each laptop keeps its own. Changing one is an administrator's action and is audited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import UserError

if TYPE_CHECKING:
    from app.work import Work

# Light on purpose: the command line's choices (FONT_SIZES) are read before the sign-in box shows, when
# nothing of the database layer is loaded yet (ui/preload.py); the functions import it when called.

IDLE_LOCK_MINUTES = "ui.idle_lock_minutes"
IDLE_LOCK_DEFAULT = 15
IDLE_LOCK_RANGE = (1, 240)


def idle_lock_minutes(work: Work) -> int:
    """Minutes without input before the window locks (default 15)."""
    from db.settings import get

    value = get(work.session, IDLE_LOCK_MINUTES, IDLE_LOCK_DEFAULT)
    lo, hi = IDLE_LOCK_RANGE
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        return IDLE_LOCK_DEFAULT
    return value


def set_idle_lock_minutes(work: Work, minutes: int) -> int:
    from db.settings import put

    from app import accounts, audit

    session, actor = work.session, work.actor
    accounts.require(actor, "manage_settings")
    lo, hi = IDLE_LOCK_RANGE
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not lo <= minutes <= hi:
        raise UserError(f"自动锁定时间应为 {lo} 到 {hi} 分钟之间的整数", field="idle_lock_minutes")
    put(session, IDLE_LOCK_MINUTES, minutes)
    audit.record(session, actor, "setting.change", table="setting", fields=[IDLE_LOCK_MINUTES])
    return minutes


# 字号 (font size) of the whole window: a per-laptop choice for readers who need larger type. Any signed-in
# user may change it (it alters nothing but this laptop's window); the change is audited like the others.
FONT_SIZE = "ui.font_size"
FONT_SIZES = ("标准", "大", "特大")
FONT_SIZE_DEFAULT = "标准"


def font_size(work: Work) -> str:
    """The window's font size: one of :data:`FONT_SIZES` (default 标准; anything else stored reads as it)."""
    from db.settings import get

    value = get(work.session, FONT_SIZE, FONT_SIZE_DEFAULT)
    return value if isinstance(value, str) and value in FONT_SIZES else FONT_SIZE_DEFAULT


def set_font_size(work: Work, size: str) -> str:
    from db.settings import put

    from app import audit

    session, actor = work.session, work.actor
    if actor is None:
        raise UserError("请先登录再修改字号", field="font_size")
    if size not in FONT_SIZES:
        raise UserError(f"字号只能是{'、'.join(FONT_SIZES)}之一", field="font_size")
    put(session, FONT_SIZE, size)
    audit.record(session, actor, "setting.change", table="setting", fields=[FONT_SIZE])
    return size


BUNDLE_OVERDUE_DAYS = "sync.bundle_overdue_days"
BUNDLE_OVERDUE_DEFAULT = 35  # a monthly stick, with a few days' slack (docs/town-todo.md)
BUNDLE_OVERDUE_RANGE = (1, 365)


def bundle_overdue_days(work: Work) -> int:
    """At a town: a village with no 上报包 for more than this many days shows in 今日待办 (default 35)."""
    from db.settings import get

    value = get(work.session, BUNDLE_OVERDUE_DAYS, BUNDLE_OVERDUE_DEFAULT)
    lo, hi = BUNDLE_OVERDUE_RANGE
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        return BUNDLE_OVERDUE_DEFAULT
    return value


def set_bundle_overdue_days(work: Work, days: int) -> int:
    from db.settings import put

    from app import accounts, audit

    session, actor = work.session, work.actor
    accounts.require(actor, "manage_settings")
    if not work.is_town:
        raise UserError("上报包逾期天数是乡镇工作站的设置", field="bundle_overdue_days")
    lo, hi = BUNDLE_OVERDUE_RANGE
    if isinstance(days, bool) or not isinstance(days, int) or not lo <= days <= hi:
        raise UserError(f"上报包逾期天数应为 {lo} 到 {hi} 之间的整数", field="bundle_overdue_days")
    put(session, BUNDLE_OVERDUE_DAYS, days)
    audit.record(session, actor, "setting.change", table="setting", fields=[BUNDLE_OVERDUE_DAYS])
    return days
