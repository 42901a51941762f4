"""The computer's clock set back (电脑时间不对).

A village laptop that is never online takes the time from its own clock only. When the battery on its
main board is flat, a power cut sets that clock back to the firmware's date (2008, 2010 …) and nobody is
told: every visit, case, agreement and sign-in is then dated wrong (a mediation paper's date has legal
force; the month's figures and the 30-day deadlines count from these dates).

The workspace knows a moment it has already lived: its newest audit line (every sign-in writes one) and
its newest backup. A clock more than :data:`CLOCK_SLACK` behind that moment is said at the start, in the
window and on the command line, with what to do. Someone who knows better (the clock was once set ahead
by mistake, and the workspace remembers that future) says so once: it is kept (and audited) for that
moment, and only a clock behind a later one is said again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from db import backups

from app.dates import cn_time, local_offset

if TYPE_CHECKING:
    from app.work import Work

CLOCK_SLACK = dt.timedelta(hours=1)  # a clock put right by some minutes is no clock set back
ACCEPTED = "clock.accepted_last_seen"  # setting: the moment (UTC) a person said the clock was right at


@dataclass(frozen=True)
class ClockBehind:
    """The computer's time and the workspace's latest, both local as the computer shows time."""

    now: dt.datetime
    last_seen: dt.datetime
    last_seen_utc: dt.datetime

    def message(self) -> str:
        return (
            f"电脑的日期和时间可能不对：现在显示 {cn_time(self.now)}，"
            f"可是这台电脑上一次使用民情簿是在 {cn_time(self.last_seen)}。\n"
            "主板电池没电的电脑，断电后时钟会回到出厂时的日期。请先在电脑的“日期和时间”设置里改正，"
            "再写日记、登记案件：否则记录和调解文书上的日期都会写错。"
        )


def clock_behind(work: Work, *, now_utc: dt.datetime | None = None) -> ClockBehind | None:
    """Is the computer's clock behind what the workspace has already seen? None when it is not (or a
    person has said it is right for that moment)."""
    from sqlalchemy import func, select

    from db.base import utcnow
    from db.models import AuditLog
    from db.settings import get

    now_utc = now_utc or utcnow()
    offset = local_offset()  # backups are named in local time, the database keeps UTC
    seen: list[dt.datetime] = []
    latest_line = work.session.scalar(select(func.max(AuditLog.at)))  # an index's last entry
    if latest_line is not None:
        seen.append(latest_line)
    # the latest time a backup's name says (the last written may have been named with the clock back)
    taken = max(filter(None, map(backups.taken_at, backups.backups(work.paths.backups))), default=None)
    if taken is not None:
        seen.append(taken - offset)
    if not seen:
        return None
    last = max(seen)
    if now_utc >= last - CLOCK_SLACK:
        return None
    accepted = get(work.session, ACCEPTED, None)
    if isinstance(accepted, str):
        try:
            if last <= dt.datetime.fromisoformat(accepted):
                return None
        except ValueError:
            pass
    return ClockBehind(now_utc + offset, last + offset, last)


def accept_clock(work: Work, behind: ClockBehind) -> None:
    """A person says the computer's time is right after all: not said again for this moment."""
    from db.settings import put

    from app import audit

    put(work.session, ACCEPTED, behind.last_seen_utc.isoformat())
    audit.record(
        work.session,
        work.actor,
        "clock_accepted",
        detail=f"电脑时间 {behind.now:%Y-%m-%d %H:%M}，早于上次使用 {behind.last_seen:%Y-%m-%d %H:%M}",
    )
