"""Rows of older programs, brought to today's rules as they arrive in a bundle.

Before schema revision 0012 a case could go 受理 → 终止 when a party refused mediation before it began.
That is 人民调解法 Art. 17 (不得调解): 不予受理, not a 受理 that failed (see docs/mediation-law.md).
Migration 0012 rewrites such cases in a station's own database; a bundle from a station still on an
older schema is rewritten the same way before it is written (the case's ``outcome`` and ``state``, the
history rows' ``to_state``/``from_state``), in place and without new versions, as the migration does.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, text

REFUSAL_REVISION = "0012_mediation_capacity_recusal"  # the first schema without 受理 → 终止


class _Staged(Protocol):
    @property
    def columns(self) -> list[str]: ...
    @property
    def rows(self) -> list[list[Any]]: ...


def rewrite_refusals(conn: Connection, tables: dict[str, _Staged]) -> set[str]:
    """Rewrite, in the staged rows (table name → columns and rows) and in the transitions already held
    here, each case that ended 终止 without ever being mediated. Returns the ids of those cases."""
    cases, transitions = tables.get("mediation_case"), tables.get("mediation_transition")
    if cases is None or not cases.rows:
        return set()
    c_id, c_outcome, c_state = (cases.columns.index(k) for k in ("id", "outcome", "state"))
    ended = {r[c_id] for r in cases.rows if r[c_outcome] == "终止"}
    if not ended:
        return set()
    mediated: set[str] = set()
    if transitions is not None:
        t_case, t_to = transitions.columns.index("case_id"), transitions.columns.index("to_state")
        mediated |= {r[t_case] for r in transitions.rows if r[t_to] == "调解中" and r[t_case] in ended}
    for chunk in _chunks(sorted(ended - mediated)):
        marks = ", ".join(f":c{i}" for i in range(len(chunk)))
        params = {f"c{i}": v for i, v in enumerate(chunk)}
        mediated |= set(
            conn.execute(
                text(
                    f"SELECT DISTINCT case_id FROM mediation_transition WHERE to_state = '调解中' "
                    f"AND case_id IN ({marks})"
                ),
                params,
            ).scalars()
        )
    refused = ended - mediated
    if not refused:
        return refused
    for r in cases.rows:
        if r[c_id] in refused:
            r[c_outcome] = "不予受理"
            if r[c_state] == "终止":
                r[c_state] = "不予受理"
    if transitions is not None:
        t_from = transitions.columns.index("from_state")
        for r in transitions.rows:
            if r[t_case] in refused:
                if r[t_to] == "终止" and r[t_from] == "受理":
                    r[t_to] = "不予受理"
                if r[t_from] == "终止":
                    r[t_from] = "不予受理"
    for chunk in _chunks(sorted(refused)):
        marks = ", ".join(f":c{i}" for i in range(len(chunk)))
        params = {f"c{i}": v for i, v in enumerate(chunk)}
        conn.execute(
            text(
                "UPDATE mediation_transition SET to_state = '不予受理' WHERE to_state = '终止' "
                f"AND from_state = '受理' AND case_id IN ({marks})"
            ),
            params,
        )
        conn.execute(
            text(
                f"UPDATE mediation_transition SET from_state = '不予受理' WHERE from_state = '终止' "
                f"AND case_id IN ({marks})"
            ),
            params,
        )
    return refused


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
