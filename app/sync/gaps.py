"""Which bundles of a sender are missing: the counter coverage of the bundles received, the missing
sequence numbers, and whether later bundles already carry what the missing ones held (a gap that
loses nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ReceivedBundle, Station

from app.workspace import Workspace


def coverage(received: Iterable[tuple[int, int, int]]) -> int:
    """Counter value up to which every change of a sender has arrived, from its bundles'
    (seq, counter_from, counter_to): a bundle extends the chain when it starts inside it."""
    through = 0
    for _seq, start, end in sorted(received, key=lambda b: (b[1], b[0])):
        if start <= through:
            through = max(through, end)
    return through


def received_from(session: Session, station_id: str) -> list[ReceivedBundle]:
    return list(
        session.scalars(
            select(ReceivedBundle)
            .where(ReceivedBundle.sender_station == station_id)
            .order_by(ReceivedBundle.seq)
        )
    )


MAX_GAP_LISTED = 50  # missing sequence numbers named at most per sender; the rest are counted


def missing_seqs(bundles: list[ReceivedBundle], *, limit: int = MAX_GAP_LISTED) -> tuple[list[int], int]:
    """The sequence numbers missing below the highest received: the first ``limit`` of them and how
    many there are in all. Computed from the gaps between the numbers seen, never by walking a range
    (a sequence number is the sender's to choose)."""
    seqs = sorted({b.seq for b in bundles})
    listed: list[int] = []
    total = 0
    previous = 0
    for seq in seqs:
        if seq > previous + 1:
            total += seq - previous - 1
            for n in range(previous + 1, min(seq, previous + 1 + limit - len(listed))):
                listed.append(n)
        previous = seq
    return listed, total


@dataclass
class Gap:
    village: str
    village_code: str
    missing: list[int]  # the first MAX_GAP_LISTED of them
    covered: bool  # later bundles already carry the missing content (nothing is lost)
    total: int = 0  # how many are missing in all

    @property
    def text(self) -> str:
        nums = "、".join(str(n) for n in self.missing)
        more = f" 等共 {self.total} 个" if self.total > len(self.missing) else ""
        note = "（其内容已由后续包带到，数据不缺）" if self.covered else ""
        return f"{self.village} 缺第 {nums} 号包{more}{note}"


def gaps(ws: Workspace) -> list[Gap]:
    """Every other station's missing bundles (two statements, not one a station: an import's report
    asks this at a town of thirty villages)."""
    result = []
    with ws.new_session() as s:
        by_sender: dict[str, list[ReceivedBundle]] = {}
        for b in s.scalars(
            select(ReceivedBundle).order_by(ReceivedBundle.sender_station, ReceivedBundle.seq)
        ):
            by_sender.setdefault(b.sender_station, []).append(b)
        for st in s.scalars(select(Station).where(Station.is_local.is_(False)).order_by(Station.code)):
            got = by_sender.get(st.id, [])
            missing, total = missing_seqs(got)
            if missing:
                result.append(Gap(st.name, st.code, missing, gaps_covered(got, missing), total))
    return result


def gaps_covered(got: list[ReceivedBundle], missing: list[int]) -> bool:
    """A missing bundle costs nothing when a later one starts at or below what had already arrived.
    (Asked only of the listed numbers: the others lie in the same gaps.)"""
    for m in missing:
        before = coverage((b.seq, b.counter_from, b.counter_to) for b in got if b.seq < m)
        later = [b.counter_from for b in got if b.seq > m]
        if not later or min(later) > before:
            return False
    return True
