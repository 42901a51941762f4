"""The query plans of what a piece of the program runs (issue 17's worst cases are plans: a full scan,
a temporary sort). Plans depend on the schema, not the data, so a small workspace shows what 100 000
households do."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from app.workspace import Workspace


def executed_plans(
    ws: Workspace, run: Callable[[], object], keep: Callable[[str], bool]
) -> list[tuple[str, list[str]]]:
    """(statement, its query plan) of every SELECT that ``run()`` executes and ``keep`` keeps."""
    seen: list[tuple[str, tuple]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().startswith("SELECT") and keep(statement):
            seen.append((statement, tuple(parameters)))

    assert ws.engine is not None, "the workspace is open"
    event.listen(ws.engine, "before_cursor_execute", note)
    try:
        run()
    finally:
        event.remove(ws.engine, "before_cursor_execute", note)
    with ws.engine.connect() as conn:
        return [
            (statement, [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)])
            for statement, parameters in seen
        ]
