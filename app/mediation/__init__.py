"""矛盾纠纷排查调处: screening rounds, the mediation case file, deadlines, statistics and the ledger.

- :mod:`app.mediation.rules`: the fixed lists (sources, types, states) and the state machine.
- :mod:`app.mediation.cases`: registration, parties, sessions, agreements, follow-ups, archiving.
- :mod:`app.mediation.screening`: screening rounds (排查) and 零报告.
- :mod:`app.mediation.deadlines`: the 今日待办 provider (one month, 司法确认 30 days, 履行, 回访).
- :mod:`app.mediation.stats`: figures for any period; :mod:`app.mediation.ledger`: the Excel 台账.
"""
