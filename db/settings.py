"""本机设置的存取: the ``setting`` table's key → JSON value, read and written in one place.

Typed, audited settings live with their feature (``app.preferences``, ``app.diary``, ``app.mediation``);
they all read and write through these two functions. A value that is not valid JSON reads as the default.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from db.models import Setting


def get(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Setting, key)
    if row is None:
        return default
    try:
        return json.loads(row.value)
    except ValueError:
        return default


def put(session: Session, key: str, value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=text))
    else:
        row.value = text
