"""The case file's printable documents, by key: their names, which of them carry full resident IDs, and
which a case can print now. Apart from :mod:`app.mediation.documents`, which draws them with fpdf2, so
that the case screen lists them without loading the PDF library (it loads when something is printed:
docs/architecture.md, "What loads when")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.mediation.info import CaseFile

DOCUMENTS = {
    "registration": "受理登记表",
    "rights_notice": "当事人权利义务告知书",
    "session_record": "调解记录",
    "agreement": "人民调解协议书",
    "oral_agreement": "口头协议登记表",
    "follow_up": "回访记录",
    "cover": "卷宗封面",
    "contents": "卷内目录",
}


# The documents that go to a court (司法确认) carry each party's full resident ID, printed only for an
# account that may reveal it (``reveal_resident_id``); every such print is audited.
FULL_ID_DOCUMENTS = frozenset({"registration", "agreement"})


@dataclass(frozen=True)
class PrintedDocument:
    path: Path
    pages: int
    copies: int = 1
    full_ids: bool = False  # the parties' resident IDs were printed in full


def available(cf: CaseFile) -> list[str]:
    """Which documents this case can print now."""
    keys = ["registration", "rights_notice"]
    if cf.sessions:
        keys.append("session_record")
    if cf.agreement is not None:
        keys.append("agreement" if cf.agreement.kind == "书面" else "oral_agreement")
    if any(f.visited_on for f in cf.follow_ups):
        keys.append("follow_up")
    keys += ["cover", "contents"]
    return keys
