"""The words of a typed search."""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x1f\x7f]")


def search_words(text: str | None) -> list[str]:
    """The words of a search box's text: split at white space and at control characters. A NUL pasted
    into the box ended the full-text query's string early: SQLite refused the query, and the window
    showed the crash dialog."""
    return _CONTROL.sub(" ", text or "").split()


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``escape="\\"``: a % or _ typed is looked for as itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
